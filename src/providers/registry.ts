/**
 * The provider registry (docs/clouds.md, docs/architecture.md): every cloud natflow can drive, one entry each — its name, a
 * line saying what it is, what it can do, and how to open it. A provider is a folder under
 * `src/providers/` (its `index.ts` exports `open(options)`, see `./provider.ts`) plus its entry here;
 * every list of cloud names (`CLOUD_NAMES`: the plan's `cloud:`, the CLI's `--cloud`, `NATFLOW_CLOUD`)
 * derives from these entries, and nothing else in natflow names a provider.
 *
 * Invariants:
 * - **Lazy.** This module imports no provider folder: an entry's `load` is a dynamic `import()`, so
 *   loading the registry (every CLI command, every Lambda) loads no provider, and opening one loads only
 *   its own code — the virtual cloud never loads the Huawei SDK (test/providers/registry.test.ts).
 * - **Capabilities are static.** What a provider can do is readable without loading it; an opened
 *   provider has a capability's method exactly when its entry says so.
 * - **The first entry is the default** (`DEFAULT_CLOUD`, `virtual`), as the docs/clouds.md selection says.
 *
 * Selection: the CLI's `--cloud` flag wins over the plan's `cloud:` field, which wins over
 * `NATFLOW_CLOUD`; the default is `DEFAULT_CLOUD`. Once a plan is provisioned its cloud is recorded with
 * the plan record (the document's `cloud`) and every resource (`Resource.cloud`), and teardown, verify and
 * rollback follow that record, not the environment.
 */
import { ValidationFailedError } from '../cloud/errors.ts';
import type { Resource } from '../cloud/resources.ts';
import type { StoreReader } from '../cloud/store.ts';
import type { OpenOptions, Provider, ProviderModule } from './provider.ts';

export type { ImportOptions, ImportReport, OpenOptions, Provider } from './provider.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** What a provider can do, readable without loading it. */
export interface Capabilities {
  /**
   * A real account outside natflow's store: its waits run in real time; natflow sends no packet into it
   * (probing is analyze-only); freeze, unfreeze and a live probe exit 2 on it; its dry run needs the
   * provider opened (natflow's model of the account is refreshed through its API first). False: the
   * cloud is natflow's own store, which read-only commands read directly.
   */
  readonly realCloud: boolean;
  /** `natflow import` reads the account into natflow's model: the opened provider has `importAccount`. */
  readonly importAccount: boolean;
  /** A live probe (`--mode live|both`) sends requests through natflow's data plane into its VPCs. */
  readonly liveProbe: boolean;
  /** `natflow freeze` / `unfreeze` put a resource in (and out of) its FROZEN state. */
  readonly freeze: boolean;
}

export type Capability = keyof Capabilities;

/** One provider: its name, what it is, what it can do, and how to load it (lazily). */
export interface ProviderEntry {
  readonly name: string;
  /** One line, for usage texts and docs. */
  readonly description: string;
  /** Where its settings and credentials come from (usage texts). */
  readonly settings: string;
  /**
   * The prefixes of the environment variables its settings and credentials are read from: what a CLI
   * command hands a running stack for the executions it starts there (docs/clouds.md).
   */
  readonly environment: readonly string[];
  readonly capabilities: Capabilities;
  /** Loads the provider's folder (`./<name>/index.ts`), and nothing else. */
  readonly load: () => Promise<ProviderModule>;
}

/**
 * The providers. Adding one: its folder, and one entry here (docs/architecture.md). Note for the Lambda
 * bundles: esbuild inlines a dynamic import, so a bundle that imports this module (the plan schema does)
 * carries every provider's code — evaluated only when its entry is loaded.
 */
const ENTRIES = [
  {
    name: 'virtual',
    description: "natflow's own virtual cloud, in its store (the default)",
    settings: 'NATFLOW_PROVISIONING_DELAY_MS (gateways and rules stay PENDING this long; default 0)',
    environment: [],
    capabilities: { realCloud: false, importAccount: false, liveProbe: true, freeze: true },
    load: () => import('./virtual/index.ts'),
  },
  {
    name: 'huaweicloud',
    description:
      "a Huawei Cloud project through its APIs (HUAWEICLOUD_*), or another natflow's local Huawei API",
    settings:
      'HUAWEICLOUD_SDK_AK/_SK/_PROJECT_ID (on AWS: HUAWEICLOUD_SECRET_ARN), HUAWEICLOUD_REGION or _ENDPOINT',
    environment: ['HUAWEICLOUD_'],
    capabilities: { realCloud: true, importAccount: true, liveProbe: false, freeze: false },
    load: () => import('./huaweicloud/index.ts'),
  },
] as const satisfies readonly ProviderEntry[];

