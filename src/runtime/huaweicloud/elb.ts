/**
 * ELB v3 (dedicated): load balancers, listeners, pools, members, health monitors. API reference
 * "Load Balancer", "Listener", "Backend Server Group", "Backend Server", "Health Check" (v3); SDK models
 * `CreateLoadBalancerOption`/`LoadBalancer`, `CreateListenerOption`/`Listener`, `CreatePoolOption`/`Pool`,
 * `CreateMemberOption`/`Member`, `CreateHealthMonitorOption`/`HealthMonitor`.
 * Errors: `{"error_code": "ELB.xxxx", "error_msg": "…", "request_id": "…"}`.
 *
 * natflow's model is stricter than Huawei's hierarchy, and the mapping keeps its contracts:
 * - a pool is a natflow backend group at once (members are natflow servers, found by address);
 * - a listener is a natflow listener once it has a default pool (`default_pool_id`, or a pool created
 *   with its `listener_id`); until then it exists here only;
 * - adding or removing a member or a health monitor rebuilds the backend group under the same ids
 *   (its listeners are re-created with it), serialised per pool.
 */
import type {
  BackendGroup,
  LbProtocol,
  Listener,
  LoadBalancer,
  Server,
  Subnet,
} from '../../cloud/resources.ts';
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
import { Fields as F, type Fields } from './fields.ts';
import type { Route } from './routes.ts';
import { ipv4SubnetIdOf } from './vpc.ts';

const SERVICE = 'elb';

function conflict(message: string, natflowCode = 'DEPENDENCY_VIOLATION'): HuaweiApiError {
  return new HuaweiApiError(409, 'ELB.1000', `${message} (natflow: ${natflowCode})`, natflowCode);
}

function badMarker(): Error {
  return badRequest(SERVICE, 'marker must be the id of a resource of this list, and limit an integer 0–2000');
}

