/**
 * Verification on a real cloud (docs/clouds.md): natflow sends no packet into a real VPC, so a plan's
 * `verify` entries are checked by analysis of natflow's model, freshly read from the cloud first —
 * everything the plan recorded read back (the provider's dry run: what is gone, what changed; see
 * docs/real-cloud.md#change-drift), every resource still there refreshed through the API (a rule
 * someone froze), and the plan's VPCs re-imported where the provider can import (what others changed
 * around it). The analysis sees the cloud as it is: what is gone is left out, what changed as it is
 * now. Drift found is published as `DriftDetected` (docs/events.md#driftdetected) besides the
 * connectivity event. Each result says so (`mode: 'analyze'`, `note`), instead of pretending a live
 * probe ran.
 *
 * The provider arrives from the caller (its deps); what it can do is asked of the registry.
 */
import { applyDrift, driftDetectedDetail } from '../cloud/drift.ts';
import { NatflowError } from '../cloud/errors.ts';
import { isIntent } from '../cloud/intent.ts';
import type { Store } from '../cloud/store.ts';
import type { Plan } from '../plan/plan.ts';
import { can, type Provider } from '../providers/registry.ts';
import { type PlanVerification, verifyPlan } from './verification.ts';

export const REAL_CLOUD_NOTE =
  'verified by analysis of the model freshly read from the cloud (natflow sent no packet into a real VPC)';

export async function verifyOnCloud(
  cloud: Provider,
  store: Store,
  planOrName: Plan | string,
  options: Parameters<typeof verifyPlan>[2],
): Promise<PlanVerification & { mode?: 'analyze'; note?: string }> {
  if (!can(cloud.name, 'realCloud')) return verifyPlan(store, planOrName, { ...options, cloud: cloud.name });
  const name = typeof planOrName === 'string' ? planOrName : planOrName.name;
  const drift = (await cloud.dryRun({ plan: name })).drift ?? [];
  const gone = new Set(drift.filter((d) => d.change === 'gone').map((d) => d.id));
  const own = (await store.list({ plan: name })).filter((r) => !gone.has(r.id));
  for (const resource of own) {
    try {
      await cloud.refresh(resource.id);
    } catch (error) {
      // A resource gone or failed on the cloud is what the analysis must then show, not a crash.
      if (!(error instanceof NatflowError)) throw error;
    }
  }
  // An intent (docs/real-cloud.md#failure) has no id of the cloud's: nothing to import.
  const vpcs = own.filter((r) => r.type === 'vpc' && !isIntent(r)).map((r) => r.externalId as string);
  if (cloud.importAccount && vpcs.length > 0) await cloud.importAccount({ vpcs });
  if (drift.length > 0)
    await options.publish?.('DriftDetected', driftDetectedDetail(name, cloud.name, drift));
  // No data plane: every entry is found by analysis (`mode: 'analyze'` in each result and row).
  const result = await verifyPlan(store, planOrName, {
    ...options,
    cloud: cloud.name,
    dataPlane: undefined,
    asFound: (resources) => applyDrift(resources, drift),
  });
  return {
    ...result,
    results: result.results.map((r) => ({ ...r, mode: 'analyze' as const })),
    mode: 'analyze',
    note: `${cloud.name}: ${REAL_CLOUD_NOTE}`,
  };
}
