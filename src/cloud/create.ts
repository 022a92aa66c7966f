/**
 * The create machinery every virtual-cloud create shares: one transaction per create, replay under a
 * client token (the same token answers the same resource; other fields are PLAN_CHANGED), the insert
 * with the resource's constraint keys (a `UniqueKeyViolation` mapped back to its rule code), a token race
 * between processes re-read, and the address assignment of docs/plan-format.md. The creates themselves live by concern:
 * `network.ts`, `compute.ts`, `load-balancing.ts`, `nat.ts`.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../net/clock.ts';
import { cidrContainsIp, formatIpv4, parseCidr, parseIpv4 } from '../net/ipv4.ts';
import { checkExplicitAddress, lowestFreeAddress } from './addressing.ts';
import { addressesOf, constraintKeysOf } from './constraints.ts';
import {
  DnatPortConflictError,
  IpInUseError,
  LbAlreadyMappedError,
  NotFoundError,
  PlanChangedError,
  SnatSourceConflictError,
} from './errors.ts';
import type { CreateContext } from './inputs.ts';
import {
  ID_PREFIX,
  type LifecycleStatus,
  type Resource,
  type ResourceOf,
  type ResourceType,
  referencesOf,
  type Subnet,
} from './resources.ts';
import { keys, type Store, type StoreReader, type StoreTx, UniqueKeyViolation } from './store.ts';

/** What every create needs from its control plane: the store, the clock, new ids. */
export interface CreateEnv {
  readonly store: Store;
  readonly clock: Clock;
  readonly newId: (type: ResourceType) => string;
}

/** One create, as `createResource` runs it. */
export interface CreateOptions<T extends ResourceType> {
  /** The type created (a token held by another type is PLAN_CHANGED). */
  type: T;
  /** The ledger fields, the client token, the entry's path. */
  ctx: CreateContext;
  /** Ids the transaction serialises on (the parents whose rules it reads), besides the token. */
  scopes?: readonly string[];
  /** The fields a replay compares (canonical JSON) with the resource already created under the token. */
  expected: Record<string, unknown>;
  /** Checks the rules and builds the new resource (inside the transaction). */
  build: (tx: StoreTx) => Promise<ResourceOf<T>>;
  /** More fields a replay compares that need reads (a server's own security group's rules). */
  compareMore?: (tx: StoreTx, existing: ResourceOf<T>) => Promise<string[]>;
  /** More fields a replay compares from the resource alone (a DNAT rule's given name). */
  compareSync?: (existing: ResourceOf<T>) => string[];
}

/** The fields every new resource starts with: a new id, ACTIVE, now, and the ledger fields of `ctx`. */
export function baseOf(env: CreateEnv, type: ResourceType, name: string, ctx: CreateContext) {
  return {
    id: env.newId(type),
    name,
    status: 'ACTIVE' as LifecycleStatus,
    createdAt: new Date(env.clock.now()).toISOString(),
    plan: ctx.plan ?? null,
    execution: ctx.execution ?? null,
    clientToken: ctx.clientToken ?? null,
  };
}

/** Inserts with the resource's constraint keys and references; a key violation becomes its rule's code. */
export async function insertResource(tx: StoreTx, resource: Resource, ctx: CreateContext): Promise<void> {
  resource.externalId ??= externalIdOf(resource.id);
  try {
    await tx.insert(resource, { keys: constraintKeysOf(resource), refs: referencesOf(resource) });
  } catch (error) {
    if (error instanceof UniqueKeyViolation) throw conflictOf(error, ctx);
    throw error;
  }
}

/**
 * The shared create: under a client token, return the resource already created (PLAN_CHANGED when
 * `expected` fields differ); otherwise build it (checking the rules) and insert it, in one transaction.
 */
export async function createResource<T extends ResourceType>(
  env: CreateEnv,
  options: CreateOptions<T>,
): Promise<ResourceOf<T>> {
  const { type, ctx, scopes = [], expected, build, compareMore, compareSync } = options;
  const token = ctx.clientToken ?? undefined;
  const replay = async (tx: StoreReader & Partial<StoreTx>): Promise<ResourceOf<T> | undefined> => {
    if (token === undefined) return undefined;
    const existing = await tx.getByKey(keys.token(token));
    if (!existing) return undefined;
    const changed: string[] = [];
    if (existing.type !== type) changed.push('type');
    else {
      const record = existing as unknown as Record<string, unknown>;
      for (const [field, value] of Object.entries(expected)) {
        const actual = field === 'target' ? stripTargetIp(record.target) : record[field];
        if (canonical(actual) !== canonical(value)) changed.push(field);
      }
      if (compareSync) changed.push(...compareSync(existing as ResourceOf<T>));
      if (compareMore && 'insert' in tx)
        changed.push(...(await compareMore(tx as StoreTx, existing as ResourceOf<T>)));
    }
    if (changed.length > 0) {
      throw new PlanChangedError(
        `${type} ${existing.name} (${existing.id}) was created from different fields (${changed.join(', ')}); natflow does not update in place: tear down, then provision`,
        { ...at(ctx), details: { id: existing.id, fields: changed } },
      );
    }
    return existing as ResourceOf<T>;
  };
  try {
    return await env.store.transaction([...scopes, ...(token ? [`token:${token}`] : [])], async (tx) => {
      const existing = await replay(tx);
      if (existing) return existing;
      const resource = await build(tx);
      await insertResource(tx, resource, ctx);
      return resource;
    });
  } catch (error) {
    // Another process created it between our read and our insert (an adapter without serialisation).
    if (error instanceof TokenRace) {
      const again = await env.store.transaction([], (tx) => replay(tx));
      if (again) return again;
    }
    throw error;
  }
}

