/**
 * The store port on one DynamoDB table: strongly consistent reads, and transactions that are optimistic
 * (no locks, no leases). How a transaction holds every rule under concurrency:
 *
 * 1. It reads the counter item of each of its scopes (`SCOPE#<scope>`: a gateway, a transit IP, a
 *    subnet — the parents whose rules the function checks) with a strongly consistent GetItem, BEFORE
 *    the function reads anything else.
 * 2. The function runs on strongly consistent reads (GetItem by id and by unique key, Query of the
 *    reference partition `REF#<id>` for quotas, port types and dependencies); its writes are buffered.
 *    Unique keys are claimed at `insert` with a conditional put of the guard item, so a key held by
 *    anyone surfaces there as `UniqueKeyViolation` (the control plane's DNAT_PORT_CONFLICT, …).
 * 3. The commit is one TransactWriteItems: every buffered write with its condition, a check that each
 *    claimed guard is still ours, and an update of each scope counter conditioned on the version read
 *    in step 1. A concurrent commit on an overlapping scope therefore cancels this one: the function
 *    runs again on fresh reads (jittered exponential backoff, at most `maxWaitMs`, then `TransientError`),
 *    and the rule it checks — the gateway's quota, the transit IP's port type — sees the winner. Of
 *    racers that each pass a rule alone, only as many commit as the rule allows.
 *
 * No global secondary index decides a rule: `list` reads them (eventually consistent) for listings only.
 * Every supported DynamoDB has TransactWriteItems (AWS, DynamoDB Local, moto, LocalStack); there is no
 * non-atomic fallback, so an emulator without it (dynalite) is refused with a clear error rather than
 * served with weaker guarantees.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { TransientError } from '../../cloud/errors.ts';
import { RESOURCE_TYPES, type Resource } from '../../cloud/resources.ts';
import type { PlanRecord, ResourceQuery, Store, StoreTx } from '../../cloud/store.ts';
import { type Clock, systemClock } from '../../net/clock.ts';
import { ATTR, INDEX } from '../dynamodb-table.ts';
import { commit } from './commit.ts';
import { CommitConflict, translate } from './errors.ts';
import {
  compare,
  decodePlan,
  decodeResource,
  type Guard,
  GuardItem,
  guardKey,
  planKey,
  resourceKey,
  ScopeItem,
  type Stored,
  scopeKey,
  sortByCreation,
} from './items.ts';
import { DynamoTx } from './transaction.ts';

export interface DynamoStoreOptions {
  tableName: string;
  /** The SDK client (an endpoint for local tests, a mock); a default client otherwise. */
  client?: DynamoDBClient;
  /** The endpoint of a default client (a local emulator); ignored with `client`. */
  endpoint?: string;
  /**
   * How long a guard without its resource counts as a commit in flight, ms; after that it is debris of a
   * crashed process and its key may be reclaimed. Longer than any transaction runs (the Lambda timeout
   * is 29 s).
   */
  staleClaimMs?: number;
  /** How long a transaction keeps retrying commits that lose races before `TransientError`, ms. */
  maxWaitMs?: number;
  clock?: Clock;
  /** Waits between commit attempts (tests pass one that advances a manual clock). */
  sleep?: (ms: number) => Promise<void>;
}

const DEFAULTS = { staleClaimMs: 60_000, maxWaitMs: 20_000 } as const;
const BACKOFF_FIRST_MS = 10;
const BACKOFF_MAX_MS = 1_000;
/** BatchGetItem takes at most 100 keys. */
const BATCH_GET_KEYS = 100;

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Opens the DynamoDB store on an existing table.
 *
 * @example
 * const store = openDynamoStore({ tableName: process.env.NATFLOW_TABLE! });
 * await store.transaction(['pnat-1'], (tx) => tx.insert(rule, { keys: [keys.dnatPort('tip-1', 'tcp', 80)], refs }));
 */
export function openDynamoStore(options: DynamoStoreOptions): Store {
  return new DynamoStore(options);
}

