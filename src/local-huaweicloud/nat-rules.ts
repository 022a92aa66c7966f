/** NAT v3 DNAT and SNAT rules of private gateways (see nat.ts). */

import type { DnatRuleInput } from '../cloud/inputs.ts';
import {
  type DnatRule,
  type PrivateNatGateway,
  type SnatRule,
  SPEC_LIMITS,
  type TransitIp,
} from '../cloud/resources.ts';
import type { ErrorCode } from '../codes/codes.ts';
import { type HuaweiCase, huaweiAnswerOf } from '../codes/huawei.ts';
import { type ApiRequest, type HuaweiContext, huaweiIdOf } from './context.ts';
import { portIdOf } from './ecs.ts';
import { vipPortIdOf } from './elb-common.ts';
import { badRequest, HuaweiApiError, notFound } from './errors.ts';
import { Fields } from './fields.ts';
import { listOf, natStatus, uuidOf } from './nat-gateways.ts';

const SERVICE = 'nat';

// ---------------------------------------------------------------- DNAT rules

export function portText(fields: Fields, field: string): number {
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

export async function dnatView(ctx: HuaweiContext, rule: DnatRule): Promise<Record<string, unknown>> {
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
    updated_at: ctx.stamp((attrs.updatedAt as string | undefined) ?? rule.createdAt),
    status: natStatus(ctx, rule),
  };
}

/** The natflow target of a `network_interface_id`: a server's NIC or a load balancer's VIP port. */
export async function targetOfPort(
  ctx: HuaweiContext,
  portId: string,
): Promise<{ serverId: string } | { loadBalancerId: string } | undefined> {
  for (const lb of await ctx.list('load-balancer'))
    if (vipPortIdOf(lb) === portId) return { loadBalancerId: lb.id };
  for (const server of await ctx.list('server'))
    if (portIdOf(server) === portId) return { serverId: server.id };
  return undefined;
}

/**
 * The natflow target of a `private_ip_address`: the load balancer or server holding it in the gateway's
 * VPC (so one-rule-per-load-balancer and the probe see it), else the address itself.
 */
export async function targetOfAddress(
  ctx: HuaweiContext,
  ip: string,
  vpcId: string,
): Promise<{ loadBalancerId: string } | { serverId: string } | { ip: string }> {
  const lb = (await ctx.list('load-balancer')).find((l) => l.ip === ip && l.vpcId === vpcId);
  if (lb) return { loadBalancerId: lb.id };
  const server = (await ctx.list('server')).find((v) => v.ip === ip && v.vpcId === vpcId);
  if (server) return { serverId: server.id };
  return { ip };
}

export async function createDnat(ctx: HuaweiContext, req: ApiRequest) {
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
  ctx.requireReady(SERVICE, gateway, 'dnat_rule.gateway_id: gateway');
  ctx.requireReady(SERVICE, tip, 'dnat_rule.transit_ip_id: transit IP');
  const target = portId
    ? await targetOfPort(ctx, portId)
    : await targetOfAddress(ctx, privateIp as string, gateway.vpcId);
  if (!target) throw notFound(SERVICE, `dnat_rule.network_interface_id ${portId}: port could not be found`);
  const targetId =
    'serverId' in target ? target.serverId : 'loadBalancerId' in target ? target.loadBalancerId : undefined;
  const targeted = targetId ? await ctx.store.get(targetId) : undefined;
  if (targeted) ctx.requireNotDeleting(SERVICE, targeted, 'dnat_rule target');
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
      throw dnatRefusal(error, protocol, gateway);
    }
  });
  if (description !== undefined) ctx.state.attrsOf(rule.id).description = description;
  const active = (await ctx.cloud.activate(rule.id)) as DnatRule;
  return { status: 201, body: { dnat_rule: await dnatView(ctx, active), request_id: req.requestId } };
}

/** A DNAT create's refusal in NAT's words: the two sides of PORT_TYPE_CONFLICT, the rule quota. */
function dnatRefusal(error: unknown, protocol: DnatRule['protocol'], gateway: PrivateNatGateway): unknown {
  const code = (error as Error).name;
  // The all-ports side (NAT.1410) and the specific side (NAT.1309) of PORT_TYPE_CONFLICT.
  if (code === 'PORT_TYPE_CONFLICT' && protocol === 'any')
    return withCase(error as Error, 'PORT_TYPE_CONFLICT', 'allPorts');
  if (code === 'QUOTA_EXCEEDED') return overRuleMax(error as Error, gateway);
  return error;
}

