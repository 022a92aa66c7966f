/**
 * The Huawei Cloud account as the provider's parts see it: one plain object (`Account`) holding the API
 * clients, natflow's model of the account (the virtual control plane over natflow's store), the settings
 * and the clock. The provider class (`provider.ts`) owns one and keeps it private; the modules that do
 * one job each — reading what the cloud has (`ops.ts`), readiness (`lifecycle.ts`), deletion
 * (`deletion.ts`), what hangs off a resource (`children.ts`), import (`discovery.ts`), drift read back
 * (`read-back.ts`) and repaired (`repair.ts`) — receive it, so
 * no class hands `this` around and the modules import each other in one direction only:
 *
 *     provider.ts ─→ children.ts, deletion.ts ─→ lifecycle.ts ─→ ops.ts ─→ account.ts
 *                 ─→ model-refresh.ts ─→ discovery.ts ─────────────────→ account.ts
 *                 ─→ repair.ts ─→ children.ts;  repair.ts, provider.ts ─→ read-back.ts ─→ account.ts
 *
 * Here too: what a record looks like once Huawei has it (`isRealized`), and how it is rewritten then
 * (`recordRealized`).
 */
import { constraintKeysOf } from '../../cloud/constraints.ts';
import { type ControlPlane, externalIdOf } from '../../cloud/control-plane.ts';
import { NotFoundError } from '../../cloud/errors.ts';
import { type Resource, referencesOf } from '../../cloud/resources.ts';
import type { Store } from '../../cloud/store.ts';
import type { Clock } from '../../net/clock.ts';
import type { HuaweiApis } from './apis.ts';
import type { HuaweiSettings } from './config.ts';
import { lifecycleOf } from './mapping.ts';

/** The provider's name in the registry, recorded on everything it creates or imports (`Resource.cloud`). */
export const PROVIDER_NAME = 'huaweicloud';

/** An ECS whose job has not yet named its server has `externalId` `job:<job id>`. */
export const JOB_PREFIX = 'job:';

export interface Account {
  /** natflow's store: the ledger of what natflow created here, and what it imported. */
  readonly store: Store;
  /** The virtual control plane over that store: the control-plane rules, checked before any call. */
  readonly model: ControlPlane;
  readonly api: HuaweiApis;
  readonly settings: HuaweiSettings;
  readonly clock: Clock;
}

/** Huawei's answer, reduced to what the record needs. */
export interface Realized {
  externalId: string;
  status: string | undefined;
  patch?: Record<string, unknown>;
}

/** True once the record carries Huawei's id (the call was made and answered, or adopted by token). */
export function isRealized(resource: Resource): boolean {
  return (
    resource.cloud === PROVIDER_NAME &&
    resource.externalId !== undefined &&
    resource.externalId !== externalIdOf(resource.id)
  );
}

/** The token a resource was created under (its id when it has none). */
export function tokenOf(resource: Resource): string {
  return resource.clientToken ?? resource.id;
}

/** Rewrites the record with Huawei's id and status (its `ext:` key changes with the id). */
export async function recordRealized<T extends Resource>(
  account: Account,
  record: T,
  hw: Realized,
): Promise<T> {
  const updated = {
    ...record,
    ...hw.patch,
    externalId: hw.externalId,
    cloud: PROVIDER_NAME,
    status: lifecycleOf(record, hw.status),
  } as T;
  await account.store.transaction([record.id], async (tx) => {
    const current = await tx.get(record.id);
    if (!current)
      throw new NotFoundError(`${record.type} ${record.name} (${record.id}) is no longer in the ledger`);
    await tx.remove(record.id);
    await tx.insert(updated, {
      keys: [...new Set(constraintKeysOf(updated))],
      refs: referencesOf(updated),
    });
  });
  return updated;
}
