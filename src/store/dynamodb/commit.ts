/**
 * The commit of a transaction: one TransactWriteItems holding
 * - a check that every guard claimed at `insert` is still ours,
 * - the resource, reference and plan items with their conditions, and the guards of removed resources,
 * - an update of each scope counter (`SCOPE#<scope>`), conditioned on the version the transaction read
 *   before its function ran: the item that makes rules over a parent exact (a gateway's rule quota, a
 *   transit IP's port type, a VPC's subnet overlap) — a concurrent commit on the parent changed it,
 * - the ledger entries of the resources written (`EXEC#<execution>`, `OWNED#<plan>`), so the ledgers a
 *   rollback and a teardown read never lag behind the resources.
 *
 * A cancelled commit whose reasons are failed conditions or transaction conflicts is a lost race
 * (`CommitConflict`): the transaction runs its function again, which then reports the rule the winner
 * broke (QUOTA_EXCEEDED, PORT_TYPE_CONFLICT, DNAT_PORT_CONFLICT …). Throttling reasons are transient;
 * anything else is an error.
 */
import { TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { TransientError } from '../../cloud/errors.ts';
import type { PlanRecord } from '../../cloud/store.ts';
import { ATTR } from '../dynamodb-table.ts';
import { CommitConflict, errorName, translate } from './errors.ts';
import {
  guardKey,
  type Ledger,
  ledgerItem,
  ledgerKey,
  planItem,
  planKey,
  refItem,
  refKey,
  resourceItem,
  resourceKey,
  type Stored,
  scopeKey,
} from './items.ts';
import type { DynamoTable } from './table.ts';
import type { TxWrites } from './transaction.ts';

const LEDGERS: readonly Ledger[] = ['execution', 'plan'];

/** TransactWriteItems takes at most 100 actions. */
export const MAX_TRANSACT_ITEMS = 100;
/** Scope counters outlive any transaction by far; DynamoDB's TTL sweeps those of idle scopes. */
const SCOPE_TTL_S = 24 * 3600;

/** Scope → the version its counter had when the transaction began (undefined: never committed on). */
export type SeenScopes = ReadonlyMap<string, string | undefined>;

/** One item-level write of a commit. */
export type Op =
  | { kind: 'guard-check'; key: string; holder: string }
  | { kind: 'guard-delete'; key: string; holder: string }
  | { kind: 'resource-put'; stored: Stored; before: Stored | undefined }
  | { kind: 'resource-delete'; before: Stored }
  | { kind: 'ref-put'; target: string; referrer: string }
  | { kind: 'ref-delete'; target: string; referrer: string }
  | { kind: 'ledger-put'; ledger: Ledger; owner: string; id: string }
  | { kind: 'ledger-delete'; ledger: Ledger; owner: string; id: string }
  | { kind: 'plan-put'; record: PlanRecord }
  | { kind: 'plan-delete'; name: string }
  | { kind: 'scope'; scope: string; seen: string | undefined };

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** Commits `tx`'s writes (nothing when it wrote nothing); `version` becomes each scope counter's new version. */
export async function commit(
  table: Pick<DynamoTable, 'name' | 'doc' | 'clock'>,
  tx: TxWrites,
  seen: SeenScopes,
  version: string,
): Promise<void> {
  const writes = planOps(tx);
  if (writes.length === 0) return;
  const ops: Op[] = [
    ...writes,
    ...[...seen].map(([scope, v]): Op => ({ kind: 'scope', scope, seen: v })),
    ...ledgerOps(tx),
  ];
  if (ops.length > MAX_TRANSACT_ITEMS) {
    throw new Error(
      `a transaction of ${ops.length} writes exceeds DynamoDB's ${MAX_TRANSACT_ITEMS} TransactWriteItems actions`,
    );
  }
  const now = table.clock.now();
  const items = ops.map((op) => transactItem(table.name, op, version, now));
  try {
    await table.doc.send(new TransactWriteCommand({ TransactItems: items }));
  } catch (error) {
    throw cancelled(error, ops);
  }
}

/**
 * The item-level writes of a transaction: guard checks first, then resources and references, then the
 * guards of removed resources (unless a new resource of this transaction took the key over), then plans.
 * Each item appears once, as TransactWriteItems requires.
 */
export function planOps(tx: TxWrites): Op[] {
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

/**
 * The ledger entries a transaction's resource writes move: an entry in its execution's and its plan's
 * partition while the resource has them (written last in the TransactWriteItems, after the counters).
 */
export function ledgerOps(tx: TxWrites): Op[] {
  const ops: Op[] = [];
  for (const [id, p] of tx.pending) {
    for (const ledger of LEDGERS) {
      const before = p.before?.resource[ledger] ?? null;
      const after = p.after?.resource[ledger] ?? null;
      if (before === after) continue;
      if (after !== null) ops.push({ kind: 'ledger-put', ledger, owner: after, id });
      if (before !== null) ops.push({ kind: 'ledger-delete', ledger, owner: before, id });
    }
  }
  return ops;
}

const holderCondition = (holder: string) => ({
  ConditionExpression: '#holder = :holder',
  ExpressionAttributeNames: { '#holder': 'holder' },
  ExpressionAttributeValues: { ':holder': holder },
});

function transactItem(TableName: string, op: Op, version: string, now: number): TransactItem {
  switch (op.kind) {
    case 'guard-check':
      return { ConditionCheck: { TableName, Key: guardKey(op.key), ...holderCondition(op.holder) } };
    case 'guard-delete':
      return { Delete: { TableName, Key: guardKey(op.key), ...holderCondition(op.holder) } };
    case 'resource-put':
      return {
        Put: {
          TableName,
          Item: resourceItem(op.stored),
          ConditionExpression: op.before ? 'attribute_exists(#pk)' : 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': ATTR.pk },
        },
      };
    case 'resource-delete':
      // The resource is still the one the transaction read (no concurrent update slipped in).
      return {
        Delete: {
          TableName,
          Key: resourceKey(op.before.resource.id),
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': ATTR.pk },
        },
      };
    case 'ref-put':
      return { Put: { TableName, Item: refItem(op.target, op.referrer) } };
    case 'ref-delete':
      return { Delete: { TableName, Key: refKey(op.target, op.referrer) } };
    case 'ledger-put':
      return { Put: { TableName, Item: ledgerItem(op.ledger, op.owner, op.id) } };
    case 'ledger-delete':
      return { Delete: { TableName, Key: ledgerKey(op.ledger, op.owner, op.id) } };
    case 'plan-put':
      return { Put: { TableName, Item: planItem(op.record) } };
    case 'plan-delete':
      return { Delete: { TableName, Key: planKey(op.name) } };
    case 'scope':
      return {
        Update: {
          TableName,
          Key: scopeKey(op.scope),
          UpdateExpression: 'SET #v = :version, #ttl = :ttl ADD #n :one',
          ConditionExpression: op.seen === undefined ? 'attribute_not_exists(#pk)' : '#v = :seen',
          ExpressionAttributeNames: {
            '#v': 'version',
            '#n': 'commits',
            '#ttl': ATTR.ttl,
            ...(op.seen === undefined ? { '#pk': ATTR.pk } : {}),
          },
          ExpressionAttributeValues: {
            ':version': version,
            ':one': 1,
            ':ttl': Math.ceil(now / 1000) + SCOPE_TTL_S,
            ...(op.seen === undefined ? {} : { ':seen': op.seen }),
          },
        },
      };
  }
}

const Reasons = z.array(z.object({ Code: z.string().optional(), Message: z.string().optional() })).catch([]);

/** What a failed TransactWriteItems means for the transaction. */
function cancelled(error: unknown, ops: readonly Op[]): unknown {
  const name = errorName(error);
  if (name === 'UnknownOperationException') {
    return new Error(
      'this DynamoDB endpoint has no TransactWriteItems (dynalite?); natflow commits atomically only: use DynamoDB, DynamoDB Local, moto or LocalStack',
      { cause: error },
    );
  }
  if (name === 'TransactionConflictException')
    return new CommitConflict('a transaction conflict', { cause: error });
  if (name !== 'TransactionCanceledException') return translate(error);
  const reasons = Reasons.parse((error as { CancellationReasons?: unknown }).CancellationReasons);
  const lost: string[] = [];
  for (const [i, reason] of reasons.entries()) {
    const code = reason.Code;
    if (!code || code === 'None') continue;
    if (code === 'ConditionalCheckFailed' || code === 'TransactionConflict') {
      lost.push(`${describe(ops[i])}: ${code}`);
      continue;
    }
    if (
      code === 'ThrottlingError' ||
      code === 'ProvisionedThroughputExceeded' ||
      code === 'RequestLimitExceeded'
    ) {
      return new TransientError(`the commit was throttled (${code}); retry`, {
        cause: error,
        details: { reason: code },
      });
    }
    return new Error(`the commit was refused (${code}${reason.Message ? `: ${reason.Message}` : ''})`, {
      cause: error,
    });
  }
  // A cancellation without a reason we know (some emulators send none) is taken as a lost race too.
  return new CommitConflict(lost.length > 0 ? lost.join('; ') : 'cancelled', { cause: error });
}

function describe(op: Op | undefined): string {
  switch (op?.kind) {
    case undefined:
      return 'an item';
    case 'scope':
      return `scope ${op.scope} changed`;
    case 'guard-check':
    case 'guard-delete':
      return `guard ${op.key} changed hands`;
    case 'resource-put':
      return `resource ${op.stored.resource.id} ${op.before ? 'was deleted' : 'appeared'}`;
    case 'resource-delete':
      return `resource ${op.before.resource.id} was deleted`;
    default:
      return op?.kind ?? 'an item';
  }
}
