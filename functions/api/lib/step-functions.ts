/**
 * The API's one seam to Step Functions: an `@aws-sdk/client-sfn` client, the three state machines' ARNs,
 * and the mapping of executions to the API's JSON (dates as ISO strings, input and output as JSON values).
 *
 * Environment:
 * - `NATFLOW_STATE_MACHINE_ARNS` — `{"provision": ARN, "verify": ARN, "teardown": ARN}` (serverless.yml
 *   sets it with CloudFormation refs). Locally, when unset, the ARNs the local runtime gives the
 *   machines of serverless.yml: `arn:aws:states:<region>:123456789012:stateMachine:natflow-<workflow>-dev`.
 * - `NATFLOW_SFN_ENDPOINT` — the local Step Functions endpoint; the client then signs with placeholder
 *   credentials, so no AWS account is ever contacted. `NATFLOW_TOKEN`, when set, is sent as
 *   `x-natflow-token` so the local server lets the client through its bearer-token check.
 * - `AWS_REGION` (default `us-east-1`).
 *
 * The client is built once per container (and again only if the endpoint changes, as in tests that start
 * several local stacks in one process).
 */
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  ExecutionDoesNotExist,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { NotFoundError } from '../../../src/cloud/errors.ts';
import { keepVariantName } from '../../../src/workflow/keep-variant.ts';

export const WORKFLOWS = ['provision', 'verify', 'teardown'] as const;
export type Workflow = (typeof WORKFLOWS)[number];
/** The state machines behind the workflows: `provision-keep` runs a provisioning with `onFailure: keep`. */
export const MACHINES = ['provision', 'provision-keep', 'verify', 'teardown'] as const;
export type Machine = (typeof MACHINES)[number];

/** The machines a workflow's executions run on. */
export function machinesOf(workflow: Workflow | undefined): Machine[] {
  if (workflow === undefined) return [...MACHINES];
  return workflow === 'provision' ? ['provision', 'provision-keep'] : [workflow];
}

/** The machine a workflow's input runs on: a plan with `onFailure: keep` runs on `provision-keep`. */
export function machineFor(workflow: Workflow, input: unknown): Machine {
  const keep =
    workflow === 'provision' &&
    typeof input === 'object' &&
    input !== null &&
    (input as { onFailure?: unknown }).onFailure === 'keep';
  return keep ? 'provision-keep' : workflow;
}

/** The workflow a machine runs. */
export function workflowOfMachine(machine: Machine): Workflow {
  return machine === 'provision-keep' ? 'provision' : machine;
}

const LOCAL_ACCOUNT = '123456789012';

let cached: { key: string; client: SFNClient } | undefined;
let injected: SFNClient | undefined;

/** The Step Functions client (module scope, reused across invocations). */
export function sfnClient(env: NodeJS.ProcessEnv = process.env): SFNClient {
  if (injected) return injected;
  const endpoint = env.NATFLOW_SFN_ENDPOINT || undefined;
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1';
  const token = env.NATFLOW_TOKEN || undefined;
  const key = `${endpoint}|${region}|${token ? 'token' : ''}`;
  if (cached?.key === key) return cached.client;
  const client = new SFNClient({
    region,
    ...(endpoint
      ? { endpoint, credentials: { accessKeyId: 'natflow-local', secretAccessKey: 'natflow-local' } }
      : {}),
  });
  if (endpoint && token) {
    client.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { headers?: Record<string, string> };
        if (request.headers) request.headers['x-natflow-token'] = token;
        return next(args);
      },
      { step: 'build', name: 'natflowLocalToken' },
    );
  }
  cached = { key, client };
  return client;
}

/** Replaces the client (tests, or a runtime that wants to share one); `undefined` restores the default. */
export function setSfnClient(client: SFNClient | undefined): void {
  injected = client;
}

const ArnsSchema = z.object({
  provision: z.string().min(1),
  'provision-keep': z.string().min(1).optional(),
  verify: z.string().min(1),
  teardown: z.string().min(1),
  /** The `rollback` state machine, once deployed (see lib/rollback.ts). */
  rollback: z.string().min(1).optional(),
});

export type MachineArns = Record<Machine, string> & { rollback?: string };

/** The state machine ARN of each workflow (`provision-keep`: provision's, named with `-keep`). */
export function stateMachineArns(env: NodeJS.ProcessEnv = process.env): MachineArns {
  const text = env.NATFLOW_STATE_MACHINE_ARNS;
  if (text) {
    const parsed = ArnsSchema.safeParse(safeJson(text));
    if (!parsed.success)
      throw new Error('NATFLOW_STATE_MACHINE_ARNS must be {"provision","verify","teardown"} ARNs');
    const { rollback, ...arns } = parsed.data;
    return {
      ...arns,
      'provision-keep': arns['provision-keep'] ?? keepArnOf(arns.provision),
      ...(rollback ? { rollback } : {}),
    };
  }
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1';
  const arn = (workflow: Machine) =>
    `arn:aws:states:${region}:${LOCAL_ACCOUNT}:stateMachine:natflow-${workflow}-dev`;
  return {
    provision: arn('provision'),
    'provision-keep': arn('provision-keep'),
    verify: arn('verify'),
    teardown: arn('teardown'),
  };
}

function keepArnOf(provisionArn: string): string {
  const at = provisionArn.lastIndexOf(':') + 1;
  return provisionArn.slice(0, at) + keepVariantName(provisionArn.slice(at));
}

/** The machine a state machine or execution ARN belongs to, if it is one of natflow's. */
export function machineOfArn(arn: string, arns = stateMachineArns()): Machine | undefined {
  for (const machine of MACHINES) {
    const machineArn = arns[machine];
    if (arn === machineArn || arn.startsWith(`${executionPrefix(machineArn)}:`)) return machine;
  }
  return undefined;
}

/** The workflow a state machine or execution ARN belongs to, if it is one of natflow's. */
export function workflowOfArn(arn: string, arns = stateMachineArns()): Workflow | undefined {
  const machine = machineOfArn(arn, arns);
  return machine === undefined ? undefined : workflowOfMachine(machine);
}

/** `arn:…:stateMachine:M` → `arn:…:execution:M`, the prefix of its executions' ARNs. */
export function executionPrefix(stateMachineArn: string): string {
  return stateMachineArn.replace(':stateMachine:', ':execution:');
}

const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;

/**
 * Finds an execution by its ARN (URL-decoded or not) or by its name, looked up across the three state
 * machines. Throws NOT_FOUND when no natflow state machine has it.
 */
export async function describeExecution(id: string): Promise<DescribeExecutionCommandOutput> {
  const decoded = decodeOnce(id);
  const arns = stateMachineArns();
  const candidates = decoded.startsWith('arn:')
    ? workflowOfArn(decoded, arns)
      ? [decoded]
      : []
    : EXECUTION_NAME.test(decoded)
      ? MACHINES.map((machine) => `${executionPrefix(arns[machine])}:${decoded}`)
      : [];
  for (const executionArn of candidates) {
    try {
      return await sfnClient().send(new DescribeExecutionCommand({ executionArn }));
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
export function executionDocument(output: DescribeExecutionCommandOutput) {
  const machine = output.stateMachineArn ? machineOfArn(output.stateMachineArn) : undefined;
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
    cause: output.cause,
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
