/**
 * What a provisioning's output reports (`./outcome.ts`): everything a plan created or references, by
 * kind and name, read from the ledger and the stored plan document.
 */
import { resolveResource } from '../cloud/resolve.ts';
import type { ResourceType } from '../cloud/resources.ts';
import type { StoreReader } from '../cloud/store.ts';
import { PlanSchema } from '../plan/plan.ts';
import { KIND_OF } from '../plan/provisioning.ts';

/**
 * Everything a plan created or references, `{kind: {name: id}}`: the resources recorded under the plan,
 * and the `existing:` entries of its stored document (`store.getPlan`).
 */
export async function planResources(
  store: StoreReader,
  planName: string,
): Promise<Record<string, Record<string, string>>> {
  const out: Record<string, Record<string, string>> = {};
  const put = (type: ResourceType, name: string, id: string) => {
    const kind = KIND_OF[type];
    out[kind] ??= {};
    (out[kind] as Record<string, string>)[name] = id;
  };
  const created = await store.list({ plan: planName });
  const byId = new Map(created.map((r) => [r.id, r]));
  for (const resource of created) {
    if (resource.type === 'listener') {
      const lb = byId.get(resource.loadBalancerId) ?? (await store.get(resource.loadBalancerId));
      put('listener', `${lb?.name ?? resource.loadBalancerId}/${resource.name}`, resource.id);
    } else put(resource.type, resource.name, resource.id);
  }
  const record = await store.getPlan(planName);
  const parsed = record ? PlanSchema.safeParse(record.document) : undefined;
  if (parsed?.success) {
    const references: Array<[ResourceType, { name: string; existing?: string }]> = [];
    for (const vpc of parsed.data.vpcs ?? []) {
      references.push(['vpc', vpc]);
      for (const subnet of vpc.subnets ?? []) references.push(['subnet', subnet]);
    }
    for (const e of parsed.data.servers ?? []) references.push(['server', e]);
    for (const e of parsed.data.loadBalancers ?? []) references.push(['load-balancer', e]);
    for (const e of parsed.data.transitIps ?? []) references.push(['transit-ip', e]);
    for (const e of parsed.data.privateNatGateways ?? []) references.push(['private-nat-gateway', e]);
    for (const [type, entry] of references) {
      if (entry.existing === undefined) continue;
      const resource = await resolveResource(store, type, entry.existing).catch(() => undefined);
      if (resource) put(type, entry.name, resource.id);
    }
  }
  return out;
}