/** natflow's error answered with a named case of its code (the code table's `cases`: `allPorts` → NAT.1410). */
export function withCase<C extends ErrorCode>(
  error: Error,
  code: C,
  huaweiCase: HuaweiCase<C, 'nat'>,
): HuaweiApiError {
  const answer = huaweiAnswerOf(code, SERVICE, huaweiCase);
  return new HuaweiApiError(
    answer.status,
    answer.code,
    `${error.message} (natflow: ${error.name})`,
    error.name,
  );
}

/**
 * QUOTA_EXCEEDED (the code table's NAT.1207) in the NAT Error Codes page's words for it ("…over rule
 * max %d.", docs/huaweicloud-api.md#error-codes).
 */
export function overRuleMax(error: Error, gateway: PrivateNatGateway): HuaweiApiError {
  const max = SPEC_LIMITS[gateway.spec].rules;
  const answer = huaweiAnswerOf('QUOTA_EXCEEDED', SERVICE);
  return new HuaweiApiError(
    answer.status,
    answer.code,
    `Add this gateway rule over rule max ${max}: ${error.message} (natflow: QUOTA_EXCEEDED)`,
    'QUOTA_EXCEEDED',
  );
}

export async function showDnat(ctx: HuaweiContext, req: ApiRequest) {
  const rule = await ctx.requireByUuid(req.params.dnat_rule_id as string, 'dnat-rule', SERVICE, 'DNAT rule');
  return { status: 200, body: { dnat_rule: await dnatView(ctx, rule), request_id: req.requestId } };
}

