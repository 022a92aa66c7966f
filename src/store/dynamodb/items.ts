/**
 * The items of the natflow table (layout: `../dynamodb-table.ts`): their keys, how a resource, a guard,
 * a reference, a scope counter and a plan record are written, and how they are read back.
 */
import { z } from 'zod';
import { type Resource, ResourceSchema } from '../../cloud/resources.ts';
import type { PlanRecord, ResourceQuery } from '../../cloud/store.ts';
import { ATTR } from '../dynamodb-table.ts';

/** A resource as stored: the document with the unique keys it holds and the ids it references. */
export interface Stored {
  resource: Resource;
  keys: readonly string[];
  refs: readonly string[];
}

export const resourceKey = (id: string) => ({ [ATTR.pk]: `RES#${id}`, [ATTR.sk]: 'RES' });
export const guardKey = (key: string) => ({ [ATTR.pk]: `KEY#${key}`, [ATTR.sk]: 'KEY' });
export const refKey = (target: string, referrer: string) => ({
  [ATTR.pk]: `REF#${target}`,
  [ATTR.sk]: `RES#${referrer}`,
});
export const scopeKey = (scope: string) => ({ [ATTR.pk]: `SCOPE#${scope}`, [ATTR.sk]: 'SCOPE' });
export const planKey = (name: string) => ({ [ATTR.pk]: 'PLANS', [ATTR.sk]: `PLAN#${name}` });

/** Which ledger a resource is entered in: its execution's (the rollback ledger) or its plan's. */
export type Ledger = 'execution' | 'plan';
const LEDGER_PREFIX: Readonly<Record<Ledger, string>> = { execution: 'EXEC#', plan: 'OWNED#' };
/** The partition of one execution's or one plan's ledger. */
export const ledgerPartition = (ledger: Ledger, owner: string) => `${LEDGER_PREFIX[ledger]}${owner}`;
export const ledgerKey = (ledger: Ledger, owner: string, id: string) => ({
  [ATTR.pk]: ledgerPartition(ledger, owner),
  [ATTR.sk]: `RES#${id}`,
});
export const ledgerItem = (ledger: Ledger, owner: string, id: string) => ({
  ...ledgerKey(ledger, owner, id),
  id,
});
export const LedgerItem = z.object({ id: z.string() });

export function resourceItem(stored: Stored): Record<string, unknown> {
  const r = stored.resource;
  return {
    ...resourceKey(r.id),
    resource: r,
    keys: [...stored.keys],
    refs: [...stored.refs],
    [ATTR.gsiType]: `TYPE#${r.type}`,
    [ATTR.createdKey]: `${r.createdAt}#${r.id}`,
  };
}

export const guardItem = (key: string, holder: string, writtenAt: number) => ({
  ...guardKey(key),
  holder,
  writtenAt,
});

export const refItem = (target: string, referrer: string) => ({ ...refKey(target, referrer), referrer });

export function planItem(record: PlanRecord): Record<string, unknown> {
  return {
    ...planKey(record.name),
    name: record.name,
    document: JSON.stringify(record.document),
    execution: record.execution,
    updatedAt: record.updatedAt,
  };
}

const StoredResourceItem = z.object({
  resource: z.unknown(),
  keys: z.array(z.string()),
  refs: z.array(z.string()),
});
export const GuardItem = z.object({ holder: z.string(), writtenAt: z.number() });
export type Guard = z.infer<typeof GuardItem>;
const PlanItem = z.object({
  name: z.string(),
  document: z.string(),
  execution: z.string().nullable(),
  updatedAt: z.string(),
});
/** A scope counter: `version` is the id of the last commit on the scope, `commits` how many there were. */
export const ScopeItem = z.object({ version: z.string(), commits: z.number().optional() });

export function decodeResource(item: Record<string, unknown>): Stored {
  const stored = StoredResourceItem.parse(item);
  return { resource: ResourceSchema.parse(stored.resource), keys: stored.keys, refs: stored.refs };
}

export function decodePlan(item: Record<string, unknown>): PlanRecord {
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
export function guardOf(item: unknown): Guard | undefined {
  const plain = GuardItem.safeParse(item);
  if (plain.success) return plain.data;
  const marshalled = MarshalledGuard.safeParse(item);
  return marshalled.success
    ? { holder: marshalled.data.holder.S, writtenAt: Number(marshalled.data.writtenAt.N) }
    : undefined;
}

export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function sortByCreation(resources: Resource[]): Resource[] {
  return resources.sort((a, b) => compare(a.createdAt, b.createdAt) || compare(a.id, b.id));
}

export function matches(resource: Resource, query: ResourceQuery): boolean {
  return (
    (query.type === undefined || resource.type === query.type) &&
    (query.plan === undefined || resource.plan === query.plan) &&
    (query.execution === undefined || resource.execution === query.execution)
  );
}
