/**
 * A DNAT rule's rule checks as one ordered list, `DNAT_CHECKS`: for one create they run in the order of
 * the rules table of docs/error-codes.md (a test ties the two), and the first one broken is the error reported, so a rule
 * that breaks several reports the same code every time. Each check reads what it needs inside the
 * create's transaction; the keys among them (a DNAT port, one rule per load balancer) are also unique
 * keys of the store, the safety net under concurrency.
 *
 * GATEWAY_NOT_ACTIVE and QUOTA_EXCEEDED hold for SNAT rules too (`checkGatewayActive`, `checkRuleQuota`).
 */
import { isPort } from '../net/ports.ts';
import { at } from './create.ts';
import {
  DnatPortConflictError,
  type ErrorCode,
  GatewayNotActiveError,
  InvalidPortSpecError,
  LbAlreadyMappedError,
  PortTypeConflictError,
  QuotaExceededError,
  TargetNotInGatewayVpcError,
  TransitIpInTargetVpcError,
  TransitIpSharedError,
} from './errors.ts';
import type { CreateContext, DnatRuleInput } from './inputs.ts';
import {
  type DnatProtocol,
  type DnatRule,
  type DnatTarget,
  type PrivateNatGateway,
  type Resource,
  type ResourceType,
  SPEC_LIMITS,
  type TransitIp,
} from './resources.ts';
import { keys, type StoreTx } from './store.ts';

/** What a DNAT rule's checks look at: the input, its gateway, transit IP and resolved target. */
export interface DnatCheckSubject {
  tx: StoreTx;
  input: DnatRuleInput;
  ctx: CreateContext;
  gateway: PrivateNatGateway;
  transitIp: TransitIp;
  target: DnatTarget;
  /** The target's VPC (undefined: an address outside the gateway's VPC). */
  targetVpcId: string | undefined;
  /** `load balancer elb01`, `server ECS-B`, `address 10.0.0.9`: for messages. */
  targetName: string;
}

/** One check: the code it throws and the check itself. */
export interface DnatCheck {
  code: ErrorCode;
  check: (subject: DnatCheckSubject) => void | Promise<void>;
}

const RULE_TYPES: ReadonlySet<ResourceType> = new Set(['dnat-rule', 'snat-rule']);

/** The rules sharing the transit IP, read once per create (PORT_TYPE_CONFLICT and TRANSIT_IP_SHARED). */
const sharingCache = new WeakMap<DnatCheckSubject, Promise<Resource[]>>();
function sharingOf(subject: DnatCheckSubject): Promise<Resource[]> {
  let sharing = sharingCache.get(subject);
  if (!sharing) {
    sharing = subject.tx.referrers(subject.transitIp.id);
    sharingCache.set(subject, sharing);
  }
  return sharing;
}

