/** NAT v3 private gateways and transit IPs, and what the NAT routes share (see nat.ts). */
import type { DnatRule, PrivateNatGateway, Resource, SnatRule, TransitIp } from '../cloud/resources.ts';
import { GATEWAY_SPECS, SPEC_LIMITS } from '../cloud/resources.ts';
import { huaweiAnswerOf } from '../codes/huawei.ts';
import {
  type ApiRequest,
  derivedId,
  type HuaweiContext,
  huaweiIdOf,
  paginate,
  SETTLE_KIND_OF,
} from './context.ts';
import { badRequest, DEPENDENCY_CODES, HuaweiApiError, notFound } from './errors.ts';
import { Fields } from './fields.ts';

const SERVICE = 'nat';

export function badMarker(): Error {
  return badRequest(
    SERVICE,
    'marker must be the id of a resource of this list, and limit an integer 1–2000',
    'NAT.1000',
  );
}

/**
 * natflow's lifecycle in the API's enum (ACTIVE | FROZEN | INACTIVE, the SDK models `PrivateNat`,
 * `TransitIp`, `PrivateDnat`, `PrivateSnat`): a PENDING one takes no traffic yet, and private NAT has no
 * creating state, so one still settling (NATFLOW_HWC_SETTLE_MS) is INACTIVE too.
 */
export function natStatus(ctx: HuaweiContext, resource: Resource): string {
  if (resource.status === 'FROZEN') return 'FROZEN';
  if (resource.status === 'PENDING') return 'INACTIVE';
  const kind = SETTLE_KIND_OF[resource.type];
  if (kind && !ctx.settled(kind, resource.createdAt)) return 'INACTIVE';
  return resource.status;
}