type NamesOf<T extends readonly unknown[]> = {
  readonly [K in keyof T]: T[K] extends { readonly name: infer N } ? N : never;
};

/** Every provider's name, in the registry's order (the default first). */
export const CLOUD_NAMES = ENTRIES.map((entry) => entry.name) as unknown as NamesOf<typeof ENTRIES>;

/** A registered provider's name (`virtual`, `huaweicloud`, …). */
export type CloudName = (typeof CLOUD_NAMES)[number];

/** The cloud when nothing names one: the registry's first entry. */
export const DEFAULT_CLOUD: CloudName = CLOUD_NAMES[0];

/** Every provider's settings prefixes (`HUAWEICLOUD_`): the variables a command's settings are. */
export const SETTINGS_PREFIXES: readonly string[] = ENTRIES.flatMap((entry) => entry.environment);

/** The names as a usage string's choices: `virtual|huaweicloud`. */
export const CLOUD_CHOICES = CLOUD_NAMES.join('|');

/** Every provider's entry, in the registry's order. */
export const PROVIDERS: readonly (ProviderEntry & { readonly name: CloudName })[] = ENTRIES;

/** `a`, `a or b`, `a, b or c`. */
function alternatives(names: readonly string[]): string {
  return names.length <= 1
    ? (names[0] ?? '')
    : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}

/** True for a registered provider's name. */
export function isCloudName(value: unknown): value is CloudName {
  return typeof value === 'string' && (CLOUD_NAMES as readonly string[]).includes(value);
}

/** A cloud name as written by a user; VALIDATION_FAILED naming `field` and the choices otherwise. */
export function parseCloudName(value: string, field: string): CloudName {
  if (isCloudName(value)) return value;
  throw new ValidationFailedError(`${field}: '${value}' is not a cloud; use ${alternatives(CLOUD_NAMES)}`, {
    path: field,
  });
}

/** The entry of `name` (a provider's `Cloud.name` too); VALIDATION_FAILED for a name not registered. */
export function providerOf(name: string): ProviderEntry & { readonly name: CloudName } {
  const cloud = parseCloudName(name, 'cloud');
  return PROVIDERS.find((entry) => entry.name === cloud) as ProviderEntry & { readonly name: CloudName };
}

/** Whether the provider `name` has `capability`. */
export function can(name: string, capability: Capability): boolean {
  return providerOf(name).capabilities[capability];
}

/** The providers that have `capability`, in the registry's order. */
export function cloudsThatCan(capability: Capability): CloudName[] {
  return PROVIDERS.filter((entry) => entry.capabilities[capability]).map((entry) => entry.name);
}

/**
 * The provider `name` opened over natflow's store: its folder loaded (only its own), and its `open`
 * called — the virtual control plane, or a real cloud's provider with settings and credentials from
 * `options.env` (on AWS, the secret it names).
 *
 * @example const cloud = await openCloud('virtual', { store });
 */
export async function openCloud(name: CloudName, options: OpenOptions): Promise<Provider> {
  const provider = await providerOf(name).load();
  return provider.open(options);
}

/** flag > plan > env > the default. */
export function selectCloud(
  sources: { flag?: string | undefined; plan?: unknown; env?: Env } = {},
): CloudName {
  if (sources.flag) return parseCloudName(sources.flag, '--cloud');
  const fromPlan =
    sources.plan && typeof sources.plan === 'object'
      ? (sources.plan as { cloud?: unknown }).cloud
      : undefined;
  if (typeof fromPlan === 'string' && fromPlan) return parseCloudName(fromPlan, 'cloud');
  const fromEnv = (sources.env ?? process.env).NATFLOW_CLOUD;
  if (fromEnv) return parseCloudName(fromEnv, 'NATFLOW_CLOUD');
  return DEFAULT_CLOUD;
}

/** The cloud a resource lives in (the default when unmarked; VALIDATION_FAILED for an unknown one). */
export function cloudOfResource(resource: Pick<Resource, 'cloud'>): CloudName {
  return resource.cloud === undefined ? DEFAULT_CLOUD : parseCloudName(resource.cloud, 'cloud');
}

/**
 * The cloud holding what a plan or an execution created, from the ledger: the resources' own `cloud`,
 * else the plan record's document, else `fallback`.
 */
export async function recordedCloud(
  store: StoreReader,
  where: { plan?: string; execution?: string },
  fallback: CloudName,
): Promise<CloudName> {
  const resources = await store.list(where);
  const marked = resources.find((r) => r.cloud !== undefined);
  if (marked) return cloudOfResource(marked);
  if (where.plan) {
    const record = await store.getPlan(where.plan);
    const cloud = (record?.document as { cloud?: unknown } | undefined)?.cloud;
    if (isCloudName(cloud)) return cloud;
  }
  return fallback;
}
