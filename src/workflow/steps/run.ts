/**
 * One run of a provisioning step (`./index.ts`): the plan's index (its entries by kind and name, the
 * explicit addresses it requests), the `{kind: {name: id}}` output being built, the create contexts
 * (client tokens) of its entries, and the error policy (throw, or report and skip in a dry run).
 * Every cloud call goes through the cloud port (`Cloud`), so the same run drives any provider.
 *
 * Waiting (docs/real-cloud.md#time): in a workflow run, an entry whose parent is not ready yet
 * (`Natflow.NotReady`, from the cloud or from `awaitReady`) is set aside and the step goes on with the
 * others, so every entry whose parents are ready is created before the step waits; the step then fails
 * `Natflow.NotReady` naming everything it waits for (`./index.ts`), and the workflow's Retry runs it
 * again. In a dry run nothing waits.
 */
import { type Cloud, isReady } from '../../cloud/cloud.ts';
import { GatewayNotActiveError, NatflowError, NotFoundError, NotReadyError } from '../../cloud/errors.ts';
import type { CreateContext } from '../../cloud/inputs.ts';
import type { Resource, ResourceType } from '../../cloud/resources.ts';
import { notReady, type Waiting, waitingOf, waitingOfError } from '../../cloud/waiting.ts';
import {
  type GatewayEntry,
  isExisting,
  type LoadBalancerEntry,
  type Plan,
  type ServerEntry,
  type SubnetEntry,
  type TransitIpEntry,
  type VpcEntry,
} from '../../plan/plan.ts';
import { entryToken, KIND_OF, type StepContext } from '../../plan/provisioning.ts';

/**
 * A provisioning step: creates (or re-finds) its entries of `plan` in plan order, recording each on
 * `run` (`run.attempt` per entry, `run.record` of what it made, `run.context` for its client token).
 */
export type Step = (run: StepRun, cloud: Cloud, plan: Plan) => Promise<void>;

/** A dependency failed earlier in a dry run: skip this entry without reporting it again. */
export class SkipEntry extends Error {
  override name = 'SkipEntry';
}

interface Located<T> {
  entry: T;
  path: string;
}

/** The plan's entries by kind and name (the first of duplicates: validatePlan reports the others). */
export class PlanIndex {
  readonly vpcs = new Map<string, Located<VpcEntry>>();
  readonly subnets = new Map<string, Located<SubnetEntry> & { vpc: string }>();
  readonly servers = new Map<string, Located<ServerEntry>>();
  readonly backendGroups = new Map<string, Located<NonNullable<Plan['backendGroups']>[number]>>();
  readonly loadBalancers = new Map<string, Located<LoadBalancerEntry>>();
  readonly transitIps = new Map<string, Located<TransitIpEntry>>();
  readonly gateways = new Map<string, Located<GatewayEntry>>();
  /** Explicit addresses the plan requests, by subnet name. */
  readonly explicit = new Map<string, string[]>();

  constructor(plan: Plan) {
    const add = <T>(map: Map<string, T>, name: string, value: T) => {
      if (!map.has(name)) map.set(name, value);
    };
    plan.vpcs?.forEach((vpc, i) => {
      add(this.vpcs, vpc.name, { entry: vpc, path: `vpcs[${i}]` });
      vpc.subnets?.forEach((subnet, j) => {
        add(this.subnets, subnet.name, { entry: subnet, path: `vpcs[${i}].subnets[${j}]`, vpc: vpc.name });
      });
    });
    plan.servers?.forEach((e, i) => {
      add(this.servers, e.name, { entry: e, path: `servers[${i}]` });
    });
    plan.backendGroups?.forEach((e, i) => {
      add(this.backendGroups, e.name, { entry: e, path: `backendGroups[${i}]` });
    });
    plan.loadBalancers?.forEach((e, i) => {
      add(this.loadBalancers, e.name, { entry: e, path: `loadBalancers[${i}]` });
    });
    plan.transitIps?.forEach((e, i) => {
      add(this.transitIps, e.name, { entry: e, path: `transitIps[${i}]` });
    });
    plan.privateNatGateways?.forEach((e, i) => {
      add(this.gateways, e.name, { entry: e, path: `privateNatGateways[${i}]` });
    });
    const request = (subnet: string, ip: string | undefined) => {
      if (ip === undefined || ip === 'auto') return;
      this.explicit.set(subnet, [...(this.explicit.get(subnet) ?? []), ip]);
    };
    for (const e of plan.servers ?? []) if (!isExisting(e)) request(e.subnet, e.ip);
    for (const e of plan.loadBalancers ?? []) if (!isExisting(e)) request(e.frontendSubnet, e.ip);
    for (const e of plan.transitIps ?? []) if (!isExisting(e)) request(e.subnet, e.ip);
    for (const e of plan.privateNatGateways ?? []) if (!isExisting(e)) request(e.subnet, e.downlinkIp);
  }
}

