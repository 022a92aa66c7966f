/**
 * NAT v3, private NAT gateways: gateways, transit IPs, DNAT rules, SNAT rules. API reference "Private
 * NAT Gateways", "Transit IP Addresses", "DNAT Rules", "SNAT Rules" (v3); SDK models
 * `CreatePrivateNatOption`/`PrivateNat`, `CreateTransitIpOption`/`TransitIp`,
 * `CreatePrivateDnatOption`/`PrivateDnat`, `CreatePrivateSnatOption`/`PrivateSnat`, `PageInfo`.
 * Errors: `{"error_code": "NAT.xxxx", "error_msg": "…", "request_id": "…"}` with DESIGN §11's codes.
 *
 * `internal_service_port` and `transit_service_port` are strings (the SDK models' type); a DNAT rule
 * targets a server's NIC or a load balancer by `network_interface_id` (`OS-EXT-IPS:port_id`,
 * `vip_port_id`), or an address by `private_ip_address`, never both (NAT.1311).
 */
import type { DnatRule, PrivateNatGateway, Resource, SnatRule, TransitIp } from '../../cloud/resources.ts';
import { GATEWAY_SPECS, SPEC_LIMITS } from '../../cloud/resources.ts';
import { type ApiRequest, derivedId, type HuaweiContext, huaweiIdOf, paginate } from './context.ts';
import { portIdOf } from './ecs.ts';
import { vipPortIdOf } from './elb.ts';
import { badRequest, DEPENDENCY_CODES, HuaweiApiError, notFound } from './errors.ts';
import { Fields } from './fields.ts';
import type { Route } from './routes.ts';

const SERVICE = 'nat';

function badMarker(): Error {
  return badRequest(
    SERVICE,
    'marker must be the id of a resource of this list, and limit an integer 1–2000',
    'NAT.1000',
  );
}

function natStatus(resource: Resource): string {
  return resource.status;
}

function listOf(
  items: Array<Record<string, unknown> & { id: string }>,
  req: ApiRequest,
  key: string,
  filters: string[],
) {
  let filtered = items;
  for (const name of filters) {
    const wanted = req.query.getAll(name);
    if (wanted.length === 0) continue;
    filtered = filtered.filter((item) => wanted.includes(String(item[name])));
  }
  const { page, pageInfo } = paginate(filtered, req.query, badMarker);
  return { status: 200, body: { [key]: page, page_info: pageInfo, request_id: req.requestId } };
}

async function uuidOf(ctx: HuaweiContext, id: string | null | undefined): Promise<string> {
  if (!id) return '';
  const resource = await ctx.store.get(id);
  return resource ? huaweiIdOf(resource) : '';
}

// ---------------------------------------------------------------- gateways

async function gatewayView(ctx: HuaweiContext, gateway: PrivateNatGateway): Promise<Record<string, unknown>> {
  const attrs = ctx.state.attrs.get(gateway.id) ?? {};
  return {
    id: huaweiIdOf(gateway),
    project_id: ctx.projectId,
    name: attrs.name ?? gateway.name,
    description: attrs.description ?? '',
    spec: gateway.spec,
    status: natStatus(gateway),
    created_at: ctx.stamp(gateway.createdAt),
    updated_at: ctx.stamp((attrs.updatedAt as string | undefined) ?? gateway.createdAt),
    downlink_vpcs: [
      {
        vpc_id: await uuidOf(ctx, gateway.vpcId),
        virsubnet_id: await uuidOf(ctx, gateway.subnetId),
        ngport_ip_address: gateway.downlinkIp,
      },
    ],
    tags: (attrs.tags as unknown[] | undefined) ?? [],
    enterprise_project_id: (attrs.enterprise_project_id as string | undefined) ?? '0',
    rule_max: SPEC_LIMITS[gateway.spec].rules,
    transit_ip_pool_size_max: 1,
  };
}

