/**
 * The virtual cloud's control plane: create / get / list / delete for every resource of DESIGN §3.1,
 * lifecycle changes, and every rule of §3.2 with its stable error code.
 *
 * Design and invariants:
 * - **One transaction per call.** Each create reads what its rules need and inserts the resource inside
 *   one `store.transaction`, so a rule that is not a key (quotas, port types, subnet overlap) cannot be
 *   broken by a concurrent create. Rules that are keys (a DNAT port, one rule per load balancer, an
 *   address in use, a client token) are also unique keys of the store: the safety net if an adapter's
 *   serialisation is weaker than it claims. A `UniqueKeyViolation` is mapped back to the rule's code.
 * - **Rule order.** For one create the rules are checked in the order of the §3.2 table (`RULE_ORDER`),
 *   so an entry that breaks several reports the same first code every time.
 * - **Idempotency.** A create with a client token returns the resource already created under that token
 *   when its fields are the same, and throws PLAN_CHANGED when they differ (no update in place).
 *   Automatically assigned addresses are not compared: a re-run keeps what the first run got.
 * - **Lifecycle.** Gateways and rules are created PENDING; `activate` makes them ACTIVE once the
 *   optional provisioning delay has passed (none by default, so the caller activates at once). Frozen
 *   gateways take no new rules (GATEWAY_NOT_ACTIVE); their rules keep their own status and the DNAT
 *   engine evaluates them as RULE_INACTIVE because it checks the gateway's status.
 * - **No I/O** beyond the store port; time and ids are injected.
 */
import { createHash } from 'node:crypto';
import { type Clock, systemClock } from '../net/clock.ts';
import {
  type Cidr,
  cidrContains,
  cidrContainsIp,
  cidrEquals,
  cidrsOverlap,
  formatCidr,
  formatIpv4,
  type Ipv4,
  PRIVATE_RANGES,
  parseCidr,
  parseIpv4,
} from '../net/ipv4.ts';
import { isPort } from '../net/ports.ts';
import {
  checkExplicitAddress,
  gatewayAddressOf,
  lowestFreeAddress,
  SUBNET_MAX_PREFIX,
  SUBNET_MIN_PREFIX,
  VPC_MAX_PREFIX,
  VPC_MIN_PREFIX,
} from './addressing.ts';
import type { Cloud, Deletion, DryRun, DryRunScope } from './cloud.ts';
import { addressesOf, constraintKeysOf } from './constraints.ts';
import {
  CidrOutOfRangeError,
  DependencyViolationError,
  DnatPortConflictError,
  GatewayNotActiveError,
  InvalidPortSpecError,
  IpInUseError,
  LbAlreadyMappedError,
  NatflowError,
  NotFoundError,
  PlanChangedError,
  PortTypeConflictError,
  QuotaExceededError,
  SnatSourceConflictError,
  SubnetOverlapError,
  TargetNotInGatewayVpcError,
  TransitIpInTargetVpcError,
  TransitIpSharedError,
  ValidationFailedError,
} from './errors.ts';
import type {
  BackendGroupInput,
  CreateContext,
  DnatRuleInput,
  DnatTargetInput,
  GatewayInput,
  ListenerInput,
  LoadBalancerInput,
  SecurityGroupInput,
  SecurityGroupRuleInput,
  ServerInput,
  SnatRuleInput,
  SubnetInput,
  TransitIpInput,
  VpcInput,
} from './inputs.ts';
import { MemoryStore } from './memory-store.ts';
import { resolveResource } from './resolve.ts';
import {
  type AccessControl,
  type App,
  type BackendGroup,
  type DnatProtocol,
  type DnatRule,
  type DnatTarget,
  type HealthCheck,
  ID_PREFIX,
  type LbProtocol,
  type LifecycleStatus,
  type Listener,
  type LoadBalancer,
  type PrivateNatGateway,
  type Resource,
  type ResourceOf,
  type ResourceType,
  referencesOf,
  type SecurityGroup,
  type SecurityGroupRule,
  type Server,
  type SnatRule,
  SPEC_LIMITS,
  type Subnet,
  type TransitIp,
  type Vpc,
} from './resources.ts';
import {
  keys,
  type ResourceQuery,
  type Store,
  type StoreReader,
  type StoreTx,
  UniqueKeyViolation,
} from './store.ts';

export type {
  BackendGroupInput,
  BackendMemberInput,
  CreateContext,
  DnatRuleInput,
  DnatTargetInput,
  GatewayInput,
  ListenerInput,
  LoadBalancerInput,
  SecurityGroupInput,
  SecurityGroupRuleInput,
  ServerInput,
  SnatRuleInput,
  SubnetInput,
  TransitIpInput,
  VpcInput,
} from './inputs.ts';

export interface ControlPlaneOptions {
  store: Store;
  clock?: Clock;
  /** New resource ids (`vpc-…`); defaults to the type's prefix and 12 random hex digits. */
  newId?: (type: ResourceType) => string;
  /** Gateways and rules stay PENDING this long after creation, whatever `activate` is asked (default 0). */
  provisioningDelayMs?: number;
}

const RULE_TYPES: ReadonlySet<ResourceType> = new Set(['dnat-rule', 'snat-rule']);
const FREEZABLE: ReadonlySet<ResourceType> = new Set(['private-nat-gateway', 'dnat-rule', 'snat-rule']);

