/**
 * The store port on one DynamoDB table (layout: `dynamodb-table.ts`), with the guarantees SQLite gives
 * by its unique indexes and `BEGIN IMMEDIATE`:
 *
 * - **Unique keys** are guard items `KEY#<key>` holding the holder's id, claimed by `insert` itself with
 *   a conditional put (`attribute_not_exists(pk)`) BEFORE the resource is written: of any number of
 *   racing writers exactly one gets the key whatever their scopes, and the others get
 *   `UniqueKeyViolation` naming the holder from `insert` — where SQLite reports it and where the control
 *   plane maps it to its rule's code. A transaction that fails gives its claims back.
 * - **Transactions** take one lease item per scope (`LEASE#<scope>`, a conditional put that succeeds when
 *   the lease is free or expired), in sorted order so two transactions never wait on each other in a
 *   cycle; a held lease is retried with jittered exponential backoff for at most `maxWaitMs`, then the
 *   call fails with `TransientError` (`Natflow.Transient`, which the workflows retry). Resource writes
 *   are buffered, reads inside the transaction see them, and none reaches the table unless `fn` resolves.
 * - **Commit** is one `TransactWriteItems` — a check that every claimed guard and every lease is still
 *   ours, the resource and reference items, released guards, plan records — where the service has it and
 *   the commit fits in 100 items. Where the service answers that the operation is unknown (dynalite,
 *   some local emulators) the adapter remembers it and commits as a sequence instead: leases renewed,
 *   guards re-checked, then resources, references, released guards and plan records, every step undone
 *   in reverse if a later one fails.
 * - **Crashes** can leave a guard without its resource (a claim whose commit never came). Such a guard
 *   still holds its key while it is younger than a lease (it may be a commit in flight) and is reclaimed
 *   after that, since no live transaction outlasts its lease.
 *
 * Reads by id, key and reference are strongly consistent; `list` reads the global secondary indexes,
 * which DynamoDB keeps eventually consistent (typically well under a second), so a rule evaluated by
 * listing may miss a write committed a moment before by another process. Every rule that is a key holds
 * strictly; quota-like rules hold up to that propagation delay.
 *
 * Throttling, exhausted capacity, transaction conflicts, 5xx answers and network failures become
 * `TransientError`; the SDK has already retried them by then.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  type PutCommandInput,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { NotFoundError, TransientError } from '../cloud/errors.ts';
import { RESOURCE_TYPES, type Resource, ResourceSchema } from '../cloud/resources.ts';
import {
  type InsertOptions,
  type PlanRecord,
  type ResourceQuery,
  type Store,
  type StoreTx,
  UniqueKeyViolation,
} from '../cloud/store.ts';
import { type Clock, systemClock } from '../net/clock.ts';
import { ATTR, INDEX } from './dynamodb-table.ts';

export interface DynamoStoreOptions {
  tableName: string;
  /** The SDK client (an endpoint for local tests, a mock); a default client otherwise. */
  client?: DynamoDBClient;
  /** The endpoint of a default client (a local emulator); ignored with `client`. */
  endpoint?: string;
  /**
   * How long a transaction's lease lasts, ms. Longer than any transaction can run (the Lambda timeout is
   * 29 s), so a live holder never loses it; a crashed holder's lease is taken over once it expires.
   */
  leaseMs?: number;
  /** How long a transaction waits for a held scope before failing with `TransientError`, ms. */
  maxWaitMs?: number;
  clock?: Clock;
  /** Waits between lease attempts (tests pass one that advances a manual clock). */
  sleep?: (ms: number) => Promise<void>;
  /** `auto` (default): TransactWriteItems, falling back to the guard sequence where it is unknown. */
  transactions?: 'auto' | 'never';
}

const DEFAULTS = { leaseMs: 30_000, maxWaitMs: 10_000 } as const;
/** TransactWriteItems takes at most 100 actions; larger commits use the sequence. */
const MAX_TRANSACT_ITEMS = 100;
const BACKOFF_FIRST_MS = 5;
const BACKOFF_MAX_MS = 200;

const StoredResourceItem = z.object({
  resource: z.unknown(),
  keys: z.array(z.string()),
  refs: z.array(z.string()),
});
const GuardItem = z.object({ holder: z.string(), writtenAt: z.number() });
const PlanItem = z.object({
  name: z.string(),
  document: z.string(),
  execution: z.string().nullable(),
  updatedAt: z.string(),
});

