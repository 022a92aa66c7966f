/**
 * What every route of the local Huawei Cloud API shares: the virtual cloud's control plane, the
 * Huawei-only attributes natflow's model has no field for, the settle clock, and the ids.
 *
 * Huawei attributes (descriptions, tags, flavors, ELB pools' associations, listeners waiting for a
 * pool, security groups waiting for a VPC, ECS jobs, …) live in `HuaweiState`, keyed by natflow id, in
 * the serving process: natflow's resources and contracts are untouched, and what a plan created is
 * shown with Huawei's defaults. A restart forgets them (the resources stay; docs/huaweicloud-api.md).
 *
 * Ids: a resource's Huawei id is its `externalId` (`externalIdOf(id)` for resources stored before the
 * field existed). Ports, IPv4 subnet ids, members and health monitors have no natflow resource: their
 * UUIDs are derived from the natflow id they belong to (`derivedId`), so they are stable too.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { ControlPlane, externalIdOf } from '../cloud/control-plane.ts';
import { DependencyViolationError } from '../cloud/errors.ts';
import { ID_PREFIX, type Resource, type ResourceOf, type ResourceType } from '../cloud/resources.ts';
import { keys, type Store } from '../cloud/store.ts';
import { huaweiAnswerOf } from '../codes/huawei.ts';
import type { Clock } from '../net/clock.ts';
import { NatflowError } from '../net/errors.ts';
import { fromNatflow, HuaweiApiError, type HuaweiService, notFound } from './errors.ts';
import type { MemberHealthSource } from './health-source.ts';
import { Deletions, type SettleKind, type SettleTimes, settleTimes, waitSettle } from './settle.ts';

/** A listener created through the API; realised as a natflow listener once it has a default pool. */
export interface ListenerRecord {
  id: string;
  name: string;
  description: string;
  loadBalancerId: string;
  protocol: string;
  port: number;
  defaultPoolId: string | null;
  adminStateUp: boolean;
  createdAt: string;
  updatedAt: string;
  extra: Record<string, unknown>;
}

/** A security group created without `vpc_id`: realised in the VPC of the first server that uses it. */
export interface PendingSecurityGroup {
  id: string;
  name: string;
  createdAt: string;
}

export interface SecurityGroupRuleRecord {
  id: string;
  securityGroupId: string;
  direction: 'ingress' | 'egress';
  ethertype: string;
  protocol: string | null;
  portRangeMin: number | null;
  portRangeMax: number | null;
  remoteIpPrefix: string | null;
  remoteGroupId: string | null;
  description: string;
}

export interface PoolAttrs {
  lbAlgorithm: string;
  loadBalancerId: string | null;
  listenerId: string | null;
  description: string;
  adminStateUp: boolean;
  type: string;
  vpcId: string | null;
  sessionPersistence: unknown;
  healthmonitor: Record<string, unknown> | null;
}

export interface JobRecord {
  id: string;
  type: 'createServer' | 'deleteServer';
  serverIds: string[];
  begin: number;
  due: number;
}

export interface Attrs {
  description?: string;
  tags?: unknown;
  name?: string;
  [field: string]: unknown;
}

export class HuaweiState {
  /** Huawei-only fields by natflow id. */
  readonly attrs = new Map<string, Attrs>();
  readonly listeners = new Map<string, ListenerRecord>();
  readonly pendingGroups = new Map<string, PendingSecurityGroup>();
  /** Security group rules by security group natflow id (materialised on first change). */
  readonly sgRules = new Map<string, SecurityGroupRuleRecord[]>();
  readonly pools = new Map<string, PoolAttrs>();
  readonly jobs = new Map<string, JobRecord>();

  attrsOf(id: string): Attrs {
    let found = this.attrs.get(id);
    if (!found) {
      found = {};
      this.attrs.set(id, found);
    }
    return found;
  }
}

export interface ApiRequest {
  method: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  requestId: string;
  /** Aborts when the client disconnects before its answer (a create waiting to settle creates nothing). */
  signal?: AbortSignal;
}

export interface ApiResult {
  status: number;
  body?: unknown;
}

const forced = new AsyncLocalStorage<{ ids: Partial<Record<ResourceType, string>>; createdAt?: number }>();

function randomId(type: ResourceType): string {
  const bytes = new Uint8Array(6);
  globalThis.crypto.getRandomValues(bytes);
  return `${ID_PREFIX[type]}-${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** A UUID derived from a natflow id and a role (`port`, `ipv4`, `member:…`, `hm`). */
export function derivedId(id: string, role: string): string {
  return externalIdOf(`${id}#${role}`);
}

