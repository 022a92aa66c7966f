/**
 * What a handler depends on beyond its input — the store, the cloud, the clock, the live network, the
 * event publisher, the in-flight settle — as one `Deps` value every handler factory takes (the API
 * handlers that reach Step Functions take `ApiDeps`, functions/api/lib/deps.ts, which adds it):
 *
 *     export const createHandler = (deps: Deps = defaultDeps()) => lambdaHandler(Schema, async (event) => …);
 *     export const handler = createHandler();
 *
 * On Lambda, `handler` runs with `defaultDeps()`: built from the environment once per container, the
 * store opened on first use (`NATFLOW_STORE=dynamodb` with `NATFLOW_TABLE`; SQLite under
 * `NATFLOW_DATA_DIR` otherwise), EventBridge for events, no live network (probes analyse only). The
 * local runtime (src/stack/stack.ts) calls `createHandler(deps)` with its own store, cloud, data plane,
 * bus and clock, so two stacks in one process never share anything.
 */
import type { Cloud, CloudName } from '../../src/cloud/cloud.ts';
import { ControlPlane } from '../../src/cloud/control-plane.ts';
import type { Store } from '../../src/cloud/store.ts';
import { type Clock, systemClock } from '../../src/net/clock.ts';
import type { LiveNetwork } from '../../src/probe/live.ts';
import type { EventPublisher } from '../../src/workflow/events.ts';

/** The cloud port the provisioning, rollback and teardown steps call (src/cloud/cloud.ts). */
export type { Cloud };

export interface Deps {
  /** The resource store (opened on first use on Lambda). */
  store(): Promise<Store>;
  /**
   * The cloud over that store, as each invocation sees it: `virtual` by default, or the provider a plan
   * or its ledger names (DESIGN §10; `huaweicloud` reads HUAWEICLOUD_* and, on AWS, its secret).
   */
  cloud(name?: CloudName): Promise<Cloud>;
  clock: Clock;
  /** The live data plane the probe sends real requests through; none on AWS. */
  live: LiveNetwork | undefined;
  /** natflow's out events (source `natflow`). */
  publish: EventPublisher;
  /** Resolves when every other in-flight handler of the execution has settled (rollback waits on it). */
  settle(executionArn: string): Promise<void>;
}

/**
 * The virtual cloud over a store. `NATFLOW_PROVISIONING_DELAY_MS` (gateways and rules stay PENDING this
 * long) is read at each call, as each invocation builds its own.
 */
export function controlPlaneOver(store: Store, clock: Clock, env: NodeJS.ProcessEnv = process.env): Cloud {
  return new ControlPlane({
    store,
    clock,
    provisioningDelayMs: Number(env.NATFLOW_PROVISIONING_DELAY_MS ?? 0),
  });
}

/** A real cloud's provider over the store (src/providers/), loaded only when a plan names one. */
async function providerCloud(
  name: CloudName,
  store: Store,
  clock: Clock,
  env: NodeJS.ProcessEnv,
): Promise<Cloud> {
  const { openCloud } = await import('../../src/providers/index.ts');
  return openCloud(name, { store, clock, env });
}

/** Deps from the environment (a Lambda container's); nothing is opened before it is used. */
export function depsFromEnv(env: NodeJS.ProcessEnv): Deps {
  let store: Promise<Store> | undefined;
  let publisher: Promise<EventPublisher> | undefined;
  const openedStore = () => {
    store ??= import('../../src/store/index.ts').then(({ openStore }) => openStore(env));
    return store;
  };
  return {
    store: openedStore,
    cloud: async (name = 'virtual') =>
      name === 'virtual'
        ? controlPlaneOver(await openedStore(), systemClock, env)
        : providerCloud(name, await openedStore(), systemClock, env),
    clock: systemClock,
    live: undefined,
    publish: async (detailType, detail) => {
      publisher ??= import('./eventbridge.ts').then(({ eventBridgePublisher }) => eventBridgePublisher(env));
      return (await publisher)(detailType, detail);
    },
    settle: async () => undefined,
  };
}

let defaults: Deps | undefined;

/** The container's deps, built from `process.env` on first use and reused by every invocation. */
export function defaultDeps(): Deps {
  defaults ??= depsFromEnv(process.env);
  return defaults;
}

/** The parts a runtime or a test supplies; the rest is derived (the cloud over the store) or inert. */
export interface DepsParts {
  store: Store;
  clock?: Clock;
  live?: LiveNetwork | undefined;
  publish?: EventPublisher;
  settle?: (executionArn: string) => Promise<void>;
}

/** Deps over a store already open (the local runtime, tests). Without `publish`, events are dropped. */
export function depsOf(parts: DepsParts): Deps {
  const clock = parts.clock ?? systemClock;
  const store = parts.store;
  return {
    store: async () => store,
    cloud: async (name = 'virtual') =>
      name === 'virtual' ? controlPlaneOver(store, clock) : providerCloud(name, store, clock, process.env),
    clock,
    live: parts.live,
    publish: parts.publish ?? (async () => undefined),
    settle: parts.settle ?? (async () => undefined),
  };
}
