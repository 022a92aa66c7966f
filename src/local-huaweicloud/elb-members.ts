/** ELB v3 members and health monitors (see elb.ts). */
import type { BackendGroup, Server } from '../cloud/resources.ts';
import { type ApiRequest, derivedId, type HuaweiContext, huaweiIdOf } from './context.ts';
import { listenerRecords, pageOf, poolAttrs, poolOf } from './elb-common.ts';
import { operatingStatusOf, topologyLoader } from './elb-health.ts';
import { healthCheckOfMonitor, memberIdOf, rebuildGroup } from './elb-pools.ts';
import { badRequest, HuaweiApiError, notFound } from './errors.ts';
import { Fields as F } from './fields.ts';
import { ipv4SubnetIdOf } from './vpc-networks.ts';

const SERVICE = 'elb';

// ---------------------------------------------------------------- members

export async function memberView(
  ctx: HuaweiContext,
  group: BackendGroup,
  member: BackendGroup['members'][number],
  topology = topologyLoader(ctx),
) {
  const server = (await ctx.store.get(member.serverId)) as Server | undefined;
  const subnet = server ? await ctx.store.get(server.subnetId) : undefined;
  const id = memberIdOf(group, member);
  const memberAttrs = (ctx.state.attrs.get(id) ?? {}) as Record<string, unknown>;
  return {
    id,
    name: (memberAttrs.name as string | undefined) ?? '',
    project_id: ctx.projectId,
    pool_id: huaweiIdOf(group),
    admin_state_up: true,
    subnet_cidr_id: subnet && subnet.type === 'subnet' ? ipv4SubnetIdOf(subnet) : null,
    protocol_port: member.port,
    weight: member.weight,
    address: server?.ip ?? '',
    ip_version: 'v4',
    // NO_MONITOR | INITIAL | ONLINE | OFFLINE | UNKNOWN (elb-health.ts), never ONLINE unchecked.
    operating_status: await operatingStatusOf(ctx, group, member, id, topology),
    status: [],
    member_type: 'instance',
    instance_id: server ? huaweiIdOf(server) : '',
    created_at: `${ctx.stamp(group.createdAt)}Z`,
    updated_at: `${ctx.stamp(group.createdAt)}Z`,
  };
}

export async function createMember(ctx: HuaweiContext, req: ApiRequest) {
  const body = F.body(SERVICE, req.body, 'member');
  const address = body.string('address', true, 64);
  const port = body.integer('protocol_port', true, 1, 65535);
  const weight = body.integer('weight', false, 0, 100) ?? 1;
  const subnetUuid = body.string('subnet_cidr_id', false, 36);
  const name = body.string('name', false, 255);
  body.boolean('admin_state_up');
  const poolUuid = req.params.pool_id as string;
  const group = await poolOf(ctx, poolUuid, 'pool');
  ctx.requireReady(SERVICE, group, 'pool');
  const subnet = subnetUuid ? await ctx.findSubnet(subnetUuid) : undefined;
  if (subnetUuid && !subnet)
    throw badRequest(
      SERVICE,
      `member.subnet_cidr_id ${subnetUuid} is no IPv4 subnet (a subnet's neutron_subnet_id)`,
    );
  let candidates = (await ctx.list('server')).filter((s) => s.ip === address);
  if (subnet) candidates = candidates.filter((s) => s.subnetId === subnet.id);
  if (group.vpcId) candidates = candidates.filter((s) => s.vpcId === group.vpcId);
  const poolVpc = poolAttrs(ctx, group).vpcId;
  if (poolVpc) {
    const vpc = await ctx.findByUuid(poolVpc, 'vpc');
    candidates = candidates.filter((s) => s.vpcId === vpc?.id);
  }
  if (candidates.length !== 1) {
    throw badRequest(
      SERVICE,
      candidates.length === 0
        ? `member.address ${address} is no server's address${subnetUuid ? ' in member.subnet_cidr_id' : ''}: natflow's members are servers`
        : `member.address ${address} is the address of several servers; give member.subnet_cidr_id`,
    );
  }
  const server = candidates[0] as Server;
  ctx.requireNotDeleting(SERVICE, server, 'member.address: server');
  // The pool serves its load balancers' VPC: a member elsewhere would break its listeners.
  const lbIds = new Set(
    (await listenerRecords(ctx)).filter((r) => r.defaultPoolId === group.id).map((r) => r.loadBalancerId),
  );
  const associated = poolAttrs(ctx, group).loadBalancerId;
  if (associated) lbIds.add(associated);
  for (const id of lbIds) {
    const lb = await ctx.store.get(id);
    if (lb?.type === 'load-balancer' && lb.vpcId !== server.vpcId) {
      throw badRequest(
        SERVICE,
        `member.address ${address} is in another VPC than the pool's load balancer ${lb.name}`,
      );
    }
  }
  // A monitored pool shows its new member INITIAL while it settles; an unmonitored one (NO_MONITOR) has
  // no in-between state, so the answer comes once it has settled.
  const monitored = poolAttrs(ctx, group).healthmonitor !== null;
  if (!monitored) await ctx.waitCreate('member', req);
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
  const attrs = ctx.state.attrsOf(memberIdOf(rebuilt, member));
  if (name !== undefined) attrs.name = name;
  if (monitored) attrs.createdAt = ctx.iso();
  return { status: 201, body: { member: await memberView(ctx, rebuilt, member), request_id: req.requestId } };
}

