/**
 * VPC v1: VPCs, subnets, security groups and their rules (Huawei Cloud VPC API reference, "VPC",
 * "Subnet", "Security Group", "Security Group Rule"; SDK models `CreateVpcOption`, `Vpc`,
 * `CreateSubnetOption`, `Subnet`, `CreateSecurityGroupOption`, `SecurityGroup`, `SecurityGroupRule`).
 * Errors: `{"code": "VPC.xxxx", "message": "…"}`.
 */
import type { SecurityGroup, Subnet, Vpc } from '../../cloud/resources.ts';
import { formatCidr, parseCidr } from '../../net/ipv4.ts';
import {
  type ApiRequest,
  derivedId,
  type HuaweiContext,
  huaweiIdOf,
  paginate,
  type SecurityGroupRuleRecord,
} from './context.ts';
import { badRequest, DEPENDENCY_CODES, HuaweiApiError, notFound } from './errors.ts';
import { Fields } from './fields.ts';
import type { Route } from './routes.ts';

const SERVICE = 'vpc';

function badMarker(): Error {
  return badRequest(SERVICE, 'marker must be the id of a resource of this list, and limit an integer 0–2000');
}

// ---------------------------------------------------------------- VPCs

function vpcView(ctx: HuaweiContext, vpc: Vpc, status?: string): Record<string, unknown> {
  const attrs = ctx.state.attrs.get(vpc.id) ?? {};
  return {
    id: huaweiIdOf(vpc),
    name: attrs.name ?? vpc.name,
    description: attrs.description ?? '',
    cidr: vpc.cidr,
    status: status ?? (ctx.settled(vpc.createdAt) ? 'OK' : 'CREATING'),
    routes: [],
    enterprise_project_id: (attrs.enterprise_project_id as string | undefined) ?? '0',
    tenant_id: ctx.projectId,
    created_at: ctx.stamp(vpc.createdAt),
    updated_at: ctx.stamp((attrs.updatedAt as string | undefined) ?? vpc.createdAt),
  };
}

