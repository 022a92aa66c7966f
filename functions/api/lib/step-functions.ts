/**
 * The API's one seam to Step Functions: an `@aws-sdk/client-sfn` client, the three state machines' ARNs,
 * and the mapping of executions to the API's JSON (dates as ISO strings, input and output as JSON values).
 *
 * Environment:
 * - `NATFLOW_STATE_MACHINE_ARNS` — `{"provision": ARN, "verify": ARN, "teardown": ARN}`, and
 *   `provision-keep` and `rollback` (serverless.yml sets all five with CloudFormation refs). Locally, when unset, the ARNs the local runtime gives the
 *   machines of serverless.yml: `arn:aws:states:<region>:123456789012:stateMachine:natflow-<workflow>-dev`.
 * - `NATFLOW_SFN_ENDPOINT` — the local Step Functions endpoint; the client then signs with placeholder
 *   credentials, so no AWS account is ever contacted. `NATFLOW_TOKEN`, when set, is sent as
 *   `x-natflow-token` so the local server lets the client through its bearer-token check.
 * - `AWS_REGION` (default `us-east-1`).
 *
 * Lambda reads these once per container (`defaultDeps()` in functions/lib/deps.ts); the local runtime
 * hands its handlers a client at its own endpoint and its machines' ARNs instead of the environment.
 */
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  ExecutionDoesNotExist,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { LOCAL_REGION, LOCAL_STAGE, localStateMachineArn } from '../../../src/aws/local.ts';
import { NotFoundError } from '../../../src/cloud/errors.ts';
import { causeObjectOf } from '../../../src/codes/failure.ts';
import { keepVariantName } from '../../../src/workflow/keep-variant.ts';
import {
  MACHINES,
  type Machine,
  machineFor,
  machinesOf,
  WORKFLOWS,
  type Workflow,
  workflowOfMachine,
} from '../../../src/workflow/workflows.ts';

/**
 * The workflows' state machine ARNs; `provision-keep` (onFailure: keep) defaults to provision's ARN
 * named with `-keep`, and `rollback` is there once that machine is deployed (lib/rollback.ts).
 */
export type WorkflowArns = Record<Workflow, string> & { 'provision-keep'?: string; rollback?: string };

/** The part of the handlers' deps (functions/lib/deps.ts) that reaches Step Functions. */
export interface StepFunctionsDeps {
  stepFunctions(): SFNClient;
  stateMachineArns(): WorkflowArns;
  /**
   * Roll a kept failure back in the request even where the rollback machine is deployed, so the answer
   * lists what went (the local stack's choice; lib/rollback.ts).
   */
  keptRollbackInProcess?: boolean;
}

export { MACHINES, type Machine, machineFor, machinesOf, WORKFLOWS, type Workflow, workflowOfMachine };

/** Every machine's ARN: `provision-keep` derived from provision's when not given. */
export function machineArnsOf(arns: WorkflowArns): Record<Machine, string> {
  const provision = arns.provision;
  const at = provision.lastIndexOf(':') + 1;
  const keep = arns['provision-keep'] ?? provision.slice(0, at) + keepVariantName(provision.slice(at));
  return { provision, 'provision-keep': keep, verify: arns.verify, teardown: arns.teardown };
}

/** Where a client reaches Step Functions: AWS (no endpoint) or a local stack's endpoint. */
export interface SfnClientOptions {
  endpoint?: string | undefined;
  region?: string | undefined;
  /** Sent as `x-natflow-token` to a local endpoint that requires a token. */
  token?: string | undefined;
  /**
   * Sent as `x-natflow-internal` to the local stack that built this client for its own handlers: their
   * calls, made while an API request is in flight, are not counted against its cap on requests.
   */
  internalKey?: string | undefined;
}

/**
 * A Step Functions client. With an endpoint (a local stack) it signs with placeholder credentials, so
 * no AWS account is ever contacted, and sends the stack's token when there is one.
 */
export function sfnClientFor(options: SfnClientOptions): SFNClient {
  const endpoint = options.endpoint || undefined;
  const token = options.token || undefined;
  const internalKey = options.internalKey || undefined;
  const client = new SFNClient({
    region: options.region || LOCAL_REGION,
    ...(endpoint
      ? { endpoint, credentials: { accessKeyId: 'natflow-local', secretAccessKey: 'natflow-local' } }
      : {}),
  });
  if (endpoint && (token || internalKey)) {
    client.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { headers?: Record<string, string> };
        if (request.headers && token) request.headers['x-natflow-token'] = token;
        if (request.headers && internalKey) request.headers['x-natflow-internal'] = internalKey;
        return next(args);
      },
      { step: 'build', name: 'natflowLocalToken' },
    );
  }
  return client;
}

/** The client the environment describes (`NATFLOW_SFN_ENDPOINT`, `AWS_REGION`, `NATFLOW_TOKEN`). */
export function sfnClientFromEnv(env: NodeJS.ProcessEnv): SFNClient {
  return sfnClientFor({
    endpoint: env.NATFLOW_SFN_ENDPOINT,
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION,
    token: env.NATFLOW_TOKEN,
  });
}

