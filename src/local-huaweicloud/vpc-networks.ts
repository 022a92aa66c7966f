/** VPC v1 VPCs and subnets, and what the VPC routes share (see vpc.ts). */

import { VPC_MAX_PREFIX, VPC_MIN_PREFIX } from '../cloud/addressing.ts';
import type { Subnet, Vpc } from '../cloud/resources.ts';
import { type Cidr, cidrContains, formatCidr, PRIVATE_RANGES, parseCidr } from '../net/ipv4.ts';
import { type ApiRequest, derivedId, type HuaweiContext, huaweiIdOf, paginate } from './context.ts';
import { badRequest, DEPENDENCY_CODES, HuaweiApiError, notFound } from './errors.ts';
import { Fields } from './fields.ts';

const SERVICE = 'vpc';

export function badMarker(): Error {
  return badRequest(SERVICE, 'marker must be the id of a resource of this list, and limit an integer 0–2000');
}

// ---------------------------------------------------------------- VPCs

export function vpcView(ctx: HuaweiContext, vpc: Vpc, status?: string): Record<string, unknown> {
  const attrs = ctx.state.attrs.get(vpc.id) ?? {};
  return {
    id: huaweiIdOf(vpc),
    name: attrs.name ?? vpc.name,
    description: attrs.description ?? '',
    cidr: vpc.cidr,
    status: status ?? (ctx.settled('vpc', vpc.createdAt) ? 'OK' : 'CREATING'),
    routes: [],
    enterprise_project_id: (attrs.enterprise_project_id as string | undefined) ?? '0',
    tenant_id: ctx.projectId,
    created_at: ctx.stamp(vpc.createdAt),
    updated_at: ctx.stamp((attrs.updatedAt as string | undefined) ?? vpc.createdAt),
  };
}

export async function createVpc(ctx: HuaweiContext, req: ApiRequest) {
  const body = Fields.body(SERVICE, req.body, 'vpc');
  const name = body.name64('name') ?? '';
  const cidr = body.string('cidr') ?? '192.168.0.0/16';
  const description = body.description();
  const enterpriseProjectId = body.string('enterprise_project_id', false, 36);
  const vpc = await ctx.call(SERVICE, () => ctx.cloud.createVpc({ name: name || 'vpc', cidr }));
  const attrs = ctx.state.attrsOf(vpc.id);
  if (name === '') attrs.name = '';
  if (description !== undefined) attrs.description = description;
  if (enterpriseProjectId !== undefined) attrs.enterprise_project_id = enterpriseProjectId;
  return { status: 200, body: { vpc: vpcView(ctx, vpc, 'CREATING') } };
}

export async function showVpc(ctx: HuaweiContext, req: ApiRequest) {
  const vpc = await ctx.requireByUuid(req.params.vpc_id as string, 'vpc', SERVICE, 'VPC');
  return { status: 200, body: { vpc: vpcView(ctx, vpc) } };
}

export async function listVpcs(ctx: HuaweiContext, req: ApiRequest) {
  const id = req.query.get('id');
  const views = (await ctx.list('vpc')).map((v) => vpcView(ctx, v)).filter((v) => !id || v.id === id);
  const { page } = paginate(views as Array<{ id: string }>, req.query, badMarker);
  return { status: 200, body: { vpcs: page } };
}

export async function updateVpc(ctx: HuaweiContext, req: ApiRequest) {
  const vpc = await ctx.requireByUuid(req.params.vpc_id as string, 'vpc', SERVICE, 'VPC');
  const body = Fields.body(SERVICE, req.body, 'vpc');
  const name = body.name64('name');
  const description = body.description();
  const cidr = body.string('cidr');
  let updated = vpc;
  if (cidr !== undefined && formatCidr(parseCidrOr400(cidr, 'vpc.cidr')) !== vpc.cidr) {
    updated = await changeBlock(ctx, vpc, parseCidrOr400(cidr, 'vpc.cidr'));
  }
  const attrs = ctx.state.attrsOf(vpc.id);
  if (name !== undefined) attrs.name = name;
  if (description !== undefined) attrs.description = description;
  attrs.updatedAt = ctx.iso();
  return { status: 200, body: { vpc: vpcView(ctx, updated) } };
}

