/**
 * Readiness, read from the cloud: `refresh` (the cloud port's call: CLOUD_RESOURCE_FAILED when Huawei
 * reports the resource failed, CLOUD_TIMEOUT past its kind's deadline), and the Huawei id of a parent a
 * create needs — `hwId` (realised) and `ready` (realised and settled), `Natflow.NotReady` naming the
 * parent, its status in Huawei's words and how long it has been at it while it is not (the workflow's
 * Retry waits; docs/real-cloud.md#time).
 *
 * The deadline is the handler's, from the resource's own creation time: it holds whatever the workflow
 * does meanwhile (retries, redrives, another step waiting for the same resource).
 */
import { CloudTimeoutError, NotFoundError } from '../../cloud/errors.ts';
import type { Resource, ResourceType } from '../../cloud/resources.ts';
import { notReady, waitingOf } from '../../cloud/waiting.ts';
import { type Account, isRealized, JOB_PREFIX, recordRealized } from './account.ts';
import type { DeadlineKind } from './config.ts';
import { lifecycleOf } from './mapping.ts';
import { findOnCloud, readStatus } from './ops.ts';

/** The deadline (`HUAWEICLOUD_DEADLINE_SECONDS`'s kind) each of natflow's types waits under. */
const DEADLINE_OF: Readonly<Record<ResourceType, DeadlineKind>> = {
  vpc: 'vpc',
  subnet: 'subnet',
  'security-group': 'vpc',
  server: 'server',
  'backend-group': 'loadbalancer',
  'load-balancer': 'loadbalancer',
  listener: 'loadbalancer',
  'transit-ip': 'transit_ip',
  'private-nat-gateway': 'gateway',
  'dnat-rule': 'rule',
  'snat-rule': 'rule',
};

/** What an intent whose create has not been answered yet is waiting as. */
const NOT_CREATED = 'NOT_CREATED';

export async function refresh(account: Account, id: string): Promise<Resource> {
  let record = await account.model.require(id);
  if (record.imported) return record;
  if (!isRealized(record)) {
    const found = await findOnCloud(account, record);
    if (!found) {
      checkDeadline(account, record, NOT_CREATED);
      return record;
    }
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
  else if (status !== record.status || (hw.status !== undefined && hw.status !== record.cloudStatus)) {
    updated = {
      ...record,
      status,
      ...(hw.status === undefined ? {} : { cloudStatus: hw.status }),
    } as Resource;
    await account.store.transaction([id], (tx) => tx.update(updated));
  }
  if (updated.status === 'PENDING') checkDeadline(account, updated, hw.status ?? updated.status);
  return updated;
}

/**
 * CLOUD_TIMEOUT once a resource has been pending longer than its kind's deadline, naming it, its last
 * status on Huawei Cloud and how long natflow waited.
 */
function checkDeadline(account: Account, resource: Resource, cloudStatus: string): void {
  const kind = DEADLINE_OF[resource.type];
  const deadline = account.settings.deadlines[kind];
  const waited = Math.round((account.clock.now() - Date.parse(resource.createdAt)) / 1000);
  if (waited <= deadline) return;
  throw new CloudTimeoutError(
    `${resource.type} ${resource.name} (${resource.id}) is still ${cloudStatus} on Huawei Cloud after ${waited} s (its deadline: ${deadline} s, HUAWEICLOUD_DEADLINE_SECONDS ${kind})`,
    {
      details: {
        id: resource.id,
        externalId: resource.externalId,
        name: resource.name,
        kind: resource.type,
        status: cloudStatus,
        seconds: waited,
        deadline,
      },
    },
  );
}

/** The Huawei id of a realised resource natflow references (a parent still unrealised: NotReady). */
export async function hwId(account: Account, id: string): Promise<string> {
  const resource = await account.model.require(id);
  if (isRealized(resource) && !resource.externalId?.startsWith(JOB_PREFIX))
    return resource.externalId as string;
  const refreshed = await refresh(account, id);
  if (isRealized(refreshed) && !refreshed.externalId?.startsWith(JOB_PREFIX))
    return refreshed.externalId as string;
  const status = isRealized(refreshed) ? undefined : NOT_CREATED;
  throw notReady([waitingOf(refreshed, account.clock.now(), status)]);
}

/** A parent that must be settled before a child is added to it (a VPC's subnet, an ELB's listener). */
export async function ready(account: Account, id: string): Promise<string> {
  const realized = await hwId(account, id);
  let resource = await account.model.require(id);
  if (resource.status === 'PENDING') resource = await refresh(account, id);
  if (resource.status === 'PENDING') throw notReady([waitingOf(resource, account.clock.now())]);
  return realized;
}
