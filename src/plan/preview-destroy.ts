/**
 * The preview of `natflow teardown NAME` (docs/preview.md, `natflow plan --destroy`): read from the store
 * only — teardown deletes exactly what the plan created, or, while another plan depends on some of it,
 * refuses before deleting anything, so the state after is the state before without those resources.
 */
import { deletionOrder } from '../cloud/deletion-order.ts';
import { NotFoundError } from '../cloud/errors.ts';
import { resolveResource } from '../cloud/resolve.ts';
import type { Resource } from '../cloud/resources.ts';
import type { StoreReader } from '../cloud/store.ts';
import { Topology } from '../probe/model.ts';
import { type Plan, PlanSchema } from './plan.ts';
import {
  type ActionRow,
  addressOf,
  entriesOf,
  type PreviewDocument,
  type PreviewOptions,
  type PreviewResult,
  statesOf,
  summarize,
  union,
} from './preview-common.ts';
import { type PlanRule, reachabilityOf } from './preview-paths.ts';

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
  const sandbox = store;
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
  // After: teardown deletes exactly the plan's own resources — or, while something outside depends
  // on them, refuses before deleting anything.
  const { before } = await statesOf(store, store, rules);
  const after = blocked.size > 0 ? before : Topology.from(before.resources.filter((r) => !own.has(r.id)));
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
