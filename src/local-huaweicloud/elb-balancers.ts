/** ELB v3 load balancers and listeners (see elb.ts). */
import type { LoadBalancer, Subnet } from '../cloud/resources.ts';
import { type ApiRequest, type HuaweiContext, huaweiIdOf, type ListenerRecord } from './context.ts';
import {
  conflict,
  listenerRecords,
  listenerUuid,
  pageOf,
  poolAttrs,
  poolOf,
  realiseListener,
  requireListener,
  vipPortIdOf,
} from './elb-common.ts';
import { badRequest, HuaweiApiError } from './errors.ts';
import { Fields as F } from './fields.ts';
import { ipv4SubnetIdOf } from './vpc-networks.ts';

const SERVICE = 'elb';

// ---------------------------------------------------------------- load balancers

export async function lbView(
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
    // The SDK model's enum is ACTIVE | PENDING_DELETE: a create answers once settled (ctx.waitCreate).
    provisioning_status: provisioning ?? (ctx.deleting(lb.id) ? 'PENDING_DELETE' : 'ACTIVE'),
    operating_status: 'ONLINE',
    admin_state_up: true,
    provider: 'vlb',
    project_id: ctx.projectId,
    vpc_id: vpc ? huaweiIdOf(vpc) : '',
    vip_address: lb.ip,
    vip_port_id: vipPortIdOf(lb),
    vip_subnet_cidr_id: frontend && frontend.type === 'subnet' ? ipv4SubnetIdOf(frontend) : '',
    elb_virsubnet_ids: backend ? [huaweiIdOf(backend)] : [],
    // ipv4 | dualstack: natflow's subnets are IPv4 only.
    elb_virsubnet_type: 'ipv4',
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

export async function createLoadBalancer(ctx: HuaweiContext, req: ApiRequest) {
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
  const frontend = vipSubnet ? await ctx.findSubnet(vipSubnet) : undefined;
  if (vipSubnet && !frontend)
    throw badRequest(
      SERVICE,
      `loadbalancer.vip_subnet_cidr_id ${vipSubnet} is no IPv4 subnet (a subnet's neutron_subnet_id)`,
    );
  const backends: Subnet[] = [];
  for (const [i, uuid] of (virsubnets ?? []).entries()) {
    const subnet = await ctx.findSubnet(uuid);
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
  if (vpcUuid) {
    const vpc = await ctx.requireByUuid(vpcUuid, 'vpc', SERVICE, 'VPC');
    ctx.requireReady(SERVICE, vpc, 'loadbalancer.vpc_id: VPC');
    vpcId = vpc.id;
  }
  if (frontend) ctx.requireReady(SERVICE, frontend, 'loadbalancer.vip_subnet_cidr_id: subnet');
  for (const [i, subnet] of backends.entries())
    ctx.requireReady(SERVICE, subnet, `loadbalancer.elb_virsubnet_ids[${i}]: subnet`);
  // ELB v3 documents no in-between state for a creation: the answer comes once it has settled.
  await ctx.waitCreate('loadbalancer', req);
  const lb = await ctx.call(SERVICE, () =>
    ctx.cloud.createLoadBalancer({
      name: name || 'loadbalancer',
      ...(vpcId ? { vpcId } : {}),
      frontendSubnetId: front.id,
      backendSubnetId: (backends[0] ?? front).id,
      ...(vipAddress === undefined ? {} : { ip: vipAddress }),
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
      loadbalancer: await lbView(ctx, lb),
      loadbalancer_id: huaweiIdOf(lb),
      request_id: req.requestId,
    },
  };
}

export async function showLoadBalancer(ctx: HuaweiContext, req: ApiRequest) {
  const lb = await ctx.requireByUuid(
    req.params.loadbalancer_id as string,
    'load-balancer',
    SERVICE,
    'load balancer',
  );
  return { status: 200, body: { loadbalancer: await lbView(ctx, lb), request_id: req.requestId } };
}

export async function listLoadBalancers(ctx: HuaweiContext, req: ApiRequest) {
  const views = [];
  for (const lb of await ctx.list('load-balancer'))
    views.push((await lbView(ctx, lb)) as Record<string, unknown> & { id: string });
  return pageOf(views, req, 'loadbalancers');
}

export async function deleteLoadBalancer(ctx: HuaweiContext, req: ApiRequest) {
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
  // PENDING_DELETE until NATFLOW_HWC_SETTLE_MS's `loadbalancer` time has passed.
  await ctx.removeResource(SERVICE, lb, async () => {
    await ctx.call(SERVICE, () => ctx.cloud.delete(lb.id));
    ctx.state.attrs.delete(lb.id);
  });
  return { status: 204 };
}

// ---------------------------------------------------------------- listeners

export const LISTENER_PROTOCOLS = ['TCP', 'UDP', 'HTTP', 'HTTPS', 'QUIC', 'TLS'] as const;

export async function listenerView(
  ctx: HuaweiContext,
  record: ListenerRecord,
): Promise<Record<string, unknown>> {
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

export async function createListener(ctx: HuaweiContext, req: ApiRequest) {
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
  ctx.requireReady(SERVICE, lb, 'listener.loadbalancer_id: load balancer');
  const pool = poolUuid ? await poolOf(ctx, poolUuid, 'listener.default_pool_id') : undefined;
  if (pool) ctx.requireReady(SERVICE, pool, 'listener.default_pool_id: pool');
  // No in-between state for a listener: the answer comes once it has settled.
  await ctx.waitCreate('listener', req);
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

export async function showListener(ctx: HuaweiContext, req: ApiRequest) {
  const record = await requireListener(ctx, req.params.listener_id as string);
  return { status: 200, body: { listener: await listenerView(ctx, record), request_id: req.requestId } };
}

export async function listListeners(ctx: HuaweiContext, req: ApiRequest) {
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

export async function updateListener(ctx: HuaweiContext, req: ApiRequest) {
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

export async function deleteListener(ctx: HuaweiContext, req: ApiRequest) {
  const record = await requireListener(ctx, req.params.listener_id as string);
  // Listed (and its load balancer not deletable) until NATFLOW_HWC_SETTLE_MS's `listener` time has passed.
  await ctx.remove('listener', record.id, async () => {
    if (await ctx.store.get(record.id)) await ctx.call(SERVICE, () => ctx.cloud.delete(record.id));
    ctx.state.listeners.delete(record.id);
    for (const attrs of ctx.state.pools.values()) if (attrs.listenerId === record.id) attrs.listenerId = null;
  });
  return { status: 204 };
}
