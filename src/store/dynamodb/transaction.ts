/**
 * A transaction's view of the table: resource writes are buffered in `pending` (reads see them), plan
 * records in `plans`; unique keys are claimed at once with a conditional put of their guard item, so a
 * violation surfaces from `insert` itself — where SQLite reports it and where the control plane maps it
 * to its rule's code. Nothing else reaches the table before the commit (`commit.ts`), which reads the
 * buffered writes through `writes()`. A transaction reads and claims through the table (`table.ts`); it
 * knows nothing of the store that runs it.
 */
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { NotFoundError, TransientError } from '../../cloud/errors.ts';
import { type Resource, ResourceSchema } from '../../cloud/resources.ts';
import {
  type InsertOptions,
  type PlanRecord,
  type ResourceQuery,
  type StoreTx,
  UniqueKeyViolation,
} from '../../cloud/store.ts';
import { ATTR } from '../dynamodb-table.ts';
import { isConditionalFailure } from './errors.ts';
import { compare, guardItem, guardKey, guardOf, matches, type Stored, sortByCreation } from './items.ts';
import type { DynamoTable } from './table.ts';

/** A pending change of one resource: its state before the transaction touched it, and after. */
export interface Pending {
  before: Stored | undefined;
  after: Stored | undefined;
}

/** A guard this transaction wrote at `insert`: the key is ours until commit, or given back on failure. */
export interface Claim {
  holder: string;
  /** Who held the guard before us (a resource this transaction removes, or a crashed commit's debris). */
  previous: string | undefined;
}

/** What a transaction works with: the table, and how long an orphaned guard counts as a commit in flight. */
export interface TransactionContext {
  table: DynamoTable;
  /** ms; see `DynamoStoreOptions.staleClaimMs`. */
  staleClaimMs: number;
}

/** A transaction's buffered writes, as its commit reads them. */
export interface TxWrites {
  readonly pending: ReadonlyMap<string, Pending>;
  readonly claims: ReadonlyMap<string, Claim>;
  /** Plan records written (a record) or removed (null) by this transaction. */
  readonly plans: ReadonlyMap<string, PlanRecord | null>;
}

export class DynamoTx implements StoreTx {
  private readonly pending = new Map<string, Pending>();
  private readonly claims = new Map<string, Claim>();
  private readonly plans = new Map<string, PlanRecord | null>();
  private readonly table: DynamoTable;
  private readonly staleClaimMs: number;

  constructor(context: TransactionContext) {
    this.table = context.table;
    this.staleClaimMs = context.staleClaimMs;
  }

  /** The writes to commit (read-only views: the commit changes nothing of the transaction). */
  writes(): TxWrites {
    return { pending: this.pending, claims: this.claims, plans: this.plans };
  }

  private async current(id: string): Promise<Stored | undefined> {
    const pending = this.pending.get(id);
    return pending ? pending.after : this.table.loadStored(id);
  }

  async get(id: string): Promise<Resource | undefined> {
    return (await this.current(id))?.resource;
  }

  async list(query: ResourceQuery = {}): Promise<Resource[]> {
    const stored = (await this.table.list(query)).filter((r) => !this.pending.has(r.id));
    const mine = [...this.pending.values()].flatMap((p) =>
      p.after && matches(p.after.resource, query) ? [p.after.resource] : [],
    );
    return sortByCreation([...stored, ...mine]);
  }

  async getByKey(key: string): Promise<Resource | undefined> {
    for (const p of this.pending.values()) if (p.after?.keys.includes(key)) return p.after.resource;
    const guard = await this.table.loadGuard(key);
    return guard ? this.get(guard.holder) : undefined;
  }

  async referrers(id: string): Promise<Resource[]> {
    const ids = new Set(await this.table.referrerIds(id));
    for (const [pid, p] of this.pending) {
      if (p.after?.refs.includes(id)) ids.add(pid);
      else ids.delete(pid);
    }
    const mine: Resource[] = [];
    const stored: string[] = [];
    for (const rid of ids) {
      const p = this.pending.get(rid);
      if (!p) stored.push(rid);
      else if (p.after) mine.push(p.after.resource);
    }
    return sortByCreation([...mine, ...(await this.table.loadMany(stored))]);
  }

  async getPlan(name: string): Promise<PlanRecord | undefined> {
    const mine = this.plans.get(name);
    if (mine !== undefined) return mine ?? undefined;
    return this.table.getPlan(name);
  }

  async listPlans(): Promise<PlanRecord[]> {
    const byName = new Map((await this.table.listPlans()).map((p) => [p.name, p]));
    for (const [name, record] of this.plans) {
      if (record) byName.set(name, record);
      else byName.delete(name);
    }
    return [...byName.values()].sort((a, b) => compare(a.name, b.name));
  }

  async insert(resource: Resource, options: InsertOptions): Promise<void> {
    const parsed = ResourceSchema.parse(resource);
    const previous = this.pending.get(parsed.id);
    const existing = previous ? previous.after : await this.table.loadStored(parsed.id);
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
        await this.table.call(() =>
          this.table.doc.send(
            new PutCommand({
              TableName: this.table.name,
              Item: guardItem(key, holder, this.table.clock.now()),
              ...guardCondition(previous, previousWrittenAt),
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            }),
          ),
        );
        this.claims.set(key, { holder, previous });
        return;
      } catch (error) {
        if (!isConditionalFailure(error)) throw error;
        const current = guardOf((error as { Item?: unknown }).Item) ?? (await this.table.loadGuard(key));
        if (!current) continue; // released meanwhile: try again
        const fresh = this.table.clock.now() - current.writtenAt <= this.staleClaimMs;
        if (fresh || (await this.table.loadStored(current.holder))) {
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
        await this.table.doc.send(
          new DeleteCommand({ TableName: this.table.name, Key: guardKey(key), ...condition }),
        );
      } else {
        const Item = guardItem(key, claim.previous, this.table.clock.now());
        await this.table.doc.send(new PutCommand({ TableName: this.table.name, Item, ...condition }));
      }
    } catch {
      // Unreachable or taken over: a guard without its resource is reclaimed once it is stale.
    }
  }

  /** Gives back every claim (the commit failed or the function threw). */
  async releaseClaims(): Promise<void> {
    for (const key of [...this.claims.keys()].reverse()) await this.unclaim(key);
  }

  async update(resource: Resource): Promise<void> {
    const parsed = ResourceSchema.parse(resource);
    const previous = this.pending.get(parsed.id);
    const current = previous ? previous.after : await this.table.loadStored(parsed.id);
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
    const stored = await this.table.loadStored(id);
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
