/**
 * Pins a plan's automatic addresses before the provision workflow creates anything.
 *
 * The workflow creates the target side (servers, load balancer) and the transit side (transit IP,
 * gateway) in parallel branches, which may draw addresses from the same subnet. Automatic assignment
 * takes the lowest free address, so without pinning the winner of a race would decide who gets which
 * address. The validation dry run assigns them in plan order; copying those addresses into the plan
 * document (as if the user had written them) makes every step's result independent of timing, and a
 * re-run of the same plan finds the same addresses on the resources it created (idempotent tokens:
 * the dry run reports the addresses the plan's resources already have).
 *
 * It works on the plan *document* (the workflow's state carries documents, which every step parses),
 * and pins only entries that create something and asked for `auto` (or gave no address).
 *
 * A pin is a preference, not a promise: another execution may take the address between the dry run and
 * the create (concurrent plans in one existing subnet). `applyPinnedStep` then gives that entry back its
 * `auto` and runs the step again — idempotent under client tokens, so nothing is created twice — and
 * the address is assigned at create time, as the product does.
 */
import type { Cloud } from '../cloud/cloud.ts';
import { IpInUseError, NatflowError, PlanChangedError } from '../cloud/errors.ts';
import { PlanSchema } from '../plan/plan.ts';
import { applyStep, type ProvisionStep, type StepContext, type StepResult } from './steps/index.ts';

/** The plan sections whose entries take an address, and the field that holds it. */
const PINNED: readonly { section: string; field: string }[] = [
  { section: 'servers', field: 'ip' },
  { section: 'loadBalancers', field: 'ip' },
  { section: 'transitIps', field: 'ip' },
  { section: 'privateNatGateways', field: 'downlinkIp' },
];

/** An address the dry run chose for an entry that asked for `auto`: `servers[1]` + `ip`. */
export interface Pin {
  entry: string;
  field: string;
}

/**
 * A copy of `document` with every automatic address replaced by the one the validation dry run
 * assigned (`validatePlan`'s `summary.addresses`, keyed `servers.ECS-A`), and the list of what was
 * pinned. Pure: the dry run already happened; this only copies its answers into the document.
 *
 * @example pinAddresses(doc, { 'servers.ECS-A': '192.168.0.2' }).pinned // [{ entry: 'servers[0]', field: 'ip' }]
 */
export function pinAddresses(
  document: unknown,
  addresses: Readonly<Record<string, string>>,
): { document: unknown; pinned: Pin[] } {
  const copy = structuredClone(document) as Record<string, unknown>;
  const pinned: Pin[] = [];
  for (const { section, field } of PINNED) {
    const entries = copy[section];
    if (!Array.isArray(entries)) continue;
    for (const [i, entry] of (entries as Record<string, unknown>[]).entries()) {
      if ('existing' in entry) continue;
      if (entry[field] !== undefined && entry[field] !== 'auto') continue;
      const address = addresses[`${section}.${String(entry.name)}`];
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
  cloud: Cloud,
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
