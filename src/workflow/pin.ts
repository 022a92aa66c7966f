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
 *
 * A pin is a preference, not a promise: another execution may take the address between the dry run and
 * the create (concurrent plans in one existing subnet). `applyPinnedStep` then gives that entry back its
 * `auto` and runs the step again — idempotent under client tokens, so nothing is created twice — and
 * the address is assigned at create time, as the product does.
 */
import { ControlPlane } from '../cloud/control-plane.ts';
import { IpInUseError, NatflowError, PlanChangedError } from '../cloud/errors.ts';
import { MemoryStore } from '../cloud/memory-store.ts';
import { type Plan, PlanSchema } from '../cloud/plan.ts';
import {
  applyStep,
  PROVISION_STEPS,
  type ProvisionStep,
  type StepContext,
  type StepResult,
} from '../cloud/provisioner.ts';
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

/** An address the dry run chose for an entry that asked for `auto`: `servers[1]` + `ip`. */
export interface Pin {
  entry: string;
  field: string;
}

/**
 * A copy of `document` with every automatic address replaced by the one a dry run assigns, and the
 * list of what was pinned.
 */
export async function pinAddresses(
  store: StoreReader,
  document: unknown,
  plan: Plan,
): Promise<{ document: unknown; pinned: Pin[] }> {
  const dryRun = await MemoryStore.copyOf(store);
  const cloud = new ControlPlane({ store: dryRun });
  for (const step of PROVISION_STEPS) {
    if (ADDRESS_STEPS.has(step as (typeof PROVISION_STEPS)[number]))
      await applyStep(cloud, plan, step, { execution: 'address-pinning-dry-run' });
  }
  const copy = structuredClone(document) as Record<string, unknown>;
  const pinned: Pin[] = [];
  for (const { section, field, type, take } of PINNED) {
    const entries = copy[section];
    if (!Array.isArray(entries)) continue;
    const created = new Map((await dryRun.list({ plan: plan.name, type })).map((r) => [r.name, r]));
    for (const [i, entry] of (entries as Record<string, unknown>[]).entries()) {
      if ('existing' in entry) continue;
      if (entry[field] !== undefined && entry[field] !== 'auto') continue;
      const resource = created.get(String(entry.name));
      const address = resource ? take(resource) : undefined;
      if (address) {
        entry[field] = address;
        pinned.push({ entry: `${section}[${i}]`, field });
      }
    }
  }
  return { document: copy, pinned };
}

/**
 * Runs a provisioning step on the pinned document; when a pinned address turns out to be taken
 * (IP_IN_USE), or a re-run finds the entry created with another address (PLAN_CHANGED on that field),
 * the entry gets its `auto` back and the step runs again.
 */
export async function applyPinnedStep(
  cloud: ControlPlane,
  document: unknown,
  pinned: readonly Pin[],
  step: ProvisionStep,
  ctx: StepContext,
): Promise<StepResult> {
  let current = document;
  const left = [...pinned];
  for (;;) {
    try {
      return await applyStep(cloud, PlanSchema.parse(current), step, ctx);
    } catch (error) {
      const index = left.findIndex((pin) => isPinConflict(error, pin));
      const pin = left[index];
      if (!pin) throw error;
      left.splice(index, 1);
      current = unpin(current, pin);
    }
  }
}

function isPinConflict(error: unknown, pin: Pin): boolean {
  if (!(error instanceof NatflowError) || !error.path) return false;
  const inEntry = error.path === pin.entry || error.path.startsWith(`${pin.entry}.`);
  if (!inEntry) return false;
  if (error instanceof IpInUseError) return true;
  const fields = error.details?.fields;
  return error instanceof PlanChangedError && Array.isArray(fields) && fields.includes(pin.field);
}

/** The document with one pinned entry back on `auto`. */
function unpin(document: unknown, pin: Pin): unknown {
  const copy = structuredClone(document) as Record<string, unknown>;
  const match = /^(\w+)\[(\d+)\]$/.exec(pin.entry);
  const entries = match ? copy[match[1] as string] : undefined;
  const entry = Array.isArray(entries)
    ? (entries[Number(match?.[2])] as Record<string, unknown> | undefined)
    : undefined;
  if (entry) entry[pin.field] = 'auto';
  return copy;
}
