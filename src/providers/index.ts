/**
 * Which cloud a command or a workflow step drives (DESIGN §10), and the provider for it.
 *
 * Selection: the CLI's `--cloud` flag wins over the plan's `cloud:` field, which wins over
 * `NATFLOW_CLOUD`; the default is `virtual`. Once a plan is provisioned its cloud is recorded with the
 * plan record (the document's `cloud`) and every resource (`Resource.cloud`), and teardown, verify and
 * rollback follow that record, not the environment.
 */
import type { Cloud, CloudName } from '../cloud/cloud.ts';
import { ControlPlane } from '../cloud/control-plane.ts';
import { ValidationFailedError } from '../cloud/errors.ts';
import type { Resource } from '../cloud/resources.ts';
import type { Store, StoreReader } from '../cloud/store.ts';
import { type Clock, systemClock } from '../net/clock.ts';
import { readSettings } from './huaweicloud/config.ts';
import { resolveCredentials } from './huaweicloud/credentials.ts';
import { HuaweiCloud } from './huaweicloud/provider.ts';

export const CLOUD_NAMES: readonly CloudName[] = ['virtual', 'huaweicloud'];

type Env = Readonly<Record<string, string | undefined>>;

/** A cloud name as written by a user; VALIDATION_FAILED naming `field` and the choices otherwise. */
export function parseCloudName(value: string, field: string): CloudName {
  if ((CLOUD_NAMES as readonly string[]).includes(value)) return value as CloudName;
  throw new ValidationFailedError(`${field}: '${value}' is not a cloud; use ${CLOUD_NAMES.join(' or ')}`, {
    path: field,
  });
}

/** flag > plan > env > virtual. */
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
  return 'virtual';
}

/** The cloud a resource lives in (`virtual` when unmarked). */
export function cloudOfResource(resource: Pick<Resource, 'cloud'>): CloudName {
  return resource.cloud ?? 'virtual';
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
    if (cloud === 'virtual' || cloud === 'huaweicloud') return cloud;
  }
  return fallback;
}

export interface OpenCloudOptions {
  store: Store;
  clock?: Clock;
  env?: Env;
  /** The virtual cloud's provisioning delay (gateways and rules PENDING this long). */
  provisioningDelayMs?: number;
}

/**
 * The provider of `name` over natflow's store: the virtual control plane, or the Huawei Cloud provider
 * with settings and credentials from the environment (or, on AWS, the secret it names).
 */
export async function openCloud(
  name: CloudName,
  options: OpenCloudOptions,
): Promise<Cloud & { store: Store }> {
  const env = options.env ?? process.env;
  const clock = options.clock ?? systemClock;
  if (name === 'virtual') {
    return new ControlPlane({
      store: options.store,
      clock,
      provisioningDelayMs: options.provisioningDelayMs ?? Number(env.NATFLOW_PROVISIONING_DELAY_MS ?? 0),
    });
  }
  const settings = readSettings(env);
  const credentials = await resolveCredentials(env);
  return new HuaweiCloud({ store: options.store, settings, credentials, clock });
}
