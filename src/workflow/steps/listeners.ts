/**
 * Step `listeners`: each listener of the load balancers this plan creates (an `existing:` load
 * balancer's listeners are not this plan's), forwarding to its backend group; after `loadBalancers` and
 * `backendGroups`, which the workflow runs in parallel branches.
 */
import type { Cloud } from '../../cloud/cloud.ts';
import { isExisting, type Plan } from '../../plan/plan.ts';
import type { StepRun } from './run.ts';

export async function listeners(run: StepRun, cloud: Cloud, plan: Plan): Promise<void> {
  for (const [i, lb] of (plan.loadBalancers ?? []).entries()) {
    const path = `loadBalancers[${i}]`;
    if (isExisting(lb) || (lb.listeners ?? []).length === 0) continue;
    let loadBalancerId: string | undefined;
    await run.attempt(path, async () => {
      loadBalancerId = await run.idOf('loadBalancers', lb.name, path);
    });
    if (loadBalancerId === undefined) continue;
    const lbId = loadBalancerId;
    // In a workflow run its listeners wait for it to be ready.
    if (!(await run.awaitReady(await cloud.require(lbId)))) continue;
    for (const [k, listener] of (lb.listeners ?? []).entries()) {
      const listenerPath = `${path}.listeners[${k}]`;
      await run.attempt(listenerPath, async () => {
        const backendGroupId = await run.idOf(
          'backendGroups',
          listener.backendGroup,
          `${listenerPath}.backendGroup`,
        );
        const name = listener.name ?? `${listener.protocol}-${listener.port}`;
        const resource = await cloud.createListener(
          {
            name,
            loadBalancerId: lbId,
            protocol: listener.protocol,
            port: listener.port,
            backendGroupId,
            accessControl: listener.accessControl ?? 'all',
          },
          run.ruleContext(`listener:${lb.name}:${listener.protocol}:${listener.port}`, listenerPath),
        );
        run.record(resource, `${lb.name}/${name}`);
      });
    }
  }
}