async function createGateway(ctx: HuaweiContext, req: ApiRequest) {
  const body = Fields.body(SERVICE, req.body, 'gateway');
  const name = body.name64('name', true);
  const description = body.description();
  const spec = body.oneOf('spec', GATEWAY_SPECS) ?? 'Small';
  const downlinks = body.objects('downlink_vpcs', true, 10) as Fields[];
  if (downlinks.length === 0)
    throw badRequest(SERVICE, 'gateway.downlink_vpcs must have one entry', 'NAT.1000');
  if (downlinks.length > 1) {
    throw new HuaweiApiError(
      400,
      'NAT.1201',
      `${downlinks.length} downlink vpcs given; 1 downlink vpc is associated to a private nat gateway, no more is allowed.`,
      'VALIDATION_FAILED',
    );
  }
  const downlink = downlinks[0] as Fields;
  const subnetUuid = downlink.string('virsubnet_id', true, 36);
  const ngport = downlink.string('ngport_ip_address', false, 64);
  const tags = body.array('tags', false, 20);
  const enterpriseProjectId = body.string('enterprise_project_id', false, 36);
  const subnet = await ctx.findByUuid(subnetUuid, 'subnet');
  if (!subnet)
    throw notFound(SERVICE, `gateway.downlink_vpcs[0].virsubnet_id ${subnetUuid}: subnet could not be found`);
  const gateway = await ctx.call(SERVICE, () =>
    ctx.cloud.createGateway({ name, subnetId: subnet.id, spec, ...(ngport ? { downlinkIp: ngport } : {}) }),
  );
  const attrs = ctx.state.attrsOf(gateway.id);
  if (description !== undefined) attrs.description = description;
  if (tags) attrs.tags = tags;
  if (enterpriseProjectId) attrs.enterprise_project_id = enterpriseProjectId;
  ctx.scheduleSettle(gateway.id);
  return { status: 201, body: { gateway: await gatewayView(ctx, gateway), request_id: req.requestId } };
}

async function showGateway(ctx: HuaweiContext, req: ApiRequest) {
  const gateway = await ctx.requireByUuid(
    req.params.gateway_id as string,
    'private-nat-gateway',
    SERVICE,
    'private NAT gateway',
  );
  return { status: 200, body: { gateway: await gatewayView(ctx, gateway), request_id: req.requestId } };
}

async function listGateways(ctx: HuaweiContext, req: ApiRequest) {
  const views = [];
  for (const gateway of await ctx.list('private-nat-gateway')) {
    const view = await gatewayView(ctx, gateway);
    const downlink = (view.downlink_vpcs as Array<Record<string, string>>)[0] ?? {};
    views.push({
      ...view,
      id: String(view.id),
      vpc_id: downlink.vpc_id,
      virsubnet_id: downlink.virsubnet_id,
    });
  }
  const result = listOf(views, req, 'gateways', [
    'id',
    'name',
    'description',
    'spec',
    'status',
    'vpc_id',
    'virsubnet_id',
    'enterprise_project_id',
  ]);
  for (const view of result.body.gateways as Array<Record<string, unknown>>) {
    delete view.vpc_id;
    delete view.virsubnet_id;
  }
  return result;
}

async function updateGateway(ctx: HuaweiContext, req: ApiRequest) {
  const gateway = await ctx.requireByUuid(
    req.params.gateway_id as string,
    'private-nat-gateway',
    SERVICE,
    'private NAT gateway',
  );
  const body = Fields.body(SERVICE, req.body, 'gateway');
  const name = body.name64('name');
  const description = body.description();
  const spec = body.oneOf('spec', GATEWAY_SPECS);
  let current = gateway;
  if (spec !== undefined) {
    if (spec === gateway.spec) {
      throw new HuaweiApiError(
        400,
        'NAT.1206',
        `Update (${gateway.spec}) spec to (${spec}) are the same as the original.`,
        'VALIDATION_FAILED',
      );
    }
    current = await ctx.store.transaction([gateway.id], async (tx) => {
      const fresh = (await tx.get(gateway.id)) as PrivateNatGateway;
      const rules = (await tx.referrers(gateway.id)).filter(
        (r) => r.type === 'dnat-rule' || r.type === 'snat-rule',
      );
      const max = SPEC_LIMITS[spec].rules;
      if (rules.length > max) {
        throw new HuaweiApiError(
          400,
          'NAT.1207',
          `Gateway ${huaweiIdOf(fresh)} already has ${rules.length} rules, the maximum number of rule for spec ${spec} is ${max}. Downgrade is forbidden. (natflow: QUOTA_EXCEEDED)`,
          'QUOTA_EXCEEDED',
        );
      }
      const next = { ...fresh, spec };
      await tx.update(next);
      return next;
    });
  }
  const attrs = ctx.state.attrsOf(gateway.id);
  if (name !== undefined) attrs.name = name;
  if (description !== undefined) attrs.description = description;
  attrs.updatedAt = ctx.iso();
  return { status: 200, body: { gateway: await gatewayView(ctx, current), request_id: req.requestId } };
}

