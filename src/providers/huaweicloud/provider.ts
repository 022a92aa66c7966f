/**
 * The `huaweicloud` provider of the cloud port (docs/clouds.md): natflow's resources, created in a Huawei
 * Cloud account through its public APIs (VPC v1, ECS, ELB v3, NAT v3 private).
 *
 * Design — the ledger is a model, the cloud is the truth:
 * - **Rules first, intent before the call.** Every create runs first through the virtual control plane
 *   over natflow's own store (`model`): it checks every control-plane rule against what natflow knows of the account
 *   (what it created, and what `natflow import` read), assigns addresses deterministically, and inserts
 *   the resource — the *intent*, whose `externalId` is still the one derived from its natflow id. Only then
 *   is the API called, with the explicit addresses the model chose and the client token's marker in the
 *   description (and tags), and the record is rewritten with Huawei's id (`externalId`) and
 *   `cloud: 'huaweicloud'`.
 * - **A crash between the call and the record** (a dropped response, a killed Lambda) leaves the intent.
 *   The retry replays the model's create (same record, by token), sees it unrealised, and looks for the
 *   token on the cloud before creating: found, it is adopted; never a second one.
 * - **Asynchrony.** Creates answer what Huawei answers (a VPC `CREATING`, an ECS job, an ELB
 *   `PENDING_CREATE` → `PENDING`); `refresh` reads it again, and fails with CLOUD_RESOURCE_FAILED (job
 *   `FAIL`, ELB `ERROR`) or, past its kind's deadline since creation (`settings.deadlines`), CLOUD_TIMEOUT.
 *   A child whose parent is still pending (a subnet of a `CREATING` VPC, a listener of a `PENDING_CREATE`
 *   load balancer) is a transient error: the workflow's Retry waits — nothing here sleeps.
 * - **Deletion** is asked, then confirmed by reading: `destroy` answers `done: false` while Huawei still
 *   has the resource (an ECS delete job, a subnet whose ports are going away), and the ledger keeps it.
 * - **Imported resources** (`natflow import`, `importAccount`) are read-only: natflow references them,
 *   never deletes them.
 * - **Drift** (docs/real-cloud.md#change-drift). The dry run reads back everything natflow recorded for
 *   the plan, one list call per kind (`read-back.ts`), and answers it as `DryRun.drift`; a create that
 *   replays what an earlier execution realised first reads that resource back and repairs it — recreated
 *   under the same natflow id when gone, updated in place when Huawei can, DRIFT_REQUIRES_REPLACE
 *   otherwise (`repair.ts`).
 *
 * The class keeps the creates (rules first, then the call) and hands its private `Account` (API clients,
 * model, settings, clock; `account.ts`) to the modules that do the rest, never itself.
 */

import type { Cloud, Deletion, DryRun, DryRunScope } from '../../cloud/cloud.ts';
import { ControlPlane } from '../../cloud/control-plane.ts';
import { NatflowError, ValidationFailedError } from '../../cloud/errors.ts';
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
} from '../../cloud/inputs.ts';
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
} from '../../cloud/resources.ts';
import { keys, type ResourceQuery, type Store } from '../../cloud/store.ts';
import { type Clock, systemClock } from '../../net/clock.ts';
import type { ImportOptions, ImportReport, Provider } from '../provider.ts';
import {
  type Account,
  isRealized,
  JOB_PREFIX,
  PROVIDER_NAME,
  type Realized,
  recordRealized,
  tokenOf,
} from './account.ts';
import { apisFor, type HuaweiApis } from './apis.ts';
import { ensureIpGroup, ensureMembers, ensureRules, targetOf } from './children.ts';
import type { HuaweiCredentials, HuaweiSettings } from './config.ts';
import { destroy } from './deletion.ts';
import { discoverAccount } from './discovery.ts';
import { hwId, ready, refresh } from './lifecycle.ts';
import { describe, lbAlgorithmOf, tagsOf, userDataOf } from './mapping.ts';
import { refreshModel } from './model-refresh.ts';
import { wirePort } from './nat.ts';
import { findOnCloud } from './ops.ts';
import { comparable, readDrift } from './read-back.ts';
import { repairDrift, replacementRefused } from './repair.ts';

export interface HuaweiCloudOptions {
  store: Store;
  settings: HuaweiSettings;
  credentials: HuaweiCredentials;
  clock?: Clock;
  /** Replaces the API clients (tests). */
  apis?: HuaweiApis;
}

