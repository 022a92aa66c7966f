/**
 * The cloud port (docs/clouds.md): the one interface natflow's provisioning, rollback, teardown and a plan's
 * dry run call to create, read and delete the resources of docs/plan-format.md. The providers of `src/providers/registry.ts`
 * implement it (the virtual one is `ControlPlane`, natflow's own cloud in its store). The core never
 * sees the registry: to it a provider is a `Cloud` with a `name`. Nothing outside `src/cloud/` and
 * `src/providers/` may assume which one it talks to; what a provider can do is asked of the registry.
 *
 * The contract every provider keeps:
 * - **natflow's resources.** Every answer is a `Resource` as natflow names it (docs/plan-format.md fields, camelCase, natflow's
 *   own `id`), recorded in natflow's ledger (the store: plan, execution, client token) and carrying
 *   `externalId` (its id in the cloud holding it) and `cloud`.
 * - **Idempotent creates.** A create under `ctx.clientToken` answers the resource already created under that
 *   token — found in the ledger, or, after a crash between the cloud call and the ledger write, in the cloud
 *   itself (by the token it tagged the resource with) and then recorded — never a second one. A token whose
 *   resource was created from other fields is PLAN_CHANGED (no update in place).
 * - **Rules first.** A create breaking a control-plane rule throws that rule's `NatflowError` (the first broken in the
 *   table's order) and creates nothing; what the cloud itself refuses maps to the rule code where one fits,
 *   else CLOUD_REJECTED / CLOUD_AUTH_FAILED; throttling and 5xx are transient (retried).
 * - **Asynchronous readiness.** A create may answer a resource still `PENDING` (a gateway or rule on the
 *   virtual cloud with a provisioning delay; an ECS job, an ELB `PENDING_CREATE`, a VPC `CREATING` on Huawei).
 *   The caller never sleeps: the workflow's Wait/Choice loop calls `refresh` again until `isReady`, and fails
 *   the execution after its own bound (CLOUD_TIMEOUT / GATEWAY_NOT_ACTIVE). A resource the cloud reports
 *   failed throws CLOUD_RESOURCE_FAILED from `refresh`.
 * - **Asynchronous deletion.** `destroy` may answer `done: false` while the cloud still deletes; rollback and
 *   teardown call it again (their own Wait/Choice loop) until `done`. The ledger keeps the resource until the
 *   deletion is done, so a repeat finds it.
 * - **The rules' dry run.** `dryRun` answers a sandbox `Cloud` over a model of what the cloud already has
 *   (the virtual cloud: a copy of its store; Huawei: a model refreshed from the API for the part of the
 *   account the plan names). Creates in the sandbox check every control-plane rule and change nothing real.
 * - **Drift** (docs/real-cloud.md#change-drift). A real cloud's dry run reads back everything natflow recorded
 *   there for the plan (batched: list calls per kind) and answers what is gone or changed (`DryRun.drift`,
 *   compared by `./drift.ts`); a create in the sandbox that replays a resource only a replacement would
 *   repair throws DRIFT_REQUIRES_REPLACE. A create that replays a resource of an earlier execution then
 *   repairs it: recreated (same natflow id, a new `externalId`) when gone, updated in place when changed.
 *   The virtual cloud is natflow's own store: it has no drift.
 */

import type { Drift } from './drift.ts';
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
import type {
  BackendGroup,
  DnatRule,
  Listener,
  LoadBalancer,
  PrivateNatGateway,
  Resource,
  ResourceOf,
  ResourceType,
  SecurityGroup,
  Server,
  SnatRule,
  Subnet,
  TransitIp,
  Vpc,
} from './resources.ts';
import type { ResourceQuery } from './store.ts';

/** What `destroy` answers: the resource as last known, and whether the cloud has finished deleting it. */
export interface Deletion {
  /** The resource being deleted (its last known state; `status` as the cloud reports it). */
  resource: Resource;
  /** True once the resource is gone from the cloud and from the ledger; false: call `destroy` again later. */
  done: boolean;
}

/** What a plan's dry run is about, so a provider reading a real account refreshes only that part of it. */
export interface DryRunScope {
  /** The plan being checked (its own resources replay under their client tokens). */
  plan: string;
  /**
   * The ids or names of the resources the plan references with `existing:` (VPCs, subnets, gateways,
   * transit IPs…): a provider modelling a real account reads these and what they hold before the dry run.
   */
  references?: readonly string[];
}

/** A sandbox for one dry run: a `Cloud` whose creates check the control-plane rule against a model, and what it held. */
export interface DryRun {
  /** Creates here check every rule and answer resources with made-up ids; nothing real is created. */
  readonly cloud: Cloud;
  /**
   * Ids the model held before the dry run — at least the scope's plan's resources and its references:
   * tells a reused resource (replayed token) from a new one.
   */
  readonly before: ReadonlySet<string>;
  /**
   * What the read-back found of the plan's recorded resources (docs/real-cloud.md#change-drift): each one
   * gone from the cloud or with a managed field changed there (`replace: true` when the cloud cannot
   * update that field in place). Absent or empty: no drift — always so on the virtual cloud, whose
   * store is the cloud itself.
   */
  readonly drift?: readonly Drift[];
}