/**
 * The UUID a virtual-cloud resource answers to in the local Huawei API (DESIGN §11): derived from its
 * natflow id (SHA-256, formatted as an RFC 4122 version-4-shaped UUID), so it is stable and unique with it.
 */
export function externalIdOf(id: string): string {
  const hex = createHash('sha256').update(`natflow:${id}`).digest('hex');
  const variant = ((Number.parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function defaultNewId(type: ResourceType): string {
  const bytes = new Uint8Array(6);
  globalThis.crypto.getRandomValues(bytes);
  return `${ID_PREFIX[type]}-${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** `base.field`, or `field` outside a plan. */
function pathOf(ctx: CreateContext, field?: string): string | undefined {
  if (field === undefined) return ctx.path;
  return ctx.path ? `${ctx.path}.${field}` : field;
}

function at(ctx: CreateContext, field?: string): { path?: string } {
  const path = pathOf(ctx, field);
  return path === undefined ? {} : { path };
}

/** Stable JSON for field comparison (object keys sorted). */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

function isAuto(ip: string | undefined): boolean {
  return ip === undefined || ip === 'auto';
}

/** The virtual cloud (DESIGN §3): the `virtual` provider of the cloud port, in natflow's own store. */
export class ControlPlane implements Cloud {
  readonly name = 'virtual' as const;
  readonly store: Store;
  private readonly clock: Clock;
  private readonly newId: (type: ResourceType) => string;
  private readonly provisioningDelayMs: number;

  constructor(options: ControlPlaneOptions) {
    this.store = options.store;
    this.clock = options.clock ?? systemClock;
    this.newId = options.newId ?? defaultNewId;
    this.provisioningDelayMs = options.provisioningDelayMs ?? 0;
  }

  // ---------------------------------------------------------------- reads

  get(id: string): Promise<Resource | undefined> {
    return this.store.get(id);
  }

  /** The resource or NOT_FOUND; with a type, a resource of another type is NOT_FOUND too. */
  async require<T extends ResourceType>(id: string, type?: T): Promise<ResourceOf<T>> {
    return requireOf(this.store, id, type);
  }

  list(query: ResourceQuery = {}): Promise<Resource[]> {
    return this.store.list(query);
  }

  referrers(id: string): Promise<Resource[]> {
    return this.store.referrers(id);
  }

  /** The ledger is the cloud here: a token's resource is found by its unique key. */
  findByToken(token: string): Promise<Resource | undefined> {
    return this.store.getByKey(keys.token(token));
  }

  resolve(type: ResourceType | readonly ResourceType[], nameOrId: string, plan?: string): Promise<Resource> {
    return resolveResource(this.store, type, nameOrId, plan);
  }

  // ---------------------------------------------------------------- the port's lifecycle

  /** The port's readiness call: `activate` (the provisioning delay is the only wait here). */
  refresh(id: string): Promise<Resource> {
    return this.activate(id);
  }

  /** The port's deletion: `delete`, done at once (the virtual cloud deletes synchronously). */
  async destroy(id: string): Promise<Deletion> {
    return { resource: await this.delete(id), done: true };
  }

  /** A dry run over a copy of this store (`virtualDryRun`), with this clock. */
  dryRun(_scope: DryRunScope): Promise<DryRun> {
    return virtualDryRun(this.store, this.clock);
  }

  // ---------------------------------------------------------------- networks

  /** A VPC: a private CIDR (10/8, 172.16/12, 192.168/16), prefix /8 to /28. */
  async createVpc(input: VpcInput, ctx: CreateContext = {}): Promise<Vpc> {
    const cidr = parseCidr(input.cidr, pathOf(ctx, 'cidr'));
    return this.create('vpc', ctx, [], { name: input.name, cidr: formatCidr(cidr) }, async () => {
      if (!PRIVATE_RANGES.some((range) => cidrContains(range, cidr))) {
        throw new CidrOutOfRangeError(
          `VPC CIDR ${formatCidr(cidr)} is not inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16`,
          at(ctx, 'cidr'),
        );
      }
      if (cidr.prefix < VPC_MIN_PREFIX || cidr.prefix > VPC_MAX_PREFIX) {
        throw new CidrOutOfRangeError(
          `VPC CIDR ${formatCidr(cidr)}: the prefix must be /${VPC_MIN_PREFIX} to /${VPC_MAX_PREFIX}`,
          at(ctx, 'cidr'),
        );
      }
      return { ...this.base('vpc', input.name, ctx), type: 'vpc', cidr: formatCidr(cidr) };
    });
  }

  /** A subnet inside its VPC, /16 to /29, overlapping none of the VPC's other subnets. */
  async createSubnet(input: SubnetInput, ctx: CreateContext = {}): Promise<Subnet> {
    const cidr = parseCidr(input.cidr, pathOf(ctx, 'cidr'));
    const expected = { name: input.name, vpcId: input.vpcId, cidr: formatCidr(cidr) };
    return this.create('subnet', ctx, [input.vpcId], expected, async (tx) => {
      const vpc = await requireOf(tx, input.vpcId, 'vpc', pathOf(ctx, 'vpc'));
      const vpcCidr = parseCidr(vpc.cidr);
      if (cidr.prefix < SUBNET_MIN_PREFIX || cidr.prefix > SUBNET_MAX_PREFIX) {
        throw new CidrOutOfRangeError(
          `subnet CIDR ${formatCidr(cidr)}: the prefix must be /${SUBNET_MIN_PREFIX} to /${SUBNET_MAX_PREFIX}`,
          at(ctx, 'cidr'),
        );
      }
      if (!cidrContains(vpcCidr, cidr)) {
        throw new CidrOutOfRangeError(
          `subnet CIDR ${formatCidr(cidr)} is not inside VPC ${vpc.name} (${vpc.cidr})`,
          at(ctx, 'cidr'),
        );
      }
      for (const sibling of await referrersOf(tx, vpc.id, 'subnet')) {
        if (cidrsOverlap(parseCidr(sibling.cidr), cidr)) {
          throw new SubnetOverlapError(
            `subnet CIDR ${formatCidr(cidr)} overlaps subnet ${sibling.name} (${sibling.cidr}) of VPC ${vpc.name}`,
            { ...at(ctx, 'cidr'), details: { conflictingId: sibling.id } },
          );
        }
      }
      return {
        ...this.base('subnet', input.name, ctx),
        type: 'subnet',
        vpcId: vpc.id,
        cidr: formatCidr(cidr),
        gatewayIp: formatIpv4(gatewayAddressOf(cidr)),
      };
    });
  }

  // ---------------------------------------------------------------- servers

  async createSecurityGroup(input: SecurityGroupInput, ctx: CreateContext = {}): Promise<SecurityGroup> {
    const inbound = normaliseInbound(input.inbound, ctx);
    const expected = { name: input.name, vpcId: input.vpcId, inbound };
    return this.create('security-group', ctx, [input.vpcId], expected, async (tx) => {
      await requireOf(tx, input.vpcId, 'vpc', pathOf(ctx, 'vpc'));
      return {
        ...this.base('security-group', input.name, ctx),
        type: 'security-group',
        vpcId: input.vpcId,
        inbound,
      };
    });
  }

  /**
   * A server (ECS) with one NIC in a subnet and its own security group (named `<server>-sg`, created in
   * the same transaction under the token `<token>:sg`) unless `securityGroupIds` names existing ones.
   */
  async createServer(input: ServerInput, ctx: CreateContext = {}): Promise<Server> {
    const apps = (input.apps ?? []).map((app, i) => {
      if (!isPort(app.port))
        throw new InvalidPortSpecError(`port ${app.port} is not 1–65535`, at(ctx, `apps[${i}].port`));
      return { protocol: app.protocol, port: app.port };
    });
    const explicitIp = isAuto(input.ip)
      ? undefined
      : formatIpv4(parseIpv4(input.ip as string, pathOf(ctx, 'ip')));
    const ownInbound = input.inbound ? normaliseInbound(input.inbound, ctx) : undefined;
    const expected: Record<string, unknown> = { name: input.name, subnetId: input.subnetId, apps };
    if (explicitIp) expected.ip = explicitIp;
    if (input.securityGroupIds) expected.securityGroupIds = [...input.securityGroupIds];
    return this.create(
      'server',
      ctx,
      [input.subnetId],
      expected,
      async (tx) => {
        const subnet = await requireOf(tx, input.subnetId, 'subnet', pathOf(ctx, 'subnet'));
        const vpc = await requireOf(tx, subnet.vpcId, 'vpc');
        const ip = await this.assignAddress(tx, subnet, explicitIp, ctx, 'ip');
        let securityGroupIds: string[];
        if (input.securityGroupIds) {
          for (const [i, id] of input.securityGroupIds.entries()) {
            const group = await requireOf(tx, id, 'security-group', pathOf(ctx, `securityGroups[${i}]`));
            if (group.vpcId !== vpc.id) {
              throw new ValidationFailedError(`security group ${group.name} is not in VPC ${vpc.name}`, {
                ...at(ctx, `securityGroups[${i}]`),
              });
            }
          }
          securityGroupIds = [...input.securityGroupIds];
        } else {
          const inbound = ownInbound ?? defaultInbound(apps, vpc.cidr);
          const group: SecurityGroup = {
            ...this.base('security-group', `${input.name}-sg`, ctx),
            clientToken: ctx.clientToken ? `${ctx.clientToken}:sg` : null,
            type: 'security-group',
            vpcId: vpc.id,
            inbound,
          };
          await this.insert(tx, group, ctx);
          securityGroupIds = [group.id];
        }
        return {
          ...this.base('server', input.name, ctx),
          type: 'server',
          vpcId: vpc.id,
          subnetId: subnet.id,
          ip,
          securityGroupIds,
          apps,
        };
      },
      async (tx, existing) => {
        // The server's own security group is part of the entry: a changed inbound list is a change.
        if (input.securityGroupIds || existing.securityGroupIds.length !== 1) return [];
        const group = await tx.get(existing.securityGroupIds[0] as string);
        const vpc = await tx.get(existing.vpcId);
        if (group?.type !== 'security-group' || !vpc || vpc.type !== 'vpc') return [];
        const inbound = ownInbound ?? defaultInbound(apps, vpc.cidr);
        return canonical(group.inbound) === canonical(inbound) ? [] : ['inbound'];
      },
    );
  }

  async createBackendGroup(input: BackendGroupInput, ctx: CreateContext = {}): Promise<BackendGroup> {
    const members = (input.members ?? []).map((member, i) => {
      if (!isPort(member.port)) {
        throw new InvalidPortSpecError(
          `member port ${member.port} is not 1–65535`,
          at(ctx, `members[${i}].port`),
        );
      }
      const weight = member.weight ?? 1;
      if (!Number.isInteger(weight) || weight < 0 || weight > 100) {
        throw new ValidationFailedError(
          `weight ${weight} is not an integer 0–100`,
          at(ctx, `members[${i}].weight`),
        );
      }
      return { serverId: member.serverId, port: member.port, weight };
    });
    const healthCheck = healthCheckOf(input.protocol, input.healthCheck, members[0]?.port);
    const algorithm = input.algorithm ?? 'round-robin';
    const expected = { name: input.name, protocol: input.protocol, algorithm, healthCheck, members };
    return this.create('backend-group', ctx, [], expected, async (tx) => {
      let vpcId: string | null = null;
      for (const [i, member] of members.entries()) {
        const server = await requireOf(tx, member.serverId, 'server', pathOf(ctx, `members[${i}].server`));
        if (vpcId !== null && server.vpcId !== vpcId) {
          throw new ValidationFailedError(
            `member ${server.name} is in another VPC than the group's other members; a backend group serves one VPC`,
            at(ctx, `members[${i}].server`),
          );
        }
        vpcId = server.vpcId;
      }
      return {
        ...this.base('backend-group', input.name, ctx),
        type: 'backend-group',
        vpcId,
        protocol: input.protocol,
        algorithm,
        healthCheck,
        members,
      };
    });
  }

  // ---------------------------------------------------------------- load balancers

  /** A dedicated load balancer: a frontend address in the frontend subnet, a backend one in the backend subnet. */
  async createLoadBalancer(input: LoadBalancerInput, ctx: CreateContext = {}): Promise<LoadBalancer> {
    const backendSubnetId = input.backendSubnetId ?? input.frontendSubnetId;
    const explicitIp = isAuto(input.ip)
      ? undefined
      : formatIpv4(parseIpv4(input.ip as string, pathOf(ctx, 'ip')));
    const azs = [...(input.azs ?? [])];
    const expected: Record<string, unknown> = {
      name: input.name,
      frontendSubnetId: input.frontendSubnetId,
      backendSubnetId,
      azs,
    };
    if (input.vpcId) expected.vpcId = input.vpcId;
    if (explicitIp) expected.ip = explicitIp;
    return this.create(
      'load-balancer',
      ctx,
      [input.frontendSubnetId, backendSubnetId],
      expected,
      async (tx) => {
        const frontend = await requireOf(tx, input.frontendSubnetId, 'subnet', pathOf(ctx, 'frontendSubnet'));
        const backend = await requireOf(tx, backendSubnetId, 'subnet', pathOf(ctx, 'backendSubnet'));
        const vpcId = input.vpcId ?? frontend.vpcId;
        if (input.vpcId) await requireOf(tx, input.vpcId, 'vpc', pathOf(ctx, 'vpc'));
        for (const [field, subnet] of [
          ['frontendSubnet', frontend],
          ['backendSubnet', backend],
        ] as const) {
          if (subnet.vpcId !== vpcId) {
            throw new ValidationFailedError(
              `${field} ${subnet.name} is not in the load balancer's VPC`,
              at(ctx, field),
            );
          }
        }
        const ip = await this.assignAddress(tx, frontend, explicitIp, ctx, 'ip');
        const extraAvoid = frontend.id === backend.id ? [ip] : [];
        const backendIp = await this.assignAddress(tx, backend, undefined, ctx, 'backendSubnet', extraAvoid);
        return {
          ...this.base('load-balancer', input.name, ctx),
          type: 'load-balancer',
          vpcId,
          frontendSubnetId: frontend.id,
          backendSubnetId: backend.id,
          ip,
          backendIp,
          azs,
        };
      },
    );
  }

  /** A listener: one per (load balancer, port, transport); its backend group serves the LB's VPC. */
  async createListener(input: ListenerInput, ctx: CreateContext = {}): Promise<Listener> {
    if (!isPort(input.port))
      throw new InvalidPortSpecError(`port ${input.port} is not 1–65535`, at(ctx, 'port'));
    const accessControl = normaliseAccessControl(input.accessControl ?? 'all', ctx);
    const name = input.name ?? `${input.protocol}-${input.port}`;
    const expected = {
      name,
      loadBalancerId: input.loadBalancerId,
      protocol: input.protocol,
      port: input.port,
      backendGroupId: input.backendGroupId,
      accessControl,
    };
    return this.create('listener', ctx, [input.loadBalancerId], expected, async (tx) => {
      const lb = await requireOf(tx, input.loadBalancerId, 'load-balancer', pathOf(ctx, 'loadBalancer'));
      const group = await requireOf(tx, input.backendGroupId, 'backend-group', pathOf(ctx, 'backendGroup'));
      if (group.vpcId !== null && group.vpcId !== lb.vpcId) {
        throw new ValidationFailedError(
          `backend group ${group.name} serves another VPC than load balancer ${lb.name}`,
          at(ctx, 'backendGroup'),
        );
      }
      if (group.protocol !== input.protocol) {
        throw new ValidationFailedError(
          `a ${input.protocol} listener needs a ${input.protocol} backend group; ${group.name} is ${group.protocol}`,
          at(ctx, 'backendGroup'),
        );
      }
      const transport = (p: LbProtocol) => (p === 'UDP' ? 'udp' : 'tcp');
      for (const other of await referrersOf(tx, lb.id, 'listener')) {
        if (other.port === input.port && transport(other.protocol) === transport(input.protocol)) {
          throw new ValidationFailedError(
            `load balancer ${lb.name} already listens on ${transport(input.protocol)} ${input.port} (${other.name})`,
            { ...at(ctx, 'port'), details: { conflictingId: other.id } },
          );
        }
      }
      return {
        ...this.base('listener', name, ctx),
        type: 'listener',
        loadBalancerId: lb.id,
        protocol: input.protocol,
        port: input.port,
        backendGroupId: group.id,
        accessControl,
      };
    });
  }

  // ---------------------------------------------------------------- NAT

  /** A transit IP: an address in a transit subnet (its VPC is the transit VPC). */
  async createTransitIp(input: TransitIpInput, ctx: CreateContext = {}): Promise<TransitIp> {
    const explicitIp = isAuto(input.ip)
      ? undefined
      : formatIpv4(parseIpv4(input.ip as string, pathOf(ctx, 'ip')));
    const expected: Record<string, unknown> = { name: input.name, subnetId: input.subnetId };
    if (explicitIp) expected.ip = explicitIp;
    return this.create('transit-ip', ctx, [input.subnetId], expected, async (tx) => {
      const subnet = await requireOf(tx, input.subnetId, 'subnet', pathOf(ctx, 'subnet'));
      const ip = await this.assignAddress(tx, subnet, explicitIp, ctx, 'ip');
      return {
        ...this.base('transit-ip', input.name, ctx),
        type: 'transit-ip',
        vpcId: subnet.vpcId,
        subnetId: subnet.id,
        ip,
      };
    });
  }

  /** A private NAT gateway, created PENDING, with its downlink address in its subnet. */
  async createGateway(input: GatewayInput, ctx: CreateContext = {}): Promise<PrivateNatGateway> {
    const explicitIp = isAuto(input.downlinkIp)
      ? undefined
      : formatIpv4(parseIpv4(input.downlinkIp as string, pathOf(ctx, 'downlinkIp')));
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
    return this.create('private-nat-gateway', ctx, [input.subnetId], expected, async (tx) => {
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
      const downlinkIp = await this.assignAddress(tx, subnet, explicitIp, ctx, 'downlinkIp');
      return {
        ...this.base('private-nat-gateway', input.name, ctx),
        status: 'PENDING',
        type: 'private-nat-gateway',
        vpcId: subnet.vpcId,
        subnetId: subnet.id,
        downlinkIp,
        spec,
        allowSharedTransitIp,
      };
    });
  }

  /**
   * A DNAT rule, created PENDING. Rules checked in §3.2 order: TRANSIT_IP_IN_TARGET_VPC,
   * TARGET_NOT_IN_GATEWAY_VPC, LB_ALREADY_MAPPED, DNAT_PORT_CONFLICT, PORT_TYPE_CONFLICT,
   * INVALID_PORT_SPEC, TRANSIT_IP_SHARED, GATEWAY_NOT_ACTIVE, QUOTA_EXCEEDED.
   * The record copies the transit IP's and the target's addresses so the DNAT engine needs no joins.
   */
  async createDnatRule(input: DnatRuleInput, ctx: CreateContext = {}): Promise<DnatRule> {
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
    return this.create(
      'dnat-rule',
      ctx,
      [input.gatewayId, input.transitIpId],
      expected,
      async (tx) => {
        const gateway = await requireOf(tx, input.gatewayId, 'private-nat-gateway', pathOf(ctx, 'gateway'));
        const transitIp = await requireOf(tx, input.transitIpId, 'transit-ip', pathOf(ctx, 'transitIp'));
        const { target, targetVpcId, targetName } = await resolveTarget(
          tx,
          input.target,
          targetIp,
          gateway,
          ctx,
        );

        if (targetVpcId === transitIp.vpcId) {
          throw new TransitIpInTargetVpcError(
            `transit IP ${transitIp.name} (${transitIp.ip}) is in the same VPC as the target ${targetName}; a DNAT rule connects different VPCs`,
            at(ctx, 'target'),
          );
        }
        if (targetVpcId !== gateway.vpcId) {
          throw new TargetNotInGatewayVpcError(
            `target ${targetName} is not in the VPC of gateway ${gateway.name}`,
            at(ctx, 'target'),
          );
        }
        if (target.kind === 'load-balancer') {
          const holder = await tx.getByKey(keys.lbTarget(target.loadBalancerId));
          if (holder) {
            throw new LbAlreadyMappedError(
              `load balancer ${targetName} is already the target of DNAT rule ${holder.name} (${holder.id}); a load balancer takes one DNAT rule`,
              { ...at(ctx, 'target.loadBalancer'), details: { conflictingId: holder.id } },
            );
          }
        }
        const portHolder = await tx.getByKey(keys.dnatPort(transitIp.id, input.protocol, input.transitPort));
        if (portHolder) {
          throw new DnatPortConflictError(
            `transit IP ${transitIp.name} (${transitIp.ip}) already forwards ${describePorts(input.protocol, input.transitPort)} (rule ${portHolder.id})`,
            { ...at(ctx, 'transitPort'), details: { conflictingId: portHolder.id } },
          );
        }
        const sharing = await tx.referrers(transitIp.id);
        const allPorts = input.protocol === 'any';
        const otherType = sharing.find(
          (r): r is DnatRule => r.type === 'dnat-rule' && (r.protocol === 'any') !== allPorts,
        );
        if (otherType) {
          throw new PortTypeConflictError(
            `transit IP ${transitIp.name} already has ${allPorts ? 'a specific-port' : 'an all-ports'} rule (${otherType.id}); all-ports and specific-port rules cannot share a transit IP`,
            { ...at(ctx, 'portType'), details: { conflictingId: otherType.id } },
          );
        }
        checkPortSpec(input, ctx);
        const snat = sharing.find((r) => r.type === 'snat-rule');
        if (snat && !gateway.allowSharedTransitIp) {
          throw new TransitIpSharedError(
            `transit IP ${transitIp.name} is used by SNAT rule ${snat.id}; gateway ${gateway.name} does not allow SNAT and DNAT rules to share a transit IP (allowSharedTransitIp)`,
            { ...at(ctx, 'transitIp'), details: { conflictingId: snat.id } },
          );
        }
        await checkGatewayTakesRules(tx, gateway, ctx);
        return {
          ...this.base(
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
      undefined,
      (existing) => (input.name !== undefined && existing.name !== input.name ? ['name'] : []),
    );
  }

  /**
   * An SNAT rule, created PENDING: a source (a subnet of the gateway's VPC, or a CIDR) leaves through
   * one transit IP. Checked: TRANSIT_IP_SHARED, SNAT_SOURCE_CONFLICT (one rule per subnet, no equal
   * CIDRs; proper subsets are fine), GATEWAY_NOT_ACTIVE, QUOTA_EXCEEDED.
   */
  async createSnatRule(input: SnatRuleInput, ctx: CreateContext = {}): Promise<SnatRule> {
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
    return this.create(
      'snat-rule',
      ctx,
      [input.gatewayId, input.transitIpId],
      expected,
      async (tx) => {
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
        await checkGatewayTakesRules(tx, gateway, ctx);
        return {
          ...this.base(
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
      undefined,
      (existing) => (input.name !== undefined && existing.name !== input.name ? ['name'] : []),
    );
  }

  // ---------------------------------------------------------------- lifecycle and deletes

  /** Sets a resource's status as it is (the workflow's and tests' escape hatch). */
  async setStatus(id: string, status: LifecycleStatus): Promise<Resource> {
    return this.store.transaction([id], async (tx) => {
      const resource = await requireOf(tx, id);
      if (resource.status === status) return resource;
      const updated = { ...resource, status } as Resource;
      await tx.update(updated);
      return updated;
    });
  }

  /**
   * PENDING → ACTIVE once the provisioning delay has passed since creation; any other status is left
   * as it is. Returns the resource, still PENDING while the delay runs (the workflow waits and retries).
   */
  async activate(id: string): Promise<Resource> {
    return this.store.transaction([id], async (tx) => {
      const resource = await requireOf(tx, id);
      if (resource.status !== 'PENDING') return resource;
      if (this.clock.now() - Date.parse(resource.createdAt) < this.provisioningDelayMs) return resource;
      const updated = { ...resource, status: 'ACTIVE' } as Resource;
      await tx.update(updated);
      return updated;
    });
  }

  /** Freezes a gateway or a rule (the product's frozen state). Freezing a frozen one is a no-op. */
  freeze(id: string): Promise<Resource> {
    return this.changeFrozen(id, true);
  }

  /** Unfreezes a frozen gateway or rule (→ ACTIVE); anything not frozen is left as it is. */
  unfreeze(id: string): Promise<Resource> {
    return this.changeFrozen(id, false);
  }

  private changeFrozen(id: string, frozen: boolean): Promise<Resource> {
    return this.store.transaction([id], async (tx) => {
      const resource = await requireOf(tx, id);
      if (!FREEZABLE.has(resource.type)) {
        throw new ValidationFailedError(
          `${resource.id} is a ${resource.type}; only private NAT gateways and their rules can be ${frozen ? 'frozen' : 'unfrozen'}`,
          { details: { id } },
        );
      }
      const next: LifecycleStatus | undefined = frozen
        ? resource.status === 'FROZEN'
          ? undefined
          : 'FROZEN'
        : resource.status === 'FROZEN'
          ? 'ACTIVE'
          : undefined;
      if (next === undefined) return resource;
      const updated = { ...resource, status: next } as Resource;
      await tx.update(updated);
      return updated;
    });
  }

  /** Deletes a resource; DEPENDENCY_VIOLATION while another one references it, NOT_FOUND when missing. */
  async delete(id: string): Promise<Resource> {
    return this.store.transaction([id], async (tx) => {
      const resource = await requireOf(tx, id);
      const referrers = await tx.referrers(id);
      if (referrers.length > 0) {
        throw new DependencyViolationError(
          `${resource.type} ${resource.name} (${id}) is still referenced by ${referrers
            .slice(0, 5)
            .map((r) => `${r.type} ${r.name} (${r.id})`)
            .join(', ')}${referrers.length > 5 ? ` and ${referrers.length - 5} more` : ''}`,
          { details: { id, referrers: referrers.map((r) => r.id) } },
        );
      }
      await tx.remove(id);
      return resource;
    });
  }

  // ---------------------------------------------------------------- internals

  private base(type: ResourceType, name: string, ctx: CreateContext) {
    return {
      id: this.newId(type),
      name,
      status: 'ACTIVE' as LifecycleStatus,
      createdAt: new Date(this.clock.now()).toISOString(),
      plan: ctx.plan ?? null,
      execution: ctx.execution ?? null,
      clientToken: ctx.clientToken ?? null,
    };
  }

  private async insert(tx: StoreTx, resource: Resource, ctx: CreateContext): Promise<void> {
    resource.externalId ??= externalIdOf(resource.id);
    try {
      await tx.insert(resource, { keys: constraintKeysOf(resource), refs: referencesOf(resource) });
    } catch (error) {
      if (error instanceof UniqueKeyViolation) throw conflictOf(error, ctx);
      throw error;
    }
  }

  /**
   * The shared create: under a client token, return the resource already created (PLAN_CHANGED when
   * `expected` fields differ); otherwise build it (checking the rules) and insert it, in one transaction.
   */
  private async create<T extends ResourceType>(
    type: T,
    ctx: CreateContext,
    scopes: readonly string[],
    expected: Record<string, unknown>,
    build: (tx: StoreTx) => Promise<ResourceOf<T>>,
    compareMore?: (tx: StoreTx, existing: ResourceOf<T>) => Promise<string[]>,
    compareSync?: (existing: ResourceOf<T>) => string[],
  ): Promise<ResourceOf<T>> {
    const token = ctx.clientToken ?? undefined;
    const replay = async (tx: StoreReader & Partial<StoreTx>): Promise<ResourceOf<T> | undefined> => {
      if (token === undefined) return undefined;
      const existing = await tx.getByKey(keys.token(token));
      if (!existing) return undefined;
      const changed: string[] = [];
      if (existing.type !== type) changed.push('type');
      else {
        const record = existing as unknown as Record<string, unknown>;
        for (const [field, value] of Object.entries(expected)) {
          const actual = field === 'target' ? stripTargetIp(record.target) : record[field];
          if (canonical(actual) !== canonical(value)) changed.push(field);
        }
        if (compareSync) changed.push(...compareSync(existing as ResourceOf<T>));
        if (compareMore && 'insert' in tx)
          changed.push(...(await compareMore(tx as StoreTx, existing as ResourceOf<T>)));
      }
      if (changed.length > 0) {
        throw new PlanChangedError(
          `${type} ${existing.name} (${existing.id}) was created from different fields (${changed.join(', ')}); natflow does not update in place: tear down, then provision`,
          { ...at(ctx), details: { id: existing.id, fields: changed } },
        );
      }
      return existing as ResourceOf<T>;
    };
    try {
      return await this.store.transaction([...scopes, ...(token ? [`token:${token}`] : [])], async (tx) => {
        const existing = await replay(tx);
        if (existing) return existing;
        const resource = await build(tx);
        await this.insert(tx, resource, ctx);
        return resource;
      });
    } catch (error) {
      // Another process created it between our read and our insert (an adapter without serialisation).
      if (error instanceof TokenRace) {
        const again = await this.store.transaction([], (tx) => replay(tx));
        if (again) return again;
      }
      throw error;
    }
  }

  /** An explicit address checked, or the lowest free one skipping the plan's explicit requests. */
  private async assignAddress(
    tx: StoreTx,
    subnet: Subnet,
    explicit: string | undefined,
    ctx: CreateContext,
    field: string,
    extraAvoid: readonly string[] = [],
  ): Promise<string> {
    const cidr = parseCidr(subnet.cidr);
    const inUse = new Set<number>();
    for (const holder of await tx.referrers(subnet.id)) {
      for (const [subnetId, ip] of addressesOf(holder)) if (subnetId === subnet.id) inUse.add(parseIpv4(ip));
    }
    const options = { ...at(ctx, field), subnetName: subnet.name };
    if (explicit !== undefined) {
      checkExplicitAddress(cidr, parseIpv4(explicit), inUse, options);
      return explicit;
    }
    const avoid = new Set<number>();
    for (const text of [...(ctx.avoid ?? []), ...extraAvoid]) {
      const ip = parseIpv4(text);
      if (cidrContainsIp(cidr, ip)) avoid.add(ip);
    }
    return formatIpv4(lowestFreeAddress(cidr, inUse, avoid, options));
  }
}

/**
 * The virtual cloud's dry run: a `ControlPlane` over an in-memory copy of `reader` (ids
 * `<prefix>-dryrun0001`, …), so the rules are checked by the same code that provisions, and nothing real
 * changes. The copy is garbage once the sandbox is dropped.
 */
export async function virtualDryRun(reader: StoreReader, clock?: Clock): Promise<DryRun> {
  const sandbox = await MemoryStore.copyOf(reader);
  const before = new Set((await sandbox.list()).map((r) => r.id));
  let counter = 0;
  const cloud = new ControlPlane({
    store: sandbox,
    ...(clock ? { clock } : {}),
    newId: (type: ResourceType) => `${ID_PREFIX[type]}-dryrun${String(++counter).padStart(4, '0')}`,
  });
  return { cloud, before };
}

/** Marks a token key held by a resource we could not see: the create re-reads it. */
class TokenRace extends Error {
  override name = 'TokenRace';
}

/** Maps a store key violation back to the rule it enforces. */
function conflictOf(violation: UniqueKeyViolation, ctx: CreateContext): Error {
  const kind = violation.key.split(':')[0];
  const details = violation.holderId
    ? { conflictingId: violation.holderId, key: violation.key }
    : { key: violation.key };
  switch (kind) {
    case 'dnat-port':
      return new DnatPortConflictError(`the transit IP and port are already forwarded (${violation.key})`, {
        ...at(ctx, 'transitPort'),
        details,
      });
    case 'lb-target':
      return new LbAlreadyMappedError('the load balancer is already the target of a DNAT rule', {
        ...at(ctx, 'target.loadBalancer'),
        details,
      });
    case 'addr':
      return new IpInUseError(`the address is already in use (${violation.key})`, {
        ...at(ctx, 'ip'),
        details,
      });
    case 'snat-subnet':
    case 'snat-cidr':
      return new SnatSourceConflictError(
        `the gateway already has an SNAT rule for this source (${violation.key})`,
        {
          ...at(ctx, 'source'),
          details,
        },
      );
    case 'token':
      return new TokenRace(violation.message);
    default:
      return violation;
  }
}

async function requireOf<T extends ResourceType>(
  reader: StoreReader,
  id: string,
  type?: T,
  path?: string,
): Promise<ResourceOf<T>> {
  const resource = await reader.get(id);
  if (!resource || (type !== undefined && resource.type !== type)) {
    throw new NotFoundError(
      resource ? `${id} is a ${resource.type}, not a ${type}` : `${type ?? 'resource'} ${id} does not exist`,
      { ...(path === undefined ? {} : { path }), details: { id } },
    );
  }
  return resource as ResourceOf<T>;
}

async function referrersOf<T extends ResourceType>(
  reader: StoreReader,
  id: string,
  type: T,
): Promise<Array<ResourceOf<T>>> {
  return (await reader.referrers(id)).filter((r): r is ResourceOf<T> => r.type === type);
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

/** INVALID_PORT_SPEC: specific = tcp/udp with ports 1–65535; all ports = `any` with 0/0. */
function checkPortSpec(input: DnatRuleInput, ctx: CreateContext): void {
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

async function checkGatewayTakesRules(
  tx: StoreTx,
  gateway: PrivateNatGateway,
  ctx: CreateContext,
): Promise<void> {
  if (gateway.status !== 'ACTIVE') {
    throw new GatewayNotActiveError(
      `gateway ${gateway.name} is ${gateway.status}; rules are added only to an ACTIVE gateway`,
      { ...at(ctx), details: { gatewayId: gateway.id, status: gateway.status } },
    );
  }
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

function stripTargetIp(target: unknown): unknown {
  if (!target || typeof target !== 'object') return target;
  const { ip, ...rest } = target as { kind?: string; ip?: string };
  return rest.kind === 'ip' ? { ...rest, ip } : rest;
}

function normaliseInbound(
  inbound: readonly SecurityGroupRuleInput[],
  ctx: CreateContext,
): SecurityGroupRule[] {
  return inbound.map((rule, i) => {
    const field = `inbound[${i}]`;
    if (!isPort(rule.fromPort) || !isPort(rule.toPort) || rule.fromPort > rule.toPort) {
      throw new InvalidPortSpecError(
        `ports ${rule.fromPort}-${rule.toPort} are not a range within 1–65535`,
        at(ctx, `${field}.ports`),
      );
    }
    const source = formatCidr(parseCidr(rule.source, pathOf(ctx, `${field}.source`)));
    return { protocol: rule.protocol, fromPort: rule.fromPort, toPort: rule.toPort, source };
  });
}

/** Each app's port, from the server's own VPC (its load balancer's backend address lives there). */
function defaultInbound(apps: readonly App[], vpcCidr: string): SecurityGroupRule[] {
  return apps.map((app) => ({
    protocol: app.protocol === 'udp' ? 'udp' : 'tcp',
    fromPort: app.port,
    toPort: app.port,
    source: vpcCidr,
  }));
}

function healthCheckOf(
  protocol: LbProtocol,
  given: Partial<HealthCheck> | undefined,
  memberPort?: number,
): HealthCheck {
  const checkProtocol = given?.protocol ?? protocol;
  const port = given?.port ?? memberPort ?? 80;
  if (!isPort(port)) throw new InvalidPortSpecError(`health check port ${port} is not 1–65535`);
  return {
    protocol: checkProtocol,
    port,
    ...(checkProtocol === 'HTTP' ? { path: given?.path ?? '/' } : {}),
    intervalSeconds: given?.intervalSeconds ?? 5,
  };
}

function normaliseAccessControl(accessControl: AccessControl, ctx: CreateContext): AccessControl {
  if (accessControl === 'all') return 'all';
  if ('allow' in accessControl) {
    return {
      allow: accessControl.allow.map((c, i) =>
        formatCidr(parseCidr(c, pathOf(ctx, `accessControl.allow[${i}]`))),
      ),
    };
  }
  return {
    deny: accessControl.deny.map((c, i) => formatCidr(parseCidr(c, pathOf(ctx, `accessControl.deny[${i}]`)))),
  };
}

/** Narrowing helper for callers: is this error one of natflow's coded errors? */
export function isNatflowError(error: unknown): error is NatflowError {
  return error instanceof NatflowError;
}