export class HuaweiCloud implements Provider {
  readonly name = PROVIDER_NAME;
  /** The API clients, natflow's model and settings: handed to the provider's modules, never exposed. */
  private readonly account: Account;

  constructor(options: HuaweiCloudOptions) {
    const clock = options.clock ?? systemClock;
    this.account = {
      store: options.store,
      settings: options.settings,
      clock,
      model: new ControlPlane({ store: options.store, clock }),
      api: options.apis ?? apisFor(options.settings, options.credentials),
    };
  }

  // ------------------------------------------------------------------ reads

  get(id: string): Promise<Resource | undefined> {
    return this.account.store.get(id);
  }

  require<T extends ResourceType>(id: string, type?: T): Promise<ResourceOf<T>> {
    return this.account.model.require(id, type);
  }

  list(query: ResourceQuery = {}): Promise<Resource[]> {
    return this.account.store.list(query);
  }

  referrers(id: string): Promise<Resource[]> {
    return this.account.store.referrers(id);
  }

  async findByToken(token: string): Promise<Resource | undefined> {
    const record = await this.account.store.getByKey(keys.token(token));
    if (!record || isRealized(record)) return record;
    const found = await findOnCloud(this.account, record);
    return found ? recordRealized(this.account, record, found) : record;
  }

  async resolve(
    type: ResourceType | readonly ResourceType[],
    nameOrId: string,
    plan?: string,
  ): Promise<Resource> {
    const types: readonly ResourceType[] = typeof type === 'string' ? [type] : type;
    const byExternal = await this.account.store.getByKey(keys.external(nameOrId));
    if (byExternal && types.includes(byExternal.type)) return byExternal;
    return this.account.model.resolve(type, nameOrId, plan);
  }

  // ------------------------------------------------------------------ creates

  async createVpc(input: VpcInput, ctx: CreateContext = {}): Promise<Vpc> {
    const record = await this.drifted(await this.account.model.createVpc(input, ctx), ctx);
    return this.realize(record, () =>
      this.account.api.vpc
        .createVpc({
          name: record.name,
          cidr: record.cidr,
          description: describe(tokenOf(record), record.plan),
          ...this.enterprise(),
        })
        .then((hw) => ({ externalId: hw.id, status: hw.status })),
    );
  }

  async createSubnet(input: SubnetInput, ctx: CreateContext = {}): Promise<Subnet> {
    const record = await this.drifted(await this.account.model.createSubnet(input, ctx), ctx);
    return this.realize(record, async () => {
      const vpcId = await ready(this.account, record.vpcId);
      const hw = await this.account.api.vpc.createSubnet({
        name: record.name,
        cidr: record.cidr,
        gateway_ip: record.gatewayIp,
        vpc_id: vpcId,
        description: describe(tokenOf(record), record.plan),
      });
      return { externalId: hw.id, status: hw.status };
    });
  }

  async createSecurityGroup(input: SecurityGroupInput, ctx: CreateContext = {}): Promise<SecurityGroup> {
    return this.realizeSecurityGroup(
      await this.drifted(await this.account.model.createSecurityGroup(input, ctx), ctx),
    );
  }

  private async realizeSecurityGroup(record: SecurityGroup): Promise<SecurityGroup> {
    const realized = await this.realize(record, async () => {
      const hw = await this.account.api.vpc.createSecurityGroup({
        name: record.name,
        vpc_id: await hwId(this.account, record.vpcId),
        description: describe(tokenOf(record), record.plan),
        ...this.enterprise(),
      });
      return { externalId: hw.id, status: 'ACTIVE' };
    });
    await ensureRules(this.account, realized);
    return realized;
  }