async function deleteGateway(ctx: HuaweiContext, req: ApiRequest) {
  const gateway = await ctx.requireByUuid(
    req.params.gateway_id as string,
    'private-nat-gateway',
    SERVICE,
    'private NAT gateway',
  );
  const rules = (await ctx.store.referrers(gateway.id)).filter(
    (r) => r.type === 'dnat-rule' || r.type === 'snat-rule',
  );
  if (rules.length > 0) {
    throw new HuaweiApiError(
      409,
      DEPENDENCY_CODES.gateway,
      `There are one or more rules still in use on the gateway ${huaweiIdOf(gateway)}, can not be deleted. (natflow: DEPENDENCY_VIOLATION)`,
      'DEPENDENCY_VIOLATION',
    );
  }
  await ctx.call(SERVICE, () => ctx.cloud.delete(gateway.id), DEPENDENCY_CODES.gateway);
  ctx.state.attrs.delete(gateway.id);
  ctx.state.settling.delete(gateway.id);
  return { status: 204 };
}

// ---------------------------------------------------------------- transit IPs

async function transitIpView(ctx: HuaweiContext, tip: TransitIp): Promise<Record<string, unknown>> {
  const attrs = ctx.state.attrs.get(tip.id) ?? {};
  const rule = (await ctx.store.referrers(tip.id)).find(
    (r) => r.type === 'dnat-rule' || r.type === 'snat-rule',
  ) as DnatRule | SnatRule | undefined;
  return {
    id: huaweiIdOf(tip),
    project_id: ctx.projectId,
    network_interface_id: derivedId(tip.id, 'port'),
    ip_address: tip.ip,
    gateway_id: rule ? await uuidOf(ctx, rule.gatewayId) : '',
    virsubnet_id: await uuidOf(ctx, tip.subnetId),
    tags: (attrs.tags as unknown[] | undefined) ?? [],
    created_at: ctx.stamp(tip.createdAt),
    updated_at: ctx.stamp(tip.createdAt),
    enterprise_project_id: (attrs.enterprise_project_id as string | undefined) ?? '0',
    status: 'ACTIVE',
  };
}

async function createTransitIp(ctx: HuaweiContext, req: ApiRequest) {
  const body = Fields.body(SERVICE, req.body, 'transit_ip');
  const subnetUuid = body.string('virsubnet_id', true, 36);
  const ip = body.string('ip_address', false, 64);
  const tags = body.array('tags', false, 20);
  const enterpriseProjectId = body.string('enterprise_project_id', false, 36);
  const subnet = await ctx.findByUuid(subnetUuid, 'subnet');
  if (!subnet) throw notFound(SERVICE, `transit_ip.virsubnet_id ${subnetUuid}: subnet could not be found`);
  const name = `transit-ip-${(ip ?? 'auto').replace(/\./g, '-')}`;
  const tip = await ctx.call(SERVICE, () =>
    ctx.cloud.createTransitIp({ name, subnetId: subnet.id, ...(ip ? { ip } : {}) }),
  );
  const attrs = ctx.state.attrsOf(tip.id);
  if (tags) attrs.tags = tags;
  if (enterpriseProjectId) attrs.enterprise_project_id = enterpriseProjectId;
  return { status: 201, body: { transit_ip: await transitIpView(ctx, tip), request_id: req.requestId } };
}