export function listOf(
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

export async function uuidOf(ctx: HuaweiContext, id: string | null | undefined): Promise<string> {
  if (!id) return '';
  const resource = await ctx.store.get(id);
  return resource ? huaweiIdOf(resource) : '';
}

// ---------------------------------------------------------------- gateways

export async function gatewayView(
  ctx: HuaweiContext,
  gateway: PrivateNatGateway,
): Promise<Record<string, unknown>> {
  const attrs = ctx.state.attrs.get(gateway.id) ?? {};
  return {
    id: huaweiIdOf(gateway),
    project_id: ctx.projectId,
    name: attrs.name ?? gateway.name,
    description: attrs.description ?? '',
    spec: gateway.spec,
    status: natStatus(ctx, gateway),
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
    // Rules (SNAT + DNAT) the spec allows (docs/plan-format.md#private-nat-gateways): Small 20,
    // Medium 50, Large 200, Extra-large 500.
    rule_max: SPEC_LIMITS[gateway.spec].rules,
    transit_ip_pool_size_max: 1,
  };
}

export async function createGateway(ctx: HuaweiContext, req: ApiRequest) {
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
  const subnet = await ctx.findSubnet(subnetUuid);
  if (!subnet)
    throw notFound(SERVICE, `gateway.downlink_vpcs[0].virsubnet_id ${subnetUuid}: subnet could not be found`);
  ctx.requireReady(SERVICE, subnet, 'gateway.downlink_vpcs[0].virsubnet_id: subnet');
  const gateway = await ctx.call(SERVICE, () =>
    ctx.cloud.createGateway({
      name,
      subnetId: subnet.id,
      spec,
      ...(ngport === undefined ? {} : { downlinkIp: ngport }),
    }),
  );
  const attrs = ctx.state.attrsOf(gateway.id);
  if (description !== undefined) attrs.description = description;
  if (tags) attrs.tags = tags;
  if (enterpriseProjectId) attrs.enterprise_project_id = enterpriseProjectId;
  // natflow's gateway is ACTIVE at once; the API shows it INACTIVE until it has settled (natStatus).
  const active = (await ctx.cloud.activate(gateway.id)) as PrivateNatGateway;
  return { status: 201, body: { gateway: await gatewayView(ctx, active), request_id: req.requestId } };
}

export async function showGateway(ctx: HuaweiContext, req: ApiRequest) {
  const gateway = await ctx.requireByUuid(
    req.params.gateway_id as string,
    'private-nat-gateway',
    SERVICE,
    'private NAT gateway',
  );
  return { status: 200, body: { gateway: await gatewayView(ctx, gateway), request_id: req.requestId } };
}

export async function listGateways(ctx: HuaweiContext, req: ApiRequest) {
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

export async function updateGateway(ctx: HuaweiContext, req: ApiRequest) {
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
        const quota = huaweiAnswerOf('QUOTA_EXCEEDED', SERVICE);
        throw new HuaweiApiError(
          quota.status,
          quota.code,
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

export async function deleteGateway(ctx: HuaweiContext, req: ApiRequest) {
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
      400,
      DEPENDENCY_CODES.gateway,
      `There are one or more rules still in use on the gateway ${huaweiIdOf(gateway)}, can not be deleted. (natflow: DEPENDENCY_VIOLATION)`,
      'DEPENDENCY_VIOLATION',
    );
  }
  // Listed with its last status until NATFLOW_HWC_SETTLE_MS's `gateway` time has passed.
  await ctx.removeResource(
    SERVICE,
    gateway,
    async () => {
      await ctx.call(SERVICE, () => ctx.cloud.delete(gateway.id), DEPENDENCY_CODES.gateway);
      ctx.state.attrs.delete(gateway.id);
    },
    DEPENDENCY_CODES.gateway,
  );
  return { status: 204 };
}

// ---------------------------------------------------------------- transit IPs

export async function transitIpView(ctx: HuaweiContext, tip: TransitIp): Promise<Record<string, unknown>> {
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
    status: natStatus(ctx, tip),
  };
}

export async function createTransitIp(ctx: HuaweiContext, req: ApiRequest) {
  const body = Fields.body(SERVICE, req.body, 'transit_ip');
  const subnetUuid = body.string('virsubnet_id', true, 36);
  const ip = body.string('ip_address', false, 64);
  const tags = body.array('tags', false, 20);
  const enterpriseProjectId = body.string('enterprise_project_id', false, 36);
  const subnet = await ctx.findSubnet(subnetUuid);
  if (!subnet) throw notFound(SERVICE, `transit_ip.virsubnet_id ${subnetUuid}: subnet could not be found`);
  ctx.requireReady(SERVICE, subnet, 'transit_ip.virsubnet_id: subnet');
  const name = `transit-ip-${(ip ?? 'auto').replace(/\./g, '-')}`;
  const tip = await ctx.call(SERVICE, () =>
    ctx.cloud.createTransitIp({ name, subnetId: subnet.id, ...(ip === undefined ? {} : { ip }) }),
  );
  const attrs = ctx.state.attrsOf(tip.id);
  if (tags) attrs.tags = tags;
  if (enterpriseProjectId) attrs.enterprise_project_id = enterpriseProjectId;
  return { status: 201, body: { transit_ip: await transitIpView(ctx, tip), request_id: req.requestId } };
}

export async function showTransitIp(ctx: HuaweiContext, req: ApiRequest) {
  const tip = await ctx.requireByUuid(
    req.params.transit_ip_id as string,
    'transit-ip',
    SERVICE,
    'transit IP',
  );
  return { status: 200, body: { transit_ip: await transitIpView(ctx, tip), request_id: req.requestId } };
}

export async function listTransitIps(ctx: HuaweiContext, req: ApiRequest) {
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

export async function deleteTransitIp(ctx: HuaweiContext, req: ApiRequest) {
  const tip = await ctx.requireByUuid(
    req.params.transit_ip_id as string,
    'transit-ip',
    SERVICE,
    'transit IP',
  );
  await ctx.removeResource(
    SERVICE,
    tip,
    async () => {
      await ctx.call(SERVICE, () => ctx.cloud.delete(tip.id), DEPENDENCY_CODES.transitIp);
      ctx.state.attrs.delete(tip.id);
    },
    DEPENDENCY_CODES.transitIp,
  );
  return { status: 204 };
}
