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