async function showTransitIp(ctx: HuaweiContext, req: ApiRequest) {
  const tip = await ctx.requireByUuid(
    req.params.transit_ip_id as string,
    'transit-ip',
    SERVICE,
    'transit IP',
  );
  return { status: 200, body: { transit_ip: await transitIpView(ctx, tip), request_id: req.requestId } };
}

async function listTransitIps(ctx: HuaweiContext, req: ApiRequest) {
  const views = [];
  for (const tip of await ctx.list('transit-ip'))
    views.push((await transitIpView(ctx, tip)) as Record<string, unknown> & { id: string });
  return listOf(views, req, 'transit_ips', [
    'id',
    'ip_address',
    'gateway_id',
    'virsubnet_id',
    'network_interface_id',
    'enterprise_project_id',
  ]);
}

async function deleteTransitIp(ctx: HuaweiContext, req: ApiRequest) {
  const tip = await ctx.requireByUuid(
    req.params.transit_ip_id as string,
    'transit-ip',
    SERVICE,
    'transit IP',
  );
  await ctx.call(SERVICE, () => ctx.cloud.delete(tip.id), DEPENDENCY_CODES.transitIp);
  ctx.state.attrs.delete(tip.id);
  return { status: 204 };
}

// ---------------------------------------------------------------- DNAT rules

function portText(fields: Fields, field: string): number {
  const raw = fields.value[field];
  if (raw === undefined || raw === null)
    throw badRequest(SERVICE, `dnat_rule.${field} is required`, 'NAT.1306');
  const text = typeof raw === 'number' ? String(raw) : raw;
  if (typeof text !== 'string' || !/^\d{1,5}$/.test(text) || Number(text) > 65535) {
    throw new HuaweiApiError(
      400,
      'NAT.1306',
      `dnat_rule.${field} must be a port 1–65535 (or "0" for an all-ports rule), not ${JSON.stringify(raw)} (natflow: INVALID_PORT_SPEC)`,
      'INVALID_PORT_SPEC',
    );
  }
  return Number(text);
}

async function dnatView(ctx: HuaweiContext, rule: DnatRule): Promise<Record<string, unknown>> {
  const attrs = ctx.state.attrs.get(rule.id) ?? {};
  let networkInterfaceId = '';
  let type = 'CUSTOMIZE';
  if (rule.target.kind === 'server') {
    const server = await ctx.store.get(rule.target.serverId);
    if (server?.type === 'server') networkInterfaceId = portIdOf(server);
    type = 'COMPUTE';
  } else if (rule.target.kind === 'load-balancer') {
    const lb = await ctx.store.get(rule.target.loadBalancerId);
    if (lb?.type === 'load-balancer') networkInterfaceId = vipPortIdOf(lb);
    type = 'ELBv3';
  }
  return {
    id: huaweiIdOf(rule),
    project_id: ctx.projectId,
    description: attrs.description ?? '',
    gateway_id: await uuidOf(ctx, rule.gatewayId),
    transit_ip_id: await uuidOf(ctx, rule.transitIpId),
    transit_ip_address: rule.transitIp,
    type,
    network_interface_id: networkInterfaceId,
    private_ip_address: rule.target.ip,
    protocol: rule.protocol,
    internal_service_port: String(rule.internalPort),
    transit_service_port: String(rule.transitPort),
    enterprise_project_id: (attrs.enterprise_project_id as string | undefined) ?? '0',
    created_at: ctx.stamp(rule.createdAt),
    updated_at: ctx.stamp(rule.createdAt),
    status: natStatus(rule),
  };
}

/** The natflow target of a `network_interface_id`: a server's NIC or a load balancer's VIP port. */
async function targetOfPort(
  ctx: HuaweiContext,
  portId: string,
): Promise<{ serverId: string } | { loadBalancerId: string } | undefined> {
  for (const lb of await ctx.list('load-balancer'))
    if (vipPortIdOf(lb) === portId) return { loadBalancerId: lb.id };
  for (const server of await ctx.list('server'))
    if (portIdOf(server) === portId) return { serverId: server.id };
  return undefined;
}