/** Scope → the version its counter had when the transaction began (undefined: never committed on). */
export type SeenScopes = ReadonlyMap<string, string | undefined>;

export class DynamoStore implements Store {
  readonly table: string;
  readonly doc: DynamoDBDocumentClient;
  readonly staleClaimMs: number;
  readonly maxWaitMs: number;
  readonly clock: Clock;
  readonly sleep: (ms: number) => Promise<void>;
  private readonly ownsClient: boolean;

  constructor(options: DynamoStoreOptions) {
    this.table = options.tableName;
    this.ownsClient = options.client === undefined;
    const client =
      options.client ?? new DynamoDBClient(options.endpoint ? { endpoint: options.endpoint } : {});
    this.doc = DynamoDBDocumentClient.from(client, {
      marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    });
    this.staleClaimMs = options.staleClaimMs ?? DEFAULTS.staleClaimMs;
    this.maxWaitMs = options.maxWaitMs ?? DEFAULTS.maxWaitMs;
    this.clock = options.clock ?? systemClock;
    this.sleep = options.sleep ?? sleepFor;
  }

  // ---- reads (strongly consistent on the base table) ----

  private async getItem(Key: Record<string, string>): Promise<Record<string, unknown> | undefined> {
    const out = await this.call(() =>
      this.doc.send(new GetCommand({ TableName: this.table, Key, ConsistentRead: true })),
    );
    return out.Item;
  }

  async loadStored(id: string): Promise<Stored | undefined> {
    const item = await this.getItem(resourceKey(id));
    return item ? decodeResource(item) : undefined;
  }

  async get(id: string): Promise<Resource | undefined> {
    return (await this.loadStored(id))?.resource;
  }