interface Stored {
  resource: Resource;
  keys: readonly string[];
  refs: readonly string[];
}

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

class DynamoStore implements Store {
  readonly table: string;
  readonly doc: DynamoDBDocumentClient;
  readonly leaseMs: number;
  readonly maxWaitMs: number;
  readonly clock: Clock;
  readonly sleep: (ms: number) => Promise<void>;
  /** Cleared when the service answers that TransactWriteItems is unknown. */
  transactSupported: boolean;
  private readonly ownsClient: boolean;

  constructor(options: DynamoStoreOptions) {
    this.table = options.tableName;
    this.ownsClient = options.client === undefined;
    const client =
      options.client ?? new DynamoDBClient(options.endpoint ? { endpoint: options.endpoint } : {});
    this.doc = DynamoDBDocumentClient.from(client, {
      marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    });
    this.leaseMs = options.leaseMs ?? DEFAULTS.leaseMs;
    this.maxWaitMs = options.maxWaitMs ?? DEFAULTS.maxWaitMs;
    this.clock = options.clock ?? systemClock;
    this.sleep = options.sleep ?? sleepFor;
    this.transactSupported = options.transactions !== 'never';
  }

  // ---- reads (strongly consistent on the base table) ----

  async loadStored(id: string): Promise<Stored | undefined> {
    const out = await this.call(() =>
      this.doc.send(new GetCommand({ TableName: this.table, Key: resourceKey(id), ConsistentRead: true })),
    );
    return out.Item ? decodeResource(out.Item) : undefined;
  }

  async get(id: string): Promise<Resource | undefined> {
    return (await this.loadStored(id))?.resource;
  }

  async loadGuard(key: string): Promise<z.infer<typeof GuardItem> | undefined> {
    const out = await this.call(() =>
      this.doc.send(new GetCommand({ TableName: this.table, Key: guardKey(key), ConsistentRead: true })),
    );
    return out.Item ? GuardItem.parse(out.Item) : undefined;
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
    const ids = await this.referrerIds(id);
    const found = await Promise.all(ids.map((referrer) => this.get(referrer)));
    return sortByCreation(found.filter((r): r is Resource => r !== undefined));
  }

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
    const out = await this.call(() =>
      this.doc.send(new GetCommand({ TableName: this.table, Key: planKey(name), ConsistentRead: true })),
    );
    return out.Item ? decodePlan(out.Item) : undefined;
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
    const owner = randomUUID();
    const held = await this.acquireLeases([...new Set(scopes)].sort(compare), owner);
    try {
      const tx = new DynamoTx(this);
      try {
        const result = await fn(tx);
        await new Commit(this, tx, held, owner).run();
        return result;
      } catch (error) {
        await tx.releaseClaims();
        throw error;
      }
    } finally {
      await this.releaseLeases(held, owner);
    }
  }

  private async acquireLeases(scopes: readonly string[], owner: string): Promise<string[]> {
    const held: string[] = [];
    const started = this.clock.now();
    let delay = BACKOFF_FIRST_MS;
    try {
      for (const scope of scopes) {
        for (;;) {
          const now = this.clock.now();
          try {
            await this.call(() =>
              this.doc.send(
                new PutCommand({
                  TableName: this.table,
                  Item: {
                    ...leaseKey(scope),
                    owner,
                    expiresAt: now + this.leaseMs,
                    [ATTR.ttl]: Math.ceil((now + this.leaseMs) / 1000) + 3600,
                  },
                  ConditionExpression: 'attribute_not_exists(#pk) OR #exp < :now',
                  ExpressionAttributeNames: { '#pk': ATTR.pk, '#exp': 'expiresAt' },
                  ExpressionAttributeValues: { ':now': now },
                }),
              ),
            );
            held.push(scope);
            delay = BACKOFF_FIRST_MS;
            break;
          } catch (error) {
            if (!isConditionalFailure(error)) throw error;
            const waited = this.clock.now() - started;
            if (waited >= this.maxWaitMs) {
              throw new TransientError(`scope ${scope} is busy: waited ${waited} ms for its lease`, {
                details: { scope, waitedMs: waited },
              });
            }
            // Full jitter: racing waiters spread out instead of retrying in lockstep.
            await this.sleep(Math.min(Math.ceil(Math.random() * delay), this.maxWaitMs - waited));
            delay = Math.min(delay * 2, BACKOFF_MAX_MS);
          }
        }
      }
      return held;
    } catch (error) {
      await this.releaseLeases(held, owner);
      throw error;
    }
  }

  private async releaseLeases(scopes: readonly string[], owner: string): Promise<void> {
    await Promise.all(
      scopes.map(async (scope) => {
        try {
          await this.doc.send(
            new DeleteCommand({
              TableName: this.table,
              Key: leaseKey(scope),
              ConditionExpression: '#owner = :owner',
              ExpressionAttributeNames: { '#owner': 'owner' },
              ExpressionAttributeValues: { ':owner': owner },
            }),
          );
        } catch {
          // Already expired and taken over, or unreachable: it expires on its own after leaseMs.
        }
      }),
    );
  }

  /** Runs one SDK call, turning passing faults into `TransientError`. */
  async call<T>(send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw asTransient(error) ?? error;
    }
  }

  async close(): Promise<void> {
    if (this.ownsClient) this.doc.destroy();
  }
}