export function huaweiIdOf(resource: Resource): string {
  return resource.externalId ?? externalIdOf(resource.id);
}

/** The settle kind of each natflow type the API creates (NATFLOW_HWC_SETTLE_MS's keys; settle.ts). */
export const SETTLE_KIND_OF: Readonly<Partial<Record<ResourceType, SettleKind>>> = {
  vpc: 'vpc',
  subnet: 'subnet',
  server: 'server',
  'load-balancer': 'loadbalancer',
  listener: 'listener',
  'backend-group': 'pool',
  'private-nat-gateway': 'gateway',
  'transit-ip': 'transit_ip',
  'dnat-rule': 'dnat_rule',
  'snat-rule': 'snat_rule',
};

/** Huawei's in-between state of a kind while it settles (what a parent not ready yet is shown as). */
const SETTLING_STATUS: Readonly<Partial<Record<SettleKind, string>>> = {
  vpc: 'CREATING',
  subnet: 'UNKNOWN',
  server: 'BUILD',
  gateway: 'INACTIVE',
  transit_ip: 'INACTIVE',
  dnat_rule: 'INACTIVE',
  snat_rule: 'INACTIVE',
};

/**
 * The refusal of a create under a parent that has not settled (or is being deleted), per answering
 * service: the code table's `Natflow.NotReady` row (`src/codes/codes.ts`): VPC.0004 "VPC is not active,
 * please try later." is the VPC API's documented code; ECS, ELB and NAT document none for a subnet, load
 * balancer, pool or transit IP not ready, so the closest one answers (Ecs.0005 "Invalid parameters",
 * ELB.1000, NAT.1000: docs/huaweicloud-api.md#asynchrony). A gateway is
 * NAT.1208, GATEWAY_NOT_ACTIVE's code. A parent not ready *yet* names the signal in `error_msg`
 * (`natflow: Natflow.NotReady`), so the `huaweicloud` provider waits for it; one being deleted does not.
 */
function notReady(service: HuaweiService, message: string, settling: boolean): HuaweiApiError {
  const answer = huaweiAnswerOf('Natflow.NotReady', service);
  return new HuaweiApiError(answer.status, answer.code, message, settling ? 'Natflow.NotReady' : undefined);
}

export interface ContextOptions {
  store: Store;
  clock: Clock;
  settle: SettleTimes;
  projectId: string;
  region: string;
  /** What a write sets off once committed (the composer's `onWrite`). */
  sync: () => Promise<void>;
  /** What the live data plane knows of members' health (the stack provides it); else the model decides. */
  memberHealth?: MemberHealthSource | undefined;
}

export class HuaweiContext {
  readonly store: Store;
  readonly clock: Clock;
  readonly cloud: ControlPlane;
  readonly state = new HuaweiState();
  /** NATFLOW_HWC_SETTLE_MS per kind. */
  readonly settle: SettleTimes;
  /** Resources (by natflow id) and members (by id) being deleted, removed once their deletion settles. */
  readonly deletions: Deletions;
  readonly memberHealth: MemberHealthSource | undefined;
  readonly projectId: string;
  readonly region: string;
  private readonly onWrite: () => Promise<void>;
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(options: ContextOptions) {
    this.store = options.store;
    this.clock = options.clock;
    this.settle = options.settle ?? settleTimes(undefined);
    this.memberHealth = options.memberHealth;
    this.deletions = new Deletions(
      () => this.clock.now(),
      () => this.sync(),
    );
    this.projectId = options.projectId;
    this.region = options.region;
    this.onWrite = options.sync;
    const clock = options.clock;
    this.cloud = new ControlPlane({
      store: options.store,
      clock: { now: () => forced.getStore()?.createdAt ?? clock.now() },
      newId: (type) => forced.getStore()?.ids[type] ?? randomId(type),
    });
  }

  /** Runs `fn` so that creates inside it take these natflow ids (and creation time). */
  withIds<T>(
    ids: Partial<Record<ResourceType, string>>,
    fn: () => Promise<T>,
    createdAt?: number,
  ): Promise<T> {
    return forced.run({ ids, ...(createdAt === undefined ? {} : { createdAt }) }, fn);
  }

  newId(type: ResourceType): string {
    return randomId(type);
  }

  now(): number {
    return this.clock.now();
  }

  iso(ms = this.now()): string {
    return new Date(ms).toISOString();
  }