/**
 * UpdateVpc's `cidr`, as on the product: a private block, /8 to /28, that still holds every subnet of the
 * VPC (the API reference: "the CIDR block … must contain all subnets"); anything else is a 400 and leaves
 * the VPC as it was.
 */
async function changeBlock(ctx: HuaweiContext, vpc: Vpc, cidr: Cidr): Promise<Vpc> {
  const text = formatCidr(cidr);
  if (
    !PRIVATE_RANGES.some((range) => cidrContains(range, cidr)) ||
    cidr.prefix < VPC_MIN_PREFIX ||
    cidr.prefix > VPC_MAX_PREFIX
  ) {
    throw badRequest(
      SERVICE,
      `vpc.cidr ${text} must be inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16, /${VPC_MIN_PREFIX} to /${VPC_MAX_PREFIX}`,
    );
  }
  const subnets = (await ctx.list('subnet')).filter((s) => s.vpcId === vpc.id);
  const outside = subnets.find((s) => !cidrContains(cidr, parseCidr(s.cidr)));
  if (outside) {
    throw badRequest(
      SERVICE,
      `vpc.cidr ${text} must contain every subnet of the VPC; ${outside.cidr} is outside it`,
    );
  }
  const next: Vpc = { ...vpc, cidr: text };
  await ctx.store.transaction([vpc.id], (tx) => tx.update(next));
  return next;
}

export async function deleteVpc(ctx: HuaweiContext, req: ApiRequest) {
  const vpc = await ctx.requireByUuid(req.params.vpc_id as string, 'vpc', SERVICE, 'VPC');
  await ctx.removeResource(
    SERVICE,
    vpc,
    async () => {
      await ctx.call(SERVICE, () => ctx.cloud.delete(vpc.id), DEPENDENCY_CODES.vpc);
      ctx.state.attrs.delete(vpc.id);
    },
    DEPENDENCY_CODES.vpc,
  );
  return { status: 204 };
}

export function parseCidrOr400(text: string, field: string) {
  try {
    return parseCidr(text, field);
  } catch (error) {
    throw badRequest(SERVICE, `${field}: ${(error as Error).message}`);
  }
}

// ---------------------------------------------------------------- subnets

export function ipv4SubnetIdOf(subnet: Subnet): string {
  return derivedId(subnet.id, 'ipv4');
}

export function subnetView(
  ctx: HuaweiContext,
  subnet: Subnet,
  vpcUuid: string,
  status?: string,
): Record<string, unknown> {
  const attrs = ctx.state.attrs.get(subnet.id) ?? {};
  const id = huaweiIdOf(subnet);
  return {
    id,
    name: attrs.name ?? subnet.name,
    description: attrs.description ?? '',
    cidr: subnet.cidr,
    gateway_ip: subnet.gatewayIp,
    ipv6_enable: false,
    dhcp_enable: (attrs.dhcp_enable as boolean | undefined) ?? true,
    primary_dns: (attrs.primary_dns as string | undefined) ?? '100.125.1.250',
    secondary_dns: (attrs.secondary_dns as string | undefined) ?? '100.125.21.250',
    dnsList: [
      (attrs.primary_dns as string | undefined) ?? '100.125.1.250',
      (attrs.secondary_dns as string | undefined) ?? '100.125.21.250',
    ],
    availability_zone: (attrs.availability_zone as string | undefined) ?? '',
    vpc_id: vpcUuid,
    status: status ?? (ctx.settled('subnet', subnet.createdAt) ? 'ACTIVE' : 'UNKNOWN'),
    neutron_network_id: id,
    neutron_subnet_id: ipv4SubnetIdOf(subnet),
    extra_dhcp_opts: [],
    tenant_id: ctx.projectId,
    scope: 'center',
    created_at: ctx.stamp(subnet.createdAt),
    updated_at: ctx.stamp((attrs.updatedAt as string | undefined) ?? subnet.createdAt),
  };
}

export async function vpcUuidOf(ctx: HuaweiContext, vpcId: string): Promise<string> {
  const vpc = await ctx.store.get(vpcId);
  return vpc ? huaweiIdOf(vpc) : '';
}

