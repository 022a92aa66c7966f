/**
 * Step `activateRules`: refreshes the DNAT and SNAT rules this plan created on its gateways and reports
 * those still PENDING (the workflow waits and runs it again, `src/workflow/activation.ts`).
 */
import { type Cloud, isReady } from '../../cloud/cloud.ts';
import type { Plan } from '../../plan/plan.ts';
import type { StepRun } from './run.ts';

export async function activateRules(run: StepRun, cloud: Cloud, plan: Plan): Promise<void> {
  // The rules this plan created, found by their ledger (plan) on the plan's gateways.
  const gatewayIds = new Set<string>();
  for (const [i, gateway] of (plan.privateNatGateways ?? []).entries()) {
    await run.attempt(`privateNatGateways[${i}]`, async () => {
      gatewayIds.add(await run.idOf('gateways', gateway.name, `privateNatGateways[${i}]`));
    });
  }
  for (const type of ['dnat-rule', 'snat-rule'] as const) {
    for (const rule of await cloud.list({ type, plan: plan.name })) {
      if (rule.type !== type || !gatewayIds.has(rule.gatewayId)) continue;
      const resource = await cloud.refresh(rule.id);
      if (!isReady(resource)) run.pending.push(rule.id);
      run.record(resource, resource.name);
    }
  }
}
