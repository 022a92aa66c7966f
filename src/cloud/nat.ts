/**
 * The virtual cloud's NAT (docs/plan-format.md#resources): transit IPs, private NAT gateways (created PENDING) and their
 * DNAT and SNAT rules. A DNAT rule's rule checks run in the table's order: `DNAT_CHECKS` (`./dnat-checks.ts`).
 */
import {
  type Cidr,
  cidrContainsIp,
  cidrEquals,
  formatCidr,
  formatIpv4,
  type Ipv4,
  parseCidr,
  parseIpv4,
} from '../net/ipv4.ts';
import {
  assignAddress,
  at,
  baseOf,
  type CreateEnv,
  createResource,
  explicitAddressOf,
  pathOf,
  referrersOf,
  requireOf,
} from './create.ts';
import { checkGatewayActive, checkRuleQuota, DNAT_CHECKS, type DnatCheckSubject } from './dnat-checks.ts';
import { SnatSourceConflictError, TransitIpSharedError, ValidationFailedError } from './errors.ts';
import type {
  CreateContext,
  DnatRuleInput,
  DnatTargetInput,
  GatewayInput,
  SnatRuleInput,
  TransitIpInput,
} from './inputs.ts';
import type { DnatRule, DnatTarget, PrivateNatGateway, SnatRule, Subnet, TransitIp } from './resources.ts';
import type { StoreTx } from './store.ts';

/** A transit IP: an address in a transit subnet (its VPC is the transit VPC). */
export async function createTransitIp(
  env: CreateEnv,
  input: TransitIpInput,
  ctx: CreateContext = {},
): Promise<TransitIp> {
  const explicitIp = explicitAddressOf(input.ip, ctx, 'ip');
  const expected: Record<string, unknown> = { name: input.name, subnetId: input.subnetId };
  if (explicitIp) expected.ip = explicitIp;
  return createResource(env, {
    type: 'transit-ip',
    ctx,
    scopes: [input.subnetId],
    expected,
    build: async (tx) => {
      const subnet = await requireOf(tx, input.subnetId, 'subnet', pathOf(ctx, 'subnet'));
      const ip = await assignAddress(tx, subnet, explicitIp, ctx, 'ip');
      return {
        ...baseOf(env, 'transit-ip', input.name, ctx),
        type: 'transit-ip',
        vpcId: subnet.vpcId,
        subnetId: subnet.id,
        ip,
      };
    },
  });
}

/** A private NAT gateway, created PENDING, with its downlink address in its subnet. */
export async function createGateway(
  env: CreateEnv,
  input: GatewayInput,
  ctx: CreateContext = {},
): Promise<PrivateNatGateway> {
  const explicitIp = explicitAddressOf(input.downlinkIp, ctx, 'downlinkIp');
  const spec = input.spec ?? 'Small';
  const allowSharedTransitIp = input.allowSharedTransitIp ?? false;
  const expected: Record<string, unknown> = {
    name: input.name,
    subnetId: input.subnetId,
    spec,
    allowSharedTransitIp,
  };
  if (input.vpcId) expected.vpcId = input.vpcId;
  if (explicitIp) expected.downlinkIp = explicitIp;
  return createResource(env, {
    type: 'private-nat-gateway',
    ctx,
    scopes: [input.subnetId],
    expected,
    build: async (tx) => {
      const subnet = await requireOf(tx, input.subnetId, 'subnet', pathOf(ctx, 'subnet'));
      if (input.vpcId) {
        const vpc = await requireOf(tx, input.vpcId, 'vpc', pathOf(ctx, 'vpc'));
        if (subnet.vpcId !== vpc.id) {
          throw new ValidationFailedError(
            `subnet ${subnet.name} is not in VPC ${vpc.name}`,
            at(ctx, 'subnet'),
          );
        }
      }
      const downlinkIp = await assignAddress(tx, subnet, explicitIp, ctx, 'downlinkIp');
      return {
        ...baseOf(env, 'private-nat-gateway', input.name, ctx),
        status: 'PENDING',
        type: 'private-nat-gateway',
        vpcId: subnet.vpcId,
        subnetId: subnet.id,
        downlinkIp,
        spec,
        allowSharedTransitIp,
      };
    },
  });
}