export type IndexedKind =
  | 'vpcs'
  | 'subnets'
  | 'servers'
  | 'backendGroups'
  | 'loadBalancers'
  | 'transitIps'
  | 'gateways';

const TYPE_OF_KIND: Record<IndexedKind, ResourceType> = {
  vpcs: 'vpc',
  subnets: 'subnet',
  servers: 'server',
  backendGroups: 'backend-group',
  loadBalancers: 'load-balancer',
  transitIps: 'transit-ip',
  gateways: 'private-nat-gateway',
};

const LABEL_OF_KIND: Record<IndexedKind, string> = {
  vpcs: 'VPC',
  subnets: 'subnet',
  servers: 'server',
  backendGroups: 'backend group',
  loadBalancers: 'load balancer',
  transitIps: 'transit IP',
  gateways: 'private NAT gateway',
};

/** The virtual cloud's bound on a gateway or rule left PENDING by its provisioning delay (10 min). */
const DEFAULT_ACTIVATION_TIMEOUT_MS = 600_000;

/** Kinds the virtual cloud creates PENDING (GATEWAY_NOT_ACTIVE past `activationTimeoutMs`). */
const ACTIVATED_TYPES: ReadonlySet<ResourceType> = new Set(['private-nat-gateway', 'dnat-rule', 'snat-rule']);

/** One step's run: the plan, its index, the output being built, and the error policy. */
export class StepRun {
  readonly resources: Record<string, Record<string, string>> = {};
  readonly pending: string[] = [];
  /** What this run waits for (workflow runs only); `./index.ts` fails the step with it. */
  readonly waiting: Waiting[] = [];
  /** The waits this run set aside that name nothing (a refusal read from the cloud's words). */
  readonly unnamedWaits: NotReadyError[] = [];
  readonly index: PlanIndex;
  private readonly cloud: Cloud;
  private readonly plan: Plan;
  private readonly ctx: StepContext;
  /** When this run began (its clock): what it created itself is not read back at once. */
  private readonly startedAt: number;

  constructor(cloud: Cloud, plan: Plan, ctx: StepContext) {
    this.cloud = cloud;
    this.plan = plan;
    this.ctx = ctx;
    this.index = new PlanIndex(plan);
    this.startedAt = this.now();
  }

  record(resource: Pick<Resource, 'type' | 'id'>, name: string): void {
    const kind = KIND_OF[resource.type];
    this.resources[kind] ??= {};
    (this.resources[kind] as Record<string, string>)[name] = resource.id;
  }

  context(type: ResourceType, name: string, path: string, avoidSubnet?: string): CreateContext {
    return {
      plan: this.plan.name,
      execution: this.ctx.execution,
      clientToken: entryToken(this.plan.name, type, name),
      path,
      ...(avoidSubnet === undefined ? {} : { avoid: this.index.explicit.get(avoidSubnet) ?? [] }),
    };
  }

  ruleContext(token: string, path: string): CreateContext {
    return {
      plan: this.plan.name,
      execution: this.ctx.execution,
      clientToken: `${this.plan.name}:${token}`,
      path,
    };
  }

  /** The plan's name (what it created carries it as `plan`). */
  get planName(): string {
    return this.plan.name;
  }

  /** A workflow run (not a dry run): it waits for what is not ready yet. */
  get waits(): boolean {
    return this.ctx.onIssue === undefined;
  }

  /** Now, by the run's clock. */
  now(): number {
    return this.ctx.now?.() ?? Date.now();
  }