/** An explicit address checked, or the lowest free one skipping the plan's explicit requests. */
export async function assignAddress(
  tx: StoreTx,
  subnet: Subnet,
  explicit: string | undefined,
  ctx: CreateContext,
  field: string,
  extraAvoid: readonly string[] = [],
): Promise<string> {
  const cidr = parseCidr(subnet.cidr);
  const inUse = new Set<number>();
  for (const holder of await tx.referrers(subnet.id)) {
    for (const [subnetId, ip] of addressesOf(holder)) if (subnetId === subnet.id) inUse.add(parseIpv4(ip));
  }
  const options = { ...at(ctx, field), subnetName: subnet.name };
  if (explicit !== undefined) {
    checkExplicitAddress(cidr, parseIpv4(explicit), inUse, options);
    return explicit;
  }
  const avoid = new Set<number>();
  for (const text of [...(ctx.avoid ?? []), ...extraAvoid]) {
    const ip = parseIpv4(text);
    if (cidrContainsIp(cidr, ip)) avoid.add(ip);
  }
  return formatIpv4(lowestFreeAddress(cidr, inUse, avoid, options));
}

/** Marks a token key held by a resource we could not see: the create re-reads it. */
class TokenRace extends Error {
  override name = 'TokenRace';
}

/** Maps a store key violation back to the rule it enforces. */
export function conflictOf(violation: UniqueKeyViolation, ctx: CreateContext): Error {
  const kind = violation.key.split(':')[0];
  const details = violation.holderId
    ? { conflictingId: violation.holderId, key: violation.key }
    : { key: violation.key };
  switch (kind) {
    case 'dnat-port':
      return new DnatPortConflictError(`the transit IP and port are already forwarded (${violation.key})`, {
        ...at(ctx, 'transitPort'),
        details,
      });
    case 'lb-target':
      return new LbAlreadyMappedError('the load balancer is already the target of a DNAT rule', {
        ...at(ctx, 'target.loadBalancer'),
        details,
      });
    case 'addr':
      return new IpInUseError(`the address is already in use (${violation.key})`, {
        ...at(ctx, 'ip'),
        details,
      });
    case 'snat-subnet':
    case 'snat-cidr':
      return new SnatSourceConflictError(
        `the gateway already has an SNAT rule for this source (${violation.key})`,
        {
          ...at(ctx, 'source'),
          details,
        },
      );
    case 'token':
      return new TokenRace(violation.message);
    default:
      return violation;
  }
}

export async function requireOf<T extends ResourceType>(
  reader: StoreReader,
  id: string,
  type?: T,
  path?: string,
): Promise<ResourceOf<T>> {
  const resource = await reader.get(id);
  if (!resource || (type !== undefined && resource.type !== type)) {
    throw new NotFoundError(
      resource ? `${id} is a ${resource.type}, not a ${type}` : `${type ?? 'resource'} ${id} does not exist`,
      { ...(path === undefined ? {} : { path }), details: { id } },
    );
  }
  return resource as ResourceOf<T>;
}

export async function referrersOf<T extends ResourceType>(
  reader: StoreReader,
  id: string,
  type: T,
): Promise<Array<ResourceOf<T>>> {
  return (await reader.referrers(id)).filter((r): r is ResourceOf<T> => r.type === type);
}

export function stripTargetIp(target: unknown): unknown {
  if (!target || typeof target !== 'object') return target;
  const { ip, ...rest } = target as { kind?: string; ip?: string };
  return rest.kind === 'ip' ? { ...rest, ip } : rest;
}

/**
 * The UUID a virtual-cloud resource answers to in the local Huawei API (docs/huaweicloud-api.md): derived from its
 * natflow id (SHA-256, formatted as an RFC 4122 version-4-shaped UUID), so it is stable and unique with it.
 */
export function externalIdOf(id: string): string {
  const hex = createHash('sha256').update(`natflow:${id}`).digest('hex');
  const variant = ((Number.parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function defaultNewId(type: ResourceType): string {
  const bytes = new Uint8Array(6);
  globalThis.crypto.getRandomValues(bytes);
  return `${ID_PREFIX[type]}-${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** `base.field`, or `field` outside a plan. */
export function pathOf(ctx: CreateContext, field?: string): string | undefined {
  if (field === undefined) return ctx.path;
  return ctx.path ? `${ctx.path}.${field}` : field;
}

export function at(ctx: CreateContext, field?: string): { path?: string } {
  const path = pathOf(ctx, field);
  return path === undefined ? {} : { path };
}

/** Stable JSON for field comparison (object keys sorted). */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

export function isAuto(ip: string | undefined): boolean {
  return ip === undefined || ip === 'auto';
}

/** An entry's explicit address, normalised (INVALID_ADDRESS at `path.field`), or undefined for auto. */
export function explicitAddressOf(
  ip: string | undefined,
  ctx: CreateContext,
  field: string,
): string | undefined {
  return isAuto(ip) ? undefined : formatIpv4(parseIpv4(ip as string, pathOf(ctx, field)));
}