async function createDnat(ctx: HuaweiContext, req: ApiRequest) {
  const body = Fields.body(SERVICE, req.body, 'dnat_rule');
  const gatewayUuid = body.string('gateway_id', true, 36);
  const tipUuid = body.string('transit_ip_id', true, 36);
  const portId = body.string('network_interface_id', false, 36);
  const privateIp = body.string('private_ip_address', false, 64);
  const protocol = body.oneOf('protocol', ['tcp', 'udp', 'any'] as const, true);
  const internalPort = portText(body, 'internal_service_port');
  const transitPort = portText(body, 'transit_service_port');
  const description = body.description();
  if (portId && privateIp) {
    throw new HuaweiApiError(
      400,
      'NAT.1311',
      'network_interface_id and private_ip_address cannot both be given: a DNAT rule has exactly one target',
      'VALIDATION_FAILED',
    );
  }
  if (!portId && !privateIp) {
    throw badRequest(
      SERVICE,
      'dnat_rule needs network_interface_id (a server NIC or a load balancer VIP port) or private_ip_address',
      'NAT.1000',
    );
  }
  const gateway = await ctx.requireByUuid(gatewayUuid, 'private-nat-gateway', SERVICE, 'private NAT gateway');
  const tip = await ctx.requireByUuid(tipUuid, 'transit-ip', SERVICE, 'transit IP');
  const target = portId ? await targetOfPort(ctx, portId) : { ip: privateIp as string };
  if (!target) throw notFound(SERVICE, `dnat_rule.network_interface_id ${portId}: port could not be found`);
  const rule = await ctx.call(SERVICE, async () => {
    try {
      return await ctx.cloud.createDnatRule({
        gatewayId: gateway.id,
        transitIpId: tip.id,
        protocol,
        transitPort,
        internalPort,
        target,
      });
    } catch (error) {
      const code = (error as Error).name;
      // The all-ports side (NAT.1410) and the specific side (NAT.1309) of PORT_TYPE_CONFLICT.
      if (code === 'PORT_TYPE_CONFLICT' && protocol === 'any') throw withCode(error as Error, 'NAT.1410');
      throw error;
    }
  });
  if (description !== undefined) ctx.state.attrsOf(rule.id).description = description;
  ctx.scheduleSettle(rule.id);
  return { status: 201, body: { dnat_rule: await dnatView(ctx, rule), request_id: req.requestId } };
}

function withCode(error: Error, code: string): HuaweiApiError {
  return new HuaweiApiError(400, code, `${error.message} (natflow: ${error.name})`, error.name);
}

async function showDnat(ctx: HuaweiContext, req: ApiRequest) {
  const rule = await ctx.requireByUuid(req.params.dnat_rule_id as string, 'dnat-rule', SERVICE, 'DNAT rule');
  return { status: 200, body: { dnat_rule: await dnatView(ctx, rule), request_id: req.requestId } };
}

async function listDnat(ctx: HuaweiContext, req: ApiRequest) {
  const views = [];
  for (const rule of await ctx.list('dnat-rule'))
    views.push((await dnatView(ctx, rule)) as Record<string, unknown> & { id: string });
  return listOf(views, req, 'dnat_rules', [
    'id',
    'gateway_id',
    'transit_ip_id',
    'network_interface_id',
    'private_ip_address',
    'protocol',
    'internal_service_port',
    'transit_service_port',
    'description',
    'enterprise_project_id',
  ]);
}

async function updateDnat(ctx: HuaweiContext, req: ApiRequest) {
  const rule = await ctx.requireByUuid(req.params.dnat_rule_id as string, 'dnat-rule', SERVICE, 'DNAT rule');
  const body = Fields.body(SERVICE, req.body, 'dnat_rule');
  const description = body.description();
  for (const field of [
    'transit_ip_id',
    'network_interface_id',
    'private_ip_address',
    'protocol',
    'internal_service_port',
    'transit_service_port',
  ]) {
    if (body.has(field)) {
      throw badRequest(
        SERVICE,
        `dnat_rule.${field} cannot be updated locally (natflow does not update rules in place): delete the rule and create it again`,
        'NAT.1000',
      );
    }
  }
  if (description !== undefined) ctx.state.attrsOf(rule.id).description = description;
  return { status: 200, body: { dnat_rule: await dnatView(ctx, rule), request_id: req.requestId } };
}

