/**
 * The natflow table as the DynamoDB adapter's files share it: its name, the document client and the
 * clock, the strongly consistent reads a transaction's rules rely on (GetItem by id, by unique key and of
 * a scope counter; Query of a reference partition or of a ledger; BatchGetItem), and the listing by type
 * that reads the global secondary index. The store (`store.ts`), a transaction (`transaction.ts`) and the commit
 * (`commit.ts`) each get this object; none of them gets another's.
 */
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { RESOURCE_TYPES, type Resource } from '../../cloud/resources.ts';
import type { PlanRecord, ResourceQuery, StoreReader } from '../../cloud/store.ts';
import type { Clock } from '../../net/clock.ts';
import { ATTR, INDEX } from '../dynamodb-table.ts';
import { translate } from './errors.ts';
import {
  compare,
  decodePlan,
  decodeResource,
  type Guard,
  GuardItem,
  guardKey,
  type Ledger,
  LedgerItem,
  ledgerPartition,
  matches,
  planKey,
  resourceKey,
  ScopeItem,
  type Stored,
  scopeKey,
  sortByCreation,
} from './items.ts';

/** Backoff between retried rounds (BatchGetItem's unprocessed keys, lost commits): first, at most. */
export const BACKOFF_FIRST_MS = 10;
export const BACKOFF_MAX_MS = 1_000;
/** BatchGetItem takes at most 100 keys. */
const BATCH_GET_KEYS = 100;

export interface DynamoTableOptions {
  name: string;
  doc: DynamoDBDocumentClient;
  clock: Clock;
  /** Waits between BatchGetItem rounds of unprocessed keys. */
  sleep: (ms: number) => Promise<void>;
}

export class DynamoTable implements StoreReader {
  readonly name: string;
  readonly doc: DynamoDBDocumentClient;
  readonly clock: Clock;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: DynamoTableOptions) {
    this.name = options.name;
    this.doc = options.doc;
    this.clock = options.clock;
    this.sleep = options.sleep;
  }

  /** Runs one SDK call, turning its failure into the port's error (transient, auth, or as it is). */
  async call<T>(send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw translate(error);
    }
  }

  // ---- reads (strongly consistent on the base table) ----

  private async getItem(Key: Record<string, string>): Promise<Record<string, unknown> | undefined> {
    const out = await this.call(() =>
      this.doc.send(new GetCommand({ TableName: this.name, Key, ConsistentRead: true })),
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
            new BatchGetCommand({ RequestItems: { [this.name]: { Keys: keys, ConsistentRead: true } } }),
          ),
        );
        for (const item of out.Responses?.[this.name] ?? []) found.push(decodeResource(item).resource);
        keys = out.UnprocessedKeys?.[this.name]?.Keys ?? [];
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

  /** The version of a scope's counter (undefined: no commit on the scope yet). */
  async scopeVersion(scope: string): Promise<string | undefined> {
    const item = await this.getItem(scopeKey(scope));
    return item ? ScopeItem.parse(item).version : undefined;
  }

  async referrerIds(id: string): Promise<string[]> {
    const items = await this.queryAll({
      TableName: this.name,
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

  /**
   * The resources of an execution or a plan — what a rollback and a teardown decide on — read strongly
   * consistently: the ledger's partition (`EXEC#<execution>` or `OWNED#<plan>`, a Query with
   * ConsistentRead), then the resources (BatchGetItem with ConsistentRead). Only the listing by type (or
   * of everything) reads the `byType` index, which is eventually consistent: never a decision's evidence.
   */
  async list(query: ResourceQuery = {}): Promise<Resource[]> {
    if (query.execution !== undefined) return this.ledger('execution', query.execution, query);
    if (query.plan !== undefined) return this.ledger('plan', query.plan, query);
    const types = query.type !== undefined ? [query.type] : RESOURCE_TYPES;
    const pages = await Promise.all(
      types.map((type) =>
        this.queryAll({
          TableName: this.name,
          IndexName: INDEX.byType,
          KeyConditionExpression: '#hk = :hk',
          ExpressionAttributeNames: { '#hk': ATTR.gsiType },
          ExpressionAttributeValues: { ':hk': `TYPE#${type}` },
        }),
      ),
    );
    return sortByCreation(pages.flat().map((item) => decodeResource(item).resource));
  }

  /** The resources entered in one ledger that match `query`, in creation order. */
  private async ledger(ledger: Ledger, owner: string, query: ResourceQuery): Promise<Resource[]> {
    const entries = await this.queryAll({
      TableName: this.name,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': ATTR.pk },
      ExpressionAttributeValues: { ':pk': ledgerPartition(ledger, owner) },
      ConsistentRead: true,
    });
    const ids = entries.map((item) => LedgerItem.parse(item).id);
    return sortByCreation((await this.loadMany(ids)).filter((r) => matches(r, query)));
  }

  async getPlan(name: string): Promise<PlanRecord | undefined> {
    const item = await this.getItem(planKey(name));
    return item ? decodePlan(item) : undefined;
  }

  async listPlans(): Promise<PlanRecord[]> {
    const items = await this.queryAll({
      TableName: this.name,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': ATTR.pk },
      ExpressionAttributeValues: { ':pk': 'PLANS' },
      ConsistentRead: true,
    });
    return items.map(decodePlan).sort((a, b) => compare(a.name, b.name));
  }

  private async queryAll(input: QueryCommandInput): Promise<Record<string, unknown>[]> {
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
}