  async createServer(input: ServerInput, ctx: CreateContext = {}): Promise<Server> {
    const image = input.image ?? this.account.settings.defaultImage;
    const flavor = input.flavor ?? this.account.settings.defaultFlavor;
    checkImageAndFlavor(image, flavor, ctx.path);
    const record = await this.drifted(await this.account.model.createServer(input, ctx), ctx);
    const groups: string[] = [];
    for (const groupId of record.securityGroupIds) {
      const group = await this.drifted(await this.account.model.require(groupId, 'security-group'), ctx);
      groups.push((await this.realizeSecurityGroup(group)).externalId as string);
    }
    return this.realize(record, async () => {
      const token = tokenOf(record);
      const userData = userDataOf(record.apps);
      const job = await this.account.api.ecs.createServer({
        imageRef: image as string,
        flavorRef: flavor as string,
        name: record.name,
        vpcid: await hwId(this.account, record.vpcId),
        nics: [{ subnet_id: await ready(this.account, record.subnetId), ip_address: record.ip }],
        security_groups: groups.map((id) => ({ id })),
        root_volume: { volumetype: 'SSD' },
        ...(userData ? { user_data: userData } : {}),
        description: describe(token, record.plan),
        server_tags: tagsOf(token, record.plan),
        ...(this.account.settings.enterpriseProjectId
          ? { extendparam: { enterprise_project_id: this.account.settings.enterpriseProjectId } }
          : {}),
      });
      const serverId = job.serverIds?.[0];
      return { externalId: serverId ?? `${JOB_PREFIX}${job.job_id}`, status: 'BUILD' };
    });
  }

  async createBackendGroup(input: BackendGroupInput, ctx: CreateContext = {}): Promise<BackendGroup> {
    const record = await this.drifted(await this.account.model.createBackendGroup(input, ctx), ctx);
    const realized = await this.realize(record, async () => {
      const hw = await this.account.api.elb.createPool({
        name: record.name,
        description: describe(tokenOf(record), record.plan),
        protocol: record.protocol,
        lb_algorithm: lbAlgorithmOf(record.algorithm),
        type: 'instance',
        ...(record.vpcId ? { vpc_id: await hwId(this.account, record.vpcId) } : {}),
      });
      return { externalId: hw.id, status: 'ACTIVE' };
    });
    await ensureMembers(this.account, realized);
    return realized;
  }

  async createLoadBalancer(input: LoadBalancerInput, ctx: CreateContext = {}): Promise<LoadBalancer> {
    const record = await this.drifted(await this.account.model.createLoadBalancer(input, ctx), ctx);
    return this.realize(record, async () => {
      const token = tokenOf(record);
      const frontend = await this.account.api.vpc.showSubnet(
        await ready(this.account, record.frontendSubnetId),
      );
      const hw = await this.account.api.elb.createLoadBalancer({
        name: record.name,
        description: describe(token, record.plan),
        vpc_id: await hwId(this.account, record.vpcId),
        vip_subnet_cidr_id: frontend.neutron_subnet_id ?? frontend.id,
        vip_address: record.ip,
        elb_virsubnet_ids: [await ready(this.account, record.backendSubnetId)],
        availability_zone_list: record.azs,
        tags: tagsOf(token, record.plan),
        ...this.enterprise(),
      });
      return { externalId: hw.id, status: hw.provisioning_status };
    });
  }

  async createListener(input: ListenerInput, ctx: CreateContext = {}): Promise<Listener> {
    const record = await this.drifted(await this.account.model.createListener(input, ctx), ctx);
    return this.realize(record, async () => {
      const token = tokenOf(record);
      const loadbalancerId = await ready(this.account, record.loadBalancerId);
      const ipgroup = await ensureIpGroup(this.account, record);
      const hw = await this.account.api.elb.createListener({
        name: record.name,
        description: describe(token, record.plan),
        protocol: record.protocol,
        protocol_port: record.port,
        loadbalancer_id: loadbalancerId,
        default_pool_id: await hwId(this.account, record.backendGroupId),
        ...(ipgroup ? { ipgroup } : {}),
      });
      return { externalId: hw.id, status: 'ACTIVE' };
    });
  }

  async createTransitIp(input: TransitIpInput, ctx: CreateContext = {}): Promise<TransitIp> {
    const record = await this.drifted(await this.account.model.createTransitIp(input, ctx), ctx);
    return this.realize(record, async () => {
      const token = tokenOf(record);
      const hw = await this.account.api.nat.createTransitIp({
        virsubnet_id: await ready(this.account, record.subnetId),
        ip_address: record.ip,
        description: describe(token, record.plan),
        tags: tagsOf(token, record.plan),
        ...this.enterprise(),
      });
      return { externalId: hw.id, status: hw.status };
    });
  }

