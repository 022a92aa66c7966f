/** ELB v3 pools (backend server groups), and the rebuild of a backend group under its ids (see elb.ts). */
import type { BackendGroup, LbProtocol, Listener } from '../cloud/resources.ts';
import { type ApiRequest, derivedId, type HuaweiContext, huaweiIdOf } from './context.ts';
import {
  conflict,
  listenerRecords,
  listenerUuid,
  pageOf,
  poolAttrs,
  poolOf,
  realiseListener,
  requireListener,
} from './elb-common.ts';
import { badRequest, HuaweiApiError, notFound } from './errors.ts';
import { Fields as F } from './fields.ts';

const SERVICE = 'elb';

// ---------------------------------------------------------------- pools

export const POOL_PROTOCOLS = ['TCP', 'UDP', 'HTTP', 'HTTPS', 'QUIC', 'GRPC', 'TLS'] as const;
export const ALGORITHMS = ['ROUND_ROBIN', 'LEAST_CONNECTIONS', 'SOURCE_IP', 'QUIC_CID'] as const;

export function memberIdOf(group: BackendGroup, member: { serverId: string; port: number }): string {
  return derivedId(group.id, `member:${member.serverId}:${member.port}`);
}

export async function poolView(ctx: HuaweiContext, group: BackendGroup): Promise<Record<string, unknown>> {
  const attrs = poolAttrs(ctx, group);
  const records = await listenerRecords(ctx);
  const listeners = records.filter((r) => r.defaultPoolId === group.id).map((r) => ({ id: listenerUuid(r) }));
  const lbIds = new Set<string>();
  if (attrs.loadBalancerId) lbIds.add(attrs.loadBalancerId);
  for (const r of records) if (r.defaultPoolId === group.id) lbIds.add(r.loadBalancerId);
  const loadbalancers = [];
  for (const id of lbIds) {
    const lb = await ctx.store.get(id);
    if (lb) loadbalancers.push({ id: huaweiIdOf(lb) });
  }
  const vpc = group.vpcId ? await ctx.store.get(group.vpcId) : undefined;
  return {
    id: huaweiIdOf(group),
    name: group.name,
    description: attrs.description,
    protocol: group.protocol,
    lb_algorithm: attrs.lbAlgorithm,
    admin_state_up: attrs.adminStateUp,
    loadbalancers,
    loadbalancer_id: loadbalancers[0]?.id,
    listeners,
    listener_id: listeners[0]?.id,
    members: group.members.map((m) => ({ id: memberIdOf(group, m) })),
    healthmonitor_id: attrs.healthmonitor ? derivedId(group.id, 'hm') : null,
    session_persistence: attrs.sessionPersistence,
    ip_version: 'v4',
    slow_start: null,
    member_deletion_protection_enable: false,
    type: attrs.type,
    vpc_id: attrs.vpcId ?? (vpc ? huaweiIdOf(vpc) : ''),
    protection_status: 'nonProtection',
    protection_reason: null,
    any_port_enable: false,
    connection_drain: null,
    enterprise_project_id: '0',
    project_id: ctx.projectId,
    created_at: `${ctx.stamp(group.createdAt)}Z`,
    updated_at: `${ctx.stamp(group.createdAt)}Z`,
  };
}