/** The checks of one DNAT rule, in the order of the rules table of docs/error-codes.md. */
export const DNAT_CHECKS: readonly DnatCheck[] = [
  {
    code: 'TRANSIT_IP_IN_TARGET_VPC',
    check: ({ transitIp, targetVpcId, targetName, ctx }) => {
      if (targetVpcId === transitIp.vpcId) {
        throw new TransitIpInTargetVpcError(
          `transit IP ${transitIp.name} (${transitIp.ip}) is in the same VPC as the target ${targetName}; a DNAT rule connects different VPCs`,
          at(ctx, 'target'),
        );
      }
    },
  },
  {
    code: 'TARGET_NOT_IN_GATEWAY_VPC',
    check: ({ gateway, targetVpcId, targetName, ctx }) => {
      if (targetVpcId !== gateway.vpcId) {
        throw new TargetNotInGatewayVpcError(
          `target ${targetName} is not in the VPC of gateway ${gateway.name}`,
          at(ctx, 'target'),
        );
      }
    },
  },
  {
    code: 'LB_ALREADY_MAPPED',
    check: async ({ tx, target, targetName, ctx }) => {
      if (target.kind !== 'load-balancer') return;
      const holder = await tx.getByKey(keys.lbTarget(target.loadBalancerId));
      if (holder) {
        throw new LbAlreadyMappedError(
          `load balancer ${targetName} is already the target of DNAT rule ${holder.name} (${holder.id}); a load balancer takes one DNAT rule`,
          { ...at(ctx, 'target.loadBalancer'), details: { conflictingId: holder.id } },
        );
      }
    },
  },
  {
    code: 'DNAT_PORT_CONFLICT',
    check: async ({ tx, input, transitIp, ctx }) => {
      const portHolder = await tx.getByKey(keys.dnatPort(transitIp.id, input.protocol, input.transitPort));
      if (portHolder) {
        throw new DnatPortConflictError(
          `transit IP ${transitIp.name} (${transitIp.ip}) already forwards ${describePorts(input.protocol, input.transitPort)} (rule ${portHolder.id})`,
          { ...at(ctx, 'transitPort'), details: { conflictingId: portHolder.id } },
        );
      }
    },
  },
  {
    code: 'PORT_TYPE_CONFLICT',
    check: async (subject) => {
      const { input, transitIp, ctx } = subject;
      const allPorts = input.protocol === 'any';
      const otherType = (await sharingOf(subject)).find(
        (r): r is DnatRule => r.type === 'dnat-rule' && (r.protocol === 'any') !== allPorts,
      );
      if (otherType) {
        throw new PortTypeConflictError(
          `transit IP ${transitIp.name} already has ${allPorts ? 'a specific-port' : 'an all-ports'} rule (${otherType.id}); all-ports and specific-port rules cannot share a transit IP`,
          { ...at(ctx, 'portType'), details: { conflictingId: otherType.id } },
        );
      }
    },
  },
  { code: 'INVALID_PORT_SPEC', check: ({ input, ctx }) => checkPortSpec(input, ctx) },
  {
    code: 'TRANSIT_IP_SHARED',
    check: async (subject) => {
      const { gateway, transitIp, ctx } = subject;
      const snat = (await sharingOf(subject)).find((r) => r.type === 'snat-rule');
      if (snat && !gateway.allowSharedTransitIp) {
        throw new TransitIpSharedError(
          `transit IP ${transitIp.name} is used by SNAT rule ${snat.id}; gateway ${gateway.name} does not allow SNAT and DNAT rules to share a transit IP (allowSharedTransitIp)`,
          { ...at(ctx, 'transitIp'), details: { conflictingId: snat.id } },
        );
      }
    },
  },
  { code: 'GATEWAY_NOT_ACTIVE', check: ({ gateway, ctx }) => checkGatewayActive(gateway, ctx) },
  { code: 'QUOTA_EXCEEDED', check: ({ tx, gateway, ctx }) => checkRuleQuota(tx, gateway, ctx) },
];

/** INVALID_PORT_SPEC: specific = tcp/udp with ports 1–65535; all ports = `any` with 0/0. */
export function checkPortSpec(input: DnatRuleInput, ctx: CreateContext): void {
  if (input.protocol === 'any') {
    for (const field of ['transitPort', 'internalPort'] as const) {
      if (input[field] !== 0) {
        throw new InvalidPortSpecError(
          `an all-ports rule (protocol any) has ${field} 0, not ${input[field]}`,
          at(ctx, field),
        );
      }
    }
    return;
  }
  for (const field of ['transitPort', 'internalPort'] as const) {
    if (!isPort(input[field])) {
      throw new InvalidPortSpecError(
        `a specific-port rule (${input.protocol}) needs ${field} 1–65535, not ${input[field]}`,
        at(ctx, field),
      );
    }
  }
}

/** GATEWAY_NOT_ACTIVE: rules are added only to an ACTIVE gateway. */
export function checkGatewayActive(gateway: PrivateNatGateway, ctx: CreateContext): void {
  if (gateway.status !== 'ACTIVE') {
    throw new GatewayNotActiveError(
      `gateway ${gateway.name} is ${gateway.status}; rules are added only to an ACTIVE gateway`,
      { ...at(ctx), details: { gatewayId: gateway.id, status: gateway.status } },
    );
  }
}

/** QUOTA_EXCEEDED: SNAT and DNAT rules per gateway spec (the spec table of docs/plan-format.md). */
export async function checkRuleQuota(
  tx: StoreTx,
  gateway: PrivateNatGateway,
  ctx: CreateContext,
): Promise<void> {
  const rules = (await tx.referrers(gateway.id)).filter((r) => RULE_TYPES.has(r.type));
  const limit = SPEC_LIMITS[gateway.spec].rules;
  if (rules.length >= limit) {
    throw new QuotaExceededError(
      `gateway ${gateway.name} (${gateway.spec}) already has ${rules.length} SNAT and DNAT rules, its limit`,
      { ...at(ctx), details: { gatewayId: gateway.id, limit } },
    );
  }
}

function describePorts(protocol: DnatProtocol, port: number): string {
  return protocol === 'any' ? 'all ports' : `${protocol} ${port}`;
}