/**
 * A DNAT rule, created PENDING. Rules checked in the rules table order: TRANSIT_IP_IN_TARGET_VPC,
 * TARGET_NOT_IN_GATEWAY_VPC, LB_ALREADY_MAPPED, DNAT_PORT_CONFLICT, PORT_TYPE_CONFLICT,
 * INVALID_PORT_SPEC, TRANSIT_IP_SHARED, GATEWAY_NOT_ACTIVE, QUOTA_EXCEEDED.
 * The record copies the transit IP's and the target's addresses so the DNAT engine needs no joins.
 */
export async function createDnatRule(
  env: CreateEnv,
  input: DnatRuleInput,
  ctx: CreateContext = {},
): Promise<DnatRule> {
  const targetIp =
    'ip' in input.target ? formatIpv4(parseIpv4(input.target.ip, pathOf(ctx, 'target.ip'))) : undefined;
  const expectedTarget =
    'loadBalancerId' in input.target
      ? { kind: 'load-balancer', loadBalancerId: input.target.loadBalancerId }
      : 'serverId' in input.target
        ? { kind: 'server', serverId: input.target.serverId }
        : { kind: 'ip', ip: targetIp };
  const expected = {
    gatewayId: input.gatewayId,
    transitIpId: input.transitIpId,
    protocol: input.protocol,
    transitPort: input.transitPort,
    internalPort: input.internalPort,
    target: expectedTarget,
  };
  return createResource(env, {
    type: 'dnat-rule',
    ctx,
    scopes: [input.gatewayId, input.transitIpId],
    expected,
    build: async (tx) => {
      const gateway = await requireOf(tx, input.gatewayId, 'private-nat-gateway', pathOf(ctx, 'gateway'));
      const transitIp = await requireOf(tx, input.transitIpId, 'transit-ip', pathOf(ctx, 'transitIp'));
      const { target, targetVpcId, targetName } = await resolveTarget(
        tx,
        input.target,
        targetIp,
        gateway,
        ctx,
      );

      const subject: DnatCheckSubject = {
        tx,
        input,
        ctx,
        gateway,
        transitIp,
        target,
        targetVpcId,
        targetName,
      };
      for (const { check } of DNAT_CHECKS) await check(subject);
      return {
        ...baseOf(
          env,
          'dnat-rule',
          input.name ?? `${transitIp.name}-${input.protocol}-${input.transitPort}`,
          ctx,
        ),
        status: 'PENDING',
        type: 'dnat-rule',
        gatewayId: gateway.id,
        transitIpId: transitIp.id,
        transitIp: transitIp.ip,
        protocol: input.protocol,
        transitPort: input.transitPort,
        internalPort: input.internalPort,
        target,
      };
    },
    compareSync: (existing) => (input.name !== undefined && existing.name !== input.name ? ['name'] : []),
  });
}

/**
 * An SNAT rule, created PENDING: a source (a subnet of the gateway's VPC, or a CIDR) leaves through
 * one transit IP. Checked: TRANSIT_IP_SHARED, SNAT_SOURCE_CONFLICT (one rule per subnet, no equal
 * CIDRs; proper subsets are fine), GATEWAY_NOT_ACTIVE, QUOTA_EXCEEDED.
 */
