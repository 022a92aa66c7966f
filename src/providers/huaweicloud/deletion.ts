/**
 * Deletion, asked and then confirmed by reading (the cloud port's `destroy`): `done: false` while Huawei
 * still has the resource, which stays in the ledger marked INACTIVE, "being deleted"; what depends on a
 * resource being deleted waits for it instead of refusing. Imported resources are never deleted.
 */
import type { Deletion } from '../../cloud/cloud.ts';
import { DependencyViolationError, NatflowError, ValidationFailedError } from '../../cloud/errors.ts';
import type { Resource } from '../../cloud/resources.ts';
import { type Account, isRealized, JOB_PREFIX, PROVIDER_NAME, recordRealized } from './account.ts';
import { isNotFound } from './errors.ts';
import { hwId } from './lifecycle.ts';
import { findOnCloud, readStatus } from './ops.ts';

export async function destroy(account: Account, id: string): Promise<Deletion> {
  let record = await account.model.require(id);
  if (record.imported) {
    throw new ValidationFailedError(
      `${record.type} ${record.name} (${id}) was imported from Huawei Cloud: natflow never deletes what it did not create`,
      { details: { id } },
    );
  }
  const referrers = await account.store.referrers(id);
  // What still references it is itself being deleted on the cloud (an ECS whose delete job runs):
  // wait for it, as the workflow's loop will ask again.
  if (
    referrers.length > 0 &&
    referrers.every((r) => r.status === 'INACTIVE' && r.cloud === PROVIDER_NAME && !r.imported)
  ) {
    return { resource: await markDeleting(account, record), done: false };
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
    const found = await findOnCloud(account, record);
    if (!found) {
      await account.store.transaction([id], (tx) => tx.remove(id));
      return { resource: record, done: true };
    }
    record = await recordRealized(account, record, found);
  }
  if (record.type === 'server' && record.externalId?.startsWith(JOB_PREFIX)) {
    const hw = await readStatus(account, record);
    if (hw && hw.externalId !== record.externalId) record = await recordRealized(account, record, hw);
    else return { resource: record, done: false };
  }
  try {
    await deleteOnCloud(account, record);
  } catch (error) {
    // Gone already, or Huawei still deleting what this depends on (a subnet whose ECS ports are going
    // away): read it back below and ask again next round. Anything else is a real failure.
    const retryLater =
      isNotFound(error) ||
      error instanceof DependencyViolationError ||
      (error instanceof NatflowError && error.name === 'CLOUD_REJECTED');
    if (!retryLater) throw error;
  }
  const still = await readStatus(account, record);
  if (still) return { resource: await markDeleting(account, record), done: false };
  await account.store.transaction([id], (tx) => tx.remove(id));
  return { resource: record, done: true };
}

/**
 * INACTIVE marks a resource natflow is deleting (asked, or waiting for what depends on it to go): what
 * it depends on waits for it in turn, instead of refusing with DEPENDENCY_VIOLATION.
 */
async function markDeleting(account: Account, record: Resource): Promise<Resource> {
  if (record.status === 'INACTIVE') return record;
  const deleting = { ...record, status: 'INACTIVE' } as Resource;
  await account.store.transaction([record.id], (tx) => tx.update(deleting));
  return deleting;
}

/** One delete call (with what hangs off the resource on Huawei's side: rules, members, monitor, ACL). */
async function deleteOnCloud(account: Account, record: Resource): Promise<void> {
  const id = record.externalId as string;
  switch (record.type) {
    case 'vpc':
      return account.api.vpc.deleteVpc(id);
    case 'subnet':
      return account.api.vpc.deleteSubnet(await hwId(account, record.vpcId), id);
    case 'security-group':
      return account.api.vpc.deleteSecurityGroup(id);
    case 'server':
      await account.api.ecs.deleteServer(id);
      return;
    case 'backend-group': {
      const pool = await account.api.elb.showPool(id);
      if (pool.healthmonitor_id)
        await ignoreMissing(account.api.elb.deleteHealthMonitor(pool.healthmonitor_id));
      for (const member of await account.api.elb.listMembers(id)) {
        await ignoreMissing(account.api.elb.deleteMember(id, member.id));
      }
      return account.api.elb.deletePool(id);
    }
    case 'load-balancer':
      return account.api.elb.deleteLoadBalancer(id);
    case 'listener': {
      const listener = await account.api.elb.showListener(id);
      await account.api.elb.deleteListener(id);
      const group = listener.ipgroup?.ipgroup_id;
      if (group) await ignoreMissing(account.api.elb.deleteIpGroup(group));
      return;
    }
    case 'transit-ip':
      return account.api.nat.deleteTransitIp(id);
    case 'private-nat-gateway':
      return account.api.nat.deleteGateway(id);
    case 'dnat-rule':
      return account.api.nat.deleteDnatRule(id);
    case 'snat-rule':
      return account.api.nat.deleteSnatRule(id);
  }
}

async function ignoreMissing(call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}
