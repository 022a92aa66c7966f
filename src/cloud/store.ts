/**
 * The store port: the one seam between the control plane and persistence. `src/cloud` owns it;
 * adapters (`src/store/sqlite.ts`, `src/store/dynamodb.ts`, and the in-memory one beside this file that
 * dry runs use) implement it and import the core, never the reverse.
 *
 * Guarantees every adapter gives, which the control plane's rules stand on under concurrency:
 * - **Unique keys.** `insert` takes the resource's constraint keys (`dnat-port:tip-1:tcp:80`,
 *   `lb-target:elb-1`, `addr:subnet-1:10.0.0.5`, `token:…`). A key is held by at most one resource;
 *   inserting a held key throws `UniqueKeyViolation` and writes nothing. SQLite: a unique index;
 *   DynamoDB: guard items written with `attribute_not_exists`.
 * - **Serialised transactions.** `transaction(scopes, fn)` commits `fn`'s writes as if no other
 *   transaction on an overlapping scope interleaved with it — across processes. SQLite: one
 *   `BEGIN IMMEDIATE`; DynamoDB: optimistic, a counter item per scope advanced under a condition in the
 *   commit's TransactWriteItems, and `fn` run again when a concurrent commit on a scope won (so `fn`
 *   must do nothing outside `tx`). Rules that are not keys (quotas, port types) are checked inside one.
 *   A transaction that throws leaves nothing behind.
 * - **References.** `insert` records the ids the resource depends on; `referrers(id)` lists the resources
 *   that still reference an id, so deletes can refuse (`DEPENDENCY_VIOLATION`).
 */
import type { Resource, ResourceType } from './resources.ts';

export interface ResourceQuery {
  type?: ResourceType;
  plan?: string;
  execution?: string;
}

/**
 * A plan document as last provisioned: the verify and teardown workflows take only a plan's name, so
 * the store keeps the document (its `verify` entries) beside the resources it created.
 */
export interface PlanRecord {
  name: string;
  document: unknown;
  /** The execution that last provisioned it. */
  execution: string | null;
  updatedAt: string;
}

export interface StoreReader {
  get(id: string): Promise<Resource | undefined>;
  /** Resources matching every given field, in creation order (createdAt, then id). */
  list(query?: ResourceQuery): Promise<Resource[]>;
  /** The resource holding a unique key, if any. */
  getByKey(key: string): Promise<Resource | undefined>;
  /** Resources whose references include `id`. */
  referrers(id: string): Promise<Resource[]>;
  getPlan(name: string): Promise<PlanRecord | undefined>;
  /** Every stored plan, by name. */
  listPlans(): Promise<PlanRecord[]>;
}

export interface InsertOptions {
  /** Constraint keys, unique across the store. */
  keys: readonly string[];
  /** Ids this resource depends on. */
  refs: readonly string[];
}

export interface StoreTx extends StoreReader {
  /** Inserts a new resource; throws `UniqueKeyViolation` when a key is held (nothing written). */
  insert(resource: Resource, options: InsertOptions): Promise<void>;
  /** Replaces a resource's fields (status changes); its keys and references are unchanged. */
  update(resource: Resource): Promise<void>;
  /** Deletes a resource with its keys and references. Deleting a missing id is a no-op. */
  remove(id: string): Promise<void>;
  /** Creates or replaces a plan record. */
  putPlan(record: PlanRecord): Promise<void>;
  /** Deletes a plan record; a missing name is a no-op. */
  removePlan(name: string): Promise<void>;
}

export interface Store extends StoreReader {
  /**
   * Runs `fn` serialised against every other transaction on an overlapping scope; commits when it
   * resolves, rolls back when it throws (rethrowing). `scopes` name what the call reads and writes
   * (a gateway id, a subnet id); adapters with a global lock may ignore them.
   */
  transaction<T>(scopes: readonly string[], fn: (tx: StoreTx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** A constraint key is already held by another resource. */
export class UniqueKeyViolation extends Error {
  override name = 'UniqueKeyViolation';
  readonly key: string;
  readonly holderId: string | undefined;

  constructor(key: string, holderId?: string) {
    super(`key ${key} is held${holderId ? ` by ${holderId}` : ''}`);
    this.key = key;
    this.holderId = holderId;
  }
}

/** Constraint key builders: the single place their format is defined. */
export const keys = {
  token: (token: string) => `token:${token}`,
  address: (subnetId: string, ip: string) => `addr:${subnetId}:${ip}`,
  dnatPort: (transitIpId: string, protocol: string, port: number) =>
    `dnat-port:${transitIpId}:${protocol}:${port}`,
  lbTarget: (loadBalancerId: string) => `lb-target:${loadBalancerId}`,
  snatSubnet: (gatewayId: string, subnetId: string) => `snat-subnet:${gatewayId}:${subnetId}`,
  snatCidr: (gatewayId: string, cidr: string) => `snat-cidr:${gatewayId}:${cidr}`,
  name: (plan: string, type: string, name: string) => `name:${plan}:${type}:${name}`,
  external: (externalId: string) => `ext:${externalId}`,
} as const;
