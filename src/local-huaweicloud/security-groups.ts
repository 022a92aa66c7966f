/** VPC v1 security groups and their rules (see vpc.ts). */
import type { SecurityGroup } from '../cloud/resources.ts';
import { formatCidr } from '../net/ipv4.ts';
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
import { badMarker, parseCidrOr400, vpcUuidOf } from './vpc-networks.ts';

const SERVICE = 'vpc';

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

export function ruleView(
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

export interface GroupLike {
  id: string;
  uuid: string;
  name: string;
  vpcUuid: string | null;
  inbound?: SecurityGroup['inbound'];
}

export async function groupsOf(ctx: HuaweiContext): Promise<GroupLike[]> {
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

export function groupView(ctx: HuaweiContext, group: GroupLike): Record<string, unknown> {
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

/**
 * The rules Huawei gives a new group: all egress, and ingress from the group's own members (IPv4 and
 * IPv6). natflow enforces none of them (egress is open, remote groups are not modelled), so the
 * group's natflow inbound list starts empty.
 */
function defaultRules(groupId: string): SecurityGroupRuleRecord[] {
  return (['IPv4', 'IPv6'] as const).flatMap((ethertype) =>
    (['egress', 'ingress'] as const).map((direction) => ({
      id: derivedId(groupId, `${direction}:${ethertype}`),
      securityGroupId: groupId,
      direction,
      ethertype,
      protocol: null,
      portRangeMin: null,
      portRangeMax: null,
      remoteIpPrefix: direction === 'egress' ? (ethertype === 'IPv4' ? '0.0.0.0/0' : '::/0') : null,
      remoteGroupId: direction === 'ingress' ? derivedUuidOfPending(groupId) : null,
      description: '',
    })),
  );
}

export async function createSecurityGroup(ctx: HuaweiContext, req: ApiRequest) {
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
  ctx.state.sgRules.set(group.id, defaultRules(group.id));
  return { status: 200, body: { security_group: groupView(ctx, group) } };
}

export async function requireGroup(ctx: HuaweiContext, uuid: string): Promise<GroupLike> {
  const group = await findGroup(ctx, uuid);
  if (!group) throw notFound(SERVICE, `security group ${uuid} could not be found`);
  return group;
}

export async function showSecurityGroup(ctx: HuaweiContext, req: ApiRequest) {
  const group = await requireGroup(ctx, req.params.security_group_id as string);
  return { status: 200, body: { security_group: groupView(ctx, group) } };
}

export async function listSecurityGroups(ctx: HuaweiContext, req: ApiRequest) {
  const vpcFilter = req.query.get('vpc_id');
  const views = (await groupsOf(ctx))
    .filter((g) => !vpcFilter || g.vpcUuid === vpcFilter)
    .map((g) => groupView(ctx, g) as Record<string, unknown> & { id: string });
  const { page } = paginate(views, req.query, badMarker);
  return { status: 200, body: { security_groups: page } };
}

export async function deleteSecurityGroup(ctx: HuaweiContext, req: ApiRequest) {
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
export async function applyRules(
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

export async function createRule(ctx: HuaweiContext, req: ApiRequest) {
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

export async function findRule(
  ctx: HuaweiContext,
  ruleId: string,
): Promise<{ group: GroupLike; rule: SecurityGroupRuleRecord } | undefined> {
  for (const group of await groupsOf(ctx)) {
    const rule = rulesOf(ctx, group).find((r) => r.id === ruleId);
    if (rule) return { group, rule };
  }
  return undefined;
}

export async function showRule(ctx: HuaweiContext, req: ApiRequest) {
  const found = await findRule(ctx, req.params.security_group_rule_id as string);
  if (!found)
    throw notFound(SERVICE, `security group rule ${req.params.security_group_rule_id} could not be found`);
  return { status: 200, body: { security_group_rule: ruleView(ctx, found.rule, found.group.uuid) } };
}

export async function listRules(ctx: HuaweiContext, req: ApiRequest) {
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

export async function deleteRule(ctx: HuaweiContext, req: ApiRequest) {
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