export async function createPool(ctx: HuaweiContext, req: ApiRequest) {
  const body = F.body(SERVICE, req.body, 'pool');
  const protocol = body.oneOf('protocol', POOL_PROTOCOLS, true);
  if (protocol !== 'TCP' && protocol !== 'UDP' && protocol !== 'HTTP') {
    throw badRequest(SERVICE, `pool.protocol ${protocol}: natflow's backend groups are TCP, UDP or HTTP`);
  }
  const algorithm = body.oneOf('lb_algorithm', ALGORITHMS, true);
  const name = body.string('name', false, 255) ?? '';
  const description = body.description() ?? '';
  const lbUuid = body.string('loadbalancer_id', false, 36);
  const listenerUuidIn = body.string('listener_id', false, 36);
  const type = body.oneOf('type', ['instance', 'ip', ''] as const) ?? '';
  const vpcUuid = body.string('vpc_id', false, 36);
  const adminStateUp = body.boolean('admin_state_up') ?? true;
  const session = body.object('session_persistence');
  if (session) session.oneOf('type', ['SOURCE_IP', 'HTTP_COOKIE', 'APP_COOKIE'] as const, true);
  if (!lbUuid && !listenerUuidIn && !type) {
    throw badRequest(
      SERVICE,
      'pool needs loadbalancer_id, listener_id, or type (with vpc_id) for an independent pool',
      'ELB.8902',
    );
  }
  const lb = lbUuid ? await ctx.requireByUuid(lbUuid, 'load-balancer', SERVICE, 'load balancer') : undefined;
  const listener = listenerUuidIn ? await requireListener(ctx, listenerUuidIn) : undefined;
  if (listener?.defaultPoolId) {
    throw new HuaweiApiError(
      409,
      'ELB.8907',
      `listener ${listenerUuidIn} already has a default pool`,
      'VALIDATION_FAILED',
    );
  }
  if (listener && listener.protocol !== protocol) {
    throw badRequest(
      SERVICE,
      `pool.protocol ${protocol} does not match listener ${listenerUuidIn}'s protocol ${listener.protocol}`,
    );
  }
  if (lb && listener && listener.loadBalancerId !== lb.id) {
    throw badRequest(
      SERVICE,
      `pool.listener_id ${listenerUuidIn} is not a listener of pool.loadbalancer_id ${lbUuid}`,
    );
  }
  const vpc = vpcUuid ? await ctx.requireByUuid(vpcUuid, 'vpc', SERVICE, 'VPC') : undefined;
  if (lb) ctx.requireReady(SERVICE, lb, 'pool.loadbalancer_id: load balancer');
  if (listener)
    ctx.requireReady(
      SERVICE,
      { id: listener.id, type: 'listener', createdAt: listener.createdAt } as never,
      'pool.listener_id: listener',
    );
  if (vpc) ctx.requireReady(SERVICE, vpc, 'pool.vpc_id: VPC');
  // No in-between state for a pool: the answer comes once it has settled.
  await ctx.waitCreate('pool', req);
  const group = await ctx.call(SERVICE, () =>
    ctx.cloud.createBackendGroup({
      name: name || 'pool',
      protocol,
      algorithm:
        algorithm === 'LEAST_CONNECTIONS'
          ? 'least-connections'
          : algorithm === 'ROUND_ROBIN'
            ? 'weighted-round-robin'
            : 'round-robin',
      members: [],
    }),
  );
  ctx.state.pools.set(group.id, {
    lbAlgorithm: algorithm,
    loadBalancerId: lb?.id ?? listener?.loadBalancerId ?? null,
    listenerId: listener?.id ?? null,
    description,
    adminStateUp,
    type,
    vpcId: vpc ? huaweiIdOf(vpc) : null,
    sessionPersistence: session?.value ?? null,
    healthmonitor: null,
  });
  if (listener) {
    const next = { ...listener, defaultPoolId: group.id, updatedAt: ctx.iso() };
    try {
      await ctx.lock(`pool:${group.id}`, () => realiseListener(ctx, next));
    } catch (error) {
      await ctx.cloud.delete(group.id).catch(() => undefined);
      ctx.state.pools.delete(group.id);
      throw error;
    }
    ctx.state.listeners.set(listener.id, next);
  }
  return { status: 201, body: { pool: await poolView(ctx, group), request_id: req.requestId } };
}

export async function showPool(ctx: HuaweiContext, req: ApiRequest) {
  const group = await poolOf(ctx, req.params.pool_id as string, 'pool');
  return { status: 200, body: { pool: await poolView(ctx, group), request_id: req.requestId } };
}

export async function listPools(ctx: HuaweiContext, req: ApiRequest) {
  const views = [];
  for (const group of await ctx.list('backend-group'))
    views.push((await poolView(ctx, group)) as Record<string, unknown> & { id: string });
  return pageOf(views, req, 'pools');
}

export async function deletePool(ctx: HuaweiContext, req: ApiRequest) {
  const group = await poolOf(ctx, req.params.pool_id as string, 'pool');
  const check = async (): Promise<BackendGroup> => {
    const current = (await ctx.store.get(group.id)) as BackendGroup | undefined;
    if (!current) throw notFound(SERVICE, `pool ${req.params.pool_id} could not be found`);
    if (current.members.length > 0)
      throw conflict(`pool ${current.name} still has ${current.members.length} members; remove them first`);
    if (poolAttrs(ctx, current).healthmonitor)
      throw conflict(`pool ${current.name} still has a health monitor; delete it first`);
    return current;
  };
  // Listed until NATFLOW_HWC_SETTLE_MS's `pool` time has passed; nothing is added to it meanwhile.
  await ctx.remove(
    'pool',
    group.id,
    () => ctx.lock(`pool:${group.id}`, async () => removePool(ctx, await check())),
    () => ctx.lock(`pool:${group.id}`, async () => void (await check())),
  );
  return { status: 204 };
}