  /** Huawei's `2026-01-02T03:04:05` timestamps (ELB, NAT: no fraction, UTC). */
  stamp(iso: string): string {
    return `${iso.slice(0, 19)}`;
  }

  /** True when a resource of `kind` created at `createdAt` has settled (NATFLOW_HWC_SETTLE_MS). */
  settled(kind: SettleKind, createdAt: string): boolean {
    return this.now() - Date.parse(createdAt) >= this.settle[kind];
  }

  /**
   * Before the create of a kind whose API documents no in-between state: waits its settle time (the
   * answer waits, the event loop does not); a client that disconnects meanwhile gets nothing created.
   */
  waitCreate(kind: SettleKind, req: ApiRequest): Promise<void> {
    return waitSettle(this.settle[kind], req.signal);
  }

  /** True while `key` (a natflow id, a member id) is being deleted. */
  deleting(key: string): boolean {
    return this.deletions.has(key);
  }

  /**
   * Deletes now (`commit`) when `kind` settles at once; else answers now and removes it once its settle
   * time has passed (listed meanwhile with its last status). Asking again while it settles changes nothing.
   * The caller has checked what the product checks before accepting a deletion (`checkUnreferenced`).
   */
  async remove(
    kind: SettleKind,
    key: string,
    commit: () => Promise<void>,
    check?: () => Promise<void>,
  ): Promise<void> {
    if (this.deletions.has(key)) return;
    const ms = this.settle[kind];
    if (ms <= 0) {
      await commit();
      return;
    }
    await check?.();
    this.deletions.schedule(key, ms, commit);
  }

  /** `remove` for a natflow resource: a deletion is accepted only when nothing references it. */
  removeResource(
    service: HuaweiService,
    resource: Resource,
    commit: () => Promise<void>,
    dependencyCode?: string,
  ): Promise<void> {
    const kind = SETTLE_KIND_OF[resource.type];
    if (!kind) return commit();
    return this.remove(kind, resource.id, commit, () =>
      this.checkUnreferenced(service, resource, dependencyCode),
    );
  }

  /** The control plane's DEPENDENCY_VIOLATION, checked when a deletion is accepted rather than when it settles. */
  async checkUnreferenced(
    service: HuaweiService,
    resource: Resource,
    dependencyCode?: string,
  ): Promise<void> {
    const referrers = await this.store.referrers(resource.id);
    if (referrers.length === 0) return;
    throw fromNatflow(
      service,
      new DependencyViolationError(
        `${resource.type} ${resource.name} (${huaweiIdOf(resource)}) is still referenced by ${referrers
          .slice(0, 5)
          .map((r) => `${r.type} ${r.name} (${huaweiIdOf(r)})`)
          .join(', ')}${referrers.length > 5 ? ` and ${referrers.length - 5} more` : ''}`,
      ),
      dependencyCode,
    );
  }

  /** A resource a create names (a member's server, a DNAT rule's target) must not be being deleted. */
  requireNotDeleting(service: HuaweiService, resource: Resource, label: string): void {
    if (!this.deletions.has(resource.id)) return;
    throw notReady(service, `${label} ${huaweiIdOf(resource)} is being deleted, please try later`, false);
  }

  /**
   * A parent a create hangs off must have settled and not be being deleted (a subnet in a `CREATING`
   * VPC, a rule on an `INACTIVE` gateway, a listener on a `PENDING_DELETE` load balancer): else the
   * answering service's refusal (`notReady`; NAT.1208 for a gateway).
   */
  requireReady(service: HuaweiService, parent: Resource, label: string): void {
    const kind = SETTLE_KIND_OF[parent.type];
    // A kind with no in-between state is created once settled (waitCreate): only its deletion counts.
    const settling = kind ? SETTLING_STATUS[kind] : undefined;
    const deleting = this.deletions.has(parent.id);
    if (!deleting && (!kind || !settling || this.settled(kind, parent.createdAt))) return;
    const state = deleting ? 'being deleted' : `not active yet (${settling})`;
    const what = `${label} ${huaweiIdOf(parent)} is ${state}`;
    if (parent.type === 'private-nat-gateway') {
      throw new HuaweiApiError(
        400,
        'NAT.1208',
        `${what}: rules are added only to an ACTIVE gateway`,
        'GATEWAY_NOT_ACTIVE',
      );
    }
    if (service === 'vpc' && parent.type === 'vpc') {
      throw notReady(service, `VPC is not active, please try later. (${what})`, !deleting);
    }
    throw notReady(service, `${what}, please try later`, !deleting);
  }

