/**
 * The CLI's side of the docs/clouds.md cloud selection: every command takes `--cloud NAME`, one of the
 * registry's providers (flag > plan `cloud:` > `NATFLOW_CLOUD` > the default); what a provider cannot do
 * (its registry entry says so: freeze, a live probe, import) exits 2, saying why.
 */
import type { DryRunSource } from '../cloud/dry-run.ts';
import type { Resource } from '../cloud/resources.ts';
import type { Store, StoreReader } from '../cloud/store.ts';
import {
  type Capability,
  CLOUD_CHOICES,
  type CloudName,
  can,
  cloudOfResource,
  isCloudName,
  openCloud,
  PROVIDERS,
  recordedCloud,
  selectCloud,
} from '../providers/registry.ts';
import { UsageError } from './io.ts';

/** The `--cloud` flag as usage strings show it: `[--cloud virtual|huaweicloud]`. */
export const CLOUD_FLAG = `[--cloud ${CLOUD_CHOICES}]`;

/** The providers, one a line with what each is, for usage texts. */
export const CLOUD_LIST = PROVIDERS.map((p) => `  ${p.name.padEnd(12)} ${p.description}`).join('\n');

/**
 * The cloud a command drives; a bad `--cloud`/`NATFLOW_CLOUD` value is a usage error (exit 2). A plan
 * whose `cloud:` names no provider counts as naming none here: validating it reports that field.
 */
export function commandCloud(
  values: { cloud?: string | undefined },
  env: NodeJS.ProcessEnv,
  plan?: unknown,
): CloudName {
  const planCloud = plan && typeof plan === 'object' ? (plan as { cloud?: unknown }).cloud : undefined;
  try {
    return selectCloud({ flag: values.cloud, plan: isCloudName(planCloud) ? plan : undefined, env });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/**
 * The cloud a plan command drives (docs/clouds.md): `commandCloud`'s choice when anything makes one
 * (`--cloud`, the plan's `cloud:`, NATFLOW_CLOUD); else the cloud the plan's resources are recorded in,
 * so a plan provisioned on a real cloud is previewed, validated and provisioned there again (its drift
 * read back) rather than against the default cloud; else the default.
 */
export async function plannedCloud(
  values: { cloud?: string | undefined },
  env: NodeJS.ProcessEnv,
  plan: unknown,
  store: StoreReader,
): Promise<CloudName> {
  const chosen = commandCloud(values, env, plan);
  const document = plan && typeof plan === 'object' ? (plan as { cloud?: unknown; name?: unknown }) : {};
  if (values.cloud || env.NATFLOW_CLOUD || document.cloud) return chosen;
  return typeof document.name === 'string' ? recordedCloud(store, { plan: document.name }, chosen) : chosen;
}

/** Refuses (exit 2) what `cloud` cannot do, as its registry entry says. */
export function refuseWithout(cloud: CloudName, capability: Capability, what: string, why: string): void {
  if (can(cloud, capability)) return;
  throw new UsageError(`${what} is not available on ${cloud}: ${why}`);
}

/** The cloud a resource is in, for commands that act on one. */
export function cloudOf(resource: Pick<Resource, 'cloud'>): CloudName {
  try {
    return cloudOfResource(resource);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/**
 * What a plan's dry run reads on `cloud`: natflow's store itself when the cloud is that store, else the
 * provider opened over it (a real cloud's dry run refreshes natflow's model through its API first, so
 * `store` must then be writable).
 */
export async function dryRunSourceOf(
  cloud: CloudName,
  store: Store,
  env: NodeJS.ProcessEnv,
): Promise<DryRunSource> {
  return can(cloud, 'realCloud') ? openCloud(cloud, { store, env }) : store;
}