/** Deletes a pool natflow checked: its listeners stay, without a default pool (as on the product). */
async function removePool(ctx: HuaweiContext, current: BackendGroup): Promise<void> {
  // Its listeners keep existing on Huawei, without a default pool: here they stop being natflow listeners.
  for (const record of await listenerRecords(ctx)) {
    if (record.defaultPoolId !== current.id) continue;
    if (await ctx.store.get(record.id)) await ctx.call(SERVICE, () => ctx.cloud.delete(record.id));
    ctx.state.listeners.set(record.id, { ...record, defaultPoolId: null, updatedAt: ctx.iso() });
  }
  await ctx.call(SERVICE, () => ctx.cloud.delete(current.id));
  ctx.state.pools.delete(current.id);
}

/**
 * Rebuilds a backend group with new members or health check under the same id, re-creating its
 * listeners; restores the old one when natflow refuses the new one.
 */
export async function rebuildGroup(
  ctx: HuaweiContext,
  group: BackendGroup,
  next: { members: BackendGroup['members']; healthCheck?: Partial<BackendGroup['healthCheck']> },
): Promise<BackendGroup> {
  const listeners = (await ctx.store.referrers(group.id)).filter((r): r is Listener => r.type === 'listener');
  const ctxOf = (r: { plan: string | null; execution: string | null; clientToken: string | null }) => ({
    plan: r.plan,
    execution: r.execution,
    clientToken: r.clientToken,
  });
  for (const listener of listeners) await ctx.call(SERVICE, () => ctx.cloud.delete(listener.id));
  await ctx.call(SERVICE, () => ctx.cloud.delete(group.id));
  const create = (
    members: BackendGroup['members'],
    healthCheck: Partial<BackendGroup['healthCheck']> | undefined,
  ) =>
    ctx.withIds(
      { 'backend-group': group.id },
      () =>
        ctx.cloud.createBackendGroup(
          {
            name: group.name,
            protocol: group.protocol,
            algorithm: group.algorithm,
            ...(healthCheck ? { healthCheck } : {}),
            members,
          },
          ctxOf(group),
        ),
      Date.parse(group.createdAt),
    );
  let rebuilt: BackendGroup;
  try {
    rebuilt = await ctx.call(SERVICE, () => create(next.members, next.healthCheck));
  } catch (error) {
    await create(group.members, group.healthCheck);
    for (const listener of listeners) await recreateListener(ctx, listener, ctxOf(listener));
    throw error;
  }
  for (const listener of listeners) await recreateListener(ctx, listener, ctxOf(listener));
  return rebuilt;
}

export async function recreateListener(
  ctx: HuaweiContext,
  listener: Listener,
  createCtx: Record<string, string | null>,
) {
  await ctx.withIds(
    { listener: listener.id },
    () =>
      ctx.cloud.createListener(
        {
          name: listener.name,
          loadBalancerId: listener.loadBalancerId,
          protocol: listener.protocol,
          port: listener.port,
          backendGroupId: listener.backendGroupId,
          accessControl: listener.accessControl,
        },
        createCtx,
      ),
    Date.parse(listener.createdAt),
  );
}

/** The health check natflow keeps for a group: its monitor's, or the default one. */
export function healthCheckOfMonitor(
  monitor: Record<string, unknown> | null,
): Partial<BackendGroup['healthCheck']> | undefined {
  if (!monitor) return undefined;
  const type = String(monitor.type);
  const protocol: LbProtocol =
    type === 'HTTP' || type === 'HTTPS' ? 'HTTP' : type === 'UDP_CONNECT' ? 'UDP' : 'TCP';
  return {
    protocol,
    ...(typeof monitor.monitor_port === 'number' ? { port: monitor.monitor_port } : {}),
    ...(protocol === 'HTTP' ? { path: String(monitor.url_path ?? '/') } : {}),
    intervalSeconds: Number(monitor.delay ?? 5),
  };
}