  /** Serialises work on one key (one pool, one security group) within this process. */
  async lock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(key) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.locks.set(key, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(key) === tail) this.locks.delete(key);
    }
  }

  /** Finds a resource of a type by its Huawei id (its externalId), or undefined. */
  async findByUuid<T extends ResourceType>(uuid: string, type: T): Promise<ResourceOf<T> | undefined> {
    if (typeof uuid !== 'string' || uuid.length === 0 || uuid.length > 64) return undefined;
    const found = await this.store.getByKey(keys.external(uuid));
    if (found) return found.type === type ? (found as ResourceOf<T>) : undefined;
    // Resources stored before externalId existed answer to the id derived from theirs.
    for (const resource of await this.store.list({ type })) {
      if (!resource.externalId && externalIdOf(resource.id) === uuid) return resource as ResourceOf<T>;
    }
    return undefined;
  }

  /**
   * A subnet by its id (the network id: ECS `subnet_id`, NAT `virsubnet_id`, ELB `elb_virsubnet_ids`)
   * or its IPv4 subnet id (`neutron_subnet_id`: ELB `vip_subnet_cidr_id`, member `subnet_cidr_id`).
   * Huawei takes one or the other per field; natflow takes both wherever a subnet is asked for.
   */
  async findSubnet(uuid: string): Promise<ResourceOf<'subnet'> | undefined> {
    const byId = await this.findByUuid(uuid, 'subnet');
    if (byId) return byId;
    return (await this.list('subnet')).find((s) => derivedId(s.id, 'ipv4') === uuid);
  }

  async requireByUuid<T extends ResourceType>(
    uuid: string,
    type: T,
    service: HuaweiService,
    what: string,
  ): Promise<ResourceOf<T>> {
    const found = await this.findByUuid(uuid, type);
    if (!found) throw notFound(service, `${what} ${String(uuid)} could not be found`);
    return found;
  }

  async list<T extends ResourceType>(type: T): Promise<Array<ResourceOf<T>>> {
    return (await this.store.list({ type })) as Array<ResourceOf<T>>;
  }

  /** Runs a control-plane call, turning natflow's errors into the service's. */
  async call<T>(service: HuaweiService, fn: () => Promise<T>, dependencyCode?: string): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof NatflowError) throw fromNatflow(service, error, dependencyCode);
      throw error;
    }
  }

  /** Tells the composer a write committed (the local stack syncs its data plane then). */
  async sync(): Promise<void> {
    await this.onWrite();
  }

  /** Resolves when the serialised work in flight (pool rebuilds, rule changes) is done. */
  async idle(): Promise<void> {
    while (this.locks.size > 0) await Promise.allSettled([...this.locks.values()]);
  }

  /** Removes the resources whose deletion has settled (run before every request). */
  reap(): Promise<void> {
    return this.deletions.reap();
  }

  async close(): Promise<void> {
    await this.idle();
    await this.deletions.flush();
    await this.idle();
  }

  requestId(): string {
    return randomUUID().replace(/-/g, '');
  }
}

/** `limit`/`marker` pagination over items with `id` in order; `page_reverse` walks backwards. */
export function paginate<T extends { id: string }>(
  items: readonly T[],
  query: URLSearchParams,
  onBadMarker: () => Error,
  maxLimit = 2000,
): { page: T[]; pageInfo: { next_marker?: string; previous_marker?: string; current_count: number } } {
  const limitText = query.get('limit');
  let limit = maxLimit;
  if (limitText !== null) {
    if (!/^\d{1,6}$/.test(limitText) || Number(limitText) < 0) throw onBadMarker();
    limit = Math.min(Number(limitText), maxLimit);
    if (limit === 0) limit = maxLimit;
  }
  const reverse = query.get('page_reverse') === 'true';
  const ordered = reverse ? [...items].reverse() : [...items];
  const marker = query.get('marker');
  let start = 0;
  if (marker !== null && marker !== '') {
    const at = ordered.findIndex((item) => item.id === marker);
    if (at < 0) throw onBadMarker();
    start = at + 1;
  }
  const slice = ordered.slice(start, start + limit);
  const page = reverse ? slice.reverse() : slice;
  const more = start + limit < ordered.length;
  const first = page[0];
  const last = page[page.length - 1];
  return {
    page,
    pageInfo: {
      ...(last && more ? { next_marker: last.id } : {}),
      ...(first ? { previous_marker: first.id } : {}),
      current_count: page.length,
    },
  };
}
