/**
 * The part of the store a probe or a verification can see: the connected component, over references
 * (both ways), of some seed resources — read through the store's indexes (`get`, `referrers`,
 * `list({ plan })`), never by listing the whole store. A path the analysis walks goes only along
 * references (server → subnet → VPC ← transit IP ← DNAT rule → gateway, target, listeners, groups,
 * members, security groups), so the component holds every resource any path from the seeds can reach;
 * independent plans stay independent, and one probe costs what its component holds.
 *
 * @example Topology.from(await planScope(store, 'app-a-to-elb01'))
 */

import { splitQualified } from '../cloud/resolve.ts';
import { type Resource, referencesOf } from '../cloud/resources.ts';
import { keys, type StoreReader } from '../cloud/store.ts';

/** Creation order (createdAt, then id), as the store lists resources. */
function byCreation(x: Resource, y: Resource): number {
  if (x.createdAt !== y.createdAt) return x.createdAt < y.createdAt ? -1 : 1;
  return x.id < y.id ? -1 : x.id > y.id ? 1 : 0;
}

/** Every resource connected to `seeds` by references, either way, in creation order. */
export async function connectedResources(
  store: StoreReader,
  seeds: readonly Resource[],
): Promise<Resource[]> {
  const found = new Map<string, Resource>(seeds.map((r) => [r.id, r]));
  const queue = [...found.values()];
  for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
    for (const id of referencesOf(next)) {
      if (found.has(id)) continue;
      const referenced = await store.get(id);
      if (!referenced) continue;
      found.set(id, referenced);
      queue.push(referenced);
    }
    for (const referrer of await store.referrers(next.id)) {
      if (found.has(referrer.id)) continue;
      found.set(referrer.id, referrer);
      queue.push(referrer);
    }
  }
  return [...found.values()].sort(byCreation);
}

/** A plan's resources and everything connected to them. */
export async function planScope(store: StoreReader, plan: string): Promise<Resource[]> {
  return connectedResources(store, await store.list({ plan }));
}

/**
 * What a scoped data-plane sync replaces (`DataPlane.syncScope`): the plan's resources as the data plane
 * last saw them (some may be gone) and every resource of the scope read now.
 */
export function inScopeOf(
  plan: string | undefined,
  scope: readonly Resource[],
): (resource: Resource) => boolean {
  const ids = new Set(scope.map((r) => r.id));
  return (resource) => (plan !== undefined && resource.plan === plan) || ids.has(resource.id);
}

/** The resources a probe's `from` or `to` (an id, `PLAN/NAME`, or a name within `plan` or anywhere) may name. */
async function named(
  store: StoreReader,
  nameOrId: string,
  types: readonly Resource['type'][],
  plan: string | undefined,
): Promise<Resource[]> {
  const byId = (await store.get(nameOrId)) ?? (await store.getByKey(keys.external(nameOrId)));
  if (byId && types.includes(byId.type)) return [byId];
  const split = splitQualified(nameOrId);
  const qualified = split
    ? (await store.list({ plan: split.plan })).filter((r) => types.includes(r.type) && r.name === split.name)
    : [];
  if (qualified.length > 0) return qualified;
  if (plan !== undefined) {
    return (await store.list({ plan })).filter((r) => types.includes(r.type) && r.name === nameOrId);
  }
  const out: Resource[] = [];
  for (const type of types) out.push(...(await store.list({ type })).filter((r) => r.name === nameOrId));
  return out;
}

/**
 * What a probe needs: the component of its source server(s) and of a named destination. A name that
 * matches nothing gives the whole store, so the probe reports NOT_FOUND exactly as it always has.
 */
export async function probeScope(
  store: StoreReader,
  request: { from: string; to: string; plan?: string | undefined },
): Promise<Resource[]> {
  const sources = await named(store, request.from, ['server'], request.plan);
  const isAddress = /^\d{1,3}(\.\d{1,3}){3}$/.test(request.to);
  const destinations = isAddress
    ? []
    : await named(store, request.to, ['transit-ip', 'server', 'load-balancer'], request.plan);
  if (sources.length === 0 || (!isAddress && destinations.length === 0)) return store.list();
  return connectedResources(store, [...sources, ...destinations]);
}
