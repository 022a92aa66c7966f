/**
 * Step `activateResources` (the workflow's `CheckResourcesActive`): every resource this plan created that
 * is not ready yet — a server still booting, a gateway or a rule still INACTIVE — read again from the
 * cloud. In a workflow run the step fails `Natflow.NotReady` naming what is still not ready, and the
 * workflow's Retry runs it again, until all of it is.
 */
import { type Cloud, isReady } from '../../cloud/cloud.ts';
import type { Plan } from '../../plan/plan.ts';
import type { StepRun } from './run.ts';

export async function activateResources(run: StepRun, cloud: Cloud, plan: Plan): Promise<void> {
  for (const resource of await cloud.list({ plan: plan.name })) {
    if (resource.imported) continue;
    if (isReady(resource) || (await run.awaitReady(resource))) run.record(resource, resource.name);
    else run.pending.push(resource.id);
  }
}
