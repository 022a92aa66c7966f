/**
 * The huaweicloud provider's three questions to the cloud, one `switch` over the resource types each:
 * where is the resource carrying this token (`findOnCloud`, lists scoped by the parent's Huawei id),
 * what does Huawei say of it now (`readStatus`, undefined once gone), and the delete call
 * (`deleteOnCloud`, with what hangs off it on Huawei's side: a pool's members and health monitor, a
 * listener's ip group).
 */
import type { Resource } from '../../cloud/resources.ts';
import { isNotFound } from './errors.ts';
import { carriesToken, serverIdOfJob } from './mapping.ts';
import { type HuaweiCloud, isRealized, JOB_PREFIX, type Realized } from './provider.ts';
import { allPages } from './vpc.ts';

/** The Huawei resource carrying the record's token, if the cloud has one (lists scoped by parent). */
export async function findOnCloud(cloud: HuaweiCloud, record: Resource): Promise<Realized | undefined> {
  if (!record.clientToken) return undefined;
  const token = record.clientToken;
  const has = (r: { description?: string | null; tags?: unknown }) => carriesToken(r, token);
  const parent = async (id: string) => {
    const p = await cloud.get(id);
    return p && isRealized(p) ? (p.externalId as string) : undefined;
  };
  switch (record.type) {
    case 'vpc': {
      const hw = (await allPages((q) => cloud.api.vpc.listVpcs(q))).find(has);
      return hw && { externalId: hw.id, status: hw.status };
    }
    case 'subnet': {
      const vpcId = await parent(record.vpcId);
      if (!vpcId) return undefined;
      const hw = (await allPages((q) => cloud.api.vpc.listSubnets({ ...q, vpc_id: vpcId }))).find(has);
      return hw && { externalId: hw.id, status: hw.status };
    }
    case 'security-group': {
      const vpcId = await parent(record.vpcId);
      const hw = (
        await allPages((q) => cloud.api.vpc.listSecurityGroups({ ...q, ...(vpcId ? { vpc_id: vpcId } : {}) }))
      ).find(has);
      return hw && { externalId: hw.id, status: 'ACTIVE' };
    }
    case 'server': {
      const hw = (await cloud.api.ecs.listServers({ name: record.name })).find(has);
      return hw && { externalId: hw.id, status: hw.status };
    }
    case 'backend-group': {
      const hw = (await cloud.api.elb.listPools()).find(has);
      return hw && { externalId: hw.id, status: 'ACTIVE' };
    }
    case 'load-balancer': {
      const hw = (await cloud.api.elb.listLoadBalancers()).find(has);
      return hw && { externalId: hw.id, status: hw.provisioning_status };
    }
    case 'listener': {
      const lbId = await parent(record.loadBalancerId);
      if (!lbId) return undefined;
      const hw = (await cloud.api.elb.listListeners({ loadbalancer_id: lbId })).find(has);
      return hw && { externalId: hw.id, status: 'ACTIVE' };
    }
    case 'transit-ip': {
      const subnetId = await parent(record.subnetId);
      if (!subnetId) return undefined;
      const hw = (await cloud.api.nat.listTransitIps({ virsubnet_id: subnetId })).find(has);
      return hw && { externalId: hw.id, status: hw.status };
    }
    case 'private-nat-gateway': {
      const hw = (await cloud.api.nat.listGateways()).find(has);
      return hw && { externalId: hw.id, status: hw.status };
    }
    case 'dnat-rule': {
      const gatewayId = await parent(record.gatewayId);
      if (!gatewayId) return undefined;
      const hw = (await cloud.api.nat.listDnatRules({ gateway_id: gatewayId })).find(has);
      return hw && { externalId: hw.id, status: hw.status };
    }
    case 'snat-rule': {
      const gatewayId = await parent(record.gatewayId);
      if (!gatewayId) return undefined;
      const hw = (await cloud.api.nat.listSnatRules({ gateway_id: gatewayId })).find(has);
      return hw && { externalId: hw.id, status: hw.status };
    }
  }
}