async function deleteRule(
  ctx: HuaweiContext,
  req: ApiRequest,
  param: string,
  type: 'dnat-rule' | 'snat-rule',
  what: string,
) {
  const rule = await ctx.requireByUuid(req.params[param] as string, type, SERVICE, what);
  await ctx.call(SERVICE, () => ctx.cloud.delete(rule.id));
  ctx.state.attrs.delete(rule.id);
  ctx.state.settling.delete(rule.id);
  return { status: 204 };
}

// ---------------------------------------------------------------- SNAT rules

async function snatView(ctx: HuaweiContext, rule: SnatRule): Promise<Record<string, unknown>> {
  const attrs = ctx.state.attrs.get(rule.id) ?? {};
  const tip = await ctx.store.get(rule.transitIpId);
  return {
    id: huaweiIdOf(rule),
    project_id: ctx.projectId,
    gateway_id: await uuidOf(ctx, rule.gatewayId),
    cidr: rule.subnetId ? '' : rule.cidr,
    virsubnet_id: await uuidOf(ctx, rule.subnetId),
    description: attrs.description ?? '',
    transit_ip_associations: tip
      ? [{ transit_ip_id: huaweiIdOf(tip), transit_ip_address: (tip as TransitIp).ip }]
      : [],
    created_at: ctx.stamp(rule.createdAt),
    updated_at: ctx.stamp(rule.createdAt),
    enterprise_project_id: (attrs.enterprise_project_id as string | undefined) ?? '0',
    status: natStatus(rule),
  };
}

async function createSnat(ctx: HuaweiContext, req: ApiRequest) {
  const body = Fields.body(SERVICE, req.body, 'snat_rule');
  const gatewayUuid = body.string('gateway_id', true, 36);
  const cidr = body.string('cidr', false, 64);
  const subnetUuid = body.string('virsubnet_id', false, 36);
  const tipUuids = body.strings('transit_ip_ids', true, 20) as string[];
  const description = body.description();
  if ((cidr === undefined || cidr === '') === (subnetUuid === undefined || subnetUuid === '')) {
    throw badRequest(SERVICE, 'snat_rule needs exactly one of cidr and virsubnet_id', 'NAT.1000');
  }
  if (tipUuids.length !== 1) {
    throw badRequest(
      SERVICE,
      `snat_rule.transit_ip_ids has ${tipUuids.length} entries; natflow's SNAT rules use exactly one transit IP`,
      'NAT.1000',
    );
  }
  const gateway = await ctx.requireByUuid(gatewayUuid, 'private-nat-gateway', SERVICE, 'private NAT gateway');
  const tip = await ctx.requireByUuid(tipUuids[0] as string, 'transit-ip', SERVICE, 'transit IP');
  const subnet = subnetUuid ? await ctx.findByUuid(subnetUuid, 'subnet') : undefined;
  if (subnetUuid && !subnet)
    throw notFound(SERVICE, `snat_rule.virsubnet_id ${subnetUuid}: subnet could not be found`);
  const rule = await ctx.call(SERVICE, async () => {
    try {
      return await ctx.cloud.createSnatRule({
        gatewayId: gateway.id,
        transitIpId: tip.id,
        ...(subnet ? { subnetId: subnet.id } : { cidr: cidr as string }),
      });
    } catch (error) {
      const code = (error as Error).name;
      if (code === 'TRANSIT_IP_SHARED') throw withCode(error as Error, 'NAT.1308');
      if (code === 'SNAT_SOURCE_CONFLICT' && !subnet) throw withCode(error as Error, 'NAT.1505');
      throw error;
    }
  });
  if (description !== undefined) ctx.state.attrsOf(rule.id).description = description;
  ctx.scheduleSettle(rule.id);
  return { status: 201, body: { snat_rule: await snatView(ctx, rule), request_id: req.requestId } };
}

async function showSnat(ctx: HuaweiContext, req: ApiRequest) {
  const rule = await ctx.requireByUuid(req.params.snat_rule_id as string, 'snat-rule', SERVICE, 'SNAT rule');
  return { status: 200, body: { snat_rule: await snatView(ctx, rule), request_id: req.requestId } };
}

