/**
 * What the huaweicloud provider creates under a resource once the resource itself exists, each
 * reconciled rather than blindly created (a retry after a crash adds only what is missing): a security
 * group's rules, a pool's members and health monitor, a listener's ip group (its allow/deny access
 * control); the wire form of a DNAT target; and the refresh of natflow's model before a dry run.
 */
import {
  type BackendGroup,
  type DnatRule,
  type Listener,
  RESOURCE_TYPES,
  type Resource,
  type SecurityGroup,
} from '../../cloud/resources.ts';
import { keys } from '../../cloud/store.ts';
import { importAccount } from './discovery.ts';
import { carriesToken, describe, monitorTypeOf, ruleBodiesOf } from './mapping.ts';
import type { HuaweiCloud } from './provider.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function tokenOf(resource: Resource): string {
  return resource.clientToken ?? resource.id;
}

/** Creates the inbound rules the group lacks (all of them the first time; the rest after a crash). */
export async function ensureRules(cloud: HuaweiCloud, group: SecurityGroup): Promise<void> {
  const hwId = group.externalId as string;
  const existing = (await cloud.api.vpc.showSecurityGroup(hwId)).security_group_rules ?? [];
  const have = new Set(
    existing.map(
      (r) =>
        `${r.protocol ?? 'any'}:${r.port_range_min ?? ''}:${r.port_range_max ?? ''}:${r.remote_ip_prefix}`,
    ),
  );
  for (const body of ruleBodiesOf(hwId, group.inbound)) {
    const key = `${body.protocol ?? 'any'}:${body.port_range_min ?? ''}:${body.port_range_max ?? ''}:${body.remote_ip_prefix}`;
    if (have.has(key)) continue;
    await cloud.api.vpc.createSecurityGroupRule(body);
    have.add(key);
  }
}

/** The pool's members and health monitor, created where missing (idempotent after a crash). */
export async function ensureMembers(cloud: HuaweiCloud, group: BackendGroup): Promise<void> {
  const poolId = group.externalId as string;
  const existing = await cloud.api.elb.listMembers(poolId);
  const have = new Set(existing.map((m) => `${m.address}:${m.protocol_port}`));
  for (const member of group.members) {
    const server = await cloud.require(member.serverId, 'server');
    if (have.has(`${server.ip}:${member.port}`)) continue;
    const subnet = await cloud.api.vpc.showSubnet(await cloud.hwId(server.subnetId));
    await cloud.api.elb.createMember(poolId, {
      name: server.name,
      address: server.ip,
      protocol_port: member.port,
      weight: member.weight,
      ...(subnet.neutron_subnet_id ? { subnet_cidr_id: subnet.neutron_subnet_id } : {}),
    });
    have.add(`${server.ip}:${member.port}`);
  }
  const pool = await cloud.api.elb.showPool(poolId);
  if (!pool.healthmonitor_id) {
    const hc = group.healthCheck;
    await cloud.api.elb.createHealthMonitor({
      pool_id: poolId,
      type: monitorTypeOf(hc.protocol),
      delay: hc.intervalSeconds,
      timeout: Math.max(1, Math.min(hc.intervalSeconds, 3)),
      max_retries: 3,
      monitor_port: hc.port,
      ...(hc.protocol === 'HTTP' ? { url_path: hc.path ?? '/' } : {}),
    });
  }
}

/** An allow/deny access control is an ELB ip group (found by its own token after a crash). */
export async function ensureIpGroup(cloud: HuaweiCloud, listener: Listener) {
  const ac = listener.accessControl;
  if (ac === 'all') return undefined;
  const token = `${tokenOf(listener)}:acl`;
  const cidrs = 'allow' in ac ? ac.allow : ac.deny;
  const found = (await cloud.api.elb.listIpGroups()).find((g) => carriesToken(g, token));
  const group =
    found ??
    (await cloud.api.elb.createIpGroup({
      name: `${listener.name}-acl`,
      description: describe(token, listener.plan),
      ip_list: cidrs.map((ip) => ({ ip })),
    }));
  return {
    ipgroup_id: group.id,
    enable_ipgroup: true,
    type: 'allow' in ac ? ('white' as const) : ('black' as const),
  };
}

/** A DNAT target on the wire: a server's NIC or a load balancer's `vip_port_id`, else the address. */
export async function targetOf(
  cloud: HuaweiCloud,
  rule: DnatRule,
): Promise<{ network_interface_id: string } | { private_ip_address: string }> {
  const target = rule.target;
  if (target.kind === 'load-balancer') {
    const lb = await cloud.api.elb.showLoadBalancer(await cloud.ready(target.loadBalancerId));
    if (lb.vip_port_id) return { network_interface_id: lb.vip_port_id };
    return { private_ip_address: target.ip };
  }
  if (target.kind === 'server') {
    const server = await cloud.api.ecs.showServer(await cloud.hwId(target.serverId));
    for (const nics of Object.values(server.addresses ?? {})) {
      const nic = nics.find((n) => n.addr === target.ip && n['OS-EXT-IPS:port_id']);
      if (nic) return { network_interface_id: nic['OS-EXT-IPS:port_id'] as string };
    }
    return { private_ip_address: target.ip };
  }
  return { private_ip_address: target.ip };
}

/**
 * Re-reads, through the API, the part of the account a plan references before its dry run: the VPCs of
 * the imported resources it names (natflow's own are current in the ledger), or the whole account when
 * it names a Huawei id natflow has never read.
 */
export async function refreshModel(cloud: HuaweiCloud, references: readonly string[]): Promise<void> {
  const vpcs = new Set<string>();
  let everything = false;
  for (const ref of references) {
    const known =
      (await cloud.store.get(ref)) ??
      (await cloud.store.getByKey(keys.external(ref))) ??
      (await cloud.model.resolve(RESOURCE_TYPES, ref).catch(() => undefined));
    if (!known) {
      if (UUID.test(ref)) everything = true;
      continue;
    }
    if (!known.imported) continue;
    const vpc = await vpcOf(cloud, known);
    if (vpc?.externalId) vpcs.add(vpc.externalId);
  }
  if (everything) await importAccount(cloud);
  else if (vpcs.size > 0) await importAccount(cloud, { vpcs: [...vpcs] });
}

async function vpcOf(cloud: HuaweiCloud, resource: Resource): Promise<Resource | undefined> {
  if (resource.type === 'vpc') return resource;
  if ('vpcId' in resource && typeof resource.vpcId === 'string') return cloud.get(resource.vpcId);
  const parent =
    resource.type === 'listener'
      ? resource.loadBalancerId
      : resource.type === 'dnat-rule' || resource.type === 'snat-rule'
        ? resource.gatewayId
        : undefined;
  const p = parent ? await cloud.get(parent) : undefined;
  return p ? vpcOf(cloud, p) : undefined;
}
