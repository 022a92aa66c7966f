/**
 * The huaweicloud provider's lifecycle calls of the cloud port: `refresh` (readiness, read from the
 * cloud; CLOUD_RESOURCE_FAILED / CLOUD_TIMEOUT) and `destroy` (asked, then confirmed by reading: `done:
 * false` while Huawei still has the resource, which stays in the ledger marked INACTIVE, "being
 * deleted"; what depends on a resource being deleted waits for it instead of refusing).
 */
import type { Deletion } from '../../cloud/cloud.ts';
import {
  CloudTimeoutError,
  DependencyViolationError,
  NatflowError,
  NotFoundError,
  ValidationFailedError,
} from '../../cloud/errors.ts';
import type { Resource } from '../../cloud/resources.ts';
import { isNotFound } from './errors.ts';
import { lifecycleOf } from './mapping.ts';
import { deleteOnCloud, findOnCloud, readStatus } from './ops.ts';
import { type HuaweiCloud, isRealized, JOB_PREFIX } from './provider.ts';

export async function refresh(cloud: HuaweiCloud, id: string): Promise<Resource> {
  let record = await cloud.require(id);
  if (record.imported) return record;
  if (!isRealized(record)) {
    const found = await findOnCloud(cloud, record);
    if (!found) return record;
    record = await cloud.record(record, found);
  }
  const hw = await readStatus(cloud, record);
  if (hw === undefined) {
    throw new NotFoundError(`${record.type} ${record.name} (${id}) is gone from Huawei Cloud`, {
      details: { id, externalId: record.externalId },
    });
  }
  const status = lifecycleOf(record, hw.status);
  let updated = record;
  if (hw.externalId !== record.externalId) updated = await cloud.record(record, hw);
  else if (status !== record.status) {
    updated = { ...record, status } as Resource;
    await cloud.store.transaction([id], (tx) => tx.update(updated));
  }
  if (updated.status === 'PENDING') checkBound(cloud, updated);
  return updated;
}

/** CLOUD_TIMEOUT once a resource has been pending longer than the polling bound. */
function checkBound(cloud: HuaweiCloud, resource: Resource): void {
  const boundMs = cloud.settings.pollIntervalSeconds * cloud.settings.pollMaxAttempts * 1000;
  const age = cloud.clock.now() - Date.parse(resource.createdAt);
  if (age > boundMs) {
    throw new CloudTimeoutError(
      `${resource.type} ${resource.name} (${resource.id}) is still pending on Huawei Cloud after ${Math.round(age / 1000)} s (bound ${cloud.settings.pollMaxAttempts} checks × ${cloud.settings.pollIntervalSeconds} s)`,
      { details: { id: resource.id, externalId: resource.externalId } },
    );
  }
}

export async function destroy(cloud: HuaweiCloud, id: string): Promise<Deletion> {
  let record = await cloud.require(id);
  if (record.imported) {
    throw new ValidationFailedError(
      `${record.type} ${record.name} (${id}) was imported from Huawei Cloud: natflow never deletes what it did not create`,
      { details: { id } },
    );
  }
  const referrers = await cloud.store.referrers(id);
  // What still references it is itself being deleted on the cloud (an ECS whose delete job runs):
  // wait for it, as the workflow's loop will ask again.
  if (
    referrers.length > 0 &&
    referrers.every((r) => r.status === 'INACTIVE' && r.cloud === 'huaweicloud' && !r.imported)
  ) {
    return { resource: await markDeleting(cloud, record), done: false };
  }
  if (referrers.length > 0) {
    throw new DependencyViolationError(
      `${record.type} ${record.name} (${id}) is still referenced by ${referrers
        .slice(0, 5)
        .map((r) => `${r.type} ${r.name} (${r.id})`)
        .join(', ')}`,
      { details: { id, referrers: referrers.map((r) => r.id) } },
    );
  }
  if (!isRealized(record)) {
    const found = await findOnCloud(cloud, record);
    if (!found) {
      await cloud.store.transaction([id], (tx) => tx.remove(id));
      return { resource: record, done: true };
    }
    record = await cloud.record(record, found);
  }
  if (record.type === 'server' && record.externalId?.startsWith(JOB_PREFIX)) {
    const hw = await readStatus(cloud, record);
    if (hw && hw.externalId !== record.externalId) record = await cloud.record(record, hw);
    else return { resource: record, done: false };
  }
  try {
    await deleteOnCloud(cloud, record);
  } catch (error) {
    // Gone already, or Huawei still deleting what this depends on (a subnet whose ECS ports are going
    // away): read it back below and ask again next round. Anything else is a real failure.
    const retryLater =
      isNotFound(error) ||
      error instanceof DependencyViolationError ||
      (error instanceof NatflowError && error.name === 'CLOUD_REJECTED');
    if (!retryLater) throw error;
  }
  const still = await readStatus(cloud, record);
  if (still) return { resource: await markDeleting(cloud, record), done: false };
  await cloud.store.transaction([id], (tx) => tx.remove(id));
  return { resource: record, done: true };
}

/**
 * INACTIVE marks a resource natflow is deleting (asked, or waiting for what depends on it to go): what
 * it depends on waits for it in turn, instead of refusing with DEPENDENCY_VIOLATION.
 */
async function markDeleting(cloud: HuaweiCloud, record: Resource): Promise<Resource> {
  if (record.status === 'INACTIVE') return record;
  const deleting = { ...record, status: 'INACTIVE' } as Resource;
  await cloud.store.transaction([record.id], (tx) => tx.update(deleting));
  return deleting;
}
