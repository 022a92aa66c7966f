/**
 * Preview (DESIGN §12): what a plan would create, replay, contradict or conflict with, and which paths
 * its DNAT rules open or close — computed without writing anything or starting an execution.
 *
 * How:
 * - **Before** is the store as it is. **After** is the same store after the plan's steps have run as a
 *   dry run (`applyStep` with `onIssue`, the code provisioning runs) on a sandbox over it: a
 *   copy-on-write overlay, so the real store is only read. `sandbox` is the seam that chooses it.
 * - **Actions** come from that one dry run. Every create the step interpreter makes carries its entry's
 *   plan path (`ctx.path`); a recording wrapper around the control plane keeps, per path, the resource
 *   the create answered. An entry whose resource was in the store before is `unchanged` (its client
 *   token replayed: exactly what a re-run would accept, `ip: auto` matching the address it got), one
 *   created in the sandbox is `create`; an entry with a problem is `differs` (PLAN_CHANGED) or `conflict`
 *   (any other code of §3.2), an `existing:` reference is `existing`. A server's own security group and
 *   a load balancer's listeners appear under their entries (the security group with its server's path).
 * - **Reachability** is the probe's analysis (`analyze`) on both states: see `preview-paths.ts`.
 *
 * A document that is not a plan (shape errors) or whose names do not hold together (DUPLICATE_NAME, a
 * reference to a name the plan does not have) cannot be previewed: the result is the validate document.
 * Problems that depend on the store (conflicts, changed entries, an `existing:` id that is not there)
 * are the preview's content.
 */
import { ControlPlane } from '../cloud/control-plane.ts';
import { type Issue, NotFoundError } from '../cloud/errors.ts';
import { MemoryStore } from '../cloud/memory-store.ts';
import {
  type DnatRuleEntry,
  type GatewayEntry,
  isExisting,
  type Plan,
  PlanSchema,
  planIssuesFromZod,
} from '../cloud/plan.ts';
import { applyStep, deletionOrder, entryToken, PROVISION_STEPS, teardownPlan } from '../cloud/provisioner.ts';
import { resolveResource } from '../cloud/resolve.ts';
import { ID_PREFIX, type Resource, type ResourceType } from '../cloud/resources.ts';
import { keys, type Store, type StoreReader } from '../cloud/store.ts';
import { checkNames } from '../cloud/validate.ts';
import { type Clock, systemClock } from '../net/clock.ts';
import type { Topology } from '../probe/model.ts';
import { loadNeighbourhood } from './neighbourhood.ts';
import { type PlanRule, type Reachability, reachabilityOf } from './preview-paths.ts';

export type { PathState, Reachability, ReachabilityPath } from './preview-paths.ts';

export const PREVIEW_ACTIONS = ['create', 'unchanged', 'differs', 'conflict', 'existing', 'destroy'] as const;
export type PreviewAction = (typeof PREVIEW_ACTIONS)[number];

/** One resource entry of the plan (or one implicit resource under it) and what would happen to it. */
export interface ActionRow {
  /** The plan path: `privateNatGateways[0].dnatRules[0]`; a server's security group has its server's. */
  entry: string;
  kind: ResourceType;
  name: string;
  action: PreviewAction;
  /** The first problem's code (conflict: §3.2; differs: PLAN_CHANGED). */
  code?: string;
  errors?: Issue[];
  /** The resource it is (unchanged, existing, destroy) or would be (create: the dry run's id). */
  id?: string;
  /** The address it has or would get (servers, load balancers, transit IPs, gateways' downlink). */
  address?: string;
}

export interface PreviewSummary {
  create: number;
  unchanged: number;
  differs: number;
  conflicts: number;
  existing: number;
  destroy: number;
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
  /**
   * The dry run's store over the real one: it must read through to `store` and keep every write to
   * itself. Default: an in-memory copy of what `store` holds.
   */
  sandbox?: (store: StoreReader) => Promise<Store>;
  clock?: Clock;
  /** Include the resources of the two states' neighbourhoods (`PreviewDocument.topology`). */
  topology?: boolean;
}

const defaultSandbox = (store: StoreReader): Promise<Store> => MemoryStore.copyOf(store);