async function listSnat(ctx: HuaweiContext, req: ApiRequest) {
  const views = [];
  for (const rule of await ctx.list('snat-rule'))
    views.push((await snatView(ctx, rule)) as Record<string, unknown> & { id: string });
  return listOf(views, req, 'snat_rules', [
    'id',
    'gateway_id',
    'cidr',
    'virsubnet_id',
    'description',
    'enterprise_project_id',
  ]);
}

async function updateSnat(ctx: HuaweiContext, req: ApiRequest) {
  const rule = await ctx.requireByUuid(req.params.snat_rule_id as string, 'snat-rule', SERVICE, 'SNAT rule');
  const body = Fields.body(SERVICE, req.body, 'snat_rule');
  const description = body.description();
  if (body.has('transit_ip_ids')) {
    throw badRequest(
      SERVICE,
      'snat_rule.transit_ip_ids cannot be updated locally: delete the rule and create it again',
      'NAT.1000',
    );
  }
  if (description !== undefined) ctx.state.attrsOf(rule.id).description = description;
  return { status: 200, body: { snat_rule: await snatView(ctx, rule), request_id: req.requestId } };
}

const base = '/v3/{project_id}/private-nat';

export const natRoutes: Route[] = [
  { method: 'POST', path: `${base}/gateways`, service: SERVICE, write: true, handler: createGateway },
  { method: 'GET', path: `${base}/gateways`, service: SERVICE, handler: listGateways },
  { method: 'GET', path: `${base}/gateways/{gateway_id}`, service: SERVICE, handler: showGateway },
  {
    method: 'PUT',
    path: `${base}/gateways/{gateway_id}`,
    service: SERVICE,
    write: true,
    handler: updateGateway,
  },
  {
    method: 'DELETE',
    path: `${base}/gateways/{gateway_id}`,
    service: SERVICE,
    write: true,
    handler: deleteGateway,
  },
  { method: 'POST', path: `${base}/transit-ips`, service: SERVICE, write: true, handler: createTransitIp },
  { method: 'GET', path: `${base}/transit-ips`, service: SERVICE, handler: listTransitIps },
  { method: 'GET', path: `${base}/transit-ips/{transit_ip_id}`, service: SERVICE, handler: showTransitIp },
  {
    method: 'DELETE',
    path: `${base}/transit-ips/{transit_ip_id}`,
    service: SERVICE,
    write: true,
    handler: deleteTransitIp,
  },
  { method: 'POST', path: `${base}/dnat-rules`, service: SERVICE, write: true, handler: createDnat },
  { method: 'GET', path: `${base}/dnat-rules`, service: SERVICE, handler: listDnat },
  { method: 'GET', path: `${base}/dnat-rules/{dnat_rule_id}`, service: SERVICE, handler: showDnat },
  { method: 'PUT', path: `${base}/dnat-rules/{dnat_rule_id}`, service: SERVICE, handler: updateDnat },
  {
    method: 'DELETE',
    path: `${base}/dnat-rules/{dnat_rule_id}`,
    service: SERVICE,
    write: true,
    handler: (ctx, req) => deleteRule(ctx, req, 'dnat_rule_id', 'dnat-rule', 'DNAT rule'),
  },
  { method: 'POST', path: `${base}/snat-rules`, service: SERVICE, write: true, handler: createSnat },
  { method: 'GET', path: `${base}/snat-rules`, service: SERVICE, handler: listSnat },
  { method: 'GET', path: `${base}/snat-rules/{snat_rule_id}`, service: SERVICE, handler: showSnat },
  { method: 'PUT', path: `${base}/snat-rules/{snat_rule_id}`, service: SERVICE, handler: updateSnat },
  {
    method: 'DELETE',
    path: `${base}/snat-rules/{snat_rule_id}`,
    service: SERVICE,
    write: true,
    handler: (ctx, req) => deleteRule(ctx, req, 'snat_rule_id', 'snat-rule', 'SNAT rule'),
  },
];