export async function createSnatRule(
  env: CreateEnv,
  input: SnatRuleInput,
  ctx: CreateContext = {},
): Promise<SnatRule> {
  if ((input.subnetId === undefined) === (input.cidr === undefined)) {
    throw new ValidationFailedError(
      'an SNAT rule has exactly one source: a subnet or a CIDR',
      at(ctx, 'source'),
    );
  }
  const sourceCidr =
    input.cidr === undefined ? undefined : formatCidr(parseCidr(input.cidr, pathOf(ctx, 'source')));
  const expected: Record<string, unknown> = {
    gatewayId: input.gatewayId,
    transitIpId: input.transitIpId,
    subnetId: input.subnetId ?? null,
  };
  if (sourceCidr) expected.cidr = sourceCidr;
  return createResource(env, {
    type: 'snat-rule',
    ctx,
    scopes: [input.gatewayId, input.transitIpId],
    expected,
    build: async (tx) => {
      const gateway = await requireOf(tx, input.gatewayId, 'private-nat-gateway', pathOf(ctx, 'gateway'));
      const transitIp = await requireOf(tx, input.transitIpId, 'transit-ip', pathOf(ctx, 'transitIp'));
      let cidr: Cidr;
      let subnet: Subnet | undefined;
      if (input.subnetId !== undefined) {
        subnet = await requireOf(tx, input.subnetId, 'subnet', pathOf(ctx, 'source'));
        if (subnet.vpcId !== gateway.vpcId) {
          throw new ValidationFailedError(
            `SNAT source subnet ${subnet.name} is not in the VPC of gateway ${gateway.name}`,
            at(ctx, 'source'),
          );
        }
        cidr = parseCidr(subnet.cidr);
      } else {
        cidr = parseCidr(sourceCidr as string);
      }
      const sharing = await tx.referrers(transitIp.id);
      const dnat = sharing.find((r) => r.type === 'dnat-rule');
      if (dnat && !gateway.allowSharedTransitIp) {
        throw new TransitIpSharedError(
          `transit IP ${transitIp.name} is used by DNAT rule ${dnat.id}; gateway ${gateway.name} does not allow SNAT and DNAT rules to share a transit IP (allowSharedTransitIp)`,
          { ...at(ctx, 'transitIp'), details: { conflictingId: dnat.id } },
        );
      }
      for (const other of await referrersOf(tx, gateway.id, 'snat-rule')) {
        const sameSubnet = subnet !== undefined && other.subnetId === subnet.id;
        if (sameSubnet || cidrEquals(parseCidr(other.cidr), cidr)) {
          throw new SnatSourceConflictError(
            sameSubnet
              ? `gateway ${gateway.name} already has SNAT rule ${other.id} for subnet ${subnet?.name}`
              : `gateway ${gateway.name} already has SNAT rule ${other.id} for ${other.cidr}; equal source CIDRs are not allowed (a proper subset is)`,
            { ...at(ctx, 'source'), details: { conflictingId: other.id } },
          );
        }
      }
      checkGatewayActive(gateway, ctx);
      await checkRuleQuota(tx, gateway, ctx);
      return {
        ...baseOf(
          env,
          'snat-rule',
          input.name ?? `${subnet?.name ?? formatCidr(cidr)}-via-${transitIp.name}`,
          ctx,
        ),
        status: 'PENDING',
        type: 'snat-rule',
        gatewayId: gateway.id,
        subnetId: subnet?.id ?? null,
        cidr: formatCidr(cidr),
        transitIpId: transitIp.id,
      };
    },
    compareSync: (existing) => (input.name !== undefined && existing.name !== input.name ? ['name'] : []),
  });
}

async function resolveTarget(
  tx: StoreTx,
  input: DnatTargetInput,
  targetIp: string | undefined,
  gateway: PrivateNatGateway,
  ctx: CreateContext,
): Promise<{ target: DnatTarget; targetVpcId: string | undefined; targetName: string }> {
  if ('loadBalancerId' in input) {
    const lb = await requireOf(tx, input.loadBalancerId, 'load-balancer', pathOf(ctx, 'target.loadBalancer'));
    return {
      target: { kind: 'load-balancer', loadBalancerId: lb.id, ip: lb.ip },
      targetVpcId: lb.vpcId,
      targetName: `load balancer ${lb.name}`,
    };
  }
  if ('serverId' in input) {
    const server = await requireOf(tx, input.serverId, 'server', pathOf(ctx, 'target.server'));
    return {
      target: { kind: 'server', serverId: server.id, ip: server.ip },
      targetVpcId: server.vpcId,
      targetName: `server ${server.name}`,
    };
  }
  // A virtual or custom private IP is reached in the gateway's VPC: it must lie inside that VPC.
  const ip = targetIp as string;
  const gatewayVpc = await requireOf(tx, gateway.vpcId, 'vpc');
  const inGatewayVpc = cidrContainsIp(parseCidr(gatewayVpc.cidr), parseIpv4(ip) as Ipv4);
  return {
    target: { kind: 'ip', ip },
    targetVpcId: inGatewayVpc ? gatewayVpc.id : undefined,
    targetName: `address ${ip}`,
  };
}
