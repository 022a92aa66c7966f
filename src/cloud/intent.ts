/**
 * Intents (docs/real-cloud.md#failure): a real cloud's provider records a resource in natflow's ledger
 * *before* it calls the cloud (src/providers/huaweicloud/provider.ts), so that a crash between the call
 * and its answer can be recovered by the resource's token. Until the cloud's answer is recorded, the
 * record carries no id of the cloud's — its `externalId` is still the one derived from its natflow id —
 * and natflow does not know that it exists.
 *
 * natflow never lists as a resource something that does not exist in its cloud: wherever resources are
 * shown (`natflow resources`, `GET /resources`, the console, the probe's model), an intent is `PENDING`
 * with no `externalId`, never `ACTIVE` with an id the cloud never gave.
 */
import { externalIdOf } from './create.ts';
import type { Resource } from './resources.ts';

/** The virtual cloud's name: its records are the resources themselves, never intents. */
const VIRTUAL = 'virtual';

/**
 * True for a real cloud's record that the cloud has not answered for yet (no id of its own).
 *
 * @example isIntent({ ...vpc, cloud: 'huaweicloud', externalId: externalIdOf(vpc.id) }) // true
 */
export function isIntent(resource: Resource): boolean {
  if (resource.cloud === undefined || resource.cloud === VIRTUAL || resource.imported) return false;
  return resource.externalId === undefined || resource.externalId === externalIdOf(resource.id);
}

/** A resource as natflow shows it: an intent `PENDING`, without an `externalId`. */
export function shownResource<T extends Resource>(resource: T): T {
  if (!isIntent(resource)) return resource;
  const { externalId: _unknown, ...rest } = resource;
  return { ...rest, status: 'PENDING' } as T;
}

/** The resources as natflow shows them (see `shownResource`). */
export function shownResources<T extends Resource>(resources: readonly T[]): T[] {
  return resources.map(shownResource);
}
