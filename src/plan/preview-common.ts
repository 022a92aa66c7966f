/**
 * What the two previews (`preview.ts`: a plan; `preview-destroy.ts`: a teardown) share: the document's
 * types, the plan's resource entries, the summary, and the two states around the plan's paths.
 */
import type { FieldDrift } from '../cloud/drift.ts';
import type { Issue } from '../cloud/errors.ts';
import type { Resource, ResourceType } from '../cloud/resources.ts';
import type { Topology } from '../probe/model.ts';
import { loadNeighbourhood, type NeighbourhoodReader } from './neighbourhood.ts';
import { type GatewayEntry, isExisting, type Plan } from './plan.ts';
import type { PlanRule, Reachability } from './preview-paths.ts';

export type { PathState, Reachability, ReachabilityPath } from './preview-paths.ts';

export const PREVIEW_ACTIONS = [
  'create',
  'unchanged',
  'differs',
  'drifted',
  'conflict',
  'existing',
  'destroy',
] as const;
export type PreviewAction = (typeof PREVIEW_ACTIONS)[number];

/** One resource entry of the plan (or one implicit resource under it) and what would happen to it. */
export interface ActionRow {
  /** The plan path: `privateNatGateways[0].dnatRules[0]`; a server's security group has its server's. */
  entry: string;
  kind: ResourceType;
  name: string;
  action: PreviewAction;
  /** The first problem's code (conflict: a rule code; differs: PLAN_CHANGED). */
  code?: string;
  errors?: Issue[];
  /** The resource it is (unchanged, existing, destroy) or would be (create: the dry run's id). */
  id?: string;
  /** The address it has or would get (servers, load balancers, transit IPs, gateways' downlink). */
  address?: string;
  /** `create`: natflow recorded it, and it is gone from the cloud (docs/real-cloud.md#change-drift). */
  gone?: true;
  /**
   * `drifted` (and a `conflict` DRIFT_REQUIRES_REPLACE): the managed fields the cloud holds otherwise,
   * `{field, recorded, actual}` in natflow's names and values.
   */
  fields?: FieldDrift[];
}

export interface PreviewSummary {
  create: number;
  unchanged: number;
  differs: number;
  conflicts: number;
  existing: number;
  destroy: number;
  /** Resources whose managed fields changed in the cloud (provisioning updates them): present when any. */
  drifted?: number;
}

export interface PreviewDocument {
  plan: string;
  mode: 'apply' | 'destroy';
  actions: ActionRow[];
  summary: PreviewSummary;
  reachability: Reachability;
  /**
   * With `topology: true`: the resources the paths go through, after the plan (and those a teardown
   * removes), for a picture of the preview — the console draws the paths on it. Resources the plan
   * would create carry the dry run's ids.
   */
  topology?: Resource[];
}

/** A preview, or why there is none (the validate document's errors). */
export type PreviewResult =
  | { previewable: true; preview: PreviewDocument }
  | { previewable: false; errors: Issue[] };

export interface PreviewOptions {
  /** Include the resources of the two states' neighbourhoods (`PreviewDocument.topology`). */
  topology?: boolean;
}

/** The plan would fail (exit 1): anything in conflict, or differing from what it created. */
export function previewFails(preview: PreviewDocument): boolean {
  return preview.summary.conflicts > 0 || preview.summary.differs > 0;
}

/**
 * It would change something (`--detailed-exitcode` 3): anything to create (a resource gone from the
 * cloud included), to update in place (drifted) or to destroy.
 */
export function previewChanges(preview: PreviewDocument): boolean {
  const s = preview.summary;
  return s.create > 0 || s.destroy > 0 || (s.drifted ?? 0) > 0;
}

/**
 * The exit code of `natflow plan` (docs/preview.md): 0 clean, 1 it would fail, 2 not previewable;
 * `detailed`: a clean plan is 0 when it changes nothing and 3 when it changes something.
 */
export function previewExitCode(result: PreviewResult, detailed: boolean): number {
  if (!result.previewable) return 2;
  if (previewFails(result.preview)) return 1;
  return detailed && previewChanges(result.preview) ? 3 : 0;
}

export function summarize(actions: readonly ActionRow[]): PreviewSummary {
  const summary: PreviewSummary = {
    create: 0,
    unchanged: 0,
    differs: 0,
    conflicts: 0,
    existing: 0,
    destroy: 0,
  };
  let drifted = 0;
  for (const row of actions) {
    if (row.action === 'conflict') summary.conflicts++;
    else if (row.action === 'drifted') drifted++;
    else summary[row.action]++;
  }
  // `drifted` only when the cloud drifted, so a summary without drift reads as it always has.
  return drifted > 0 ? { ...summary, drifted } : summary;
}

/** A resource entry of a plan, with what the preview needs to find its resource and its problems. */
export interface EntryRef {
  entry: string;
  kind: ResourceType;
  name: string;
  existing?: string;
}