function pageOf(items: Array<Record<string, unknown> & { id: string }>, req: ApiRequest, key: string) {
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

async function subnetByIpv4Id(ctx: HuaweiContext, uuid: string) {
  return (await ctx.list('subnet')).find((s) => ipv4SubnetIdOf(s) === uuid);
}

function poolAttrs(ctx: HuaweiContext, group: BackendGroup): PoolAttrs {
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
async function listenerRecords(ctx: HuaweiContext): Promise<ListenerRecord[]> {
  const out = new Map<string, ListenerRecord>();
  for (const listener of await ctx.list('listener')) {
    out.set(listener.id, ctx.state.listeners.get(listener.id) ?? recordOfListener(listener));
  }
  for (const record of ctx.state.listeners.values()) if (!out.has(record.id)) out.set(record.id, record);
  return [...out.values()].sort((a, b) =>
    a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0,
  );
}

function recordOfListener(listener: Listener): ListenerRecord {
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

async function requireListener(ctx: HuaweiContext, uuid: string): Promise<ListenerRecord> {
  const found = (await listenerRecords(ctx)).find(
    (r) => huaweiIdOf({ id: r.id } as never) === uuid || listenerUuid(r) === uuid,
  );
  if (!found) throw notFound(SERVICE, `listener ${uuid} could not be found`);
  return found;
}

function listenerUuid(record: ListenerRecord): string {
  return huaweiIdOf({ id: record.id } as never);
}

/** Makes a listener with a default pool a natflow listener (same id), if it is not one yet. */
async function realiseListener(ctx: HuaweiContext, record: ListenerRecord): Promise<void> {
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

// ---------------------------------------------------------------- load balancers

async function lbView(
  ctx: HuaweiContext,
  lb: LoadBalancer,
  provisioning?: string,
): Promise<Record<string, unknown>> {
  const attrs = ctx.state.attrs.get(lb.id) ?? {};
  const vpc = await ctx.store.get(lb.vpcId);
  const frontend = await ctx.store.get(lb.frontendSubnetId);
  const backend = await ctx.store.get(lb.backendSubnetId);
  const listeners = (await listenerRecords(ctx))
    .filter((r) => r.loadBalancerId === lb.id)
    .map((r) => ({ id: listenerUuid(r) }));
  const pools = [];
  for (const group of await ctx.list('backend-group')) {
    const pa = ctx.state.pools.get(group.id);
    const viaListener = (await listenerRecords(ctx)).some(
      (r) => r.loadBalancerId === lb.id && r.defaultPoolId === group.id,
    );
    if (pa?.loadBalancerId === lb.id || viaListener) pools.push({ id: huaweiIdOf(group) });
  }
  return {
    id: huaweiIdOf(lb),
    name: lb.name,
    description: attrs.description ?? '',
    provisioning_status: provisioning ?? (ctx.settled(lb.createdAt) ? 'ACTIVE' : 'PENDING_CREATE'),
    operating_status: 'ONLINE',
    admin_state_up: true,
    provider: 'vlb',
    project_id: ctx.projectId,
    vpc_id: vpc ? huaweiIdOf(vpc) : '',
    vip_address: lb.ip,
    vip_port_id: vipPortIdOf(lb),
    vip_subnet_cidr_id: frontend && frontend.type === 'subnet' ? ipv4SubnetIdOf(frontend) : '',
    elb_virsubnet_ids: backend ? [huaweiIdOf(backend)] : [],
    elb_virsubnet_type: 'dualstack',
    ipv6_vip_address: null,
    ipv6_vip_virsubnet_id: null,
    ipv6_vip_port_id: null,
    availability_zone_list: lb.azs,
    listeners,
    pools,
    eips: [],
    publicips: [],
    guaranteed: true,
    l4_flavor_id: (attrs.l4_flavor_id as string | undefined) ?? null,
    l7_flavor_id: (attrs.l7_flavor_id as string | undefined) ?? null,
    l4_scale_flavor_id: null,
    l7_scale_flavor_id: null,
    ip_target_enable: false,
    deletion_protection_enable: false,
    enterprise_project_id: (attrs.enterprise_project_id as string | undefined) ?? '0',
    billing_info: null,
    tags: (attrs.tags as unknown[] | undefined) ?? [],
    charge_mode: 'flavor',
    created_at: `${ctx.stamp(lb.createdAt)}Z`,
    updated_at: `${ctx.stamp(lb.createdAt)}Z`,
  };
}

async function createLoadBalancer(ctx: HuaweiContext, req: ApiRequest) {
  const body = F.body(SERVICE, req.body, 'loadbalancer');
  const name = body.string('name', false, 255) ?? '';
  const description = body.description();
  const vipSubnet = body.string('vip_subnet_cidr_id', false, 36);
  const vipAddress = body.string('vip_address', false, 64);
  const virsubnets = body.strings('elb_virsubnet_ids', false, 64);
  const azs = body.strings('availability_zone_list', true, 10) as string[];
  if (azs.length === 0)
    throw badRequest(SERVICE, 'loadbalancer.availability_zone_list must list at least one AZ');
  const vpcUuid = body.string('vpc_id', false, 36);
  const l4 = body.string('l4_flavor_id', false, 36);
  const l7 = body.string('l7_flavor_id', false, 36);
  body.boolean('guaranteed');
  body.boolean('admin_state_up');
  const tags = body.array('tags', false, 20);
  const enterpriseProjectId = body.string('enterprise_project_id', false, 36);
  body.string('provider', false, 255);
  if (body.has('ipv6_vip_virsubnet_id'))
    throw badRequest(SERVICE, 'loadbalancer.ipv6_vip_virsubnet_id: IPv6 is not modelled by natflow');
  if (body.has('publicip') || body.has('publicip_ids'))
    throw badRequest(SERVICE, 'loadbalancer.publicip/publicip_ids: EIPs are not modelled by natflow');
  const frontend = vipSubnet ? await subnetByIpv4Id(ctx, vipSubnet) : undefined;
  if (vipSubnet && !frontend)
    throw badRequest(
      SERVICE,
      `loadbalancer.vip_subnet_cidr_id ${vipSubnet} is no IPv4 subnet (a subnet's neutron_subnet_id)`,
    );
  const backends: Subnet[] = [];
  for (const [i, uuid] of (virsubnets ?? []).entries()) {
    const subnet = await ctx.findByUuid(uuid, 'subnet');
    if (!subnet)
      throw badRequest(SERVICE, `loadbalancer.elb_virsubnet_ids[${i}] ${uuid} is no subnet (a subnet's id)`);
    backends.push(subnet);
  }
  const front = frontend ?? backends[0];
  if (!front) {
    throw badRequest(
      SERVICE,
      'loadbalancer needs vip_subnet_cidr_id (its private IPv4 address) or elb_virsubnet_ids: natflow models private IPv4 load balancers',
    );
  }
  let vpcId: string | undefined;
  if (vpcUuid) vpcId = (await ctx.requireByUuid(vpcUuid, 'vpc', SERVICE, 'VPC')).id;
  const lb = await ctx.call(SERVICE, () =>
    ctx.cloud.createLoadBalancer({
      name: name || 'loadbalancer',
      ...(vpcId ? { vpcId } : {}),
      frontendSubnetId: front.id,
      backendSubnetId: (backends[0] ?? front).id,
      ...(vipAddress ? { ip: vipAddress } : {}),
      azs,
    }),
  );
  const attrs = ctx.state.attrsOf(lb.id);
  if (description !== undefined) attrs.description = description;
  if (l4) attrs.l4_flavor_id = l4;
  if (l7) attrs.l7_flavor_id = l7;
  if (tags) attrs.tags = tags;
  if (enterpriseProjectId) attrs.enterprise_project_id = enterpriseProjectId;
  return {
    status: 201,
    body: {
      loadbalancer: await lbView(ctx, lb, 'PENDING_CREATE'),
      loadbalancer_id: huaweiIdOf(lb),
      request_id: req.requestId,
    },
  };
}

async function showLoadBalancer(ctx: HuaweiContext, req: ApiRequest) {
  const lb = await ctx.requireByUuid(
    req.params.loadbalancer_id as string,
    'load-balancer',
    SERVICE,
    'load balancer',
  );
  return { status: 200, body: { loadbalancer: await lbView(ctx, lb), request_id: req.requestId } };
}

async function listLoadBalancers(ctx: HuaweiContext, req: ApiRequest) {
  const views = [];
  for (const lb of await ctx.list('load-balancer'))
    views.push((await lbView(ctx, lb)) as Record<string, unknown> & { id: string });
  return pageOf(views, req, 'loadbalancers');
}

async function deleteLoadBalancer(ctx: HuaweiContext, req: ApiRequest) {
  const lb = await ctx.requireByUuid(
    req.params.loadbalancer_id as string,
    'load-balancer',
    SERVICE,
    'load balancer',
  );
  const listeners = (await listenerRecords(ctx)).filter((r) => r.loadBalancerId === lb.id);
  if (listeners.length > 0) {
    throw conflict(
      `load balancer ${lb.name} still has listeners (${listeners.map(listenerUuid).join(', ')}); delete them first`,
    );
  }
  const pools = [...ctx.state.pools.entries()].filter(([, a]) => a.loadBalancerId === lb.id);
  if (pools.length > 0) throw conflict(`load balancer ${lb.name} still has pools; delete them first`);
  await ctx.call(SERVICE, () => ctx.cloud.delete(lb.id));
  ctx.state.attrs.delete(lb.id);
  return { status: 204 };
}

// ---------------------------------------------------------------- listeners

const LISTENER_PROTOCOLS = ['TCP', 'UDP', 'HTTP', 'HTTPS', 'QUIC', 'TLS'] as const;

async function listenerView(ctx: HuaweiContext, record: ListenerRecord): Promise<Record<string, unknown>> {
  const lb = await ctx.store.get(record.loadBalancerId);
  const pool = record.defaultPoolId ? await ctx.store.get(record.defaultPoolId) : undefined;
  return {
    id: listenerUuid(record),
    name: record.name,
    description: record.description,
    protocol: record.protocol,
    protocol_port: record.port,
    admin_state_up: record.adminStateUp,
    default_pool_id: pool ? huaweiIdOf(pool) : null,
    loadbalancers: lb ? [{ id: huaweiIdOf(lb) }] : [],
    project_id: ctx.projectId,
    connection_limit: -1,
    http2_enable: false,
    client_ca_tls_container_ref: null,
    default_tls_container_ref: null,
    sni_container_refs: [],
    insert_headers: {},
    tls_ciphers_policy: null,
    ipgroup: null,
    keepalive_timeout: record.protocol === 'UDP' ? 300 : record.protocol === 'TCP' ? 300 : 60,
    client_timeout: record.protocol.startsWith('HTTP') ? 60 : null,
    member_timeout: record.protocol.startsWith('HTTP') ? 60 : null,
    enable_member_retry: true,
    transparent_client_ip_enable: record.protocol === 'TCP' || record.protocol === 'UDP',
    tags: (record.extra.tags as unknown[] | undefined) ?? [],
    enterprise_project_id: '0',
    created_at: `${ctx.stamp(record.createdAt)}Z`,
    updated_at: `${ctx.stamp(record.updatedAt)}Z`,
  };
}

async function poolOf(ctx: HuaweiContext, uuid: string, field: string): Promise<BackendGroup> {
  const group = await ctx.findByUuid(uuid, 'backend-group');
  if (!group) throw notFound(SERVICE, `${field} ${uuid}: pool could not be found`);
  return group;
}

async function createListener(ctx: HuaweiContext, req: ApiRequest) {
  const body = F.body(SERVICE, req.body, 'listener');
  const protocol = body.oneOf('protocol', LISTENER_PROTOCOLS, true);
  if (protocol !== 'TCP' && protocol !== 'UDP' && protocol !== 'HTTP') {
    throw badRequest(SERVICE, `listener.protocol ${protocol}: natflow's listeners are TCP, UDP or HTTP`);
  }
  const port = body.integer('protocol_port', true, 1, 65535);
  const lbUuid = body.string('loadbalancer_id', true, 36);
  const name = body.string('name', false, 255) ?? '';
  const description = body.description() ?? '';
  const poolUuid = body.string('default_pool_id', false, 36);
  const adminStateUp = body.boolean('admin_state_up') ?? true;
  const tags = body.array('tags', false, 20);
  if (body.has('ipgroup'))
    throw badRequest(
      SERVICE,
      'listener.ipgroup: IP address groups are not modelled locally; the listener allows all IP addresses',
    );
  const lb = await ctx.requireByUuid(lbUuid, 'load-balancer', SERVICE, 'load balancer');
  const pool = poolUuid ? await poolOf(ctx, poolUuid, 'listener.default_pool_id') : undefined;
  const existing = (await listenerRecords(ctx)).find(
    (r) => r.loadBalancerId === lb.id && r.port === port && (r.protocol === 'UDP') === (protocol === 'UDP'),
  );
  if (existing) {
    throw new HuaweiApiError(
      409,
      'ELB.8907',
      `load balancer ${lb.name} already has a listener on ${protocol === 'UDP' ? 'UDP' : 'TCP'} port ${port} (${listenerUuid(existing)})`,
      'VALIDATION_FAILED',
    );
  }
  const now = ctx.iso();
  const record: ListenerRecord = {
    id: ctx.newId('listener'),
    name,
    description,
    loadBalancerId: lb.id,
    protocol,
    port,
    defaultPoolId: pool?.id ?? null,
    adminStateUp,
    createdAt: now,
    updatedAt: now,
    extra: tags ? { tags } : {},
  };
  if (pool) {
    await ctx.lock(`pool:${pool.id}`, () => realiseListener(ctx, record));
    poolAttrs(ctx, pool).listenerId = record.id;
  }
  ctx.state.listeners.set(record.id, record);
  return { status: 201, body: { listener: await listenerView(ctx, record), request_id: req.requestId } };
}

async function showListener(ctx: HuaweiContext, req: ApiRequest) {
  const record = await requireListener(ctx, req.params.listener_id as string);
  return { status: 200, body: { listener: await listenerView(ctx, record), request_id: req.requestId } };
}

async function listListeners(ctx: HuaweiContext, req: ApiRequest) {
  const views = [];
  for (const record of await listenerRecords(ctx)) {
    const view = (await listenerView(ctx, record)) as Record<string, unknown> & { id: string };
    const lbs = view.loadbalancers as Array<{ id: string }>;
    views.push({ ...view, loadbalancer_id: lbs[0]?.id });
  }
  const result = pageOf(views, req, 'listeners');
  for (const listener of (result.body.listeners as Array<Record<string, unknown>>) ?? [])
    delete listener.loadbalancer_id;
  return result;
}

async function updateListener(ctx: HuaweiContext, req: ApiRequest) {
  const record = await requireListener(ctx, req.params.listener_id as string);
  const body = F.body(SERVICE, req.body, 'listener');
  const name = body.string('name', false, 255);
  const description = body.description();
  const hasPool = 'default_pool_id' in body.value;
  const poolUuid = body.string('default_pool_id', false, 36);
  const pool = poolUuid ? await poolOf(ctx, poolUuid, 'listener.default_pool_id') : undefined;
  const next: ListenerRecord = { ...record, updatedAt: ctx.iso() };
  if (name !== undefined) next.name = name;
  if (description !== undefined) next.description = description;
  if (hasPool && (pool?.id ?? null) !== record.defaultPoolId) {
    if (await ctx.store.get(record.id)) await ctx.call(SERVICE, () => ctx.cloud.delete(record.id));
    next.defaultPoolId = pool?.id ?? null;
    try {
      if (pool) await ctx.lock(`pool:${pool.id}`, () => realiseListener(ctx, next));
    } catch (error) {
      await realiseListener(ctx, record).catch(() => undefined);
      throw error;
    }
    if (pool) poolAttrs(ctx, pool).listenerId = record.id;
  }
  ctx.state.listeners.set(record.id, next);
  return { status: 200, body: { listener: await listenerView(ctx, next), request_id: req.requestId } };
}

async function deleteListener(ctx: HuaweiContext, req: ApiRequest) {
  const record = await requireListener(ctx, req.params.listener_id as string);
  if (await ctx.store.get(record.id)) await ctx.call(SERVICE, () => ctx.cloud.delete(record.id));
  ctx.state.listeners.delete(record.id);
  for (const attrs of ctx.state.pools.values()) if (attrs.listenerId === record.id) attrs.listenerId = null;
  return { status: 204 };
}

// ---------------------------------------------------------------- pools

const POOL_PROTOCOLS = ['TCP', 'UDP', 'HTTP', 'HTTPS', 'QUIC', 'GRPC', 'TLS'] as const;
const ALGORITHMS = ['ROUND_ROBIN', 'LEAST_CONNECTIONS', 'SOURCE_IP', 'QUIC_CID'] as const;

function memberIdOf(group: BackendGroup, member: { serverId: string; port: number }): string {
  return derivedId(group.id, `member:${member.serverId}:${member.port}`);
}

async function poolView(ctx: HuaweiContext, group: BackendGroup): Promise<Record<string, unknown>> {
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

async function createPool(ctx: HuaweiContext, req: ApiRequest) {
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

async function showPool(ctx: HuaweiContext, req: ApiRequest) {
  const group = await poolOf(ctx, req.params.pool_id as string, 'pool');
  return { status: 200, body: { pool: await poolView(ctx, group), request_id: req.requestId } };
}

async function listPools(ctx: HuaweiContext, req: ApiRequest) {
  const views = [];
  for (const group of await ctx.list('backend-group'))
    views.push((await poolView(ctx, group)) as Record<string, unknown> & { id: string });
  return pageOf(views, req, 'pools');
}

async function deletePool(ctx: HuaweiContext, req: ApiRequest) {
  const group = await poolOf(ctx, req.params.pool_id as string, 'pool');
  await ctx.lock(`pool:${group.id}`, async () => {
    const current = (await ctx.store.get(group.id)) as BackendGroup | undefined;
    if (!current) throw notFound(SERVICE, `pool ${req.params.pool_id} could not be found`);
    if (current.members.length > 0)
      throw conflict(`pool ${current.name} still has ${current.members.length} members; remove them first`);
    if (poolAttrs(ctx, current).healthmonitor)
      throw conflict(`pool ${current.name} still has a health monitor; delete it first`);
    // Its listeners keep existing on Huawei, without a default pool: here they stop being natflow listeners.
    for (const record of await listenerRecords(ctx)) {
      if (record.defaultPoolId !== current.id) continue;
      if (await ctx.store.get(record.id)) await ctx.call(SERVICE, () => ctx.cloud.delete(record.id));
      ctx.state.listeners.set(record.id, { ...record, defaultPoolId: null, updatedAt: ctx.iso() });
    }
    await ctx.call(SERVICE, () => ctx.cloud.delete(current.id));
    ctx.state.pools.delete(current.id);
  });
  return { status: 204 };
}

/**
 * Rebuilds a backend group with new members or health check under the same id, re-creating its
 * listeners; restores the old one when natflow refuses the new one.
 */
async function rebuildGroup(
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

async function recreateListener(
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
function healthCheckOfMonitor(
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

// ---------------------------------------------------------------- members

async function memberView(ctx: HuaweiContext, group: BackendGroup, member: BackendGroup['members'][number]) {
  const server = (await ctx.store.get(member.serverId)) as Server | undefined;
  const subnet = server ? await ctx.store.get(server.subnetId) : undefined;
  const memberAttrs = (ctx.state.attrs.get(memberIdOf(group, member)) ?? {}) as Record<string, unknown>;
  return {
    id: memberIdOf(group, member),
    name: (memberAttrs.name as string | undefined) ?? '',
    project_id: ctx.projectId,
    pool_id: huaweiIdOf(group),
    admin_state_up: true,
    subnet_cidr_id: subnet && subnet.type === 'subnet' ? ipv4SubnetIdOf(subnet) : null,
    protocol_port: member.port,
    weight: member.weight,
    address: server?.ip ?? '',
    ip_version: 'v4',
    operating_status: 'ONLINE',
    status: [],
    member_type: 'instance',
    instance_id: server ? huaweiIdOf(server) : '',
    created_at: `${ctx.stamp(group.createdAt)}Z`,
    updated_at: `${ctx.stamp(group.createdAt)}Z`,
  };
}

async function createMember(ctx: HuaweiContext, req: ApiRequest) {
  const body = F.body(SERVICE, req.body, 'member');
  const address = body.string('address', true, 64);
  const port = body.integer('protocol_port', true, 1, 65535);
  const weight = body.integer('weight', false, 0, 100) ?? 1;
  const subnetUuid = body.string('subnet_cidr_id', false, 36);
  const name = body.string('name', false, 255);
  body.boolean('admin_state_up');
  const poolUuid = req.params.pool_id as string;
  const group = await poolOf(ctx, poolUuid, 'pool');
  const subnet = subnetUuid ? await subnetByIpv4Id(ctx, subnetUuid) : undefined;
  if (subnetUuid && !subnet)
    throw badRequest(
      SERVICE,
      `member.subnet_cidr_id ${subnetUuid} is no IPv4 subnet (a subnet's neutron_subnet_id)`,
    );
  let candidates = (await ctx.list('server')).filter((s) => s.ip === address);
  if (subnet) candidates = candidates.filter((s) => s.subnetId === subnet.id);
  if (group.vpcId) candidates = candidates.filter((s) => s.vpcId === group.vpcId);
  if (candidates.length !== 1) {
    throw badRequest(
      SERVICE,
      candidates.length === 0
        ? `member.address ${address} is no server's address${subnetUuid ? ' in member.subnet_cidr_id' : ''}: natflow's members are servers`
        : `member.address ${address} is the address of several servers; give member.subnet_cidr_id`,
    );
  }
  const server = candidates[0] as Server;
  const rebuilt = await ctx.lock(`pool:${group.id}`, async () => {
    const current = (await ctx.store.get(group.id)) as BackendGroup | undefined;
    if (!current) throw notFound(SERVICE, `pool ${poolUuid} could not be found`);
    if (current.members.some((m) => m.serverId === server.id && m.port === port)) {
      throw new HuaweiApiError(
        409,
        'ELB.8907',
        `pool ${current.name} already has member ${address}:${port}`,
        'VALIDATION_FAILED',
      );
    }
    return rebuildGroup(ctx, current, {
      members: [...current.members, { serverId: server.id, port, weight }],
      ...(poolAttrs(ctx, current).healthmonitor
        ? { healthCheck: healthCheckOfMonitor(poolAttrs(ctx, current).healthmonitor) as never }
        : {}),
    });
  });
  const member = rebuilt.members.find(
    (m) => m.serverId === server.id && m.port === port,
  ) as BackendGroup['members'][number];
  if (name !== undefined) ctx.state.attrsOf(memberIdOf(rebuilt, member)).name = name;
  return { status: 201, body: { member: await memberView(ctx, rebuilt, member), request_id: req.requestId } };
}

async function findMember(ctx: HuaweiContext, req: ApiRequest) {
  const group = await poolOf(ctx, req.params.pool_id as string, 'pool');
  const member = group.members.find((m) => memberIdOf(group, m) === req.params.member_id);
  if (!member)
    throw notFound(
      SERVICE,
      `member ${req.params.member_id} of pool ${req.params.pool_id} could not be found`,
    );
  return { group, member };
}

async function showMember(ctx: HuaweiContext, req: ApiRequest) {
  const { group, member } = await findMember(ctx, req);
  return { status: 200, body: { member: await memberView(ctx, group, member), request_id: req.requestId } };
}

async function listMembers(ctx: HuaweiContext, req: ApiRequest) {
  const group = await poolOf(ctx, req.params.pool_id as string, 'pool');
  const views = [];
  for (const member of group.members)
    views.push((await memberView(ctx, group, member)) as Record<string, unknown> & { id: string });
  return pageOf(views, req, 'members');
}

async function deleteMember(ctx: HuaweiContext, req: ApiRequest) {
  const { group } = await findMember(ctx, req);
  await ctx.lock(`pool:${group.id}`, async () => {
    const current = (await ctx.store.get(group.id)) as BackendGroup | undefined;
    if (!current) throw notFound(SERVICE, `pool ${req.params.pool_id} could not be found`);
    const members = current.members.filter((m) => memberIdOf(current, m) !== req.params.member_id);
    if (members.length === current.members.length)
      throw notFound(SERVICE, `member ${req.params.member_id} could not be found`);
    await rebuildGroup(ctx, current, {
      members,
      ...(poolAttrs(ctx, current).healthmonitor
        ? { healthCheck: healthCheckOfMonitor(poolAttrs(ctx, current).healthmonitor) as never }
        : {}),
    });
  });
  ctx.state.attrs.delete(req.params.member_id as string);
  return { status: 204 };
}

// ---------------------------------------------------------------- health monitors

const MONITOR_TYPES = ['TCP', 'UDP_CONNECT', 'HTTP', 'HTTPS', 'PING', 'GRPC', 'TLS'] as const;

function monitorView(ctx: HuaweiContext, group: BackendGroup, monitor: Record<string, unknown>) {
  return {
    id: derivedId(group.id, 'hm'),
    name: monitor.name ?? '',
    admin_state_up: monitor.admin_state_up ?? true,
    project_id: ctx.projectId,
    pools: [{ id: huaweiIdOf(group) }],
    type: monitor.type,
    delay: monitor.delay,
    timeout: monitor.timeout,
    max_retries: monitor.max_retries,
    max_retries_down: monitor.max_retries_down ?? 3,
    monitor_port: monitor.monitor_port ?? null,
    url_path: monitor.url_path ?? '/',
    http_method: monitor.http_method ?? 'GET',
    expected_codes: monitor.expected_codes ?? '200',
    domain_name: monitor.domain_name ?? null,
    created_at: monitor.created_at,
    updated_at: monitor.created_at,
  };
}

async function createMonitor(ctx: HuaweiContext, req: ApiRequest) {
  const body = F.body(SERVICE, req.body, 'healthmonitor');
  const poolUuid = body.string('pool_id', true, 36);
  const type = body.oneOf('type', MONITOR_TYPES, true);
  const delay = body.integer('delay', true, 1, 50);
  const timeout = body.integer('timeout', true, 1, 50);
  const maxRetries = body.integer('max_retries', true, 1, 10);
  const monitorPort = body.integer('monitor_port', false, 1, 65535);
  const urlPath = body.string('url_path', false, 80);
  if (urlPath !== undefined && !urlPath.startsWith('/'))
    throw badRequest(SERVICE, 'healthmonitor.url_path must start with /');
  const fields: Record<string, unknown> = {
    type,
    delay,
    timeout,
    max_retries: maxRetries,
    ...(monitorPort === undefined ? {} : { monitor_port: monitorPort }),
    ...(urlPath === undefined ? {} : { url_path: urlPath }),
    http_method: body.oneOf('http_method', ['GET', 'HEAD', 'POST'] as const) ?? 'GET',
    expected_codes: body.string('expected_codes', false, 64) ?? '200',
    domain_name: body.string('domain_name', false, 100) ?? null,
    name: body.string('name', false, 255) ?? '',
    admin_state_up: body.boolean('admin_state_up') ?? true,
    max_retries_down: body.integer('max_retries_down', false, 1, 10) ?? 3,
    created_at: `${ctx.stamp(ctx.iso())}Z`,
  };
  const group = await poolOf(ctx, poolUuid, 'healthmonitor.pool_id');
  const rebuilt = await ctx.lock(`pool:${group.id}`, async () => {
    const current = (await ctx.store.get(group.id)) as BackendGroup | undefined;
    if (!current) throw notFound(SERVICE, `pool ${poolUuid} could not be found`);
    const attrs = poolAttrs(ctx, current);
    if (attrs.healthmonitor)
      throw new HuaweiApiError(
        409,
        'ELB.8907',
        `pool ${current.name} already has a health monitor`,
        'VALIDATION_FAILED',
      );
    const result = await rebuildGroup(ctx, current, {
      members: current.members,
      healthCheck: healthCheckOfMonitor(fields) as never,
    });
    attrs.healthmonitor = fields;
    return result;
  });
  return {
    status: 201,
    body: { healthmonitor: monitorView(ctx, rebuilt, fields), request_id: req.requestId },
  };
}

async function findMonitor(ctx: HuaweiContext, uuid: string) {
  for (const group of await ctx.list('backend-group')) {
    const attrs = ctx.state.pools.get(group.id);
    if (attrs?.healthmonitor && derivedId(group.id, 'hm') === uuid)
      return { group, monitor: attrs.healthmonitor };
  }
  throw notFound(SERVICE, `health monitor ${uuid} could not be found`);
}

async function showMonitor(ctx: HuaweiContext, req: ApiRequest) {
  const { group, monitor } = await findMonitor(ctx, req.params.healthmonitor_id as string);
  return {
    status: 200,
    body: { healthmonitor: monitorView(ctx, group, monitor), request_id: req.requestId },
  };
}

async function listMonitors(ctx: HuaweiContext, req: ApiRequest) {
  const views = [];
  for (const group of await ctx.list('backend-group')) {
    const attrs = ctx.state.pools.get(group.id);
    if (attrs?.healthmonitor)
      views.push(monitorView(ctx, group, attrs.healthmonitor) as Record<string, unknown> & { id: string });
  }
  return pageOf(views, req, 'healthmonitors');
}

async function deleteMonitor(ctx: HuaweiContext, req: ApiRequest) {
  const { group } = await findMonitor(ctx, req.params.healthmonitor_id as string);
  await ctx.lock(`pool:${group.id}`, async () => {
    const current = (await ctx.store.get(group.id)) as BackendGroup | undefined;
    if (!current) throw notFound(SERVICE, "the health monitor's pool could not be found");
    await rebuildGroup(ctx, current, { members: current.members });
    poolAttrs(ctx, current).healthmonitor = null;
  });
  return { status: 204 };
}

export const elbRoutes: Route[] = [
  {
    method: 'POST',
    path: '/v3/{project_id}/elb/loadbalancers',
    service: SERVICE,
    write: true,
    handler: createLoadBalancer,
  },
  { method: 'GET', path: '/v3/{project_id}/elb/loadbalancers', service: SERVICE, handler: listLoadBalancers },
  {
    method: 'GET',
    path: '/v3/{project_id}/elb/loadbalancers/{loadbalancer_id}',
    service: SERVICE,
    handler: showLoadBalancer,
  },
  {
    method: 'DELETE',
    path: '/v3/{project_id}/elb/loadbalancers/{loadbalancer_id}',
    service: SERVICE,
    write: true,
    handler: deleteLoadBalancer,
  },
  {
    method: 'POST',
    path: '/v3/{project_id}/elb/listeners',
    service: SERVICE,
    write: true,
    handler: createListener,
  },
  { method: 'GET', path: '/v3/{project_id}/elb/listeners', service: SERVICE, handler: listListeners },
  {
    method: 'GET',
    path: '/v3/{project_id}/elb/listeners/{listener_id}',
    service: SERVICE,
    handler: showListener,
  },
  {
    method: 'PUT',
    path: '/v3/{project_id}/elb/listeners/{listener_id}',
    service: SERVICE,
    write: true,
    handler: updateListener,
  },
  {
    method: 'DELETE',
    path: '/v3/{project_id}/elb/listeners/{listener_id}',
    service: SERVICE,
    write: true,
    handler: deleteListener,
  },
  { method: 'POST', path: '/v3/{project_id}/elb/pools', service: SERVICE, write: true, handler: createPool },
  { method: 'GET', path: '/v3/{project_id}/elb/pools', service: SERVICE, handler: listPools },
  { method: 'GET', path: '/v3/{project_id}/elb/pools/{pool_id}', service: SERVICE, handler: showPool },
  {
    method: 'DELETE',
    path: '/v3/{project_id}/elb/pools/{pool_id}',
    service: SERVICE,
    write: true,
    handler: deletePool,
  },
  {
    method: 'POST',
    path: '/v3/{project_id}/elb/pools/{pool_id}/members',
    service: SERVICE,
    write: true,
    handler: createMember,
  },
  {
    method: 'GET',
    path: '/v3/{project_id}/elb/pools/{pool_id}/members',
    service: SERVICE,
    handler: listMembers,
  },
  {
    method: 'GET',
    path: '/v3/{project_id}/elb/pools/{pool_id}/members/{member_id}',
    service: SERVICE,
    handler: showMember,
  },
  {
    method: 'DELETE',
    path: '/v3/{project_id}/elb/pools/{pool_id}/members/{member_id}',
    service: SERVICE,
    write: true,
    handler: deleteMember,
  },
  {
    method: 'POST',
    path: '/v3/{project_id}/elb/healthmonitors',
    service: SERVICE,
    write: true,
    handler: createMonitor,
  },
  { method: 'GET', path: '/v3/{project_id}/elb/healthmonitors', service: SERVICE, handler: listMonitors },
  {
    method: 'GET',
    path: '/v3/{project_id}/elb/healthmonitors/{healthmonitor_id}',
    service: SERVICE,
    handler: showMonitor,
  },
  {
    method: 'DELETE',
    path: '/v3/{project_id}/elb/healthmonitors/{healthmonitor_id}',
    service: SERVICE,
    write: true,
    handler: deleteMonitor,
  },
];

export type { Fields };
