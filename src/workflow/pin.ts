/**
 * Pins a plan's automatic addresses before the provision workflow creates anything.
 *
 * The workflow creates the target side (servers, load balancer) and the transit side (transit IP,
 * gateway) in parallel branches, which may draw addresses from the same subnet. Automatic assignment
 * takes the lowest free address, so without pinning the winner of a race would decide who gets which
 * address. The validation dry run assigns them in plan order; copying those addresses into the plan
 * document (as if the user had written them) makes every step's result independent of timing, and a
 * re-run of the same plan finds the same addresses on the resources it created (idempotent tokens).
 *
 * It works on the plan *document* (the workflow's state carries documents, which every step parses),
 * and pins only entries that create something and asked for `auto` (or gave no address).
 */
import { ControlPlane } from '../cloud/control-plane.ts';
import { MemoryStore } from '../cloud/memory-store.ts';
import type { Plan } from '../cloud/plan.ts';
import { applyStep, PROVISION_STEPS } from '../cloud/provisioner.ts';
import type { Resource, ResourceType } from '../cloud/resources.ts';
import type { StoreReader } from '../cloud/store.ts';

/** The plan sections whose entries take an address, with the field and the resource type. */
const PINNED: readonly {
  section: string;
  field: string;
  type: ResourceType;
  take: (r: Resource) => string | undefined;
}[] = [
  { section: 'servers', field: 'ip', type: 'server', take: (r) => (r.type === 'server' ? r.ip : undefined) },
  {
    section: 'loadBalancers',
    field: 'ip',
    type: 'load-balancer',
    take: (r) => (r.type === 'load-balancer' ? r.ip : undefined),
  },
  {
    section: 'transitIps',
    field: 'ip',
    type: 'transit-ip',
    take: (r) => (r.type === 'transit-ip' ? r.ip : undefined),
  },
  {
    section: 'privateNatGateways',
    field: 'downlinkIp',
    type: 'private-nat-gateway',
    take: (r) => (r.type === 'private-nat-gateway' ? r.downlinkIp : undefined),
  },
];

/** Every step up to the gateways: the ones that assign addresses and those they depend on. */
const ADDRESS_STEPS = new Set(PROVISION_STEPS.slice(0, PROVISION_STEPS.indexOf('gateways') + 1));

/** A copy of `document` with every automatic address replaced by the one a dry run assigns. */
export async function pinAddresses(store: StoreReader, document: unknown, plan: Plan): Promise<unknown> {
  const dryRun = await MemoryStore.copyOf(store);
  const cloud = new ControlPlane({ store: dryRun });
  for (const step of PROVISION_STEPS) {
    if (ADDRESS_STEPS.has(step as (typeof PROVISION_STEPS)[number]))
      await applyStep(cloud, plan, step, { execution: 'address-pinning-dry-run' });
  }
  const pinned = structuredClone(document) as Record<string, unknown>;
  for (const { section, field, type, take } of PINNED) {
    const entries = pinned[section];
    if (!Array.isArray(entries)) continue;
    const created = new Map((await dryRun.list({ plan: plan.name, type })).map((r) => [r.name, r]));
    for (const entry of entries as Record<string, unknown>[]) {
      if ('existing' in entry) continue;
      if (entry[field] !== undefined && entry[field] !== 'auto') continue;
      const resource = created.get(String(entry.name));
      const address = resource ? take(resource) : undefined;
      if (address) entry[field] = address;
    }
  }
  return pinned;
}
