/**
 * `onFailure: keep` (docs/workflows.md): the provision definition without its Catch edges, generated from the
 * same ASL file when the runtime loads it and when the AWS template is packaged (infra/keep-variant.cjs
 * compiles this module), so that the two can never drift apart. Imports nothing.
 *
 * Without a Catch the error of a failing Task propagates to the execution (through its Parallel, if it
 * sits in one): the execution ends FAILED at the failing state with the original error and cause, nothing
 * is rolled back, and `RedriveExecution` can continue from that state. States only a Catch reached (the
 * Rollback → PublishProvisioningFailed → ProvisioningFailed tail) become unreachable and are dropped, as
 * ASL forbids unreachable states; the rest is the original, state for state, Retry for Retry.
 *
 * @example
 *   const keep = keepVariantOf(provisionDefinition);
 *   keep.States.Rollback; // undefined
 *   keep.States.CreateNetworks.Catch; // undefined
 */

/** The key and name suffix of the kept variant of a state machine (`provision` → `provision-keep`). */
export const KEEP_SUFFIX = '-keep';

type Json = Record<string, unknown>;

/** A deep copy of `definition` with every Catch removed and the states no longer reachable dropped. */
export function keepVariantOf<T extends object>(definition: T): T {
  const copy = structuredClone(definition) as unknown as Json;
  stripMachine(copy, 'definition');
  return copy as unknown as T;
}

/** The kept variant's name for a state machine name: `natflow-provision-dev` → `natflow-provision-keep-dev`. */
export function keepVariantName(name: string, workflow = 'provision'): string {
  const marker = `-${workflow}`;
  const at = name.lastIndexOf(marker);
  if (at < 0) return `${name}${KEEP_SUFFIX}`;
  const end = at + marker.length;
  return `${name.slice(0, end)}${KEEP_SUFFIX}${name.slice(end)}`;
}

function stripMachine(machine: Json, where: string): void {
  const states = machine.States;
  if (!isRecord(states) || typeof machine.StartAt !== 'string') {
    throw new Error(`${where}: a state machine needs StartAt and States`);
  }
  for (const [name, state] of Object.entries(states)) {
    if (!isRecord(state)) throw new Error(`${where}: state ${name} is not an object`);
    delete state.Catch;
    if (Array.isArray(state.Branches)) {
      state.Branches.forEach((branch, i) => {
        if (isRecord(branch)) stripMachine(branch, `${name}.Branches[${i}]`);
      });
    }
    const processor = state.ItemProcessor ?? state.Iterator;
    if (isRecord(processor)) stripMachine(processor, `${name}.ItemProcessor`);
  }
  const reachable = reachableStates(machine.StartAt, states);
  for (const name of Object.keys(states)) if (!reachable.has(name)) delete states[name];
}

/** The states reachable from `start` through Next, Choices[].Next, Default (and Catch, when present). */
export function reachableStates(start: string, states: Json): Set<string> {
  const seen = new Set<string>();
  const queue = [start];
  while (queue.length > 0) {
    const name = queue.pop() as string;
    if (seen.has(name)) continue;
    const state = states[name];
    if (!isRecord(state)) continue;
    seen.add(name);
    if (typeof state.Next === 'string') queue.push(state.Next);
    if (typeof state.Default === 'string') queue.push(state.Default);
    for (const list of [state.Choices, state.Catch]) {
      if (!Array.isArray(list)) continue;
      for (const item of list) if (isRecord(item) && typeof item.Next === 'string') queue.push(item.Next);
    }
  }
  return seen;
}

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export interface MachineSpec {
  key: string;
  name: string;
  definition: Record<string, unknown>;
}

/**
 * The state machines to run: those given, and the kept variant of `provision` beside it unless it is
 * among them already (serverless.yml declares it: infra/keep-variant.cjs).
 */
export function withKeepVariant<T extends MachineSpec>(machines: Iterable<T>): MachineSpec[] {
  const all: MachineSpec[] = [...machines];
  const provision = all.find((machine) => machine.key === 'provision');
  const declared = all.some((machine) => machine.key === `provision${KEEP_SUFFIX}`);
  if (provision !== undefined && !declared) {
    all.push({
      key: `provision${KEEP_SUFFIX}`,
      name: keepVariantName(provision.name),
      definition: keepVariantOf(provision.definition),
    });
  }
  return all;
}
