/**
 * The part of the cloud a preview's paths can touch, read through the store's indexes (`get`,
 * `referrers`) instead of listing the whole store — so a preview costs what the plan's rules reach, not
 * the number of plans stored (docs/preview.md: with 1,000 plans stored, under twice the cost of one).
 *
 * What the path analysis (`analyze`, docs/probe.md) looks up from a server of a transit IP's VPC to that
 * transit IP, and therefore what is loaded:
 * - the transit VPC whole (its subnets and everything holding an address in them: the sources, and
 *   whatever an address resolves to), each server's security groups;
 * - the transit IP's rules, their gateways and each gateway's rules (its compiled rule index);
 * - each rule's target: a server with its groups; a load balancer with its listeners, their backend
 *   groups, the members and their groups; for an address target, the gateway's VPC whole;
 * - and everything each of those references (subnets, VPCs), transitively.
 *
 * The result is an ordinary `Topology` of those resources: the walk cannot tell it from the whole one.
 */
import type { Resource } from '../cloud/resources.ts';
import { referencesOf } from '../cloud/resources.ts';
import type { StoreReader } from '../cloud/store.ts';
import { Topology } from '../probe/model.ts';

/** What the loader reads: a store, or a cloud port (its ledger). */
export type NeighbourhoodReader = Pick<StoreReader, 'get' | 'referrers'>;

export interface NeighbourhoodSeeds {
  /** The transit IPs of the rules whose paths are analysed. */
  transitIpIds: readonly string[];
  /** Further resources to include (rule targets, gateways), with what they reference. */
  ids?: readonly string[];
  /** VPCs to load whole (the gateway VPCs of address targets). */
  vpcIds?: readonly string[];
}

/** Creation order (createdAt, then id), as `StoreReader.list` answers. */
function byCreation(x: Resource, y: Resource): number {
  if (x.createdAt !== y.createdAt) return x.createdAt < y.createdAt ? -1 : 1;
  return x.id < y.id ? -1 : x.id > y.id ? 1 : 0;
}

/**
 * @example const topology = await loadNeighbourhood(store, { transitIpIds: [tip.id] });
 */
export async function loadNeighbourhood(
  reader: NeighbourhoodReader,
  seeds: NeighbourhoodSeeds,
): Promise<Topology> {
  const found = new Map<string, Resource>();
  /** Resources already read as referrers: visited next without reading them again. */
  const prefetched = new Map<string, Resource>();
  const seen = new Set<string>();
  const seedTips = new Set(seeds.transitIpIds);
  const wholeVpcs = new Set(seeds.vpcIds ?? []);

  /** The ids to read next after `resource`: what it references, and the referrers the walk needs. */
  const visit = async (resource: Resource): Promise<string[]> => {
    const next = referencesOf(resource);
    const upward = async (types: readonly Resource['type'][]) => {
      for (const r of await reader.referrers(resource.id)) {
        if (!types.includes(r.type)) continue;
        prefetched.set(r.id, r);
        next.push(r.id);
      }
    };
    switch (resource.type) {
      case 'transit-ip':
        if (seedTips.has(resource.id)) await upward(['dnat-rule']);
        break;
      case 'private-nat-gateway':
        await upward(['dnat-rule']);
        break;
      case 'load-balancer':
        await upward(['listener']);
        break;
      case 'vpc':
        if (wholeVpcs.has(resource.id)) await upward(['subnet', 'security-group']);
        break;
      case 'subnet':
        if (wholeVpcs.has(resource.vpcId))
          await upward(['server', 'load-balancer', 'transit-ip', 'private-nat-gateway']);
        break;
      default:
        break;
    }
    return next;
  };

  // The seed transit IPs first: their VPCs are loaded whole, so they must be known before any subnet.
  const tips = await Promise.all(seeds.transitIpIds.map((id) => reader.get(id)));
  for (const tip of tips) if (tip?.type === 'transit-ip') wholeVpcs.add(tip.vpcId);
  let wave: string[] = [...seeds.transitIpIds, ...(seeds.ids ?? []), ...wholeVpcs];
  while (wave.length > 0) {
    const ids = [...new Set(wave)].filter((id) => !seen.has(id));
    for (const id of ids) seen.add(id);
    const resources = await Promise.all(ids.map((id) => prefetched.get(id) ?? reader.get(id)));
    const next: string[] = [];
    for (const resource of resources) if (resource) found.set(resource.id, resource);
    for (const list of await Promise.all(resources.map((r) => (r ? visit(r) : [])))) next.push(...list);
    wave = next;
  }
  return Topology.from([...found.values()].sort(byCreation));
}
