/**
 * What the huaweicloud provider creates under a resource once the resource itself exists, each
 * reconciled rather than blindly created (a retry after a crash adds only what is missing): a security
 * group's rules, a pool's members and health monitor, a listener's ip group (its allow/deny access
 * control); and the wire form of a DNAT target.
 */
import type { BackendGroup, DnatRule, Listener, SecurityGroup } from '../../cloud/resources.ts';
import { type Account, tokenOf } from './account.ts';
import { hwId, ready } from './lifecycle.ts';
import { carriesToken, describe, monitorTypeOf, ruleBodiesOf } from './mapping.ts';

/** Creates the inbound rules the group lacks (all of them the first time; the rest after a crash). */
export async function ensureRules(account: Account, group: SecurityGroup): Promise<void> {
  const hwId = group.externalId as string;
  const existing = (await account.api.vpc.showSecurityGroup(hwId)).security_group_rules ?? [];
  const have = new Set(
    existing.map(
      (r) =>
        `${r.protocol ?? 'any'}:${r.port_range_min ?? ''}:${r.port_range_max ?? ''}:${r.remote_ip_prefix}`,
    ),
  );
  for (const body of ruleBodiesOf(hwId, group.inbound)) {
    const key = `${body.protocol ?? 'any'}:${body.port_range_min ?? ''}:${body.port_range_max ?? ''}:${body.remote_ip_prefix}`;
    if (have.has(key)) continue;
    await account.api.vpc.createSecurityGroupRule(body);
    have.add(key);
  }
}

/**
 * The pool's health monitor and members, created where missing (idempotent after a crash). The monitor
 * first: a member of a monitored pool is answered at once (`INITIAL` until its first check), where one of
 * an unmonitored pool is answered only once it has settled.
 */
export async function ensureMembers(account: Account, group: BackendGroup): Promise<void> {
  const poolId = group.externalId as string;
  const pool = await account.api.elb.showPool(poolId);
  if (!pool.healthmonitor_id) {
    const hc = group.healthCheck;
    await account.api.elb.createHealthMonitor({
      pool_id: poolId,
      type: monitorTypeOf(hc.protocol),
      delay: hc.intervalSeconds,
      timeout: Math.max(1, Math.min(hc.intervalSeconds, 3)),
      max_retries: 3,
      monitor_port: hc.port,
      ...(hc.protocol === 'HTTP' ? { url_path: hc.path ?? '/' } : {}),
    });
  }
  const existing = await account.api.elb.listMembers(poolId);
  const have = new Set(existing.map((m) => `${m.address}:${m.protocol_port}`));
  for (const member of group.members) {
    const server = await account.model.require(member.serverId, 'server');
    if (have.has(`${server.ip}:${member.port}`)) continue;
    const subnet = await account.api.vpc.showSubnet(await hwId(account, server.subnetId));
    await account.api.elb.createMember(poolId, {
      name: server.name,
      address: server.ip,
      protocol_port: member.port,
      weight: member.weight,
      ...(subnet.neutron_subnet_id ? { subnet_cidr_id: subnet.neutron_subnet_id } : {}),
    });
    have.add(`${server.ip}:${member.port}`);
  }
}

/** An allow/deny access control is an ELB ip group (found by its own token after a crash). */
export async function ensureIpGroup(account: Account, listener: Listener) {
  const ac = listener.accessControl;
  if (ac === 'all') return undefined;
  const token = `${tokenOf(listener)}:acl`;
  const cidrs = 'allow' in ac ? ac.allow : ac.deny;
  const found = (await account.api.elb.listIpGroups()).find((g) => carriesToken(g, token));
  const group =
    found ??
    (await account.api.elb.createIpGroup({
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
  account: Account,
  rule: DnatRule,
): Promise<{ network_interface_id: string } | { private_ip_address: string }> {
  const target = rule.target;
  if (target.kind === 'load-balancer') {
    const lb = await account.api.elb.showLoadBalancer(await ready(account, target.loadBalancerId));
    if (lb.vip_port_id) return { network_interface_id: lb.vip_port_id };
    return { private_ip_address: target.ip };
  }
  if (target.kind === 'server') {
    const server = await account.api.ecs.showServer(await hwId(account, target.serverId));
    for (const nics of Object.values(server.addresses ?? {})) {
      const nic = nics.find((n) => n.addr === target.ip && n['OS-EXT-IPS:port_id']);
      if (nic) return { network_interface_id: nic['OS-EXT-IPS:port_id'] as string };
    }
    return { private_ip_address: target.ip };
  }
  return { private_ip_address: target.ip };
}