  async createGateway(input: GatewayInput, ctx: CreateContext = {}): Promise<PrivateNatGateway> {
    const record = await this.drifted(await this.account.model.createGateway(input, ctx), ctx);
    return this.realize(record, async () => {
      const token = tokenOf(record);
      const hw = await this.account.api.nat.createGateway({
        name: record.name,
        description: describe(token, record.plan),
        spec: record.spec,
        downlink_vpcs: [
          { virsubnet_id: await ready(this.account, record.subnetId), ngport_ip_address: record.downlinkIp },
        ],
        tags: tagsOf(token, record.plan),
        ...this.enterprise(),
      });
      return { externalId: hw.id, status: hw.status };
    });
  }

  async createDnatRule(input: DnatRuleInput, ctx: CreateContext = {}): Promise<DnatRule> {
    const record = await this.drifted(await this.account.model.createDnatRule(input, ctx), ctx);
    return this.realize(record, async () => {
      const hw = await this.account.api.nat.createDnatRule({
        gateway_id: await ready(this.account, record.gatewayId),
        transit_ip_id: await ready(this.account, record.transitIpId),
        ...(await targetOf(this.account, record)),
        protocol: record.protocol,
        internal_service_port: wirePort(record.internalPort),
        transit_service_port: wirePort(record.transitPort),
        description: describe(tokenOf(record), record.plan),
      });
      return { externalId: hw.id, status: hw.status };
    });
  }

  async createSnatRule(input: SnatRuleInput, ctx: CreateContext = {}): Promise<SnatRule> {
    const record = await this.drifted(await this.account.model.createSnatRule(input, ctx), ctx);
    return this.realize(record, async () => {
      const hw = await this.account.api.nat.createSnatRule({
        gateway_id: await ready(this.account, record.gatewayId),
        ...(record.subnetId
          ? { virsubnet_id: await hwId(this.account, record.subnetId) }
          : { cidr: record.cidr }),
        transit_ip_ids: [await ready(this.account, record.transitIpId)],
        description: describe(tokenOf(record), record.plan),
      });
      return { externalId: hw.id, status: hw.status };
    });
  }

  // ------------------------------------------------------------------ realising an intent

  /**
   * A replay of what an earlier execution created, checked against the account first: the account may
   * have drifted since — repaired in place, or made an intent again to be recreated (`repair.ts`).
   */
  private async drifted<T extends Resource>(record: T, ctx: CreateContext): Promise<T> {
    // Only what an earlier execution realised (not an ECS job still naming no server, not what natflow
    // itself is deleting, never an import) is read back.
    if (!comparable(record) || ctx.execution === undefined || record.execution === ctx.execution)
      return record;
    return repairDrift(this.account, record, ctx);
  }

  /**
   * The intent `record` made real: already realised → as it is (checked for drift by `drifted`); else the resource the cloud holds under
   * its token (a crash after the call), else `create()`'s. A refusal that is not transient deletes the
   * intent (nothing was created), so the ledger never lists what does not exist: a refused create, or a
   * refused look-up before the first create was ever sent (wrong keys: docs/real-cloud.md#failure). An
   * intent stamped by an earlier attempt stays when its look-up fails: that attempt's create may have
   * reached the cloud.
   */
  private async realize<T extends Resource>(record: T, create: () => Promise<Realized>): Promise<T> {
    if (isRealized(record)) return record;
    const fresh = record.cloud !== PROVIDER_NAME;
    if (fresh) record = await this.stampIntent(record);
    // Refused by the cloud: nothing was created. Transient or not ready: the retry carries on.
    const refused = (error: unknown) => error instanceof NatflowError && !error.name.startsWith('Natflow.');
    let found: Realized | undefined;
    try {
      found = await findOnCloud(this.account, record);
    } catch (error) {
      if (fresh && refused(error)) await this.forget(record.id);
      throw error;
    }
    if (found) return recordRealized(this.account, record, found);
    let created: Realized;
    try {
      created = await create();
    } catch (error) {
      if (refused(error)) await this.forget(record.id);
      throw error;
    }
    return recordRealized(this.account, record, created);
  }

  /**
   * Marks a fresh intent as Huawei's before any call, so a rollback after a crash drives this provider
   * (which looks for the token on the cloud) and not the virtual one (which would only drop the record).
   */
  private async stampIntent<T extends Resource>(record: T): Promise<T> {
    const stamped = { ...record, cloud: PROVIDER_NAME } as T;
    await this.account.store.transaction([record.id], (tx) => tx.update(stamped));
    return stamped;
  }

  /** Drops an intent the cloud refused (and that nothing references). */
  private async forget(id: string): Promise<void> {
    await this.account.store.transaction([id], async (tx) => {
      if ((await tx.referrers(id)).length === 0) await tx.remove(id);
    });
  }

