/**
 * Which cloud a command or a workflow step drives (DESIGN §10). The CLI's `--cloud` flag wins over the
 * plan's `cloud:` field, which wins over `NATFLOW_CLOUD`; the default is `virtual`. Once a plan is
 * provisioned its cloud is recorded with the plan record (the document's `cloud`) and every resource
 * (`Resource.cloud`), and teardown, verify and rollback follow that record, not the environment.
 * No provider is loaded here (the providers are in `./index.ts`).
 */
import type { CloudName } from '../cloud/cloud.ts';
import { ValidationFailedError } from '../cloud/errors.ts';
import type { Resource } from '../cloud/resources.ts';
import type { StoreReader } from '../cloud/store.ts';

type Env = Readonly<Record<string, string | undefined>>;

export const CLOUD_NAMES: readonly CloudName[] = ['virtual', 'huaweicloud'];

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
