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
 * No global secondary index decides a rule, a rollback or a teardown: `list` by execution or by plan reads
 * the ledger partitions the commits keep (strongly consistent); only the listing by type reads the index.
 * Every supported DynamoDB has TransactWriteItems (AWS, DynamoDB Local, moto, LocalStack); there is no
 * non-atomic fallback, so an emulator without it (dynalite) is refused with a clear error rather than
 * served with weaker guarantees.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TransientError } from '../../cloud/errors.ts';
import type { Resource } from '../../cloud/resources.ts';
import type { PlanRecord, ResourceQuery, Store, StoreTx } from '../../cloud/store.ts';
import { type Clock, systemClock } from '../../net/clock.ts';
import { commit, type SeenScopes } from './commit.ts';
import { CommitConflict } from './errors.ts';
import { compare } from './items.ts';
import { BACKOFF_FIRST_MS, BACKOFF_MAX_MS, DynamoTable } from './table.ts';
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
  private readonly table: DynamoTable;
  private readonly staleClaimMs: number;
  private readonly maxWaitMs: number;
  private readonly clock: Clock;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly ownsClient: boolean;

  constructor(options: DynamoStoreOptions) {
    this.ownsClient = options.client === undefined;
    const client =
      options.client ?? new DynamoDBClient(options.endpoint ? { endpoint: options.endpoint } : {});
    this.staleClaimMs = options.staleClaimMs ?? DEFAULTS.staleClaimMs;
    this.maxWaitMs = options.maxWaitMs ?? DEFAULTS.maxWaitMs;
    this.clock = options.clock ?? systemClock;
    this.sleep = options.sleep ?? sleepFor;
    this.table = new DynamoTable({
      name: options.tableName,
      doc: DynamoDBDocumentClient.from(client, {
        marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
      }),
      clock: this.clock,
      sleep: this.sleep,
    });
  }

  // ---- reads (table.ts) ----

  get(id: string): Promise<Resource | undefined> {
    return this.table.get(id);
  }

  getByKey(key: string): Promise<Resource | undefined> {
    return this.table.getByKey(key);
  }

  referrers(id: string): Promise<Resource[]> {
    return this.table.referrers(id);
  }

  list(query: ResourceQuery = {}): Promise<Resource[]> {
    return this.table.list(query);
  }

  getPlan(name: string): Promise<PlanRecord | undefined> {
    return this.table.getPlan(name);
  }

  listPlans(): Promise<PlanRecord[]> {
    return this.table.listPlans();
  }

  // ---- transactions ----

  async transaction<T>(scopes: readonly string[], fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    const sorted = [...new Set(scopes)].sort(compare);
    const started = this.clock.now();
    let delay = BACKOFF_FIRST_MS;
    for (let attempt = 1; ; attempt++) {
      const seen = await this.readScopes(sorted);
      const tx = new DynamoTx({ table: this.table, staleClaimMs: this.staleClaimMs });
      try {
        const result = await fn(tx);
        await commit(this.table, tx.writes(), seen, randomUUID());
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
      scopes.map(async (scope) => [scope, await this.table.scopeVersion(scope)] as const),
    );
    return new Map(versions);
  }

  async close(): Promise<void> {
    if (this.ownsClient) this.table.doc.destroy();
  }
}
