/**
 * What the data plane's syncs compare and keep: creation order, the addresses a topology holds,
 * whether a scoped sync changes anything, and a health checker's inputs — memoised by resource identity,
 * so a sync does not re-serialise what it already saw.
 */
import type { Resource } from '../cloud/resources.ts';
import type { Topology } from '../probe/model.ts';

/** A scoped sync's reading: the scope's resources, and which known resources it replaces. */
export interface ScopeLoad {
  resources: readonly Resource[];
  inScope: (resource: Resource) => boolean;
}

/** Creation order (createdAt, then id), as the store lists resources. */
export function byCreation(x: Resource, y: Resource): number {
  if (x.createdAt !== y.createdAt) return x.createdAt < y.createdAt ? -1 : 1;
  return x.id < y.id ? -1 : x.id > y.id ? 1 : 0;
}

/** `vpcId|ip` of every virtual address a resource of the topology holds. */
export function heldAddresses(topology: Topology): Set<string> {
  const keep = new Set<string>();
  const hold = (vpcId: string, ip: string) => keep.add(`${vpcId}|${ip}`);
  for (const r of topology.resources) {
    if (r.type === 'server' || r.type === 'transit-ip') hold(r.vpcId, r.ip);
    else if (r.type === 'load-balancer') {
      hold(r.vpcId, r.ip);
      hold(r.vpcId, r.backendIp);
    } else if (r.type === 'private-nat-gateway') hold(r.vpcId, r.downlinkIp);
  }
  return keep;
}

/** True when `resources` are exactly `before` (same ids, same contents). */
export function sameResources(
  before: readonly Resource[],
  resources: readonly Resource[],
  known: ReadonlyMap<string, Resource>,
): boolean {
  if (before.length !== resources.length) return false;
  return resources.every((r) => {
    const seen = known.get(r.id);
    return seen !== undefined && JSON.stringify(seen) === JSON.stringify(r);
  });
}

export interface HealthInputs {
  /** The resource objects the strings were computed from. */
  parts: readonly unknown[];
  /** The checker's own signature (backend address, health check, members). */
  signature: string;
  /** What its members' health depends on: their servers' addresses, apps, status, security groups. */
  reach: string;
}

/** A checker's inputs, reusing `last` while its resources are the same objects. */
export function healthInputs(
  topology: Topology,
  lb: Resource & { backendIp: string },
  group: Resource & { type: 'backend-group' },
  last: HealthInputs | undefined,
): HealthInputs {
  const parts: unknown[] = [lb, group];
  const servers = group.members.map((m) => topology.find('server', m.serverId));
  for (const server of servers) {
    parts.push(server);
    for (const id of server?.securityGroupIds ?? []) parts.push(topology.find('security-group', id));
  }
  if (last && last.parts.length === parts.length && last.parts.every((part, i) => part === parts[i]))
    return last;
  return {
    parts,
    signature: JSON.stringify([lb.backendIp, group.healthCheck, group.members]),
    reach: JSON.stringify(
      servers.map((server) =>
        server
          ? [
              server.ip,
              server.status,
              server.apps,
              server.securityGroupIds.map((id) => topology.find('security-group', id)),
            ]
          : null,
      ),
    ),
  };
}

/**
 * The health checkers a topology wants (`lbId|groupId` → inputs), one per listener's (load balancer,
 * group); inputs computed from the same resource objects as in `last` are reused as they are.
 */
export function wantedCheckers(
  topology: Topology,
  last: ReadonlyMap<string, HealthInputs>,
): Map<string, HealthInputs> {
  const wanted = new Map<string, HealthInputs>();
  for (const listener of topology.ofType('listener')) {
    const lb = topology.find('load-balancer', listener.loadBalancerId);
    const group = topology.backendGroup(listener.backendGroupId);
    if (!lb || !group) continue;
    const key = `${lb.id}|${group.id}`;
    wanted.set(key, healthInputs(topology, lb, group, last.get(key)));
  }
  return wanted;
}