const ArnsSchema = z.object({
  provision: z.string().min(1),
  'provision-keep': z.string().min(1).optional(),
  verify: z.string().min(1),
  teardown: z.string().min(1),
  rollback: z.string().min(1).optional(),
});

/** The state machine ARN of each workflow, from `NATFLOW_STATE_MACHINE_ARNS` (else the local stack's). */
export function stateMachineArnsFromEnv(env: NodeJS.ProcessEnv): WorkflowArns {
  const text = env.NATFLOW_STATE_MACHINE_ARNS;
  if (text) {
    const parsed = ArnsSchema.safeParse(safeJson(text));
    if (!parsed.success)
      throw new Error('NATFLOW_STATE_MACHINE_ARNS must be {"provision","verify","teardown"} ARNs');
    const { 'provision-keep': keep, rollback, ...arns } = parsed.data;
    return { ...arns, ...(keep ? { 'provision-keep': keep } : {}), ...(rollback ? { rollback } : {}) };
  }
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || LOCAL_REGION;
  const arn = (workflow: Workflow) => localStateMachineArn(`natflow-${workflow}-${LOCAL_STAGE}`, region);
  return { provision: arn('provision'), verify: arn('verify'), teardown: arn('teardown') };
}

/** The machine a state machine or execution ARN belongs to, if it is one of natflow's. */
export function machineOfArn(arn: string, arns: WorkflowArns): Machine | undefined {
  const all = machineArnsOf(arns);
  for (const machine of MACHINES) {
    const machineArn = all[machine];
    if (arn === machineArn || arn.startsWith(`${executionPrefix(machineArn)}:`)) return machine;
  }
  return undefined;
}

/** The workflow a state machine or execution ARN belongs to, if it is one of natflow's. */
export function workflowOfArn(arn: string, arns: WorkflowArns): Workflow | undefined {
  const machine = machineOfArn(arn, arns);
  return machine === undefined ? undefined : workflowOfMachine(machine);
}

/** `arn:…:stateMachine:M` → `arn:…:execution:M`, the prefix of its executions' ARNs. */
export function executionPrefix(stateMachineArn: string): string {
  return stateMachineArn.replace(':stateMachine:', ':execution:');
}

const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;

/**
 * Finds an execution by its ARN (URL-decoded or not) or by its name, looked up across the state
 * machines (provision-keep too). Throws NOT_FOUND when no natflow state machine has it.
 */
export async function describeExecution(
  sfn: StepFunctionsDeps,
  id: string,
): Promise<DescribeExecutionCommandOutput> {
  const decoded = decodeOnce(id);
  const arns = sfn.stateMachineArns();
  const candidates = decoded.startsWith('arn:')
    ? workflowOfArn(decoded, arns)
      ? [decoded]
      : []
    : EXECUTION_NAME.test(decoded)
      ? MACHINES.map((machine) => `${executionPrefix(machineArnsOf(arns)[machine])}:${decoded}`)
      : [];
  for (const executionArn of candidates) {
    try {
      return await sfn.stepFunctions().send(new DescribeExecutionCommand({ executionArn }));
    } catch (error) {
      if (error instanceof ExecutionDoesNotExist || (error as Error).name === 'ExecutionDoesNotExist')
        continue;
      throw error;
    }
  }
  throw new NotFoundError(`no execution ${JSON.stringify(decoded)} in natflow's state machines`, {
    path: 'path.id',
  });
}

function decodeOnce(text: string): string {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** A JSON text as its value; text that is not JSON stays text. */
export function safeJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function iso(date: Date | undefined): string | undefined {
  return date ? date.toISOString() : undefined;
}

/** DescribeExecution's answer as the API returns it. */
export function executionDocument(output: DescribeExecutionCommandOutput, arns: WorkflowArns) {
  const machine = output.stateMachineArn ? machineOfArn(output.stateMachineArn, arns) : undefined;
  const workflow = machine === undefined ? undefined : workflowOfMachine(machine);
  return dropUndefined({
    executionArn: output.executionArn,
    stateMachineArn: output.stateMachineArn,
    workflow,
    onFailure: onFailureOf(machine),
    name: output.name,
    status: output.status,
    startDate: iso(output.startDate),
    stopDate: iso(output.stopDate),
    input: safeJson(output.input),
    output: safeJson(output.output),
    error: output.error,
    // The failure document, as an object (docs/real-cloud.md#failure), whatever shape the cause has.
    cause: output.error || output.cause ? causeObjectOf(output.error, output.cause) : undefined,
    redriveCount: output.redriveCount,
    redriveDate: iso(output.redriveDate),
    redriveStatus: output.redriveStatus,
    redriveStatusReason: output.redriveStatusReason,
  });
}

/** A provisioning's `onFailure`, from the machine it runs on. */
export function onFailureOf(machine: Machine | undefined): 'rollback' | 'keep' | undefined {
  if (machine === 'provision-keep') return 'keep';
  return machine === 'provision' ? 'rollback' : undefined;
}

export function dropUndefined<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