/** The plan would fail (exit 1): anything in conflict, or differing from what it created. */
export function previewFails(preview: PreviewDocument): boolean {
  return preview.summary.conflicts > 0 || preview.summary.differs > 0;
}

/** It would change something (`--detailed-exitcode` 3): anything to create or to destroy. */
export function previewChanges(preview: PreviewDocument): boolean {
  return preview.summary.create > 0 || preview.summary.destroy > 0;
}

/**
 * The exit code of `natflow plan` (DESIGN §12): 0 clean, 1 it would fail, 2 not previewable;
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
  for (const row of actions) {
    if (row.action === 'conflict') summary.conflicts++;
    else summary[row.action]++;
  }
  return summary;
}

/** A resource entry of a plan, with what the preview needs to find its resource and its problems. */
interface EntryRef {
  entry: string;
  kind: ResourceType;
  name: string;
  existing?: string;
}

/** The plan's resource entries in plan order (implicit resources are added later, beside their entry). */
function entriesOf(plan: Plan): EntryRef[] {
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
function ownerOf(path: string, entries: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const entry of entries) {
    const within = path === entry || path.startsWith(`${entry}.`) || path.startsWith(`${entry}[`);
    if (within && (best === undefined || entry.length > best.length)) best = entry;
  }
  return best;
}

function addressOf(resource: Resource): string | undefined {
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

/**
 * A control plane that remembers, per plan path, the resource each create answered (a new one in the
 * sandbox, or the one a client token replayed). Everything else passes through untouched.
 */
function recordingControlPlane(cloud: ControlPlane, created: Map<string, Resource>): ControlPlane {
  return new Proxy(cloud, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      if (typeof property === 'string' && property.startsWith('create')) {
        return async (input: unknown, ctx?: { path?: string }) => {
          const resource = (await method.call(target, input, ctx)) as Resource;
          if (ctx?.path !== undefined) created.set(ctx.path, resource);
          return resource;
        };
      }
      return method.bind(target);
    },
  });
}

/** A control plane on the sandbox; `created` collects the ids it gives (what the dry run creates). */
function dryRunCloud(sandbox: Store, clock: Clock, created = new Set<string>()): ControlPlane {
  let counter = 0;
  return new ControlPlane({
    store: sandbox,
    clock,
    newId: (type: ResourceType) => {
      const id = `${ID_PREFIX[type]}-preview${String(++counter).padStart(4, '0')}`;
      created.add(id);
      return id;
    },
  });
}