/** A pending change of one resource: its state before the transaction touched it, and after. */
interface Pending {
  before: Stored | undefined;
  after: Stored | undefined;
}

/** A guard this transaction wrote at `insert`: the key is ours until commit, or given back on failure. */
interface Claim {
  holder: string;
  /** Who held the guard before us (a resource this transaction removes, or a crashed commit's debris). */
  previous: string | undefined;
}

/**
 * A transaction's view: resource writes are buffered in `pending` (reads see them), plan records in
 * `plans`; unique keys are claimed at once, so a violation surfaces from `insert` itself — where SQLite
 * reports it and where the control plane maps it to its rule's code.
 */
class DynamoTx implements StoreTx {
  readonly pending = new Map<string, Pending>();
  readonly claims = new Map<string, Claim>();
  /** Plan records written (a record) or removed (null) by this transaction. */
  readonly plans = new Map<string, PlanRecord | null>();
  private readonly store: DynamoStore;

  constructor(store: DynamoStore) {
    this.store = store;
  }

  private async current(id: string): Promise<Stored | undefined> {
    const pending = this.pending.get(id);
    return pending ? pending.after : this.store.loadStored(id);
  }

  async get(id: string): Promise<Resource | undefined> {
    return (await this.current(id))?.resource;
  }

  async list(query: ResourceQuery = {}): Promise<Resource[]> {
    const stored = (await this.store.list(query)).filter((r) => !this.pending.has(r.id));
    const mine = [...this.pending.values()].flatMap((p) =>
      p.after && matches(p.after.resource, query) ? [p.after.resource] : [],
    );
    return sortByCreation([...stored, ...mine]);
  }

  async getByKey(key: string): Promise<Resource | undefined> {
    for (const p of this.pending.values()) if (p.after?.keys.includes(key)) return p.after.resource;
    const guard = await this.store.loadGuard(key);
    return guard ? this.get(guard.holder) : undefined;
  }

  async referrers(id: string): Promise<Resource[]> {
    const ids = new Set(await this.store.referrerIds(id));
    for (const [pid, p] of this.pending) {
      if (p.after?.refs.includes(id)) ids.add(pid);
      else ids.delete(pid);
    }
    const found = await Promise.all([...ids].map((rid) => this.get(rid)));
    return sortByCreation(found.filter((r): r is Resource => r !== undefined));
  }

  async getPlan(name: string): Promise<PlanRecord | undefined> {
    const mine = this.plans.get(name);
    if (mine !== undefined) return mine ?? undefined;
    return this.store.getPlan(name);
  }

  async listPlans(): Promise<PlanRecord[]> {
    const byName = new Map((await this.store.listPlans()).map((p) => [p.name, p]));
    for (const [name, record] of this.plans) {
      if (record) byName.set(name, record);
      else byName.delete(name);
    }
    return [...byName.values()].sort((a, b) => compare(a.name, b.name));
  }