/**
 * One cloud natflow provisions into (docs/clouds.md). Creates take natflow's inputs (`./inputs.ts`) and a
 * `CreateContext` (plan, execution, client token, the entry's path for error paths, addresses to avoid).
 */
export interface Cloud {
  /**
   * Which provider this is, as the registry names it (src/providers/registry.ts): recorded on every
   * resource it creates (`Resource.cloud`).
   */
  readonly name: string;

  // ------------------------------------------------------------------ creates (idempotent under a token)

  /** A VPC (docs/plan-format.md): CIDR inside a private range, prefix /8 to /28. */
  createVpc(input: VpcInput, ctx?: CreateContext): Promise<Vpc>;
  /** A subnet inside its VPC, /16 to /29, overlapping none of the VPC's other subnets. */
  createSubnet(input: SubnetInput, ctx?: CreateContext): Promise<Subnet>;
  /** A security group with its inbound rules. */
  createSecurityGroup(input: SecurityGroupInput, ctx?: CreateContext): Promise<SecurityGroup>;
  /** A server (ECS): one NIC in a subnet, an address (explicit or the lowest free), its security groups. */
  createServer(input: ServerInput, ctx?: CreateContext): Promise<Server>;
  /** A backend server group with its members. */
  createBackendGroup(input: BackendGroupInput, ctx?: CreateContext): Promise<BackendGroup>;
  /** A dedicated load balancer: frontend subnet and address, backend subnet, AZs. */
  createLoadBalancer(input: LoadBalancerInput, ctx?: CreateContext): Promise<LoadBalancer>;
  /** A listener of a load balancer forwarding to a backend group, with its access control. */
  createListener(input: ListenerInput, ctx?: CreateContext): Promise<Listener>;
  /** A transit IP in a transit subnet (explicit or the lowest free address). */
  createTransitIp(input: TransitIpInput, ctx?: CreateContext): Promise<TransitIp>;
  /** A private NAT gateway with its downlink address; may answer PENDING (see `refresh`). */
  createGateway(input: GatewayInput, ctx?: CreateContext): Promise<PrivateNatGateway>;
  /** A DNAT rule, checked against every control-plane rule in the table's order; may answer PENDING. */
  createDnatRule(input: DnatRuleInput, ctx?: CreateContext): Promise<DnatRule>;
  /** An SNAT rule (a subnet or a CIDR, one transit IP); may answer PENDING. */
  createSnatRule(input: SnatRuleInput, ctx?: CreateContext): Promise<SnatRule>;

  // ------------------------------------------------------------------ reads (the ledger, natflow's ids)

  /** The resource with this natflow id, or undefined. */
  get(id: string): Promise<Resource | undefined>;
  /** The resource or NOT_FOUND; with a type, a resource of another type is NOT_FOUND too. */
  require<T extends ResourceType>(id: string, type?: T): Promise<ResourceOf<T>>;
  /** The resources matching the query (type, plan, execution…), in creation order. */
  list(query?: ResourceQuery): Promise<Resource[]>;
  /** The resources that reference this one (a subnet's servers, a gateway's rules…). */
  referrers(id: string): Promise<Resource[]>;
  /**
   * The resource created under this client token: from the ledger, or — when the cloud has it but the
   * ledger does not yet (a crash between the call and the record) — found in the cloud by its token and
   * recorded. Undefined when neither has it.
   */
  findByToken(token: string): Promise<Resource | undefined>;
  /**
   * What a plan's `existing:` (or the CLI's argument) names: a natflow id (on a real cloud also the cloud's
   * own id, `externalId`), or a name matching exactly one resource of the wanted types (within `plan` when given).
   * NOT_FOUND, or AMBIGUOUS_NAME with the candidates' ids.
   */
  resolve(type: ResourceType | readonly ResourceType[], nameOrId: string, plan?: string): Promise<Resource>;

  // ------------------------------------------------------------------ lifecycle

  /**
   * Reads the resource's state from the cloud and records it: PENDING becomes ACTIVE once the cloud
   * reports it ready (the virtual cloud: once its provisioning delay has passed). Answers the resource,
   * still PENDING while not ready: the workflow waits and calls again. CLOUD_RESOURCE_FAILED when the
   * cloud reports it failed; NOT_FOUND when it is gone.
   */
  refresh(id: string): Promise<Resource>;
  /**
   * Starts (or continues) deleting a resource natflow created. DEPENDENCY_VIOLATION while another resource
   * references it, NOT_FOUND when neither the ledger nor the cloud has it. Answers `done: false` while the
   * cloud still deletes (call again later); `done: true` once it is gone and out of the ledger.
   */
  destroy(id: string): Promise<Deletion>;

  // ------------------------------------------------------------------ the rules' dry run

  /**
   * A sandbox over a model of what this cloud already has, for a plan's dry run (`natflow validate`, the
   * workflow's ValidatePlan): its creates check the rules against the model and never reach the cloud.
   */
  dryRun(scope: DryRunScope): Promise<DryRun>;
}

/** True when a resource has finished provisioning (ACTIVE, or FROZEN/INACTIVE: settled, not PENDING). */
export function isReady(resource: Resource): boolean {
  return resource.status !== 'PENDING';
}
