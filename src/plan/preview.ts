/**
 * Preview (docs/preview.md): what a plan would create, replay, contradict or conflict with, and which paths
 * its DNAT rules open or close — computed without writing anything or starting an execution.
 *
 * How:
 * - **Before** is the cloud as it is. **After** is the cloud's own dry run (`Cloud.dryRun`, through
 *   `dryRunOf`: for the virtual cloud a sandbox over its store) after the plan's steps have run on it
 *   (`options.steps` with `onIssue`: the workflows' steps, the code provisioning runs): nothing real is
 *   written.
 *   Both are read only around the plan's paths (`neighbourhood.ts`).
 * - **Actions** come from that one dry run. Every create a provisioning step makes carries its entry's
 *   plan path (`ctx.path`); a recording wrapper around the dry run's cloud keeps, per path, the resource
 *   the create answered. An entry whose resource the cloud held before (`DryRun.before`) is `unchanged` (its client
 *   token replayed: exactly what a re-run would accept, `ip: auto` matching the address it got), one
 *   created in the sandbox is `create`; an entry with a problem is `differs` (PLAN_CHANGED) or `conflict`
 *   (any other code of the rules table), an `existing:` reference is `existing`. A server's own security group and
 *   a load balancer's listeners appear under their entries (the security group with its server's path).
 * - **Reachability** is the probe's analysis (`analyze`) on both states: see `preview-paths.ts`.
 *
 * A document that is not a plan (shape errors) or whose names do not hold together (DUPLICATE_NAME, a
 * reference to a name the plan does not have) cannot be previewed: the result is the validate document.
 * Problems that depend on the store (conflicts, changed entries, an `existing:` id that is not there)
 * are the preview's content.
 */
import type { Cloud } from '../cloud/cloud.ts';
import { applyDrift, type Drift } from '../cloud/drift.ts';
import { type DryRunSource, dryRunOf } from '../cloud/dry-run.ts';
import type { Issue } from '../cloud/errors.ts';
import type { Resource, ResourceType } from '../cloud/resources.ts';
import type { Topology } from '../probe/model.ts';
import type { NeighbourhoodReader } from './neighbourhood.ts';
import { type DnatRuleEntry, type Plan, PlanSchema, planIssuesFromZod } from './plan.ts';
import {
  type ActionRow,
  addressOf,
  entriesOf,
  ownerOf,
  type PreviewAction,
  type PreviewDocument,
  type PreviewOptions,
  type PreviewResult,
  statesOf,
  summarize,
  union,
} from './preview-common.ts';
import { type PlanRule, reachabilityOf } from './preview-paths.ts';
import { entryToken, type ProvisioningSteps } from './provisioning.ts';
import { checkNames } from './validate.ts';

export {
  type ActionRow,
  type PathState,
  PREVIEW_ACTIONS,
  type PreviewAction,
  type PreviewDocument,
  type PreviewOptions,
  type PreviewResult,
  type PreviewSummary,
  previewChanges,
  previewExitCode,
  previewFails,
  type Reachability,
  type ReachabilityPath,
  summarize,
} from './preview-common.ts';
export { previewDestroy } from './preview-destroy.ts';

/**
 * A control plane that remembers, per plan path, the resource each create answered (a new one in the
 * sandbox, or the one a client token replayed). Everything else passes through untouched.
 */