  // ------------------------------------------------------------------ lifecycle

  /** The virtual cloud's name for `refresh`, kept while callers still use it. */
  activate(id: string): Promise<Resource> {
    return this.refresh(id);
  }

  refresh(id: string): Promise<Resource> {
    return refresh(this.account, id);
  }

  /** The virtual cloud's name for `destroy` (answers once the deletion has been asked for). */
  async delete(id: string): Promise<Resource> {
    return (await this.destroy(id)).resource;
  }

  destroy(id: string): Promise<Deletion> {
    return destroy(this.account, id);
  }

  // ------------------------------------------------------------------ import (a capability)

  /** Reads what the account has into natflow's model, read-only (`discovery.ts`). */
  importAccount(options: ImportOptions = {}): Promise<ImportReport> {
    return discoverAccount(this.account, options);
  }

  // ------------------------------------------------------------------ the rules' dry run

  /**
   * The virtual control plane's sandbox over natflow's model of the account, refreshed first through
   * the API for what the plan references (`model-refresh.ts`), with the drift of everything natflow
   * recorded for the plan read back (`read-back.ts`, one list call per kind). Creating a server there
   * also checks that it has an image and a flavor, since Huawei needs both; a create that replays a
   * resource only a replacement would repair is DRIFT_REQUIRES_REPLACE at its entry.
   */
  async dryRun(scope: DryRunScope): Promise<DryRun> {
    await refreshModel(this.account, scope.references ?? []);
    const drift = await readDrift(this.account, scope.plan);
    const inner = await this.account.model.dryRun(scope);
    const settings = this.account.settings;
    const replace = new Map(drift.filter((d) => d.replace).map((d) => [d.id, d]));
    /** The first resource `created` stands for (a server: with its own groups) that needs a replacement. */
    const refused = (created: Resource) =>
      [created.id, ...(created.type === 'server' ? created.securityGroupIds : [])]
        .map((id) => replace.get(id))
        .find((d) => d !== undefined);
    const cloud = new Proxy(inner.cloud, {
      get(target, prop, receiver) {
        if (prop === 'name') return PROVIDER_NAME;
        if (prop === 'resolve') {
          // `existing:` takes the Huawei id too (docs/clouds.md), in the sandbox as in the provider.
          return async (type: ResourceType | readonly ResourceType[], ref: string, plan?: string) => {
            const types: readonly ResourceType[] = typeof type === 'string' ? [type] : type;
            const sandbox = (target as Partial<ControlPlane>).store;
            const byExternal = sandbox ? await sandbox.getByKey(keys.external(ref)) : undefined;
            if (byExternal && types.includes(byExternal.type)) return byExternal;
            return target.resolve(type, ref, plan);
          };
        }
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        if (typeof prop !== 'string' || !prop.startsWith('create')) return value.bind(target);
        return async (input: unknown, ctx: CreateContext = {}) => {
          if (prop === 'createServer') {
            const server = input as ServerInput;
            checkImageAndFlavor(
              server.image ?? settings.defaultImage,
              server.flavor ?? settings.defaultFlavor,
              ctx.path,
            );
          }
          const created = (await value.call(target, input, ctx)) as Resource;
          const drifted = refused(created);
          if (drifted) throw replacementRefused(drifted, ctx.path);
          return created;
        };
      },
    }) as Cloud;
    return { cloud, before: inner.before, drift };
  }

  private enterprise(): { enterprise_project_id?: string } {
    const { enterpriseProjectId } = this.account.settings;
    return enterpriseProjectId ? { enterprise_project_id: enterpriseProjectId } : {};
  }
}

/** Huawei boots a server only from an image and a flavor: both named, or VALIDATION_FAILED at the entry. */
function checkImageAndFlavor(
  image: string | undefined,
  flavor: string | undefined,
  path: string | undefined,
): void {
  for (const [field, value, variable] of [
    ['image', image, 'HUAWEICLOUD_DEFAULT_IMAGE'],
    ['flavor', flavor, 'HUAWEICLOUD_DEFAULT_FLAVOR'],
  ] as const) {
    if (value) continue;
    throw new ValidationFailedError(
      `creating a server on Huawei Cloud needs ${field === 'image' ? 'an image' : 'a flavor'} id: set ${field} on the server entry or ${variable}`,
      { path: path ? `${path}.${field}` : field },
    );
  }
}