  /** The resources of `ids` that exist, read strongly consistently 100 keys per BatchGetItem. */
  async loadMany(ids: readonly string[]): Promise<Resource[]> {
    const found: Resource[] = [];
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += BATCH_GET_KEYS) {
      let keys: Record<string, unknown>[] = unique.slice(i, i + BATCH_GET_KEYS).map(resourceKey);
      for (let round = 0; keys.length > 0; round++) {
        if (round > 0) await this.sleep(Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** round));
        const out = await this.call(() =>
          this.doc.send(
            new BatchGetCommand({ RequestItems: { [this.table]: { Keys: keys, ConsistentRead: true } } }),
          ),
        );
        for (const item of out.Responses?.[this.table] ?? []) found.push(decodeResource(item).resource);
        keys = out.UnprocessedKeys?.[this.table]?.Keys ?? [];
      }
    }
    return found;
  }

  async loadGuard(key: string): Promise<Guard | undefined> {
    const item = await this.getItem(guardKey(key));
    return item ? GuardItem.parse(item) : undefined;
  }

  async getByKey(key: string): Promise<Resource | undefined> {
    const guard = await this.loadGuard(key);
    // A guard whose resource is missing is a commit in flight or the debris of a crashed one: no holder.
    return guard ? this.get(guard.holder) : undefined;
  }

  async referrerIds(id: string): Promise<string[]> {
    const items = await this.queryAll({
      TableName: this.table,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': ATTR.pk },
      ExpressionAttributeValues: { ':pk': `REF#${id}` },
      ConsistentRead: true,
    });
    return items.map((item) => z.object({ referrer: z.string() }).parse(item).referrer);
  }

  async referrers(id: string): Promise<Resource[]> {
    return sortByCreation(await this.loadMany(await this.referrerIds(id)));
  }

  /** Listings read the global secondary indexes (eventually consistent): never a rule's evidence. */
  async list(query: ResourceQuery = {}): Promise<Resource[]> {
    const filters: string[] = [];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const filterOn = (attr: string, value: string) => {
      names[`#${attr}`] = attr;
      values[`:${attr}`] = value;
      filters.push(`#${attr} = :${attr}`);
    };
    const fetch = (indexName: string, attr: string, value: string) => {
      const input: QueryCommandInput = {
        TableName: this.table,
        IndexName: indexName,
        KeyConditionExpression: '#hk = :hk',
        ExpressionAttributeNames: { '#hk': attr, ...names },
        ExpressionAttributeValues: { ':hk': value, ...values },
        ...(filters.length > 0 ? { FilterExpression: filters.join(' AND ') } : {}),
      };
      return this.queryAll(input);
    };
    let items: Record<string, unknown>[];
    if (query.execution !== undefined) {
      if (query.type !== undefined) filterOn(ATTR.gsiType, `TYPE#${query.type}`);
      if (query.plan !== undefined) filterOn(ATTR.gsiPlan, `PLAN#${query.plan}`);
      items = await fetch(INDEX.byExecution, ATTR.gsiExec, `EXEC#${query.execution}`);
    } else if (query.plan !== undefined) {
      if (query.type !== undefined) filterOn(ATTR.gsiType, `TYPE#${query.type}`);
      items = await fetch(INDEX.byPlan, ATTR.gsiPlan, `PLAN#${query.plan}`);
    } else {
      const types = query.type !== undefined ? [query.type] : RESOURCE_TYPES;
      const pages = await Promise.all(types.map((type) => fetch(INDEX.byType, ATTR.gsiType, `TYPE#${type}`)));
      items = pages.flat();
    }
    return sortByCreation(items.map((item) => decodeResource(item).resource));
  }

  async getPlan(name: string): Promise<PlanRecord | undefined> {
    const item = await this.getItem(planKey(name));
    return item ? decodePlan(item) : undefined;
  }

  async listPlans(): Promise<PlanRecord[]> {
    const items = await this.queryAll({
      TableName: this.table,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': ATTR.pk },
      ExpressionAttributeValues: { ':pk': 'PLANS' },
      ConsistentRead: true,
    });
    return items.map(decodePlan).sort((a, b) => compare(a.name, b.name));
  }

  async queryAll(input: QueryCommandInput): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.call(() =>
        this.doc.send(new QueryCommand({ ...input, ...(start ? { ExclusiveStartKey: start } : {}) })),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }

  // ---- transactions ----

  async transaction<T>(scopes: readonly string[], fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    const sorted = [...new Set(scopes)].sort(compare);
    const started = this.clock.now();
    let delay = BACKOFF_FIRST_MS;
    for (let attempt = 1; ; attempt++) {
      const seen = await this.readScopes(sorted);
      const tx = new DynamoTx(this);
      try {
        const result = await fn(tx);
        await commit(this, tx, seen, randomUUID());
        return result;
      } catch (error) {
        await tx.releaseClaims();
        if (!(error instanceof CommitConflict)) throw error;
        const waited = this.clock.now() - started;
        if (waited >= this.maxWaitMs) {
          throw new TransientError(
            `scopes ${sorted.join(', ')} are busy: ${attempt} commits in ${waited} ms lost to concurrent ones (${error.reason}); retry`,
            { cause: error, details: { scopes: sorted, attempts: attempt, waitedMs: waited } },
          );
        }
        // Full jitter: racing writers spread out instead of retrying in lockstep.
        await this.sleep(Math.min(Math.ceil(Math.random() * delay), this.maxWaitMs - waited));
        delay = Math.min(delay * 2, BACKOFF_MAX_MS);
      }
    }
  }

  /** The current version of each scope counter, read before the function reads anything. */
  private async readScopes(scopes: readonly string[]): Promise<SeenScopes> {
    const versions = await Promise.all(
      scopes.map(async (scope) => {
        const item = await this.getItem(scopeKey(scope));
        return [scope, item ? ScopeItem.parse(item).version : undefined] as const;
      }),
    );
    return new Map(versions);
  }

  /** Runs one SDK call, turning its failure into the port's error (transient, auth, or as it is). */
  async call<T>(send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw translate(error);
    }
  }

  async close(): Promise<void> {
    if (this.ownsClient) this.doc.destroy();
  }
}
