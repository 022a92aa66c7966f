/**
 * Verification of a plan's `verify` entries, shared by the provision workflow (where a failed entry
 * fails the execution with VERIFICATION_FAILED, then rollback) and the verify workflow (where it emits
 * ConnectivityVerified or ConnectivityLost). Never reports a success it did not check: every entry is
 * probed — analysed hop by hop, and sent live through the local data plane when one runs.
 */
import { NotFoundError, VerificationFailedError } from '../cloud/errors.ts';
import type { Resource } from '../cloud/resources.ts';
import type { Store } from '../cloud/store.ts';
import { type Plan, PlanSchema } from '../plan/plan.ts';
import type { LiveNetwork } from '../probe/live.ts';
import { Topology } from '../probe/model.ts';
import { verifyEntries } from '../probe/probe.ts';
import { inScopeOf, planScope } from '../probe/scope.ts';
import type { EventPublisher } from './events.ts';

export interface PlanVerification {
  plan: string;
  ok: boolean;
  results: Awaited<ReturnType<typeof verifyEntries>>;
}

export async function verifyPlan(
  store: Store,
  planOrName: Plan | string,
  options: {
    dataPlane: LiveNetwork | undefined;
    failOnMismatch: boolean;
    publish?: EventPublisher | undefined;
    execution: string;
    /** The resources as the cloud holds them, when it may differ from the ledger (a real cloud's drift). */
    asFound?: (resources: Resource[]) => Resource[];
  },
): Promise<PlanVerification> {
  const plan = typeof planOrName === 'string' ? await loadPlan(store, planOrName) : planOrName;
  // The plan's connected part of the store (indexed reads), not all of it: see src/probe/scope.ts.
  let resources = await planScope(store, plan.name);
  if (options.asFound) resources = options.asFound(resources);
  const live = options.dataPlane;
  if (live?.syncScopeFrom) {
    // Read again when the sync's turn comes, so no sync queued before it undoes this plan's endpoints.
    await live.syncScopeFrom(async () => {
      resources = await planScope(store, plan.name);
      return { resources, inScope: inScopeOf(plan.name, resources) };
    });
  } else if (live) await live.sync(await store.list()); // a live network that only syncs everything
  const topology = Topology.from(resources);
  const results = await verifyEntries(topology, plan.verify ?? [], {
    dataPlane: options.dataPlane,
    plan: plan.name,
  });
  const ok = results.every((r) => r.ok);
  if (!ok && options.failOnMismatch) {
    throw new VerificationFailedError(describeFailures(plan.name, results), { details: { results } });
  }
  await options.publish?.(ok ? 'ConnectivityVerified' : 'ConnectivityLost', {
    plan: plan.name,
    executionArn: options.execution,
    results,
  });
  return { plan: plan.name, ok, results };
}

/** VERIFICATION_FAILED when any plan lost connectivity; otherwise the summary. */
export function summarizeVerification(plans: { plan: string; ok: boolean; results: unknown[] }[]) {
  const lost = plans.filter((p) => !p.ok);
  if (lost.length > 0) {
    throw new VerificationFailedError(
      `connectivity lost for ${lost.length} of ${plans.length} plan(s): ${lost
        .map((p) => describeFailures(p.plan, p.results as Awaited<ReturnType<typeof verifyEntries>>))
        .join(' | ')}`,
    );
  }
  return { ok: true, plans: plans.map((p) => ({ plan: p.plan, ok: p.ok, entries: p.results.length })) };
}

async function loadPlan(store: Store, name: string): Promise<Plan> {
  const record = await store.getPlan(name);
  if (!record) throw new NotFoundError(`no plan named ${name} has been provisioned`, { path: 'plan' });
  return PlanSchema.parse(record.document);
}

function describeFailures(plan: string, results: Awaited<ReturnType<typeof verifyEntries>>): string {
  const failed = results.filter((r) => !r.ok);
  return `plan ${plan}: ${failed.length} of ${results.length} verify entries did not hold: ${failed
    .map((r) => {
      const e = r.entry as { from: string; to: string; protocol: string; port: number };
      return `${e.from} → ${e.to}:${e.port}/${e.protocol} expected ${r.expected}, found ${r.verdict}${r.code ? ` (${r.code})` : ''}`;
    })
    .join('; ')}`;
}
