/**
 * The end of a successful provisioning: the plan document is recorded (verify and teardown take only its
 * name) and the execution's output is built — `{plan, resources: {kind: {name: id}}, translation, verify}`
 * (docs/workflows.md), `verify` one row per verify entry (docs/real-cloud.md#verification-output).
 */

import type { Store } from '../cloud/store.ts';
import { PlanSchema } from '../plan/plan.ts';
import { planResources } from './plan-resources.ts';
import { type VerificationRow, verificationRows } from './verification.ts';

export interface ProvisioningOutput {
  plan: string;
  resources: Record<string, Record<string, string>>;
  translation: unknown[];
  verify: VerificationRow[];
}

export async function completeProvisioning(
  store: Store,
  document: Record<string, unknown>,
  outcome: { execution: string; translation: unknown[]; verify: unknown[]; now: number },
): Promise<ProvisioningOutput> {
  const plan = PlanSchema.parse(document);
  await store.transaction([`plan:${plan.name}`], (tx) =>
    tx.putPlan({
      name: plan.name,
      document,
      execution: outcome.execution,
      updatedAt: new Date(outcome.now).toISOString(),
    }),
  );
  return {
    plan: plan.name,
    resources: await planResources(store, plan.name),
    translation: outcome.translation,
    verify: verificationRows(outcome.verify),
  };
}
