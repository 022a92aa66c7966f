/**
 * natflow's three workflows and the state machines that run them (docs/workflows.md, docs/README.md#contracts): the one list every
 * layer uses, and the one lookup of the machine an execution starts on — the API's `POST /executions`
 * and the CLI's workflow commands both ask `machineFor`.
 *
 * The rollback machine (started by the status-change rule and by an explicit rollback of a kept
 * failure) runs no workflow a client names, so it is not among these.
 */
export const WORKFLOWS = ['provision', 'verify', 'teardown'] as const;
export type Workflow = (typeof WORKFLOWS)[number];

/** The state machines behind the workflows: `provision-keep` runs a provisioning with `onFailure: keep`. */
export const MACHINES = ['provision', 'provision-keep', 'verify', 'teardown'] as const;
export type Machine = (typeof MACHINES)[number];

/**
 * The machine a workflow's input runs on: a plan with `onFailure: keep` runs on `provision-keep`, the
 * provision definition without its Catch edges (docs/workflows.md).
 *
 * @example machineFor('provision', { name: 'p', onFailure: 'keep' }) // 'provision-keep'
 */
export function machineFor(workflow: Workflow, input: unknown): Machine {
  const keep =
    workflow === 'provision' &&
    typeof input === 'object' &&
    input !== null &&
    (input as { onFailure?: unknown }).onFailure === 'keep';
  return keep ? 'provision-keep' : workflow;
}

/** The machines a workflow's executions run on (every machine without a workflow). */
export function machinesOf(workflow: Workflow | undefined): Machine[] {
  if (workflow === undefined) return [...MACHINES];
  return workflow === 'provision' ? ['provision', 'provision-keep'] : [workflow];
}

/** The workflow a machine runs. */
export function workflowOfMachine(machine: Machine): Workflow {
  return machine === 'provision-keep' ? 'provision' : machine;
}

/** Step Functions' longest execution name. */
export const EXECUTION_NAME_MAX = 80;

/** The plan an input is about: a provisioning's plan document (`name`), a teardown's or verify's `plan`. */
export function planOfInput(input: unknown): string | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  const { plan, name } = input as { plan?: unknown; name?: unknown };
  if (typeof plan === 'string' && plan) return plan;
  if (typeof name === 'string' && name) return name;
  return undefined;
}

/** Four random hex digits (Web Crypto: no import, so the core stays free of Node's modules). */
export function randomSuffix(): string {
  const bytes = new Uint8Array(2);
  globalThis.crypto.getRandomValues(bytes);
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The name of a new execution when the caller gives none — the one format of the API's
 * `POST /executions` and the CLI's commands (docs/workflows.md): `PLAN-YYYYMMDDTHHMMSSZ-XXXX`, the
 * input's plan (the workflow's name for a verify of every plan), the UTC time to the second and four
 * random hex digits (two starts in one second differ), cut to Step Functions' 80 characters by
 * shortening the plan's part. Names sort by time within a plan.
 *
 * @example executionNameFor('provision', { name: 'app-a-to-elb01' }, Date.UTC(2026, 11, 7, 9, 13, 33), 'a1b2')
 *   // 'app-a-to-elb01-20261207T091333Z-a1b2'
 */
export function executionNameFor(
  workflow: Workflow,
  input: unknown,
  now: number,
  suffix: string = randomSuffix(),
): string {
  const time = `${new Date(now).toISOString().slice(0, 19).replace(/[-:]/g, '')}Z`;
  const tail = `-${time}-${suffix}`;
  const prefix = (planOfInput(input) ?? workflow).replace(/[^A-Za-z0-9_-]/g, '-');
  return `${prefix.slice(0, EXECUTION_NAME_MAX - tail.length)}${tail}`;
}

/**
 * The plan a generated execution name carries (`executionNameFor`'s format; names generated before it
 * had the time to the millisecond, which is read too); none for another name, or for a verify of every
 * plan (named after the workflow).
 *
 * @example planOfExecutionName('app-a-to-elb01-20261207T091333Z-a1b2', 'provision') // 'app-a-to-elb01'
 */
export function planOfExecutionName(name: string, workflow: string): string | undefined {
  const match = /^([a-z0-9-]{1,64})-\d{8}T\d{6}(?:\d{3})?Z-[0-9a-f]{4}$/.exec(name);
  if (!match || (workflow === 'verify' && match[1] === 'verify')) return undefined;
  return match[1];
}