function recordingCloud(cloud: Cloud, created: Map<string, Resource>): Cloud {
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

export interface PreviewPlanOptions extends PreviewOptions {
  /** The provisioning steps the dry run runs: the workflows' (`steps` of src/workflow/steps/index.ts). */
  steps: ProvisioningSteps;
}

/**
 * Previews a plan document (already parsed from YAML or JSON) against the current store.
 *
 * @example
 * const result = await previewPlan(store, parsePlanText(text), { steps });
 * if (result.previewable) console.log(result.preview.summary); // { create: 14, unchanged: 0, … }
 */
export async function previewPlan(
  source: DryRunSource,
  document: unknown,
  options: PreviewPlanOptions,
): Promise<PreviewResult> {
  const { steps } = options;
  const parsed = PlanSchema.safeParse(document);
  if (!parsed.success) return { previewable: false, errors: planIssuesFromZod(parsed.error) };
  const plan = parsed.data;
  const nameIssues = checkNames(plan);
  if (nameIssues.length > 0) return { previewable: false, errors: nameIssues };

  // The cloud's own dry run (the virtual cloud: a sandbox over its store); `before` tells a resource
  // a client token replayed from one the dry run creates.
  const dryRun = await dryRunOf(source, { plan: plan.name, references: referencesOf(plan) });
  const sandbox = dryRun.cloud;
  const fresh = { has: (id: string) => !dryRun.before.has(id) };
  // What the read-back of a real cloud found gone or changed, by natflow id (none on the virtual cloud).
  const drift = new Map((dryRun.drift ?? []).map((d) => [d.id, d]));
  const created = new Map<string, Resource>();
  const cloud = recordingCloud(sandbox, created);
  const issues: Issue[] = [];
  for (const step of steps.order) {
    await steps.apply(cloud, plan, step, { execution: 'preview', onIssue: (issue) => issues.push(issue) });
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
      resource = await sandbox.resolve(ref.kind, ref.existing).catch(() => undefined);
    } else if (!resource && problems.length > 0) {
      // An entry that differs from what an earlier run created: that resource, by the entry's token.
      const token = TOKENED.has(ref.kind)
        ? entryToken(plan.name, ref.kind, ref.name)
        : ref.kind === 'dnat-rule'
          ? dnatToken(plan.name, dnatEntries.get(ref.entry), ids)
          : undefined;
      if (token !== undefined) resource = await sandbox.findByToken(token);
    }
    if (resource) ids.set(`${ref.kind}|${ref.name}`, resource.id);
    const found = resource ? drift.get(resource.id) : undefined;
    const action: PreviewAction =
      problems.length > 0
        ? problems.some((p) => p.code === 'PLAN_CHANGED')
          ? 'differs'
          : 'conflict'
        : ref.existing !== undefined
          ? 'existing'
          : resource && !fresh.has(resource.id)
            ? replayedAction(found)
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
    markDrift(row, found);
    actions.push(row);
    // A server's own security group: part of its entry (its `inbound`), shown under it. Its entry's
    // problems are the entry's row's: the group is `unchanged` when it exists, else `create` (with it).
    if (ref.kind === 'server' && ref.existing === undefined) {
      const groupId = resource?.type === 'server' ? resource.securityGroupIds[0] : undefined;
      const group = groupId === undefined ? undefined : await sandbox.get(groupId);
      const exists = group !== undefined && !fresh.has(group.id);
      const groupDrift = group ? drift.get(group.id) : undefined;
      const groupAction = exists ? replayedAction(groupDrift) : 'create';
      const groupRow: ActionRow = {
        entry: ref.entry,
        kind: 'security-group',
        name: group?.name ?? `${ref.name}-sg`,
        action: groupAction,
      };
      if (exists && groupAction !== 'create') groupRow.id = group.id;
      markDrift(groupRow, groupDrift);
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
        isNew: resource === undefined || fresh.has(resource.id) || drift.get(resource.id)?.change === 'gone',
      });
    });
  });
  // Before: the cloud as it is (what is gone left out, what changed as it is now); after: as repaired.
  const { before, after } = await statesOf(asFound(source, dryRun.drift ?? []), sandbox, rules);
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

/**
 * The action of an entry whose resource the cloud held before (its token replayed): `unchanged`, or as
 * the read-back found it — gone from the cloud (`create`, provisioning recreates it), or `drifted` in
 * fields provisioning updates in place. A drift only a replacement would repair is the sandbox's
 * DRIFT_REQUIRES_REPLACE: a `conflict`, among the entry's problems.
 */
function replayedAction(found: Drift | undefined): PreviewAction {
  if (found?.change === 'gone') return 'create';
  if (found?.change === 'changed' && !found.replace) return 'drifted';
  return 'unchanged';
}

/** A row's drift: `gone: true` on a resource to recreate, the changed fields on a drifted or refused one. */
function markDrift(row: ActionRow, found: Drift | undefined): void {
  if (!found) return;
  if (found.change === 'gone' && row.action === 'create') row.gone = true;
  if (found.fields && (row.action === 'drifted' || row.code === 'DRIFT_REQUIRES_REPLACE'))
    row.fields = found.fields;
}

/** A reader of the cloud as the read-back found it: gone resources left out, changed ones as they are. */
function asFound(reader: NeighbourhoodReader, drift: readonly Drift[]): NeighbourhoodReader {
  if (drift.length === 0) return reader;
  return {
    get: async (id) => {
      const resource = await reader.get(id);
      return resource ? applyDrift([resource], drift)[0] : undefined;
    },
    referrers: async (id) => applyDrift(await reader.referrers(id), drift),
  };
}

/** The `existing:` references of a plan: what a provider modelling a real account reads first. */
function referencesOf(plan: Plan): string[] {
  return entriesOf(plan).flatMap((e) => (e.existing === undefined ? [] : [e.existing]));
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

/** A DNAT rule entry's client token, as the `dnatRules` step gives it (its name, or its identity). */
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

/** The picture of an apply preview: both neighbourhoods, and everything the plan itself would hold. */
async function pictureOf(
  sandbox: Cloud,
  plan: string,
  before: Topology,
  after: Topology,
): Promise<Resource[]> {
  return union(before.resources, after.resources, await sandbox.list({ plan }));
}