  /**
   * Runs one entry; in dry-run mode a failure is reported and the entry skipped. In a workflow run, an
   * entry waiting for a parent (`Natflow.NotReady`) is set aside and the step goes on with the others.
   */
  async attempt(path: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (error) {
      if (error instanceof SkipEntry) return;
      if (this.waits && error instanceof NotReadyError) {
        const named = waitingOfError(error);
        if (named.length > 0) this.waiting.push(...named);
        else this.unnamedWaits.push(error);
        return;
      }
      if (!this.ctx.onIssue || !(error instanceof NatflowError)) throw error;
      this.ctx.onIssue({ path: error.path ?? path, code: error.name, message: error.message });
    }
  }

  /**
   * In a workflow run, whether `resource` is ready, refreshing it from the cloud first when it is not:
   * a resource still not ready is added to what the run waits for (false). A gateway or rule the cloud
   * keeps PENDING past `activationTimeoutMs` is GATEWAY_NOT_ACTIVE (a real cloud's provider fails its own
   * per-kind deadline, CLOUD_TIMEOUT, in `refresh`). In a dry run: true, nothing waits.
   */
  async awaitReady(resource: Resource): Promise<boolean> {
    if (!this.waits || isReady(resource)) return true;
    // Already waited for in this run (a child found it not ready), or created by this very run (the
    // cloud has just answered its create): no second read.
    const known = this.waiting.some((w) => w.kind === resource.type && w.name === resource.name);
    if (known) return false;
    if (Date.parse(resource.createdAt) > this.startedAt) {
      this.waiting.push(waitingOf(resource, this.now()));
      return false;
    }
    const refreshed = await this.cloud.refresh(resource.id);
    if (isReady(refreshed)) return true;
    const now = this.now();
    const age = now - Date.parse(refreshed.createdAt);
    const timeoutMs = this.ctx.activationTimeoutMs ?? DEFAULT_ACTIVATION_TIMEOUT_MS;
    if (ACTIVATED_TYPES.has(refreshed.type) && age > timeoutMs) {
      throw new GatewayNotActiveError(
        `${refreshed.type} ${refreshed.name} (${refreshed.id}) is still ${refreshed.cloudStatus ?? refreshed.status} after ${Math.round(age / 1000)} s`,
        { details: { id: refreshed.id, status: refreshed.status } },
      );
    }
    this.waiting.push(waitingOf(refreshed, now));
    return false;
  }

  /** What the run waits for, as the step's `Natflow.NotReady` (undefined when it waits for nothing). */
  waitError(): NotReadyError | undefined {
    if (this.waiting.length > 0) return notReady(this.waiting, { cause: this.unnamedWaits[0] });
    return this.unnamedWaits[0];
  }

  /** Resolves an `existing:` reference (an id, or a unique name) of the wanted type. */
  async existing(type: ResourceType, ref: string, path: string): Promise<Resource> {
    try {
      return await this.cloud.resolve(type, ref);
    } catch (error) {
      if (error instanceof NatflowError) {
        throw new NotFoundError(error.message, { path: `${path}.existing`, details: { ref } });
      }
      throw error;
    }
  }

  /**
   * The id of the entry `name` of a kind, for the field at `refPath`: an existing resource, or the one
   * created under the entry's token by an earlier step. An unknown name is NOT_FOUND at `refPath`.
   */
  async idOf(kind: IndexedKind, name: string, refPath: string): Promise<string> {
    const located = (this.index[kind] as Map<string, Located<{ name: string; existing?: string }>>).get(name);
    if (!located) {
      throw new NotFoundError(`no ${LABEL_OF_KIND[kind]} named '${name}' in the plan`, { path: refPath });
    }
    const type = TYPE_OF_KIND[kind];
    if (isExisting(located.entry)) {
      try {
        return (await this.existing(type, located.entry.existing, located.path)).id;
      } catch (error) {
        // Reported at the entry itself by its own step.
        if (this.ctx.onIssue) throw new SkipEntry();
        throw error;
      }
    }
    const resource = await this.cloud.findByToken(entryToken(this.plan.name, type, name));
    if (resource) return resource.id;
    if (this.ctx.onIssue) throw new SkipEntry();
    throw new NotFoundError(`${LABEL_OF_KIND[kind]} '${name}' has not been created (its step has not run)`, {
      path: refPath,
    });
  }
}
