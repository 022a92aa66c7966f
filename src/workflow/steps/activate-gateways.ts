/**
 * Step `activateGateways`: refreshes the plan's gateways and reports those still PENDING (the workflow
 * waits and runs it again, `src/workflow/activation.ts`).
 */
import { type Cloud, isReady } from '../../cloud/cloud.ts';
import { isExisting, type Plan } from '../../plan/plan.ts';
import type { StepRun } from './run.ts';

export async function activateGateways(run: StepRun, cloud: Cloud, plan: Plan): Promise<void> {
  for (const [i, gateway] of (plan.privateNatGateways ?? []).entries()) {
    const path = `privateNatGateways[${i}]`;
    await run.attempt(path, async () => {
      const id = await run.idOf('gateways', gateway.name, path);
      // An existing gateway belongs to whoever created it: its status is not this plan's to change.
      const resource = isExisting(gateway) ? await cloud.require(id) : await cloud.refresh(id);
      if (!isReady(resource)) run.pending.push(id);
      run.record(resource, gateway.name);
    });
  }
}