export async function findMember(ctx: HuaweiContext, req: ApiRequest) {
  const group = await poolOf(ctx, req.params.pool_id as string, 'pool');
  const member = group.members.find((m) => memberIdOf(group, m) === req.params.member_id);
  if (!member)
    throw notFound(
      SERVICE,
      `member ${req.params.member_id} of pool ${req.params.pool_id} could not be found`,
    );
  return { group, member };
}

export async function showMember(ctx: HuaweiContext, req: ApiRequest) {
  const { group, member } = await findMember(ctx, req);
  return { status: 200, body: { member: await memberView(ctx, group, member), request_id: req.requestId } };
}

export async function listMembers(ctx: HuaweiContext, req: ApiRequest) {
  const group = await poolOf(ctx, req.params.pool_id as string, 'pool');
  const topology = topologyLoader(ctx);
  const views = [];
  for (const member of group.members)
    views.push((await memberView(ctx, group, member, topology)) as Record<string, unknown> & { id: string });
  return pageOf(views, req, 'members');
}

export async function deleteMember(ctx: HuaweiContext, req: ApiRequest) {
  const { group } = await findMember(ctx, req);
  const memberId = req.params.member_id as string;
  // Listed (and its pool not deletable) until NATFLOW_HWC_SETTLE_MS's `member` time has passed.
  await ctx.remove('member', memberId, async () => {
    await ctx.lock(`pool:${group.id}`, async () => {
      const current = (await ctx.store.get(group.id)) as BackendGroup | undefined;
      if (!current) throw notFound(SERVICE, `pool ${req.params.pool_id} could not be found`);
      const members = current.members.filter((m) => memberIdOf(current, m) !== memberId);
      if (members.length === current.members.length)
        throw notFound(SERVICE, `member ${memberId} could not be found`);
      await rebuildGroup(ctx, current, {
        members,
        ...(poolAttrs(ctx, current).healthmonitor
          ? { healthCheck: healthCheckOfMonitor(poolAttrs(ctx, current).healthmonitor) as never }
          : {}),
      });
    });
    ctx.state.attrs.delete(memberId);
  });
  return { status: 204 };
}

// ---------------------------------------------------------------- health monitors

export const MONITOR_TYPES = ['TCP', 'UDP_CONNECT', 'HTTP', 'HTTPS', 'PING', 'GRPC', 'TLS'] as const;

export function monitorView(ctx: HuaweiContext, group: BackendGroup, monitor: Record<string, unknown>) {
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

export async function createMonitor(ctx: HuaweiContext, req: ApiRequest) {
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
  ctx.requireReady(SERVICE, group, 'healthmonitor.pool_id: pool');
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

export async function findMonitor(ctx: HuaweiContext, uuid: string) {
  for (const group of await ctx.list('backend-group')) {
    const attrs = ctx.state.pools.get(group.id);
    if (attrs?.healthmonitor && derivedId(group.id, 'hm') === uuid)
      return { group, monitor: attrs.healthmonitor };
  }
  throw notFound(SERVICE, `health monitor ${uuid} could not be found`);
}

export async function showMonitor(ctx: HuaweiContext, req: ApiRequest) {
  const { group, monitor } = await findMonitor(ctx, req.params.healthmonitor_id as string);
  return {
    status: 200,
    body: { healthmonitor: monitorView(ctx, group, monitor), request_id: req.requestId },
  };
}

export async function listMonitors(ctx: HuaweiContext, req: ApiRequest) {
  const views = [];
  for (const group of await ctx.list('backend-group')) {
    const attrs = ctx.state.pools.get(group.id);
    if (attrs?.healthmonitor)
      views.push(monitorView(ctx, group, attrs.healthmonitor) as Record<string, unknown> & { id: string });
  }
  return pageOf(views, req, 'healthmonitors');
}

export async function deleteMonitor(ctx: HuaweiContext, req: ApiRequest) {
  const { group } = await findMonitor(ctx, req.params.healthmonitor_id as string);
  await ctx.lock(`pool:${group.id}`, async () => {
    const current = (await ctx.store.get(group.id)) as BackendGroup | undefined;
    if (!current) throw notFound(SERVICE, "the health monitor's pool could not be found");
    await rebuildGroup(ctx, current, { members: current.members });
    poolAttrs(ctx, current).healthmonitor = null;
  });
  return { status: 204 };
}