  async insert(resource: Resource, options: InsertOptions): Promise<void> {
    const parsed = ResourceSchema.parse(resource);
    const previous = this.pending.get(parsed.id);
    const existing = previous ? previous.after : await this.store.loadStored(parsed.id);
    if (existing) throw new UniqueKeyViolation(`id:${parsed.id}`, parsed.id);
    const keys = [...new Set(options.keys)];
    const claimed: string[] = [];
    try {
      for (const key of keys) {
        await this.claim(key, parsed.id);
        claimed.push(key);
      }
    } catch (error) {
      // An insert that fails writes nothing: give back the keys it had already claimed.
      for (const key of claimed.reverse()) await this.unclaim(key);
      throw error;
    }
    const after: Stored = { resource: parsed, keys, refs: [...new Set(options.refs)] };
    this.pending.set(parsed.id, { before: previous ? previous.before : undefined, after });
  }

  /**
   * Writes the guard of `key` for `holder` unless another resource holds it: free, released by a
   * resource this transaction removes, or left by a commit that crashed (no resource behind it, older
   * than any live commit can be).
   */
  private async claim(key: string, holder: string): Promise<void> {
    for (const [id, p] of this.pending) {
      if (p.after?.keys.includes(key)) throw new UniqueKeyViolation(key, id);
    }
    let previous = [...this.pending].find(
      ([, p]) => p.before?.keys.includes(key) && !p.after?.keys.includes(key),
    )?.[0];
    let previousWrittenAt: number | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await this.store.call(() =>
          this.store.doc.send(
            new PutCommand({
              TableName: this.store.table,
              Item: guardItem(key, holder, this.store.clock.now()),
              ...guardCondition(previous, previousWrittenAt),
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            }),
          ),
        );
        this.claims.set(key, { holder, previous });
        return;
      } catch (error) {
        if (!isConditionalFailure(error)) throw error;
        const current = guardOf((error as { Item?: unknown }).Item) ?? (await this.store.loadGuard(key));
        if (!current) continue; // released meanwhile: try again
        const fresh = this.store.clock.now() - current.writtenAt <= this.store.leaseMs;
        if (fresh || (await this.store.loadStored(current.holder))) {
          throw new UniqueKeyViolation(key, current.holder);
        }
        previous = current.holder;
        previousWrittenAt = current.writtenAt;
      }
    }
    throw new TransientError(`the guard of ${key} kept changing; retry`, { details: { key } });
  }

  /** Gives a claimed key back: deleted, or returned to the resource that held it before. */
  private async unclaim(key: string): Promise<void> {
    const claim = this.claims.get(key);
    if (!claim) return;
    this.claims.delete(key);
    const condition = {
      ConditionExpression: '#holder = :me',
      ExpressionAttributeNames: { '#holder': 'holder' },
      ExpressionAttributeValues: { ':me': claim.holder },
    };
    try {
      if (claim.previous === undefined) {
        await this.store.doc.send(
          new DeleteCommand({ TableName: this.store.table, Key: guardKey(key), ...condition }),
        );
      } else {
        const Item = guardItem(key, claim.previous, this.store.clock.now());
        await this.store.doc.send(new PutCommand({ TableName: this.store.table, Item, ...condition }));
      }
    } catch {
      // Unreachable or taken over: a guard without its resource is reclaimed once it is stale.
    }
  }

  /** Gives back every claim (the transaction failed or its function threw). */
  async releaseClaims(): Promise<void> {
    for (const key of [...this.claims.keys()].reverse()) await this.unclaim(key);
  }

  async update(resource: Resource): Promise<void> {
    const parsed = ResourceSchema.parse(resource);
    const previous = this.pending.get(parsed.id);
    const current = previous ? previous.after : await this.store.loadStored(parsed.id);
    if (!current) {
      throw new NotFoundError(`update of a missing resource ${parsed.id}`, { details: { id: parsed.id } });
    }
    const before = previous ? previous.before : current;
    this.pending.set(parsed.id, { before, after: { ...current, resource: parsed } });
  }

  async remove(id: string): Promise<void> {
    const previous = this.pending.get(id);
    if (previous) {
      // Keys this transaction claimed for the resource go back now; keys it held before go at commit.
      for (const key of previous.after?.keys ?? []) {
        if (!previous.before?.keys.includes(key)) await this.unclaim(key);
      }
      if (previous.before) this.pending.set(id, { before: previous.before, after: undefined });
      else this.pending.delete(id);
      return;
    }
    const stored = await this.store.loadStored(id);
    if (stored) this.pending.set(id, { before: stored, after: undefined });
  }

  async putPlan(record: PlanRecord): Promise<void> {
    this.plans.set(record.name, structuredClone(record));
  }

  async removePlan(name: string): Promise<void> {
    this.plans.set(name, null);
  }
}

