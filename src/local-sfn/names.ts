/**
 * ARNs and names of the local Step Functions service, formatted and checked as AWS does.
 *
 * State machine: `arn:aws:states:<region>:<account>:stateMachine:<name>`
 * Execution:     `arn:aws:states:<region>:<account>:execution:<state machine name>:<execution name>`
 */

/** The defaults of the local account: the region and account id AWS's own examples use. */
export { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../aws/local.ts';

export interface ArnScope {
  region: string;
  accountId: string;
}

export function stateMachineArnOf(scope: ArnScope, name: string): string {
  return `arn:aws:states:${scope.region}:${scope.accountId}:stateMachine:${name}`;
}

export function executionArnOf(scope: ArnScope, stateMachineName: string, executionName: string): string {
  return `arn:aws:states:${scope.region}:${scope.accountId}:execution:${stateMachineName}:${executionName}`;
}

/** The IAM role the local state machines pretend to run as (AWS reports one in ExecutionStarted). */
export function roleArnOf(scope: ArnScope): string {
  return `arn:aws:iam::${scope.accountId}:role/natflow-local-states`;
}

const ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]*:\d*:(stateMachine|execution):[^:\s]+(?::[^:\s]+)?$/;

/** Whether `arn` is syntactically a Step Functions ARN of `kind` (AWS answers InvalidArn otherwise). */
export function isStatesArn(arn: unknown, kind: 'stateMachine' | 'execution'): arn is string {
  if (typeof arn !== 'string' || arn.length > 2048) return false;
  const match = ARN.exec(arn);
  if (match === null || match[1] !== kind) return false;
  const parts = arn.split(':');
  return kind === 'execution' ? parts.length === 8 : parts.length === 7;
}

// Whitespace, the brackets, wildcard and special characters AWS lists, and control characters.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is rejected
const FORBIDDEN_IN_NAME = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/u;

/**
 * Why `name` is not a valid execution name, or `undefined` when it is. AWS's rules: 1 to 80 characters,
 * no whitespace, none of `< > { } [ ] ? * " # % \ ^ | ~ ` $ & , ; : /`, no control characters.
 */
export function invalidNameReason(name: string): string | undefined {
  if (name.length < 1 || name.length > 80) return `name must be 1 to 80 characters long (got ${name.length})`;
  const bad = FORBIDDEN_IN_NAME.exec(name);
  if (bad !== null) {
    return `name must not contain ${JSON.stringify(bad[0])} (whitespace, control characters and <>{}[]?*"#%\\^|~\`$&,;:/ are not allowed)`;
  }
  return undefined;
}
