/**
 * The huaweicloud provider's two reading questions to the cloud, one `switch` over the resource types
 * each: where is the resource carrying this token (`findOnCloud`, lists scoped by the parent's Huawei
 * id), and what does Huawei say of it now (`readStatus`, undefined once gone). The delete call is in
 * `deletion.ts`.
 */
import type { Resource } from '../../cloud/resources.ts';
import { type Account, isRealized, JOB_PREFIX, type Realized } from './account.ts';
import { isNotFound } from './errors.ts';
import { carriesToken, serverIdOfJob } from './mapping.ts';
import { allPages } from './vpc.ts';

/** The Huawei resource carrying the record's token, if the cloud has one (lists scoped by parent). */
export async function findOnCloud(account: Account, record: Resource): Promise<Realized | undefined> {
  if (!record.clientToken) return undefined;
  const token = record.clientToken;
  const has = (r: { description?: string | null; tags?: unknown }) => carriesToken(r, token);
  const parent = async (id: string) => {
    const p = await account.store.get(id);
    return p && isRealized(p) ? (p.externalId as string) : undefined;
  };
  switch (record.type) {
    case 'vpc': {
      const hw = (await allPages((q) => account.api.vpc.listVpcs(q))).find(has);
      return hw && { externalId: hw.id, status: hw.status };
    }
    case 'subnet': {
      const vpcId = await parent(record.vpcId);
      if (!vpcId) return undefined;
      const hw = (await allPages((q) => account.api.vpc.listSubnets({ ...q, vpc_id: vpcId }))).find(has);
      return hw && { externalId: hw.id, status: hw.status };
    }
    case 'security-group': {
      const vpcId = await parent(record.vpcId);
      const hw = (
        await allPages((q) =>
          account.api.vpc.listSecurityGroups({ ...q, ...(vpcId ? { vpc_id: vpcId } : {}) }),
        )
      ).find(has);
      return hw && { externalId: hw.id, status: 'ACTIVE' };
    }
    case 'server': {
      const hw = (await account.api.ecs.listServers({ name: record.name })).find(has);
      return hw && { externalId: hw.id, status: hw.status };
    }
    case 'backend-group': {
      const hw = (await account.api.elb.listPools()).find(has);
      return hw && { externalId: hw.id, status: 'ACTIVE' };
    }
    case 'load-balancer': {
      const hw = (await account.api.elb.listLoadBalancers()).find(has);
      return hw && { externalId: hw.id, status: hw.provisioning_status };
    }
    case 'listener': {
      const lbId = await parent(record.loadBalancerId);
      if (!lbId) return undefined;
      const hw = (await account.api.elb.listListeners({ loadbalancer_id: lbId })).find(has);
      return hw && { externalId: hw.id, status: 'ACTIVE' };
    }
    case 'transit-ip': {
      const subnetId = await parent(record.subnetId);
      if (!subnetId) return undefined;
      const hw = (await account.api.nat.listTransitIps({ virsubnet_id: subnetId })).find(has);
      return hw && { externalId: hw.id, status: hw.status };
    }
    case 'private-nat-gateway': {
      const hw = (await account.api.nat.listGateways()).find(has);
      return hw && { externalId: hw.id, status: hw.status };
    }
    case 'dnat-rule': {
      const gatewayId = await parent(record.gatewayId);
      if (!gatewayId) return undefined;
      const hw = (await account.api.nat.listDnatRules({ gateway_id: gatewayId })).find(has);
      return hw && { externalId: hw.id, status: hw.status };
    }
    case 'snat-rule': {
      const gatewayId = await parent(record.gatewayId);
      if (!gatewayId) return undefined;
      const hw = (await account.api.nat.listSnatRules({ gateway_id: gatewayId })).find(has);
      return hw && { externalId: hw.id, status: hw.status };
    }
  }
}

/** Huawei's current view of a realised resource; undefined when it is gone. */
export async function readStatus(account: Account, record: Resource): Promise<Realized | undefined> {
  const id = record.externalId as string;
  try {
    switch (record.type) {
      case 'vpc': {
        const hw = await account.api.vpc.showVpc(id);
        return { externalId: id, status: hw.status };
      }
      case 'subnet': {
        const hw = await account.api.vpc.showSubnet(id);
        return { externalId: id, status: hw.status };
      }
      case 'security-group':
        await account.api.vpc.showSecurityGroup(id);
        return { externalId: id, status: 'ACTIVE' };
      case 'server': {
        if (id.startsWith(JOB_PREFIX)) {
          const job = await account.api.ecs.showJob(id.slice(JOB_PREFIX.length));
          if (job.status === 'FAIL') {
            // lifecycleOf reports the failure with the job's own reason.
            return {
              externalId: id,
              status: `FAIL (${job.fail_reason ?? job.error_code ?? 'no reason given'})`,
            };
          }
          const serverId = serverIdOfJob(job);
          if (!serverId) return { externalId: id, status: 'BUILD' };
          const server = await account.api.ecs.showServer(serverId);
          return { externalId: serverId, status: job.status === 'SUCCESS' ? server.status : 'BUILD' };
        }
        const hw = await account.api.ecs.showServer(id);
        if (hw.status === 'DELETED') return undefined;
        return { externalId: id, status: hw.status };
      }
      case 'backend-group':
        await account.api.elb.showPool(id);
        return { externalId: id, status: 'ACTIVE' };
      case 'load-balancer': {
        const hw = await account.api.elb.showLoadBalancer(id);
        return { externalId: id, status: hw.provisioning_status };
      }
      case 'listener':
        await account.api.elb.showListener(id);
        return { externalId: id, status: 'ACTIVE' };
      case 'transit-ip': {
        const hw = await account.api.nat.showTransitIp(id);
        return { externalId: id, status: hw.status };
      }
      case 'private-nat-gateway': {
        const hw = await account.api.nat.showGateway(id);
        return { externalId: id, status: hw.status };
      }
      case 'dnat-rule': {
        const hw = await account.api.nat.showDnatRule(id);
        return { externalId: id, status: hw.status };
      }
      case 'snat-rule': {
        const hw = await account.api.nat.showSnatRule(id);
        return { externalId: id, status: hw.status };
      }
    }
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}
