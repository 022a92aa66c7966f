/**
 * The Step Functions "Execution Status Change" event (source `aws.states`), as AWS puts it on the
 * account's default bus when an execution's status changes, and as the local runtime emits it on its bus
 * when an execution closes — so the rules of serverless.yml (the rollback workflow's: a provisioning
 * ABORTED or TIMED_OUT) serve both places through one path.
 *
 * Local rules read from serverless.yml may name a state machine by CloudFormation reference
 * (`stateMachineArn: [!Ref ProvisionStateMachine]`); `resolveMachineRefs` turns those into the local ARNs.
 */
import type { PutEventsEntry } from '../local-bus/index.ts';
import type { ExecutionRecord } from '../local-sfn/index.ts';
import type { ServerlessConfig } from './serverless-config.ts';

export const STATUS_CHANGE_SOURCE = 'aws.states';
export const STATUS_CHANGE_DETAIL_TYPE = 'Step Functions Execution Status Change';

/** The PutEvents entry of an execution's new status (the fields AWS documents for this event). */
export function statusChangeEntry(execution: ExecutionRecord): PutEventsEntry {
  const detail = {
    executionArn: execution.executionArn,
    stateMachineArn: execution.stateMachineArn,
    name: execution.name,
    status: execution.status,
    startDate: execution.startDate.getTime(),
    stopDate: execution.stopDate ? execution.stopDate.getTime() : null,
    input: execution.input,
    inputDetails: { included: true },
    output: execution.output ?? null,
    outputDetails: { included: execution.output !== undefined },
    error: execution.error ?? null,
    cause: execution.cause ?? null,
  };
  return {
    Source: STATUS_CHANGE_SOURCE,
    DetailType: STATUS_CHANGE_DETAIL_TYPE,
    Detail: JSON.stringify(detail),
    Resources: [execution.executionArn],
  };
}

/** A copy of `pattern` with every `{Ref: <state machine logical id>}` replaced by that machine's ARN. */
export function resolveMachineRefs(pattern: unknown, arnOfLogicalId: ReadonlyMap<string, string>): unknown {
  if (Array.isArray(pattern)) return pattern.map((item) => resolveMachineRefs(item, arnOfLogicalId));
  if (!pattern || typeof pattern !== 'object') return pattern;
  const entries = Object.entries(pattern);
  if (entries.length === 1 && entries[0]?.[0] === 'Ref' && typeof entries[0][1] === 'string') {
    const arn = arnOfLogicalId.get(entries[0][1]);
    if (arn === undefined)
      throw new Error(`an event rule refers to ${entries[0][1]}, which is no state machine`);
    return arn;
  }
  return Object.fromEntries(entries.map(([key, value]) => [key, resolveMachineRefs(value, arnOfLogicalId)]));
}

/** `ProvisionStateMachine` → its local ARN, from the `id` of each state machine in serverless.yml. */
export function machineArnsByLogicalId(
  config: ServerlessConfig,
  arnOf: (name: string) => string,
): Map<string, string> {
  const raw = (config.raw.stepFunctions as { stateMachines?: Record<string, { id?: unknown }> } | undefined)
    ?.stateMachines;
  const arns = new Map<string, string>();
  for (const [key, machine] of config.stateMachines) {
    const id = raw?.[key]?.id;
    if (typeof id === 'string') arns.set(id, arnOf(machine.name));
  }
  return arns;
}