export async function createSubnet(ctx: HuaweiContext, req: ApiRequest) {
  const body = Fields.body(SERVICE, req.body, 'subnet');
  const name = body.name64('name', true);
  const cidr = body.string('cidr', true);
  const gatewayIp = body.string('gateway_ip', true);
  const vpcUuid = body.string('vpc_id', true, 36);
  const description = body.description();
  const primaryDns = body.string('primary_dns');
  const secondaryDns = body.string('secondary_dns');
  const az = body.string('availability_zone');
  const dhcp = body.boolean('dhcp_enable');
  const vpc = await ctx.requireByUuid(vpcUuid, 'vpc', SERVICE, 'VPC');
  ctx.requireReady(SERVICE, vpc, 'VPC');
  const subnet = await ctx.call(SERVICE, async () => {
    // The gateway must be the subnet's first host: the address natflow reserves as its gateway.
    const block = parseCidr(cidr, 'subnet.cidr');
    const first = formatCidr(block).split('/')[0] as string;
    const expected = first.replace(/\d+$/, (d) => String(Number(d) + 1));
    if (gatewayIp !== expected) {
      throw new HuaweiApiError(
        400,
        'VPC.1000',
        `subnet.gateway_ip ${gatewayIp} must be the first host of ${formatCidr(block)} (${expected}): natflow reserves it as the gateway`,
        'VALIDATION_FAILED',
      );
    }
    return ctx.cloud.createSubnet({ name, vpcId: vpc.id, cidr });
  });
  const attrs = ctx.state.attrsOf(subnet.id);
  if (description !== undefined) attrs.description = description;
  if (primaryDns !== undefined) attrs.primary_dns = primaryDns;
  if (secondaryDns !== undefined) attrs.secondary_dns = secondaryDns;
  if (az !== undefined) attrs.availability_zone = az;
  if (dhcp !== undefined) attrs.dhcp_enable = dhcp;
  return { status: 200, body: { subnet: subnetView(ctx, subnet, huaweiIdOf(vpc), 'UNKNOWN') } };
}

export async function showSubnet(ctx: HuaweiContext, req: ApiRequest) {
  const subnet = await ctx.requireByUuid(req.params.subnet_id as string, 'subnet', SERVICE, 'subnet');
  return { status: 200, body: { subnet: subnetView(ctx, subnet, await vpcUuidOf(ctx, subnet.vpcId)) } };
}

export async function listSubnets(ctx: HuaweiContext, req: ApiRequest) {
  const vpcFilter = req.query.get('vpc_id');
  const views: Array<Record<string, unknown> & { id: string }> = [];
  for (const subnet of await ctx.list('subnet')) {
    const view = subnetView(ctx, subnet, await vpcUuidOf(ctx, subnet.vpcId)) as Record<string, unknown> & {
      id: string;
    };
    if (vpcFilter && view.vpc_id !== vpcFilter) continue;
    views.push(view);
  }
  const { page } = paginate(views, req.query, badMarker);
  return { status: 200, body: { subnets: page } };
}

export async function subnetOfPath(ctx: HuaweiContext, req: ApiRequest): Promise<Subnet> {
  const vpc = await ctx.requireByUuid(req.params.vpc_id as string, 'vpc', SERVICE, 'VPC');
  const subnet = await ctx.requireByUuid(req.params.subnet_id as string, 'subnet', SERVICE, 'subnet');
  if (subnet.vpcId !== vpc.id)
    throw notFound(SERVICE, `subnet ${req.params.subnet_id} is not in VPC ${req.params.vpc_id}`);
  return subnet;
}

export async function updateSubnet(ctx: HuaweiContext, req: ApiRequest) {
  const subnet = await subnetOfPath(ctx, req);
  const body = Fields.body(SERVICE, req.body, 'subnet');
  const name = body.name64('name', true);
  const description = body.description();
  const attrs = ctx.state.attrsOf(subnet.id);
  attrs.name = name;
  if (description !== undefined) attrs.description = description;
  attrs.updatedAt = ctx.iso();
  return { status: 200, body: { subnet: { id: huaweiIdOf(subnet), status: 'ACTIVE' } } };
}

export async function deleteSubnet(ctx: HuaweiContext, req: ApiRequest) {
  const subnet = await subnetOfPath(ctx, req);
  await ctx.removeResource(
    SERVICE,
    subnet,
    async () => {
      await ctx.call(SERVICE, () => ctx.cloud.delete(subnet.id), DEPENDENCY_CODES.vpc);
      ctx.state.attrs.delete(subnet.id);
    },
    DEPENDENCY_CODES.vpc,
  );
  return { status: 204 };
}
