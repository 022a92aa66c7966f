/**
 * The virtual cloud's control plane: create / get / list / delete for every resource of docs/plan-format.md#resources,
 * lifecycle changes, and every control-plane rule with its stable error code — the `virtual` provider of the
 * cloud port (`Cloud`, `./cloud.ts`).
 *
 * Where things are: this class (reads, lifecycle, deletes, the port's members); the create machinery
 * (`./create.ts`: one options object per create, the transaction, replay under a token, key violations,
 * address assignment); the creates by concern (`./network.ts`, `./compute.ts`, `./load-balancing.ts`,
 * `./nat.ts`); a DNAT rule's checks in the rules table order (`./dnat-checks.ts`).
 *
 * Design and invariants:
 * - **One transaction per call.** Each create reads what its rules need and inserts the resource inside
 *   one `store.transaction`, so a rule that is not a key (quotas, port types, subnet overlap) cannot be
 *   broken by a concurrent create. Rules that are keys (a DNAT port, one rule per load balancer, an
 *   address in use, a client token) are also unique keys of the store: the safety net if an adapter's
 *   serialisation is weaker than it claims. A `UniqueKeyViolation` is mapped back to the rule's code.
 * - **Rule order.** For one create the rules are checked in the order of the rules table (`RULE_ORDER`),
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
import { type Clock, systemClock } from '../net/clock.ts';
import type { Cloud, Deletion, DryRun, DryRunScope } from './cloud.ts';
import * as compute from './compute.ts';
import { type CreateEnv, defaultNewId, requireOf } from './create.ts';
import { DependencyViolationError, NatflowError, ValidationFailedError } from './errors.ts';
import type {
  BackendGroupInput,
  CreateContext,
  DnatRuleInput,
  GatewayInput,
  ListenerInput,
  LoadBalancerInput,
  SecurityGroupInput,
  ServerInput,
  SnatRuleInput,
  SubnetInput,
  TransitIpInput,
  VpcInput,
} from './inputs.ts';
import * as lb from './load-balancing.ts';
import * as nat from './nat.ts';
import * as network from './network.ts';
import { OverlayStore } from './overlay-store.ts';
import { resolveResource } from './resolve.ts';
import {
  type BackendGroup,
  type DnatRule,
  ID_PREFIX,
  type LifecycleStatus,
  type Listener,
  type LoadBalancer,
  type PrivateNatGateway,
  type Resource,
  type ResourceOf,
  type ResourceType,
  type SecurityGroup,
  type Server,
  type SnatRule,
  type Subnet,
  type TransitIp,
  type Vpc,
} from './resources.ts';
import { keys, type ResourceQuery, type Store, type StoreReader } from './store.ts';

export { externalIdOf } from './create.ts';
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

const FREEZABLE: ReadonlySet<ResourceType> = new Set(['private-nat-gateway', 'dnat-rule', 'snat-rule']);

/** The virtual cloud (docs/plan-format.md#resources): the `virtual` provider of the cloud port, in natflow's own store. */
export class ControlPlane implements Cloud {
  readonly name = 'virtual' as const;
  readonly store: Store;
  private readonly clock: Clock;
  private readonly provisioningDelayMs: number;
  /** What the creates share (`./create.ts`). */
  private readonly env: CreateEnv;

  constructor(options: ControlPlaneOptions) {
    this.store = options.store;
    this.clock = options.clock ?? systemClock;
    this.provisioningDelayMs = options.provisioningDelayMs ?? 0;
    this.env = { store: this.store, clock: this.clock, newId: options.newId ?? defaultNewId };
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

  /** A dry run over a copy-on-write overlay of this store (`virtualDryRun`), with this clock. */
  dryRun(scope: DryRunScope): Promise<DryRun> {
    return virtualDryRun(this.store, this.clock, scope);
  }

  // ---------------------------------------------------------------- networks (./network.ts)

  createVpc(input: VpcInput, ctx: CreateContext = {}): Promise<Vpc> {
    return network.createVpc(this.env, input, ctx);
  }

  createSubnet(input: SubnetInput, ctx: CreateContext = {}): Promise<Subnet> {
    return network.createSubnet(this.env, input, ctx);
  }

  // ---------------------------------------------------------------- compute (./compute.ts)

  createSecurityGroup(input: SecurityGroupInput, ctx: CreateContext = {}): Promise<SecurityGroup> {
    return compute.createSecurityGroup(this.env, input, ctx);
  }

  createServer(input: ServerInput, ctx: CreateContext = {}): Promise<Server> {
    return compute.createServer(this.env, input, ctx);
  }

  // ---------------------------------------------------------------- load balancing (./load-balancing.ts)

  createBackendGroup(input: BackendGroupInput, ctx: CreateContext = {}): Promise<BackendGroup> {
    return lb.createBackendGroup(this.env, input, ctx);
  }

  createLoadBalancer(input: LoadBalancerInput, ctx: CreateContext = {}): Promise<LoadBalancer> {
    return lb.createLoadBalancer(this.env, input, ctx);
  }

  createListener(input: ListenerInput, ctx: CreateContext = {}): Promise<Listener> {
    return lb.createListener(this.env, input, ctx);
  }

  // ---------------------------------------------------------------- NAT (./nat.ts)

  createTransitIp(input: TransitIpInput, ctx: CreateContext = {}): Promise<TransitIp> {
    return nat.createTransitIp(this.env, input, ctx);
  }

  createGateway(input: GatewayInput, ctx: CreateContext = {}): Promise<PrivateNatGateway> {
    return nat.createGateway(this.env, input, ctx);
  }

  createDnatRule(input: DnatRuleInput, ctx: CreateContext = {}): Promise<DnatRule> {
    return nat.createDnatRule(this.env, input, ctx);
  }

  createSnatRule(input: SnatRuleInput, ctx: CreateContext = {}): Promise<SnatRule> {
    return nat.createSnatRule(this.env, input, ctx);
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
}

/**
 * The virtual cloud's dry run: a `ControlPlane` over a copy-on-write overlay of `reader`
 * (`OverlayStore`: reads through its indexes, writes in memory; ids `<prefix>-dryrun0001`, …), so the
 * rules are checked by the same code that provisions, nothing real changes, and the cost is what the
 * plan touches, not the size of the store. `before` holds, of what the store held, the scope's plan's
 * resources and the referenced ones that are ids (everything only when no scope is given): what a
 * dry run asks it about.
 */
export async function virtualDryRun(
  reader: StoreReader,
  clock?: Clock,
  scope?: DryRunScope,
): Promise<DryRun> {
  const sandbox = new OverlayStore(reader);
  const before = new Set((await reader.list(scope ? { plan: scope.plan } : {})).map((r) => r.id));
  for (const ref of scope?.references ?? []) if (await reader.get(ref)) before.add(ref);
  let counter = 0;
  const cloud = new ControlPlane({
    store: sandbox,
    ...(clock ? { clock } : {}),
    newId: (type: ResourceType) => `${ID_PREFIX[type]}-dryrun${String(++counter).padStart(4, '0')}`,
  });
  return { cloud, before };
}

/** Narrowing helper for callers: is this error one of natflow's coded errors? */
export function isNatflowError(error: unknown): error is NatflowError {
  return error instanceof NatflowError;
}