export async function listDnat(ctx: HuaweiContext, req: ApiRequest) {
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

/**
 * UpdatePrivateDnat: a rule's transit IP, protocol, ports and target change in place, as on the product
 * (its gateway does not); its Huawei id and creation time stay. The changed rule is checked against
 * every rule of the control plane like a new one (a refusal leaves the rule as it was).
 */
export async function updateDnat(ctx: HuaweiContext, req: ApiRequest) {
  const rule = await ctx.requireByUuid(req.params.dnat_rule_id as string, 'dnat-rule', SERVICE, 'DNAT rule');
  const body = Fields.body(SERVICE, req.body, 'dnat_rule');
  const description = body.description();
  const tipUuid = body.string('transit_ip_id', false, 36);
  const portId = body.string('network_interface_id', false, 36);
  const privateIp = body.string('private_ip_address', false, 64);
  if (portId && privateIp) {
    throw new HuaweiApiError(
      400,
      'NAT.1311',
      'network_interface_id and private_ip_address cannot both be given: a DNAT rule has exactly one target',
      'VALIDATION_FAILED',
    );
  }
  const gateway = await ctx.requireByUuid(
    await uuidOf(ctx, rule.gatewayId),
    'private-nat-gateway',
    SERVICE,
    'private NAT gateway',
  );
  const tip = tipUuid ? await ctx.requireByUuid(tipUuid, 'transit-ip', SERVICE, 'transit IP') : undefined;
  if (tip) ctx.requireReady(SERVICE, tip, 'dnat_rule.transit_ip_id: transit IP');
  const target = portId
    ? await targetOfPort(ctx, portId)
    : privateIp
      ? await targetOfAddress(ctx, privateIp, gateway.vpcId)
      : inputTargetOf(rule);
  if (!target) throw notFound(SERVICE, `dnat_rule.network_interface_id ${portId}: port could not be found`);
  const previous: DnatRuleInput = {
    gatewayId: rule.gatewayId,
    transitIpId: rule.transitIpId,
    protocol: rule.protocol,
    transitPort: rule.transitPort,
    internalPort: rule.internalPort,
    target: inputTargetOf(rule),
  };
  const next: DnatRuleInput = {
    ...previous,
    ...(tip ? { transitIpId: tip.id } : {}),
    ...(body.has('protocol')
      ? { protocol: body.oneOf('protocol', ['tcp', 'udp', 'any'] as const, true) }
      : {}),
    ...(body.has('internal_service_port') ? { internalPort: portText(body, 'internal_service_port') } : {}),
    ...(body.has('transit_service_port') ? { transitPort: portText(body, 'transit_service_port') } : {}),
    target,
  };
  if (JSON.stringify(next) !== JSON.stringify(previous)) {
    // The same natflow id and creation time: the same Huawei id, and no settling again.
    const again = (input: DnatRuleInput) =>
      ctx.withIds(
        { 'dnat-rule': rule.id },
        () => ctx.cloud.createDnatRule(input),
        Date.parse(rule.createdAt),
      );
    await ctx.call(SERVICE, async () => {
      await ctx.cloud.delete(rule.id);
      try {
        await again(next);
      } catch (error) {
        await again(previous);
        throw dnatRefusal(error, next.protocol, gateway);
      }
      await ctx.cloud.activate(rule.id);
    });
    ctx.state.attrsOf(rule.id).updatedAt = ctx.iso();
  }
  if (description !== undefined) ctx.state.attrsOf(rule.id).description = description;
  const updated = await ctx.requireByUuid(huaweiIdOf(rule), 'dnat-rule', SERVICE, 'DNAT rule');
  return { status: 200, body: { dnat_rule: await dnatView(ctx, updated), request_id: req.requestId } };
}

/** A rule's target as a create takes it. */
function inputTargetOf(rule: DnatRule): DnatRuleInput['target'] {
  const target = rule.target;
  if (target.kind === 'server') return { serverId: target.serverId };
  if (target.kind === 'load-balancer') return { loadBalancerId: target.loadBalancerId };
  return { ip: target.ip };
}

export async function deleteRule(
  ctx: HuaweiContext,
  req: ApiRequest,
  param: string,
  type: 'dnat-rule' | 'snat-rule',
  what: string,
) {
  const rule = await ctx.requireByUuid(req.params[param] as string, type, SERVICE, what);
  // Listed with its last status until NATFLOW_HWC_SETTLE_MS's `dnat_rule` / `snat_rule` time has passed.
  await ctx.removeResource(SERVICE, rule, async () => {
    await ctx.call(SERVICE, () => ctx.cloud.delete(rule.id));
    ctx.state.attrs.delete(rule.id);
  });
  return { status: 204 };
}

// ---------------------------------------------------------------- SNAT rules

export async function snatView(ctx: HuaweiContext, rule: SnatRule): Promise<Record<string, unknown>> {
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
    status: natStatus(ctx, rule),
  };
}

export async function createSnat(ctx: HuaweiContext, req: ApiRequest) {
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
  ctx.requireReady(SERVICE, gateway, 'snat_rule.gateway_id: gateway');
  ctx.requireReady(SERVICE, tip, 'snat_rule.transit_ip_ids[0]: transit IP');
  const subnet = subnetUuid ? await ctx.findSubnet(subnetUuid) : undefined;
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
      if (code === 'TRANSIT_IP_SHARED') throw withCase(error as Error, 'TRANSIT_IP_SHARED', 'snat');
      if (code === 'SNAT_SOURCE_CONFLICT' && !subnet)
        throw withCase(error as Error, 'SNAT_SOURCE_CONFLICT', 'cidr');
      if (code === 'QUOTA_EXCEEDED') throw overRuleMax(error as Error, gateway);
      throw error;
    }
  });
  if (description !== undefined) ctx.state.attrsOf(rule.id).description = description;
  const active = (await ctx.cloud.activate(rule.id)) as SnatRule;
  return { status: 201, body: { snat_rule: await snatView(ctx, active), request_id: req.requestId } };
}

export async function showSnat(ctx: HuaweiContext, req: ApiRequest) {
  const rule = await ctx.requireByUuid(req.params.snat_rule_id as string, 'snat-rule', SERVICE, 'SNAT rule');
  return { status: 200, body: { snat_rule: await snatView(ctx, rule), request_id: req.requestId } };
}

export async function listSnat(ctx: HuaweiContext, req: ApiRequest) {
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

export async function updateSnat(ctx: HuaweiContext, req: ApiRequest) {
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
