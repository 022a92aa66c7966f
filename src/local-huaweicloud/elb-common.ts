/** ELB v3: what the load balancer, listener and pool routes share (lookups, listener records, paging). */
import type { BackendGroup, LbProtocol, Listener, LoadBalancer } from '../cloud/resources.ts';
import {
  type ApiRequest,
  derivedId,
  type HuaweiContext,
  huaweiIdOf,
  type ListenerRecord,
  type PoolAttrs,
  paginate,
} from './context.ts';
import { badRequest, HuaweiApiError, notFound } from './errors.ts';

const SERVICE = 'elb';

export function conflict(message: string, natflowCode = 'DEPENDENCY_VIOLATION'): HuaweiApiError {
  return new HuaweiApiError(409, 'ELB.1000', `${message} (natflow: ${natflowCode})`, natflowCode);
}

export function badMarker(): Error {
  return badRequest(SERVICE, 'marker must be the id of a resource of this list, and limit an integer 0–2000');
}

export function pageOf(items: Array<Record<string, unknown> & { id: string }>, req: ApiRequest, key: string) {
  const filters = ['id', 'name', 'loadbalancer_id', 'protocol', 'protocol_port', 'pool_id', 'address'];
  let filtered = items;
  for (const name of filters) {
    const wanted = req.query.getAll(name);
    if (wanted.length === 0) continue;
    filtered = filtered.filter((item) => {
      const value = item[name];
      if (value === undefined) return true;
      return wanted.includes(String(value));
    });
  }
  const { page, pageInfo } = paginate(filtered, req.query, badMarker);
  return { status: 200, body: { [key]: page, page_info: pageInfo, request_id: req.requestId } };
}

// ---------------------------------------------------------------- lookups

export function vipPortIdOf(lb: LoadBalancer): string {
  return derivedId(lb.id, 'vip-port');
}

export function poolAttrs(ctx: HuaweiContext, group: BackendGroup): PoolAttrs {
  let attrs = ctx.state.pools.get(group.id);
  if (!attrs) {
    attrs = {
      lbAlgorithm: group.algorithm === 'least-connections' ? 'LEAST_CONNECTIONS' : 'ROUND_ROBIN',
      loadBalancerId: null,
      listenerId: null,
      description: '',
      adminStateUp: true,
      type: '',
      vpcId: null,
      sessionPersistence: null,
      healthmonitor: null,
    };
    ctx.state.pools.set(group.id, attrs);
  }
  return attrs;
}

/** Every listener: the records made here, and natflow listeners made by plans. */
export async function listenerRecords(ctx: HuaweiContext): Promise<ListenerRecord[]> {
  const out = new Map<string, ListenerRecord>();
  for (const listener of await ctx.list('listener')) {
    out.set(listener.id, ctx.state.listeners.get(listener.id) ?? recordOfListener(listener));
  }
  for (const record of ctx.state.listeners.values()) if (!out.has(record.id)) out.set(record.id, record);
  return [...out.values()].sort((a, b) =>
    a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0,
  );
}

export function recordOfListener(listener: Listener): ListenerRecord {
  return {
    id: listener.id,
    name: listener.name,
    description: '',
    loadBalancerId: listener.loadBalancerId,
    protocol: listener.protocol,
    port: listener.port,
    defaultPoolId: listener.backendGroupId,
    adminStateUp: true,
    createdAt: listener.createdAt,
    updatedAt: listener.createdAt,
    extra: {},
  };
}

export async function requireListener(ctx: HuaweiContext, uuid: string): Promise<ListenerRecord> {
  const found = (await listenerRecords(ctx)).find(
    (r) => huaweiIdOf({ id: r.id } as never) === uuid || listenerUuid(r) === uuid,
  );
  if (!found) throw notFound(SERVICE, `listener ${uuid} could not be found`);
  return found;
}

export function listenerUuid(record: ListenerRecord): string {
  return huaweiIdOf({ id: record.id } as never);
}

/** Makes a listener with a default pool a natflow listener (same id), if it is not one yet. */
export async function realiseListener(ctx: HuaweiContext, record: ListenerRecord): Promise<void> {
  if (!record.defaultPoolId || (await ctx.store.get(record.id))) return;
  await ctx.withIds(
    { listener: record.id },
    () =>
      ctx.call(SERVICE, () =>
        ctx.cloud.createListener({
          name: record.name || `${record.protocol}-${record.port}`,
          loadBalancerId: record.loadBalancerId,
          protocol: record.protocol as LbProtocol,
          port: record.port,
          backendGroupId: record.defaultPoolId as string,
        }),
      ),
    Date.parse(record.createdAt),
  );
}

export async function poolOf(ctx: HuaweiContext, uuid: string, field: string): Promise<BackendGroup> {
  const group = await ctx.findByUuid(uuid, 'backend-group');
  if (!group) throw notFound(SERVICE, `${field} ${uuid}: pool could not be found`);
  return group;
}