/** Huawei's current view of a realised resource; undefined when it is gone. */
export async function readStatus(cloud: HuaweiCloud, record: Resource): Promise<Realized | undefined> {
  const id = record.externalId as string;
  try {
    switch (record.type) {
      case 'vpc': {
        const hw = await cloud.api.vpc.showVpc(id);
        return { externalId: id, status: hw.status };
      }
      case 'subnet': {
        const hw = await cloud.api.vpc.showSubnet(id);
        return { externalId: id, status: hw.status };
      }
      case 'security-group':
        await cloud.api.vpc.showSecurityGroup(id);
        return { externalId: id, status: 'ACTIVE' };
      case 'server': {
        if (id.startsWith(JOB_PREFIX)) {
          const job = await cloud.api.ecs.showJob(id.slice(JOB_PREFIX.length));
          if (job.status === 'FAIL') {
            // lifecycleOf reports the failure with the job's own reason.
            return {
              externalId: id,
              status: `FAIL (${job.fail_reason ?? job.error_code ?? 'no reason given'})`,
            };
          }
          const serverId = serverIdOfJob(job);
          if (!serverId) return { externalId: id, status: 'BUILD' };
          const server = await cloud.api.ecs.showServer(serverId);
          return { externalId: serverId, status: job.status === 'SUCCESS' ? server.status : 'BUILD' };
        }
        const hw = await cloud.api.ecs.showServer(id);
        if (hw.status === 'DELETED') return undefined;
        return { externalId: id, status: hw.status };
      }
      case 'backend-group':
        await cloud.api.elb.showPool(id);
        return { externalId: id, status: 'ACTIVE' };
      case 'load-balancer': {
        const hw = await cloud.api.elb.showLoadBalancer(id);
        return { externalId: id, status: hw.provisioning_status };
      }
      case 'listener':
        await cloud.api.elb.showListener(id);
        return { externalId: id, status: 'ACTIVE' };
      case 'transit-ip': {
        const hw = await cloud.api.nat.showTransitIp(id);
        return { externalId: id, status: hw.status };
      }
      case 'private-nat-gateway': {
        const hw = await cloud.api.nat.showGateway(id);
        return { externalId: id, status: hw.status };
      }
      case 'dnat-rule': {
        const hw = await cloud.api.nat.showDnatRule(id);
        return { externalId: id, status: hw.status };
      }
      case 'snat-rule': {
        const hw = await cloud.api.nat.showSnatRule(id);
        return { externalId: id, status: hw.status };
      }
    }
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** One delete call (with what hangs off the resource on Huawei's side: rules, members, monitor, ACL). */
export async function deleteOnCloud(cloud: HuaweiCloud, record: Resource): Promise<void> {
  const id = record.externalId as string;
  switch (record.type) {
    case 'vpc':
      return cloud.api.vpc.deleteVpc(id);
    case 'subnet':
      return cloud.api.vpc.deleteSubnet(await cloud.hwId(record.vpcId), id);
    case 'security-group':
      return cloud.api.vpc.deleteSecurityGroup(id);
    case 'server':
      await cloud.api.ecs.deleteServer(id);
      return;
    case 'backend-group': {
      const pool = await cloud.api.elb.showPool(id);
      if (pool.healthmonitor_id)
        await ignoreMissing(cloud.api.elb.deleteHealthMonitor(pool.healthmonitor_id));
      for (const member of await cloud.api.elb.listMembers(id)) {
        await ignoreMissing(cloud.api.elb.deleteMember(id, member.id));
      }
      return cloud.api.elb.deletePool(id);
    }
    case 'load-balancer':
      return cloud.api.elb.deleteLoadBalancer(id);
    case 'listener': {
      const listener = await cloud.api.elb.showListener(id);
      await cloud.api.elb.deleteListener(id);
      const group = listener.ipgroup?.ipgroup_id;
      if (group) await ignoreMissing(cloud.api.elb.deleteIpGroup(group));
      return;
    }
    case 'transit-ip':
      return cloud.api.nat.deleteTransitIp(id);
    case 'private-nat-gateway':
      return cloud.api.nat.deleteGateway(id);
    case 'dnat-rule':
      return cloud.api.nat.deleteDnatRule(id);
    case 'snat-rule':
      return cloud.api.nat.deleteSnatRule(id);
  }
}

async function ignoreMissing(call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}
