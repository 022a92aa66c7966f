/**
 * One run of a provisioning step (`./index.ts`): the plan's index (its entries by kind and name, the
 * explicit addresses it requests), the `{kind: {name: id}}` output being built, the create contexts
 * (client tokens) of its entries, and the error policy (throw, or report and skip in a dry run).
 * Every cloud call goes through the cloud port (`Cloud`), so the same run drives any provider.
 */
import type { Cloud } from '../../cloud/cloud.ts';
import { NatflowError, NotFoundError } from '../../cloud/errors.ts';
import type { CreateContext } from '../../cloud/inputs.ts';
import type { Resource, ResourceType } from '../../cloud/resources.ts';
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

/** One step's run: the plan, its index, the output being built, and the error policy. */
export class StepRun {
  readonly resources: Record<string, Record<string, string>> = {};
  readonly pending: string[] = [];
  readonly index: PlanIndex;
  private readonly cloud: Cloud;
  private readonly plan: Plan;
  private readonly ctx: StepContext;

  constructor(cloud: Cloud, plan: Plan, ctx: StepContext) {
    this.cloud = cloud;
    this.plan = plan;
    this.ctx = ctx;
    this.index = new PlanIndex(plan);
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

  /** Runs one entry; in dry-run mode a failure is reported and the entry skipped. */
  async attempt(path: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (error) {
      if (error instanceof SkipEntry) return;
      if (!this.ctx.onIssue || !(error instanceof NatflowError)) throw error;
      this.ctx.onIssue({ path: error.path ?? path, code: error.name, message: error.message });
    }
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
