/**
 * Readiness, read from the cloud: `refresh` (the cloud port's call: CLOUD_RESOURCE_FAILED when Huawei
 * reports the resource failed, CLOUD_TIMEOUT past the polling bound), and the Huawei id of a parent a
 * create needs — `hwId` (realised) and `ready` (realised and settled), transient (`Natflow.NotReady`,
 * the workflow's Retry waits) while it is not.
 */
import { CloudTimeoutError, NotFoundError, NotReadyError } from '../../cloud/errors.ts';
import type { Resource } from '../../cloud/resources.ts';
import { type Account, isRealized, JOB_PREFIX, recordRealized } from './account.ts';
import { lifecycleOf } from './mapping.ts';
import { findOnCloud, readStatus } from './ops.ts';

export async function refresh(account: Account, id: string): Promise<Resource> {
  let record = await account.model.require(id);
  if (record.imported) return record;
  if (!isRealized(record)) {
    const found = await findOnCloud(account, record);
    if (!found) return record;
    record = await recordRealized(account, record, found);
  }
  const hw = await readStatus(account, record);
  if (hw === undefined) {
    throw new NotFoundError(`${record.type} ${record.name} (${id}) is gone from Huawei Cloud`, {
      details: { id, externalId: record.externalId },
    });
  }
  const status = lifecycleOf(record, hw.status);
  let updated = record;
  if (hw.externalId !== record.externalId) updated = await recordRealized(account, record, hw);
  else if (status !== record.status) {
    updated = { ...record, status } as Resource;
    await account.store.transaction([id], (tx) => tx.update(updated));
  }
  if (updated.status === 'PENDING') checkBound(account, updated);
  return updated;
}

/** CLOUD_TIMEOUT once a resource has been pending longer than the polling bound. */
function checkBound(account: Account, resource: Resource): void {
  const { pollIntervalSeconds, pollMaxAttempts } = account.settings;
  const boundMs = pollIntervalSeconds * pollMaxAttempts * 1000;
  const age = account.clock.now() - Date.parse(resource.createdAt);
  if (age > boundMs) {
    throw new CloudTimeoutError(
      `${resource.type} ${resource.name} (${resource.id}) is still pending on Huawei Cloud after ${Math.round(age / 1000)} s (bound ${pollMaxAttempts} checks × ${pollIntervalSeconds} s)`,
      { details: { id: resource.id, externalId: resource.externalId } },
    );
  }
}

/** The Huawei id of a realised resource natflow references (a parent still unrealised: transient). */
export async function hwId(account: Account, id: string): Promise<string> {
  const resource = await account.model.require(id);
  if (isRealized(resource) && !resource.externalId?.startsWith(JOB_PREFIX))
    return resource.externalId as string;
  const refreshed = await refresh(account, id);
  if (isRealized(refreshed) && !refreshed.externalId?.startsWith(JOB_PREFIX))
    return refreshed.externalId as string;
  throw new NotReadyError(`${resource.type} ${resource.name} (${id}) is not created on Huawei Cloud yet`, {
    details: { id },
  });
}

/** A parent that must be settled before a child is added to it (a VPC's subnet, an ELB's listener). */
export async function ready(account: Account, id: string): Promise<string> {
  const realized = await hwId(account, id);
  let resource = await account.model.require(id);
  if (resource.status === 'PENDING') resource = await refresh(account, id);
  if (resource.status === 'PENDING') {
    throw new NotReadyError(
      `${resource.type} ${resource.name} (${id}) is still being created on Huawei Cloud`,
      {
        details: { id },
      },
    );
  }
  return realized;
}