async function createVpc(ctx: HuaweiContext, req: ApiRequest) {
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

async function showVpc(ctx: HuaweiContext, req: ApiRequest) {
  const vpc = await ctx.requireByUuid(req.params.vpc_id as string, 'vpc', SERVICE, 'VPC');
  return { status: 200, body: { vpc: vpcView(ctx, vpc) } };
}

async function listVpcs(ctx: HuaweiContext, req: ApiRequest) {
  const id = req.query.get('id');
  const views = (await ctx.list('vpc')).map((v) => vpcView(ctx, v)).filter((v) => !id || v.id === id);
  const { page } = paginate(views as Array<{ id: string }>, req.query, badMarker);
  return { status: 200, body: { vpcs: page } };
}

async function updateVpc(ctx: HuaweiContext, req: ApiRequest) {
  const vpc = await ctx.requireByUuid(req.params.vpc_id as string, 'vpc', SERVICE, 'VPC');
  const body = Fields.body(SERVICE, req.body, 'vpc');
  const name = body.name64('name');
  const description = body.description();
  const cidr = body.string('cidr');
  if (cidr !== undefined && formatCidr(parseCidrOr400(cidr, 'vpc.cidr')) !== vpc.cidr) {
    throw badRequest(
      SERVICE,
      `vpc.cidr cannot be changed locally (natflow does not update a VPC's block in place); it is ${vpc.cidr}`,
    );
  }
  const attrs = ctx.state.attrsOf(vpc.id);
  if (name !== undefined) attrs.name = name;
  if (description !== undefined) attrs.description = description;
  attrs.updatedAt = ctx.iso();
  return { status: 200, body: { vpc: vpcView(ctx, vpc) } };
}

async function deleteVpc(ctx: HuaweiContext, req: ApiRequest) {
  const vpc = await ctx.requireByUuid(req.params.vpc_id as string, 'vpc', SERVICE, 'VPC');
  await ctx.call(SERVICE, () => ctx.cloud.delete(vpc.id), DEPENDENCY_CODES.vpc);
  ctx.state.attrs.delete(vpc.id);
  return { status: 204 };
}

function parseCidrOr400(text: string, field: string) {
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

function subnetView(
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
    status: status ?? (ctx.settled(subnet.createdAt) ? 'ACTIVE' : 'UNKNOWN'),
    neutron_network_id: id,
    neutron_subnet_id: ipv4SubnetIdOf(subnet),
    extra_dhcp_opts: [],
    tenant_id: ctx.projectId,
    scope: 'center',
    created_at: ctx.stamp(subnet.createdAt),
    updated_at: ctx.stamp((attrs.updatedAt as string | undefined) ?? subnet.createdAt),
  };
}

async function vpcUuidOf(ctx: HuaweiContext, vpcId: string): Promise<string> {
  const vpc = await ctx.store.get(vpcId);
  return vpc ? huaweiIdOf(vpc) : '';
}

async function createSubnet(ctx: HuaweiContext, req: ApiRequest) {
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

async function showSubnet(ctx: HuaweiContext, req: ApiRequest) {
  const subnet = await ctx.requireByUuid(req.params.subnet_id as string, 'subnet', SERVICE, 'subnet');
  return { status: 200, body: { subnet: subnetView(ctx, subnet, await vpcUuidOf(ctx, subnet.vpcId)) } };
}

async function listSubnets(ctx: HuaweiContext, req: ApiRequest) {
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

async function subnetOfPath(ctx: HuaweiContext, req: ApiRequest): Promise<Subnet> {
  const vpc = await ctx.requireByUuid(req.params.vpc_id as string, 'vpc', SERVICE, 'VPC');
  const subnet = await ctx.requireByUuid(req.params.subnet_id as string, 'subnet', SERVICE, 'subnet');
  if (subnet.vpcId !== vpc.id)
    throw notFound(SERVICE, `subnet ${req.params.subnet_id} is not in VPC ${req.params.vpc_id}`);
  return subnet;
}

async function updateSubnet(ctx: HuaweiContext, req: ApiRequest) {
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

async function deleteSubnet(ctx: HuaweiContext, req: ApiRequest) {
  const subnet = await subnetOfPath(ctx, req);
  await ctx.call(SERVICE, () => ctx.cloud.delete(subnet.id), DEPENDENCY_CODES.vpc);
  ctx.state.attrs.delete(subnet.id);
  return { status: 204 };
}

// ---------------------------------------------------------------- security groups

/** The rules of a security group as Huawei lists them (natflow's inbound, plus default egress). */
export function rulesOf(
  ctx: HuaweiContext,
  group: { id: string; inbound?: SecurityGroup['inbound'] },
): SecurityGroupRuleRecord[] {
  const materialised = ctx.state.sgRules.get(group.id);
  if (materialised) return materialised;
  const ingress = (group.inbound ?? []).map<SecurityGroupRuleRecord>((rule, i) => ({
    id: derivedId(group.id, `rule:${i}`),
    securityGroupId: group.id,
    direction: 'ingress',
    ethertype: 'IPv4',
    protocol: rule.protocol === 'any' ? null : rule.protocol,
    portRangeMin:
      rule.protocol === 'any' && rule.fromPort === 1 && rule.toPort === 65535 ? null : rule.fromPort,
    portRangeMax:
      rule.protocol === 'any' && rule.fromPort === 1 && rule.toPort === 65535 ? null : rule.toPort,
    remoteIpPrefix: rule.source,
    remoteGroupId: null,
    description: '',
  }));
  return [
    ...ingress,
    {
      id: derivedId(group.id, 'egress:IPv4'),
      securityGroupId: group.id,
      direction: 'egress',
      ethertype: 'IPv4',
      protocol: null,
      portRangeMin: null,
      portRangeMax: null,
      remoteIpPrefix: '0.0.0.0/0',
      remoteGroupId: null,
      description: '',
    },
  ];
}

/** natflow's inbound rules for a group's Huawei rules: IPv4 ingress by CIDR, TCP/UDP/any. */
export function inboundOf(rules: readonly SecurityGroupRuleRecord[]): SecurityGroup['inbound'] {
  const inbound: SecurityGroup['inbound'] = [];
  for (const rule of rules) {
    if (rule.direction !== 'ingress' || rule.ethertype !== 'IPv4') continue;
    if (rule.remoteGroupId && !rule.remoteIpPrefix) continue;
    if (rule.protocol !== null && rule.protocol !== 'tcp' && rule.protocol !== 'udp') continue;
    inbound.push({
      protocol: rule.protocol ?? 'any',
      fromPort: rule.portRangeMin ?? 1,
      toPort: rule.portRangeMax ?? rule.portRangeMin ?? 65535,
      source: rule.remoteIpPrefix ?? '0.0.0.0/0',
    });
  }
  return inbound;
}

function ruleView(
  ctx: HuaweiContext,
  rule: SecurityGroupRuleRecord,
  groupUuid: string,
): Record<string, unknown> {
  return {
    id: rule.id,
    description: rule.description,
    security_group_id: groupUuid,
    direction: rule.direction,
    ethertype: rule.ethertype,
    protocol: rule.protocol,
    port_range_min: rule.portRangeMin,
    port_range_max: rule.portRangeMax,
    remote_ip_prefix: rule.remoteIpPrefix,
    remote_group_id: rule.remoteGroupId,
    remote_address_group_id: null,
    tenant_id: ctx.projectId,
  };
}

interface GroupLike {
  id: string;
  uuid: string;
  name: string;
  vpcUuid: string | null;
  inbound?: SecurityGroup['inbound'];
}

async function groupsOf(ctx: HuaweiContext): Promise<GroupLike[]> {
  const out: GroupLike[] = [];
  for (const group of await ctx.list('security-group')) {
    out.push({
      id: group.id,
      uuid: huaweiIdOf(group),
      name: group.name,
      vpcUuid: await vpcUuidOf(ctx, group.vpcId),
      inbound: group.inbound,
    });
  }
  for (const pending of ctx.state.pendingGroups.values()) {
    if (out.some((g) => g.id === pending.id)) continue;
    out.push({ id: pending.id, uuid: derivedUuidOfPending(pending.id), name: pending.name, vpcUuid: null });
  }
  return out;
}

/** A pending security group answers to the UUID its natflow resource will have. */
export function derivedUuidOfPending(id: string): string {
  return huaweiIdOf({ id } as never);
}

export async function findGroup(ctx: HuaweiContext, uuid: string): Promise<GroupLike | undefined> {
  return (await groupsOf(ctx)).find((g) => g.uuid === uuid);
}

function groupView(ctx: HuaweiContext, group: GroupLike): Record<string, unknown> {
  const attrs = ctx.state.attrs.get(group.id) ?? {};
  return {
    id: group.uuid,
    name: attrs.name ?? group.name,
    description: attrs.description ?? '',
    vpc_id: group.vpcUuid ?? '',
    enterprise_project_id: (attrs.enterprise_project_id as string | undefined) ?? '0',
    security_group_rules: rulesOf(ctx, group).map((r) => ruleView(ctx, r, group.uuid)),
  };
}

async function createSecurityGroup(ctx: HuaweiContext, req: ApiRequest) {
  const body = Fields.body(SERVICE, req.body, 'security_group');
  const name = body.name64('name', true);
  const vpcUuid = body.string('vpc_id', false, 36);
  const description = body.description();
  const enterpriseProjectId = body.string('enterprise_project_id', false, 36);
  let group: GroupLike;
  if (vpcUuid) {
    const vpc = await ctx.requireByUuid(vpcUuid, 'vpc', SERVICE, 'VPC');
    const created = await ctx.call(SERVICE, () =>
      ctx.cloud.createSecurityGroup({ name, vpcId: vpc.id, inbound: [] }),
    );
    group = { id: created.id, uuid: huaweiIdOf(created), name, vpcUuid: huaweiIdOf(vpc), inbound: [] };
  } else {
    // Huawei's groups need no VPC; natflow's do: it is realised in the VPC of the first server using it.
    const id = ctx.newId('security-group');
    ctx.state.pendingGroups.set(id, { id, name, createdAt: ctx.iso() });
    group = { id, uuid: derivedUuidOfPending(id), name, vpcUuid: null, inbound: [] };
  }
  const attrs = ctx.state.attrsOf(group.id);
  if (description !== undefined) attrs.description = description;
  if (enterpriseProjectId !== undefined) attrs.enterprise_project_id = enterpriseProjectId;
  return { status: 200, body: { security_group: groupView(ctx, group) } };
}

async function requireGroup(ctx: HuaweiContext, uuid: string): Promise<GroupLike> {
  const group = await findGroup(ctx, uuid);
  if (!group) throw notFound(SERVICE, `security group ${uuid} could not be found`);
  return group;
}

async function showSecurityGroup(ctx: HuaweiContext, req: ApiRequest) {
  const group = await requireGroup(ctx, req.params.security_group_id as string);
  return { status: 200, body: { security_group: groupView(ctx, group) } };
}

async function listSecurityGroups(ctx: HuaweiContext, req: ApiRequest) {
  const vpcFilter = req.query.get('vpc_id');
  const views = (await groupsOf(ctx))
    .filter((g) => !vpcFilter || g.vpcUuid === vpcFilter)
    .map((g) => groupView(ctx, g) as Record<string, unknown> & { id: string });
  const { page } = paginate(views, req.query, badMarker);
  return { status: 200, body: { security_groups: page } };
}

async function deleteSecurityGroup(ctx: HuaweiContext, req: ApiRequest) {
  const group = await requireGroup(ctx, req.params.security_group_id as string);
  if (ctx.state.pendingGroups.has(group.id) && !(await ctx.store.get(group.id))) {
    ctx.state.pendingGroups.delete(group.id);
  } else {
    await ctx.call(SERVICE, () => ctx.cloud.delete(group.id), DEPENDENCY_CODES.vpc);
    ctx.state.pendingGroups.delete(group.id);
  }
  ctx.state.sgRules.delete(group.id);
  ctx.state.attrs.delete(group.id);
  return { status: 204 };
}

/** Replaces a realised group's inbound rules (its keys and references do not change). */
async function applyRules(
  ctx: HuaweiContext,
  groupId: string,
  rules: SecurityGroupRuleRecord[],
): Promise<void> {
  const inbound = inboundOf(rules);
  await ctx.store.transaction([groupId], async (tx) => {
    const current = await tx.get(groupId);
    if (current?.type !== 'security-group') return;
    await tx.update({ ...current, inbound });
  });
}

async function createRule(ctx: HuaweiContext, req: ApiRequest) {
  const body = Fields.body(SERVICE, req.body, 'security_group_rule');
  const groupUuid = body.string('security_group_id', true, 36);
  const direction = body.oneOf('direction', ['ingress', 'egress'] as const, true);
  const ethertype = body.oneOf('ethertype', ['IPv4', 'IPv6'] as const) ?? 'IPv4';
  const protocolText = body.string('protocol', false, 16);
  const protocol = protocolText === undefined || protocolText === '' ? null : protocolText.toLowerCase();
  if (
    protocol !== null &&
    !['tcp', 'udp', 'icmp', 'icmpv6', 'gre'].includes(protocol) &&
    !/^\d{1,3}$/.test(protocol)
  ) {
    throw badRequest(
      SERVICE,
      `security_group_rule.protocol must be tcp, udp, icmp, icmpv6, gre, a protocol number or empty, not "${protocolText}"`,
    );
  }
  const min = body.integer('port_range_min', false, 0, 65535) ?? null;
  const max = body.integer('port_range_max', false, 0, 65535) ?? null;
  if ((protocol === 'tcp' || protocol === 'udp') && min !== null && min < 1) {
    throw badRequest(SERVICE, 'security_group_rule.port_range_min must be 1–65535 for tcp and udp');
  }
  if (min !== null && max !== null && min > max) {
    throw badRequest(
      SERVICE,
      `security_group_rule.port_range_min ${min} is greater than port_range_max ${max}`,
    );
  }
  if ((min !== null || max !== null) && protocol !== 'tcp' && protocol !== 'udp' && protocol !== 'icmp') {
    throw badRequest(SERVICE, 'security_group_rule.port_range_min/max need protocol tcp, udp or icmp');
  }
  const remoteIpPrefix = body.string('remote_ip_prefix', false, 64) ?? null;
  const remoteGroupId = body.string('remote_group_id', false, 36) ?? null;
  if (remoteIpPrefix !== null && remoteGroupId !== null) {
    throw badRequest(
      SERVICE,
      'security_group_rule: remote_ip_prefix and remote_group_id are mutually exclusive',
    );
  }
  const source =
    remoteIpPrefix === null || ethertype === 'IPv6'
      ? remoteIpPrefix
      : formatCidr(parseCidrOr400(remoteIpPrefix, 'security_group_rule.remote_ip_prefix'));
  const description = body.description() ?? '';
  const group = await requireGroup(ctx, groupUuid);
  if (remoteGroupId !== null && !(await findGroup(ctx, remoteGroupId))) {
    throw notFound(SERVICE, `remote security group ${remoteGroupId} could not be found`);
  }
  const rule: SecurityGroupRuleRecord = {
    id: crypto.randomUUID(),
    securityGroupId: group.id,
    direction,
    ethertype,
    protocol,
    portRangeMin: min,
    portRangeMax: max ?? min,
    remoteIpPrefix: source,
    remoteGroupId,
    description,
  };
  await ctx.lock(`sg:${group.id}`, async () => {
    const current = await findGroup(ctx, groupUuid);
    if (!current) throw notFound(SERVICE, `security group ${groupUuid} could not be found`);
    const rules = rulesOf(ctx, current);
    const same = rules.find(
      (r) =>
        r.direction === rule.direction &&
        r.ethertype === rule.ethertype &&
        r.protocol === rule.protocol &&
        r.portRangeMin === rule.portRangeMin &&
        r.portRangeMax === rule.portRangeMax &&
        r.remoteIpPrefix === rule.remoteIpPrefix &&
        r.remoteGroupId === rule.remoteGroupId,
    );
    if (same)
      throw new HuaweiApiError(
        409,
        'VPC.0604',
        `security group rule already exists (${same.id})`,
        'VALIDATION_FAILED',
      );
    const next = [...rules, rule];
    ctx.state.sgRules.set(group.id, next);
    await applyRules(ctx, group.id, next);
  });
  return { status: 200, body: { security_group_rule: ruleView(ctx, rule, group.uuid) } };
}

async function findRule(
  ctx: HuaweiContext,
  ruleId: string,
): Promise<{ group: GroupLike; rule: SecurityGroupRuleRecord } | undefined> {
  for (const group of await groupsOf(ctx)) {
    const rule = rulesOf(ctx, group).find((r) => r.id === ruleId);
    if (rule) return { group, rule };
  }
  return undefined;
}

async function showRule(ctx: HuaweiContext, req: ApiRequest) {
  const found = await findRule(ctx, req.params.security_group_rule_id as string);
  if (!found)
    throw notFound(SERVICE, `security group rule ${req.params.security_group_rule_id} could not be found`);
  return { status: 200, body: { security_group_rule: ruleView(ctx, found.rule, found.group.uuid) } };
}

async function listRules(ctx: HuaweiContext, req: ApiRequest) {
  const groupFilter = req.query.get('security_group_id');
  const views: Array<Record<string, unknown> & { id: string }> = [];
  for (const group of await groupsOf(ctx)) {
    if (groupFilter && group.uuid !== groupFilter) continue;
    for (const rule of rulesOf(ctx, group))
      views.push(ruleView(ctx, rule, group.uuid) as Record<string, unknown> & { id: string });
  }
  const { page } = paginate(views, req.query, badMarker);
  return { status: 200, body: { security_group_rules: page } };
}

async function deleteRule(ctx: HuaweiContext, req: ApiRequest) {
  const ruleId = req.params.security_group_rule_id as string;
  const found = await findRule(ctx, ruleId);
  if (!found) throw notFound(SERVICE, `security group rule ${ruleId} could not be found`);
  await ctx.lock(`sg:${found.group.id}`, async () => {
    const group = (await findGroup(ctx, found.group.uuid)) ?? found.group;
    const next = rulesOf(ctx, group).filter((r) => r.id !== ruleId);
    ctx.state.sgRules.set(group.id, next);
    await applyRules(ctx, group.id, next);
  });
  return { status: 204 };
}

export const vpcRoutes: Route[] = [
  { method: 'POST', path: '/v1/{project_id}/vpcs', service: SERVICE, write: true, handler: createVpc },
  { method: 'GET', path: '/v1/{project_id}/vpcs', service: SERVICE, handler: listVpcs },
  { method: 'GET', path: '/v1/{project_id}/vpcs/{vpc_id}', service: SERVICE, handler: showVpc },
  { method: 'PUT', path: '/v1/{project_id}/vpcs/{vpc_id}', service: SERVICE, handler: updateVpc },
  {
    method: 'DELETE',
    path: '/v1/{project_id}/vpcs/{vpc_id}',
    service: SERVICE,
    write: true,
    handler: deleteVpc,
  },
  { method: 'POST', path: '/v1/{project_id}/subnets', service: SERVICE, write: true, handler: createSubnet },
  { method: 'GET', path: '/v1/{project_id}/subnets', service: SERVICE, handler: listSubnets },
  { method: 'GET', path: '/v1/{project_id}/subnets/{subnet_id}', service: SERVICE, handler: showSubnet },
  {
    method: 'PUT',
    path: '/v1/{project_id}/vpcs/{vpc_id}/subnets/{subnet_id}',
    service: SERVICE,
    handler: updateSubnet,
  },
  {
    method: 'DELETE',
    path: '/v1/{project_id}/vpcs/{vpc_id}/subnets/{subnet_id}',
    service: SERVICE,
    write: true,
    handler: deleteSubnet,
  },
  {
    method: 'POST',
    path: '/v1/{project_id}/security-groups',
    service: SERVICE,
    write: true,
    handler: createSecurityGroup,
  },
  { method: 'GET', path: '/v1/{project_id}/security-groups', service: SERVICE, handler: listSecurityGroups },
  {
    method: 'GET',
    path: '/v1/{project_id}/security-groups/{security_group_id}',
    service: SERVICE,
    handler: showSecurityGroup,
  },
  {
    method: 'DELETE',
    path: '/v1/{project_id}/security-groups/{security_group_id}',
    service: SERVICE,
    write: true,
    handler: deleteSecurityGroup,
  },
  {
    method: 'POST',
    path: '/v1/{project_id}/security-group-rules',
    service: SERVICE,
    write: true,
    handler: createRule,
  },
  { method: 'GET', path: '/v1/{project_id}/security-group-rules', service: SERVICE, handler: listRules },
  {
    method: 'GET',
    path: '/v1/{project_id}/security-group-rules/{security_group_rule_id}',
    service: SERVICE,
    handler: showRule,
  },
  {
    method: 'DELETE',
    path: '/v1/{project_id}/security-group-rules/{security_group_rule_id}',
    service: SERVICE,
    write: true,
    handler: deleteRule,
  },
];
