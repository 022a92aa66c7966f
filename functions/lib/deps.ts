/**
 * What handlers depend on beyond their input: the store, the clock, the local data plane, the event
 * publisher. Built once per container (module scope, as Lambda reuses it) from the environment, or
 * injected by the local runtime and tests through `setDeps` — the one seam handlers share.
 *
 * On AWS: `NATFLOW_STORE=dynamodb` with `NATFLOW_TABLE`; no data plane (probes analyse only).
 * Locally: SQLite under `NATFLOW_DATA_DIR` (default `.natflow/`), the runtime's data plane and event bus.
 */
import type { Store } from '../../src/cloud/store.ts';
import { type Clock, systemClock } from '../../src/net/clock.ts';
import type { DataPlane } from '../../src/runtime/dataplane/index.ts';

/** Publishes natflow's out events (source `natflow`) to the bus. */
export type EventPublisher = (detailType: string, detail: Record<string, unknown>) => Promise<void>;

export interface Deps {
  store: Store;
  clock: Clock;
  dataPlane: DataPlane | undefined;
  publish: EventPublisher;
  /** Resolves when every other in-flight handler of the execution has settled (rollback waits on it). */
  settle: (executionArn: string) => Promise<void>;
}

let injected: Partial<Deps> = {};
let storePromise: Promise<Store> | undefined;
let publisherPromise: Promise<EventPublisher> | undefined;

/** Injects dependencies (the local runtime, tests); later calls merge over earlier ones. */
export function setDeps(deps: Partial<Deps>): void {
  injected = { ...injected, ...deps };
}

/** Forgets injected and cached dependencies (tests). */
export function resetDeps(): void {
  injected = {};
  storePromise = undefined;
  publisherPromise = undefined;
}

export async function getStore(): Promise<Store> {
  if (injected.store) return injected.store;
  storePromise ??= import('../../src/store/index.ts').then(({ openStore }) => openStore(process.env));
  return storePromise;
}

export function getClock(): Clock {
  return injected.clock ?? systemClock;
}

export function getDataPlane(): DataPlane | undefined {
  return injected.dataPlane;
}

export async function publishEvent(detailType: string, detail: Record<string, unknown>): Promise<void> {
  if (injected.publish) return injected.publish(detailType, detail);
  publisherPromise ??= import('./eventbridge.ts').then(({ eventBridgePublisher }) =>
    eventBridgePublisher(process.env),
  );
  const publish = await publisherPromise;
  return publish(detailType, detail);
}

export async function settleExecution(executionArn: string): Promise<void> {
  if (injected.settle) return injected.settle(executionArn);
}