/** The plan's resource entries in plan order (implicit resources are added later, beside their entry). */
export function entriesOf(plan: Plan): EntryRef[] {
  const out: EntryRef[] = [];
  const add = (entry: string, kind: ResourceType, e: { name?: string | undefined; existing?: string }) =>
    out.push({
      entry,
      kind,
      name: e.name ?? '',
      ...(e.existing === undefined ? {} : { existing: e.existing }),
    });
  const ref = <T extends object>(e: T) => e as T & { name?: string; existing?: string };
  plan.vpcs?.forEach((vpc, i) => {
    add(`vpcs[${i}]`, 'vpc', ref(vpc));
    vpc.subnets?.forEach((subnet, j) => {
      add(`vpcs[${i}].subnets[${j}]`, 'subnet', ref(subnet));
    });
  });
  plan.servers?.forEach((e, i) => {
    add(`servers[${i}]`, 'server', ref(e));
  });
  plan.backendGroups?.forEach((e, i) => {
    add(`backendGroups[${i}]`, 'backend-group', e);
  });
  plan.loadBalancers?.forEach((lb, i) => {
    add(`loadBalancers[${i}]`, 'load-balancer', ref(lb));
    if (isExisting(lb)) return;
    lb.listeners?.forEach((l, k) => {
      add(`loadBalancers[${i}].listeners[${k}]`, 'listener', {
        name: `${lb.name}/${l.name ?? `${l.protocol}-${l.port}`}`,
      });
    });
  });
  plan.transitIps?.forEach((e, i) => {
    add(`transitIps[${i}]`, 'transit-ip', ref(e));
  });
  plan.privateNatGateways?.forEach((g, i) => {
    add(`privateNatGateways[${i}]`, 'private-nat-gateway', ref(g));
    g.dnatRules?.forEach((r, j) => {
      add(`privateNatGateways[${i}].dnatRules[${j}]`, 'dnat-rule', { name: r.name ?? dnatDefaultName(r) });
    });
    g.snatRules?.forEach((r, j) => {
      add(`privateNatGateways[${i}].snatRules[${j}]`, 'snat-rule', {
        name: r.name ?? `${r.source}-via-${r.transitIp}`,
      });
    });
  });
  return out;
}

function dnatDefaultName(rule: NonNullable<GatewayEntry['dnatRules']>[number]): string {
  return `${rule.transitIp}-${rule.protocol}-${rule.transitPort}`;
}

/** The entry an issue belongs to: the longest entry path that is the issue's path or a prefix of it. */
export function ownerOf(path: string, entries: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const entry of entries) {
    const within = path === entry || path.startsWith(`${entry}.`) || path.startsWith(`${entry}[`);
    if (within && (best === undefined || entry.length > best.length)) best = entry;
  }
  return best;
}

export function addressOf(resource: Resource): string | undefined {
  switch (resource.type) {
    case 'server':
    case 'transit-ip':
    case 'load-balancer':
      return resource.ip;
    case 'private-nat-gateway':
      return resource.downlinkIp;
    default:
      return undefined;
  }
}

/** The two states a preview compares, around the paths of `rules` (see neighbourhood.ts). */
export async function statesOf(
  base: NeighbourhoodReader,
  sandbox: NeighbourhoodReader,
  rules: readonly PlanRule[],
): Promise<{ before: Topology; after: Topology }> {
  const transitIpIds = rules.flatMap((r) => (r.transitIpId === undefined ? [] : [r.transitIpId]));
  const ids: string[] = [];
  const vpcIds: string[] = [];
  for (const rule of rules) {
    if (rule.gatewayId !== undefined) ids.push(rule.gatewayId);
    const target = rule.target;
    if ('serverId' in target && target.serverId !== undefined) ids.push(target.serverId);
    if ('loadBalancerId' in target && target.loadBalancerId !== undefined) ids.push(target.loadBalancerId);
    if ('ip' in target && rule.gatewayId !== undefined) {
      const gateway = (await sandbox.get(rule.gatewayId)) ?? (await base.get(rule.gatewayId));
      if (gateway?.type === 'private-nat-gateway') vpcIds.push(gateway.vpcId);
    }
  }
  const seeds = { transitIpIds, ids, vpcIds };
  const [before, after] = await Promise.all([
    loadNeighbourhood(base, seeds),
    loadNeighbourhood(sandbox, seeds),
  ]);
  return { before, after };
}

/** Resources by id, the later lists winning, in creation order. */
export function union(...lists: ReadonlyArray<readonly Resource[]>): Resource[] {
  const byId = new Map<string, Resource>();
  for (const list of lists) for (const r of list) byId.set(r.id, r);
  return [...byId.values()].sort((x, y) =>
    x.createdAt !== y.createdAt
      ? x.createdAt < y.createdAt
        ? -1
        : 1
      : x.id < y.id
        ? -1
        : x.id > y.id
          ? 1
          : 0,
  );
}