/** A guard put's condition: the key is free, or still held as we last saw it. */
interface Condition {
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
}

function guardCondition(previous: string | undefined, writtenAt: number | undefined): Condition {
  if (previous === undefined) {
    return { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': ATTR.pk } };
  }
  if (writtenAt === undefined) {
    return {
      ConditionExpression: '#holder = :previous',
      ExpressionAttributeNames: { '#holder': 'holder' },
      ExpressionAttributeValues: { ':previous': previous },
    };
  }
  return {
    ConditionExpression: '#holder = :previous AND #at = :at',
    ExpressionAttributeNames: { '#holder': 'holder', '#at': 'writtenAt' },
    ExpressionAttributeValues: { ':previous': previous, ':at': writtenAt },
  };
}

/**
 * One item-level write of a commit. Guards were claimed at `insert`; the commit proves they are still
 * ours (`guard-check`) in the same TransactWriteItems as everything else.
 */
type Op =
  | { kind: 'guard-check'; key: string; holder: string }
  | { kind: 'guard-delete'; key: string; holder: string }
  | { kind: 'resource-put'; stored: Stored; before: Stored | undefined }
  | { kind: 'resource-delete'; before: Stored }
  | { kind: 'ref-put'; target: string; referrer: string }
  | { kind: 'ref-delete'; target: string; referrer: string }
  | { kind: 'plan-put'; record: PlanRecord }
  | { kind: 'plan-delete'; name: string };

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

class Commit {
  private readonly store: DynamoStore;
  private readonly ops: Op[];
  private readonly scopes: readonly string[];
  private readonly owner: string;

  constructor(store: DynamoStore, tx: DynamoTx, scopes: readonly string[], owner: string) {
    this.store = store;
    this.scopes = scopes;
    this.owner = owner;
    this.ops = planOps(tx);
  }

  async run(): Promise<void> {
    if (this.ops.length === 0) return;
    if (this.store.transactSupported && this.ops.length + this.scopes.length <= MAX_TRANSACT_ITEMS) {
      try {
        await this.transact();
        return;
      } catch (error) {
        if (!isUnknownOperation(error)) throw error;
        this.store.transactSupported = false;
      }
    }
    await this.sequence();
  }

  // ---- TransactWriteItems ----

  private async transact(): Promise<void> {
    const leaseChecks: TransactItem[] = this.scopes.map((scope) => ({
      ConditionCheck: {
        TableName: this.store.table,
        Key: leaseKey(scope),
        ConditionExpression: '#owner = :owner',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: { ':owner': this.owner },
      },
    }));
    const items = [...this.ops.map((op) => this.transactItem(op)), ...leaseChecks];
    try {
      await this.store.doc.send(new TransactWriteCommand({ TransactItems: items }));
    } catch (error) {
      if (errorName(error) === 'TransactionCanceledException') throw await this.cancelled(error);
      throw asTransient(error) ?? error;
    }
  }

  private transactItem(op: Op): TransactItem {
    const table = this.store.table;
    if (op.kind === 'guard-check') {
      return {
        ConditionCheck: {
          TableName: table,
          Key: guardKey(op.key),
          ...holderCondition(op.holder),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      };
    }
    const write = this.write(op);
    if ('Key' in write) return { Delete: { TableName: table, ...write } };
    return { Put: { TableName: table, ...write } };
  }

  /** Maps the cancellation reasons (aligned with the items) to the error the port promises. */
  private async cancelled(error: unknown): Promise<Error> {
    const reasons = z
      .array(z.object({ Code: z.string().optional(), Item: z.record(z.string(), z.unknown()).optional() }))
      .catch([])
      .parse((error as { CancellationReasons?: unknown }).CancellationReasons);
    for (const [i, reason] of reasons.entries()) {
      if (!reason.Code || reason.Code === 'None') continue;
      if (reason.Code !== 'ConditionalCheckFailed') {
        return new TransientError(`the commit was cancelled (${reason.Code}); retry`, {
          cause: error,
          details: { reason: reason.Code },
        });
      }
      const op = this.ops[i];
      if (op === undefined) {
        const scope = this.scopes[i - this.ops.length];
        return new TransientError(`the lease on scope ${scope} expired before the commit`, { cause: error });
      }
      return this.conflict(op, reason.Item, error);
    }
    return asTransient(error) ?? (error instanceof Error ? error : new Error(String(error)));
  }

  /** The error of a failed condition on `op`'s item (`item`: the item as it was, when returned). */
  private async conflict(op: Op, item: unknown, cause: unknown): Promise<Error> {
    switch (op.kind) {
      case 'guard-check': {
        const holder = guardOf(item)?.holder ?? (await this.store.loadGuard(op.key))?.holder;
        return new UniqueKeyViolation(op.key, holder);
      }
      case 'resource-put': {
        const id = op.stored.resource.id;
        return op.before
          ? new NotFoundError(`resource ${id} was deleted concurrently`, { cause, details: { id } })
          : new UniqueKeyViolation(`id:${id}`, id);
      }
      default:
        return new TransientError(`a concurrent write changed the store during the commit (${op.kind})`, {
          cause,
        });
    }
  }

  // ---- the guard sequence ----

  private async sequence(): Promise<void> {
    await this.renewLeases();
    const done: Op[] = [];
    try {
      for (const op of this.ops) {
        await this.apply(op);
        done.push(op);
      }
    } catch (error) {
      for (const op of done.reverse()) await this.undo(op).catch(() => undefined);
      throw error;
    }
  }

  /** Proves every lease is still ours (and extends it) before the first write. */
  private async renewLeases(): Promise<void> {
    const now = this.store.clock.now();
    for (const scope of this.scopes) {
      try {
        await this.store.call(() =>
          this.store.doc.send(
            new UpdateCommand({
              TableName: this.store.table,
              Key: leaseKey(scope),
              UpdateExpression: 'SET #exp = :exp',
              ConditionExpression: '#owner = :owner',
              ExpressionAttributeNames: { '#owner': 'owner', '#exp': 'expiresAt' },
              ExpressionAttributeValues: { ':owner': this.owner, ':exp': now + this.store.leaseMs },
            }),
          ),
        );
      } catch (error) {
        if (!isConditionalFailure(error)) throw error;
        throw new TransientError(`the lease on scope ${scope} expired before the commit`, { cause: error });
      }
    }
  }

  private async apply(op: Op): Promise<void> {
    const table = this.store.table;
    try {
      if (op.kind === 'guard-check') {
        // Outside a transaction the check refreshes the guard, so it cannot go stale under us.
        await this.store.call(() =>
          this.store.doc.send(
            new UpdateCommand({
              TableName: table,
              Key: guardKey(op.key),
              UpdateExpression: 'SET #at = :now',
              ...holderCondition(op.holder, { '#at': 'writtenAt' }, { ':now': this.store.clock.now() }),
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            }),
          ),
        );
        return;
      }
      const write = this.write(op);
      if ('Key' in write) {
        await this.store.call(() => this.store.doc.send(new DeleteCommand({ TableName: table, ...write })));
      } else {
        await this.store.call(() => this.store.doc.send(new PutCommand({ TableName: table, ...write })));
      }
    } catch (error) {
      if (!isConditionalFailure(error)) throw error;
      throw await this.conflict(op, (error as { Item?: unknown }).Item, error);
    }
  }

  private async undo(op: Op): Promise<void> {
    for (const write of invert(op, this.store.clock.now())) {
      if ('Key' in write) {
        await this.store.doc.send(new DeleteCommand({ TableName: this.store.table, ...write }));
      } else {
        await this.store.doc.send(new PutCommand({ TableName: this.store.table, ...write }));
      }
    }
  }

  /** The conditional write of one op, as a Put (Item) or a Delete (Key). */
  private write(op: Exclude<Op, { kind: 'guard-check' }>): WriteSpec {
    switch (op.kind) {
      case 'guard-delete':
        return { Key: guardKey(op.key), ...holderCondition(op.holder) };
      case 'resource-put':
        return {
          Item: resourceItem(op.stored),
          ConditionExpression: op.before ? 'attribute_exists(#pk)' : 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': ATTR.pk },
        };
      case 'resource-delete':
        return { Key: resourceKey(op.before.resource.id) };
      case 'ref-put':
        return { Item: refItem(op.target, op.referrer) };
      case 'ref-delete':
        return { Key: refKey(op.target, op.referrer) };
      case 'plan-put':
        return { Item: planItem(op.record) };
      case 'plan-delete':
        return { Key: planKey(op.name) };
    }
  }
}

function holderCondition(
  holder: string,
  names: Record<string, string> = {},
  values: Record<string, unknown> = {},
) {
  return {
    ConditionExpression: '#holder = :holder',
    ExpressionAttributeNames: { '#holder': 'holder', ...names },
    ExpressionAttributeValues: { ':holder': holder, ...values },
  };
}

type WriteSpec =
  | Pick<
      PutCommandInput,
      'Item' | 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
    >
  | {
      Key: Record<string, string>;
      ConditionExpression?: string;
      ExpressionAttributeNames?: Record<string, string>;
      ExpressionAttributeValues?: Record<string, unknown>;
    };

/**
 * The item-level writes of a transaction: guard checks first, then resources and references, then the
 * guards of removed resources (unless a new resource of this transaction took the key over), then plans.
 * Each item appears once, as TransactWriteItems requires.
 */
function planOps(tx: DynamoTx): Op[] {
  const checks: Op[] = [];
  const rest: Op[] = [];
  const guardDeletes: Op[] = [];
  for (const [key, claim] of tx.claims) checks.push({ kind: 'guard-check', key, holder: claim.holder });
  for (const [id, p] of tx.pending) {
    const refsBefore = p.before?.refs ?? [];
    if (p.after) rest.push({ kind: 'resource-put', stored: p.after, before: p.before });
    else if (p.before) rest.push({ kind: 'resource-delete', before: p.before });
    for (const target of p.after?.refs ?? []) {
      if (!refsBefore.includes(target)) rest.push({ kind: 'ref-put', target, referrer: id });
    }
    for (const target of refsBefore) {
      if (!p.after?.refs.includes(target)) rest.push({ kind: 'ref-delete', target, referrer: id });
    }
    for (const key of p.before?.keys ?? []) {
      if (!p.after?.keys.includes(key) && !tx.claims.has(key))
        guardDeletes.push({ kind: 'guard-delete', key, holder: id });
    }
  }
  const plans: Op[] = [...tx.plans].map(([name, record]) =>
    record ? { kind: 'plan-put', record } : { kind: 'plan-delete', name },
  );
  return [...checks, ...rest, ...guardDeletes, ...plans];
}

/** The unconditional writes that restore what `op` changed. */
function invert(op: Op, now: number): WriteSpec[] {
  switch (op.kind) {
    case 'guard-check':
      return [];
    case 'guard-delete':
      return [{ Item: guardItem(op.key, op.holder, now) }];
    case 'resource-put':
      return op.before ? [{ Item: resourceItem(op.before) }] : [{ Key: resourceKey(op.stored.resource.id) }];
    case 'resource-delete':
      return [{ Item: resourceItem(op.before) }];
    case 'ref-put':
      return [{ Key: refKey(op.target, op.referrer) }];
    case 'ref-delete':
      return [{ Item: refItem(op.target, op.referrer) }];
    case 'plan-put':
    case 'plan-delete':
      // Plan records are last-writer-wins documents written after every resource: nothing to undo.
      return [];
  }
}

// ---- items ----

const resourceKey = (id: string) => ({ [ATTR.pk]: `RES#${id}`, [ATTR.sk]: 'RES' });
const guardKey = (key: string) => ({ [ATTR.pk]: `KEY#${key}`, [ATTR.sk]: 'KEY' });
const refKey = (target: string, referrer: string) => ({
  [ATTR.pk]: `REF#${target}`,
  [ATTR.sk]: `RES#${referrer}`,
});
const leaseKey = (scope: string) => ({ [ATTR.pk]: `LEASE#${scope}`, [ATTR.sk]: 'LEASE' });
const planKey = (name: string) => ({ [ATTR.pk]: 'PLANS', [ATTR.sk]: `PLAN#${name}` });

function resourceItem(stored: Stored): Record<string, unknown> {
  const r = stored.resource;
  return {
    ...resourceKey(r.id),
    resource: r,
    keys: [...stored.keys],
    refs: [...stored.refs],
    [ATTR.gsiType]: `TYPE#${r.type}`,
    ...(r.plan !== null ? { [ATTR.gsiPlan]: `PLAN#${r.plan}` } : {}),
    ...(r.execution !== null ? { [ATTR.gsiExec]: `EXEC#${r.execution}` } : {}),
    [ATTR.createdKey]: `${r.createdAt}#${r.id}`,
  };
}

const guardItem = (key: string, holder: string, writtenAt: number) => ({
  ...guardKey(key),
  holder,
  writtenAt,
});
const refItem = (target: string, referrer: string) => ({ ...refKey(target, referrer), referrer });

function planItem(record: PlanRecord): Record<string, unknown> {
  return {
    ...planKey(record.name),
    name: record.name,
    document: JSON.stringify(record.document),
    execution: record.execution,
    updatedAt: record.updatedAt,
  };
}

function decodeResource(item: Record<string, unknown>): Stored {
  const stored = StoredResourceItem.parse(item);
  return { resource: ResourceSchema.parse(stored.resource), keys: stored.keys, refs: stored.refs };
}

function decodePlan(item: Record<string, unknown>): PlanRecord {
  const plan = PlanItem.parse(item);
  return {
    name: plan.name,
    document: JSON.parse(plan.document),
    execution: plan.execution,
    updatedAt: plan.updatedAt,
  };
}

const MarshalledGuard = z.object({
  holder: z.object({ S: z.string() }),
  writtenAt: z.object({ N: z.string() }),
});

/**
 * The guard item returned with a failed condition, if any. The document client does not unmarshall
 * items attached to errors, so both shapes are accepted.
 */
function guardOf(item: unknown): z.infer<typeof GuardItem> | undefined {
  const plain = GuardItem.safeParse(item);
  if (plain.success) return plain.data;
  const marshalled = MarshalledGuard.safeParse(item);
  return marshalled.success
    ? { holder: marshalled.data.holder.S, writtenAt: Number(marshalled.data.writtenAt.N) }
    : undefined;
}

// ---- errors ----

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

function isConditionalFailure(error: unknown): boolean {
  return errorName(error) === 'ConditionalCheckFailedException';
}

/** The service does not know TransactWriteItems (dynalite answers UnknownOperationException). */
function isUnknownOperation(error: unknown): boolean {
  const name = errorName(error);
  return name === 'UnknownOperationException' || name === 'UnrecognizedClientException';
}

const TRANSIENT_NAMES = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TransactionConflictException',
  'TransactionInProgressException',
  'LimitExceededException',
  'TimeoutError',
]);
const TRANSIENT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN']);

/** `TransientError` for a passing fault (throttling, 5xx, network), undefined for anything else. */
export function asTransient(error: unknown): TransientError | undefined {
  if (!(error instanceof Error)) return undefined;
  if (error instanceof TransientError) return error;
  const meta = (error as { $metadata?: { httpStatusCode?: number } }).$metadata;
  const code = (error as { code?: unknown }).code;
  const transient =
    TRANSIENT_NAMES.has(error.name) ||
    (meta?.httpStatusCode !== undefined && meta.httpStatusCode >= 500) ||
    (typeof code === 'string' && TRANSIENT_CODES.has(code));
  return transient
    ? new TransientError(`DynamoDB is unavailable for now (${error.name}): ${error.message}`, {
        cause: error,
      })
    : undefined;
}

// ---- helpers ----

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortByCreation(resources: Resource[]): Resource[] {
  return resources.sort((a, b) => compare(a.createdAt, b.createdAt) || compare(a.id, b.id));
}

function matches(resource: Resource, query: ResourceQuery): boolean {
  return (
    (query.type === undefined || resource.type === query.type) &&
    (query.plan === undefined || resource.plan === query.plan) &&
    (query.execution === undefined || resource.execution === query.execution)
  );
}
