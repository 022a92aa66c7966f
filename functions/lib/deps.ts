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
import type { Cloud } from '../../src/cloud/cloud.ts';
import type { Store } from '../../src/cloud/store.ts';
import { type Clock, systemClock } from '../../src/net/clock.ts';
import type { LiveNetwork } from '../../src/probe/live.ts';
import { type CloudName, DEFAULT_CLOUD, openCloud, type Provider } from '../../src/providers/registry.ts';
import type { EventPublisher } from '../../src/workflow/events.ts';

/** The cloud port the provisioning, rollback and teardown steps call (src/cloud/cloud.ts). */
export type { Cloud, Provider };

export interface Deps {
  /** The resource store (opened on first use on Lambda). */
  store(): Promise<Store>;
  /**
   * The cloud over that store, as each invocation sees it: the registry's provider a plan or its ledger
   * names (docs/clouds.md), the default one otherwise, opened through src/providers/registry.ts (a real
   * cloud's reads its settings from the environment and, on AWS, its secret).
   */
  cloud(name?: CloudName): Promise<Provider>;
  clock: Clock;
  /** The live data plane the probe sends real requests through; none on AWS. */
  live: LiveNetwork | undefined;
  /** natflow's out events (source `natflow`). */
  publish: EventPublisher;
  /** Resolves when every other in-flight handler of the execution has settled (rollback waits on it). */
  settle(executionArn: string): Promise<void>;
  /**
   * The local stack's instance id, answered by `GET /health` so that a CLI can tell that stack from
   * whatever else listens at the address its `stack.json` names; none on AWS.
   */
  instance?: string | undefined;
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
    cloud: async (name = DEFAULT_CLOUD) =>
      openCloud(name, { store: await openedStore(), clock: systemClock, env }),
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
  instance?: string | undefined;
  /**
   * The environment a real cloud's provider reads its settings from, asked at each opening (default
   * `process.env`): the local stack answers the settings a command handed it for its execution
   * (src/stack/cloud-settings.ts).
   */
  env?: () => Readonly<Record<string, string | undefined>>;
}

/** Deps over a store already open (the local runtime, tests). Without `publish`, events are dropped. */
export function depsOf(parts: DepsParts): Deps {
  const clock = parts.clock ?? systemClock;
  const store = parts.store;
  return {
    store: async () => store,
    cloud: async (name = DEFAULT_CLOUD) =>
      openCloud(name, { store, clock, env: parts.env?.() ?? process.env }),
    clock,
    live: parts.live,
    publish: parts.publish ?? (async () => undefined),
    settle: parts.settle ?? (async () => undefined),
    ...(parts.instance === undefined ? {} : { instance: parts.instance }),
  };
}
