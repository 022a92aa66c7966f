/**
 * An ELB v3 member's `operating_status`, as the SDK model `Member` documents it (NO_MONITOR, INITIAL,
 * ONLINE, OFFLINE, UNKNOWN):
 * - NO_MONITOR: its pool has no (enabled) health monitor;
 * - INITIAL: the pool has one, but no check has reported yet (the member is settling, or the data plane
 *   has not checked it);
 * - UNKNOWN: its pool serves no load balancer (no listener, no `loadbalancer_id`);
 * - ONLINE / OFFLINE: the last health check passed / failed — from the live data plane when the stack
 *   runs one (`MemberHealthSource`), else from the model: the probe's own rule (src/probe/policy.ts), an
 *   application on the checked port and a security group admitting the load balancer's backend address.
 *   The checked port is the monitor's `monitor_port`, or the member's own port when it has none (as on
 *   Huawei); natflow's group checks one port, so a member on another port is judged by the model.
 */
import type { BackendGroup, BackendMember, LoadBalancer } from '../cloud/resources.ts';
import { Topology } from '../probe/model.ts';
import { memberHealth } from '../probe/policy.ts';
import type { HuaweiContext } from './context.ts';
import { listenerRecords, poolAttrs } from './elb-common.ts';

export type MemberOperatingStatus = 'NO_MONITOR' | 'INITIAL' | 'ONLINE' | 'OFFLINE' | 'UNKNOWN';

/** Loads the model once per request, whatever the number of members shown. */
export function topologyLoader(ctx: HuaweiContext): () => Promise<Topology> {
  let loaded: Promise<Topology> | undefined;
  return () => {
    loaded ??= ctx.store.list().then((resources) => Topology.from(resources));
    return loaded;
  };
}

export async function operatingStatusOf(
  ctx: HuaweiContext,
  group: BackendGroup,
  member: BackendMember,
  memberId: string,
  topology: () => Promise<Topology> = topologyLoader(ctx),
): Promise<MemberOperatingStatus> {
  const attrs = poolAttrs(ctx, group);
  const monitor = attrs.healthmonitor;
  if (!monitor || monitor.admin_state_up === false) return 'NO_MONITOR';
  const createdAt = ctx.state.attrs.get(memberId)?.createdAt;
  if (typeof createdAt === 'string' && !ctx.settled('member', createdAt)) return 'INITIAL';
  const lbIds = new Set<string>();
  if (attrs.loadBalancerId) lbIds.add(attrs.loadBalancerId);
  for (const record of await listenerRecords(ctx))
    if (record.defaultPoolId === group.id) lbIds.add(record.loadBalancerId);
  if (lbIds.size === 0) return 'UNKNOWN';
  // Huawei checks `monitor_port`, or each member's own port when it is null; natflow's group has one
  // check port (the first member's by default): the data plane's verdict holds for members on that port.
  const checkPort = typeof monitor.monitor_port === 'number' ? monitor.monitor_port : member.port;
  if (checkPort === group.healthCheck.port) {
    const live = ctx.memberHealth?.memberHealth(group.id, member.serverId, member.port);
    if (live === true) return 'ONLINE';
    if (live === false) return 'OFFLINE';
    if (live === null) return 'INITIAL';
  }
  const model = await topology();
  const found = model.find('backend-group', group.id) ?? group;
  const current = { ...found, healthCheck: { ...found.healthCheck, port: checkPort } };
  for (const id of lbIds) {
    const lb = model.find('load-balancer', id) as LoadBalancer | undefined;
    if (lb) return memberHealth(model, lb, current, member).healthy ? 'ONLINE' : 'OFFLINE';
  }
  return 'UNKNOWN';
}