/** The two states a preview compares, around the paths of `rules` (see neighbourhood.ts). */
async function statesOf(
  base: StoreReader,
  sandbox: StoreReader,
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

/**
 * Previews a plan document (already parsed from YAML or JSON) against the current store.
 *
 * @example
 * const result = await previewPlan(store, parsePlanText(text));
 * if (result.previewable) console.log(result.preview.summary); // { create: 14, unchanged: 0, … }
 */
export async function previewPlan(
  store: StoreReader,
  document: unknown,
  options: PreviewOptions = {},
): Promise<PreviewResult> {
  const parsed = PlanSchema.safeParse(document);
  if (!parsed.success) return { previewable: false, errors: planIssuesFromZod(parsed.error) };
  const plan = parsed.data;
  const nameIssues = checkNames(plan);
  if (nameIssues.length > 0) return { previewable: false, errors: nameIssues };

  const sandbox = await (options.sandbox ?? defaultSandbox)(store);
  /** Ids the dry run gave: a resource among them is one the plan would create. */
  const fresh = new Set<string>();
  const created = new Map<string, Resource>();
  const cloud = recordingControlPlane(dryRunCloud(sandbox, options.clock ?? systemClock, fresh), created);
  const issues: Issue[] = [];
  for (const step of PROVISION_STEPS) {
    await applyStep(cloud, plan, step, { execution: 'preview', onIssue: (issue) => issues.push(issue) });
  }

  const entries = entriesOf(plan);
  const paths = entries.map((e) => e.entry);
  const issuesOf = new Map<string, Issue[]>();
  for (const issue of dedupe(issues)) {
    const owner = ownerOf(issue.path, paths) ?? '';
    issuesOf.set(owner, [...(issuesOf.get(owner) ?? []), issue]);
  }

  const dnatEntries = new Map<string, DnatRuleEntry>();
  plan.privateNatGateways?.forEach((g, i) => {
    g.dnatRules?.forEach((r, j) => {
      dnatEntries.set(`privateNatGateways[${i}].dnatRules[${j}]`, r);
    });
  });
  const actions: ActionRow[] = [];
  /** `kind|name` → the id the entry resolved to, for the reachability of the plan's rules. */
  const ids = new Map<string, string>();
  for (const ref of entries) {
    const problems = issuesOf.get(ref.entry) ?? [];
    let resource: Resource | undefined = created.get(ref.entry);
    if (ref.existing !== undefined) {
      resource = await resolveResource(sandbox, ref.kind, ref.existing).catch(() => undefined);
    } else if (!resource && problems.length > 0) {
      // An entry that differs from what an earlier run created: that resource, by the entry's token.
      const token = TOKENED.has(ref.kind)
        ? entryToken(plan.name, ref.kind, ref.name)
        : ref.kind === 'dnat-rule'
          ? dnatToken(plan.name, dnatEntries.get(ref.entry), ids)
          : undefined;
      if (token !== undefined) resource = await sandbox.getByKey(keys.token(token));
    }
    if (resource) ids.set(`${ref.kind}|${ref.name}`, resource.id);
    const action: PreviewAction =
      problems.length > 0
        ? problems.some((p) => p.code === 'PLAN_CHANGED')
          ? 'differs'
          : 'conflict'
        : ref.existing !== undefined
          ? 'existing'
          : resource && !fresh.has(resource.id)
            ? 'unchanged'
            : 'create';
    const row: ActionRow = {
      entry: ref.entry,
      kind: ref.kind,
      name: resource && ref.kind !== 'listener' ? resource.name : ref.name,
      action,
    };
    if (problems.length > 0) {
      const first = problems.find((p) => p.code === 'PLAN_CHANGED') ?? problems[0];
      if (first) row.code = first.code;
      row.errors = problems;
    }
    if (resource) {
      // A resource the dry run creates has no id yet (the sandbox's is not one the cloud will give).
      if (action !== 'create') row.id = resource.id;
      const address = addressOf(resource);
      if (address !== undefined) row.address = address;
    }
    actions.push(row);
    // A server's own security group: part of its entry (its `inbound`), shown under it. Its entry's
    // problems are the entry's row's: the group is `unchanged` when it exists, else `create` (with it).
    if (ref.kind === 'server' && ref.existing === undefined) {
      const groupId = resource?.type === 'server' ? resource.securityGroupIds[0] : undefined;
      const group = groupId === undefined ? undefined : await sandbox.get(groupId);
      const exists = group !== undefined && !fresh.has(group.id);
      const groupRow: ActionRow = {
        entry: ref.entry,
        kind: 'security-group',
        name: group?.name ?? `${ref.name}-sg`,
        action: exists ? 'unchanged' : 'create',
      };
      if (exists) groupRow.id = group.id;
      actions.push(groupRow);
    }
  }
  // Problems outside every resource entry (none expected: the names were checked) cannot be shown on
  // a row: the plan is then reported as not previewable, with them.
  const stray = issuesOf.get('');
  if (stray && stray.length > 0) return { previewable: false, errors: stray };

  const rules: PlanRule[] = [];
  plan.privateNatGateways?.forEach((gateway, i) => {
    gateway.dnatRules?.forEach((rule, j) => {
      const entry = `privateNatGateways[${i}].dnatRules[${j}]`;
      const resource = created.get(entry);
      const target = rule.target;
      rules.push({
        entry,
        protocol: rule.protocol,
        transitPort: rule.transitPort,
        ruleId: resource?.type === 'dnat-rule' ? resource.id : undefined,
        transitIpId: ids.get(`transit-ip|${rule.transitIp}`),
        gatewayId: ids.get(`private-nat-gateway|${gateway.name}`),
        target:
          target.loadBalancer !== undefined
            ? { loadBalancerId: ids.get(`load-balancer|${target.loadBalancer}`) }
            : target.server !== undefined
              ? { serverId: ids.get(`server|${target.server}`) }
              : { ip: target.ip },
        isNew: resource === undefined || fresh.has(resource.id),
      });
    });
  });
  const { before, after } = await statesOf(store, sandbox, rules);
  const reachability = reachabilityOf(before, after, rules);
  const preview: PreviewDocument = {
    plan: plan.name,
    mode: 'apply',
    actions,
    summary: summarize(actions),
    reachability,
  };
  if (options.topology) preview.topology = await pictureOf(sandbox, plan.name, before, after);
  return { previewable: true, preview };
}

/** The kinds whose entries' client tokens are `entryToken(plan, kind, name)`. */
const TOKENED: ReadonlySet<ResourceType> = new Set([
  'vpc',
  'subnet',
  'server',
  'backend-group',
  'load-balancer',
  'transit-ip',
  'private-nat-gateway',
]);

/** A DNAT rule entry's client token, as the step interpreter gives it (its name, or its identity). */
function dnatToken(
  plan: string,
  rule: DnatRuleEntry | undefined,
  ids: ReadonlyMap<string, string>,
): string | undefined {
  if (!rule) return undefined;
  if (rule.name !== undefined) return `${plan}:dnat-rule:${rule.name}`;
  const transitIpId = ids.get(`transit-ip|${rule.transitIp}`);
  return transitIpId === undefined
    ? undefined
    : `${plan}:dnat-rule:${transitIpId}:${rule.protocol}:${rule.transitPort}`;
}

function dedupe(issues: readonly Issue[]): Issue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.path}|${issue.code}|${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Previews `natflow teardown NAME`: every resource the plan created, `destroy` (or `conflict`
 * DEPENDENCY_VIOLATION while another plan's resources depend on it: teardown would refuse and delete
 * nothing), the `existing:` references of its stored document, and the paths the teardown closes.
 * A plan with no record and no resources is NOT_FOUND (not previewable).
 */
export async function previewDestroy(
  store: StoreReader,
  planName: string,
  options: PreviewOptions = {},
): Promise<PreviewResult> {
  const sandbox = await (options.sandbox ?? defaultSandbox)(store);
  const record = await sandbox.getPlan(planName);
  const resources = await sandbox.list({ plan: planName });
  if (!record && resources.length === 0) {
    return {
      previewable: false,
      errors: [
        new NotFoundError(`no plan named '${planName}' has been provisioned (nothing to destroy)`, {
          path: 'destroy',
        }).toIssue(),
      ],
    };
  }
  const own = new Set(resources.map((r) => r.id));
  const blocked = new Map<string, Resource[]>();
  for (const resource of resources) {
    const outside = (await sandbox.referrers(resource.id)).filter((r) => !own.has(r.id));
    if (outside.length > 0) blocked.set(resource.id, outside);
  }
  const parsed = record ? PlanSchema.safeParse(record.document) : undefined;
  const plan = parsed?.success ? parsed.data : undefined;
  const entryOf = plan ? await entryFinder(plan, resources, sandbox) : () => undefined;

  const actions: ActionRow[] = [];
  for (const resource of deletionOrder(resources)) {
    const row: ActionRow = {
      entry: entryOf(resource) ?? '',
      kind: resource.type,
      name: resource.type === 'listener' ? listenerName(resources, resource) : resource.name,
      action: 'destroy',
      id: resource.id,
    };
    const outside = blocked.get(resource.id);
    if (outside) {
      row.action = 'conflict';
      row.code = 'DEPENDENCY_VIOLATION';
      row.errors = [
        {
          path: row.entry,
          code: 'DEPENDENCY_VIOLATION',
          message: `${resource.type} ${resource.name} (${resource.id}) is still used by ${outside
            .map((r) => `${r.type} ${r.name} (${r.id}${r.plan ? ` of plan ${r.plan}` : ''})`)
            .join(', ')}; tear that down first`,
        },
      ];
    }
    const address = addressOf(resource);
    if (address !== undefined) row.address = address;
    actions.push(row);
  }
  if (plan) {
    for (const ref of entriesOf(plan)) {
      if (ref.existing === undefined) continue;
      const resource = await resolveResource(sandbox, ref.kind, ref.existing).catch(() => undefined);
      actions.push({
        entry: ref.entry,
        kind: ref.kind,
        name: resource?.name ?? ref.name,
        action: 'existing',
        ...(resource ? { id: resource.id } : {}),
      });
    }
  }

  // Teardown refuses before deleting anything while something outside depends on the plan.
  if (blocked.size === 0) {
    await teardownPlan(dryRunCloud(sandbox, options.clock ?? systemClock), planName);
  }
  const rules: PlanRule[] = [];
  for (const rule of resources) {
    if (rule.type !== 'dnat-rule') continue;
    rules.push({
      entry: entryOf(rule) ?? rule.id,
      protocol: rule.protocol,
      transitPort: rule.transitPort,
      ruleId: rule.id,
      transitIpId: rule.transitIpId,
      gatewayId: rule.gatewayId,
      target:
        rule.target.kind === 'load-balancer'
          ? { loadBalancerId: rule.target.loadBalancerId }
          : rule.target.kind === 'server'
            ? { serverId: rule.target.serverId }
            : { ip: rule.target.ip },
      isNew: false,
    });
  }
  const { before, after } = await statesOf(store, sandbox, rules);
  const reachability = reachabilityOf(before, after, rules);
  const preview: PreviewDocument = {
    plan: planName,
    mode: 'destroy',
    actions,
    summary: summarize(actions),
    reachability,
  };
  if (options.topology) {
    const removed = new Map(resources.map((r) => [r.id, r]));
    preview.topology = union([...before.resources, ...removed.values()], after.resources);
  }
  return { previewable: true, preview };
}

function listenerName(resources: readonly Resource[], listener: Resource): string {
  if (listener.type !== 'listener') return listener.name;
  const lb = resources.find((r) => r.id === listener.loadBalancerId);
  return `${lb?.name ?? listener.loadBalancerId}/${listener.name}`;
}

/**
 * Finds the plan path of a resource a plan created, from its stored document: by type and name, a
 * server's security group by its server, a listener by its load balancer and name, a rule by its name
 * or its identity (transit IP, protocol, port).
 */
async function entryFinder(
  plan: Plan,
  resources: readonly Resource[],
  reader: StoreReader,
): Promise<(resource: Resource) => string | undefined> {
  const byName = new Map<string, string>();
  for (const ref of entriesOf(plan)) byName.set(`${ref.kind}|${ref.name}`, ref.entry);
  const identities = new Map<string, string>();
  plan.privateNatGateways?.forEach((g, i) => {
    g.dnatRules?.forEach((r, j) => {
      identities.set(
        `${r.transitIp}|${r.protocol}|${r.transitPort}`,
        `privateNatGateways[${i}].dnatRules[${j}]`,
      );
    });
  });
  /** Transit IP names by id, including those the plan only references. */
  const tipNames = new Map<string, string>();
  for (const rule of resources) {
    if (rule.type !== 'dnat-rule' || tipNames.has(rule.transitIpId)) continue;
    tipNames.set(rule.transitIpId, (await reader.get(rule.transitIpId))?.name ?? rule.transitIpId);
  }
  for (const ref of entriesOf(plan)) {
    if (ref.kind !== 'transit-ip' || ref.existing === undefined) continue;
    const tip = await resolveResource(reader, 'transit-ip', ref.existing).catch(() => undefined);
    // A rule names the plan's entry, which may differ from the referenced resource's own name.
    if (tip) tipNames.set(tip.id, ref.name);
  }
  return (resource) => {
    switch (resource.type) {
      case 'security-group': {
        const server = resources.find((s) => s.type === 'server' && s.securityGroupIds.includes(resource.id));
        return server ? byName.get(`server|${server.name}`) : undefined;
      }
      case 'listener':
        return byName.get(`listener|${listenerName(resources, resource)}`);
      case 'dnat-rule':
        return (
          byName.get(`dnat-rule|${resource.name}`) ??
          identities.get(`${tipNames.get(resource.transitIpId)}|${resource.protocol}|${resource.transitPort}`)
        );
      default:
        return byName.get(`${resource.type}|${resource.name}`);
    }
  };
}

/** Resources by id, the later lists winning, in creation order. */
function union(...lists: ReadonlyArray<readonly Resource[]>): Resource[] {
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

/** The picture of an apply preview: both neighbourhoods, and everything the plan itself would hold. */
async function pictureOf(
  sandbox: StoreReader,
  plan: string,
  before: Topology,
  after: Topology,
): Promise<Resource[]> {
  return union(before.resources, after.resources, await sandbox.list({ plan }));
}
