/**
 * Step `loadBalancers`: the plan's load balancers, then each created one's listeners (an `existing:`
 * load balancer's listeners are not this plan's).
 */
import type { Cloud } from '../../cloud/cloud.ts';
import { isExisting, type Plan } from '../../plan/plan.ts';
import type { StepRun } from './run.ts';

export async function loadBalancers(run: StepRun, cloud: Cloud, plan: Plan): Promise<void> {
  for (const [i, lb] of (plan.loadBalancers ?? []).entries()) {
    const path = `loadBalancers[${i}]`;
    let lbId: string | undefined;
    await run.attempt(path, async () => {
      if (isExisting(lb)) {
        const resource = await run.existing('load-balancer', lb.existing, path);
        run.record(resource, lb.name);
        return;
      }
      const vpcId = await run.idOf('vpcs', lb.vpc, `${path}.vpc`);
      const frontendSubnetId = await run.idOf('subnets', lb.frontendSubnet, `${path}.frontendSubnet`);
      const backendSubnetId =
        lb.backendSubnet === undefined
          ? frontendSubnetId
          : await run.idOf('subnets', lb.backendSubnet, `${path}.backendSubnet`);
      const resource = await cloud.createLoadBalancer(
        {
          name: lb.name,
          vpcId,
          frontendSubnetId,
          backendSubnetId,
          ...(lb.ip === undefined ? {} : { ip: lb.ip }),
          azs: lb.azs ?? [],
        },
        run.context('load-balancer', lb.name, path, lb.frontendSubnet),
      );
      lbId = resource.id;
      run.record(resource, lb.name);
    });
    if (isExisting(lb) || lbId === undefined) continue;
    for (const [k, listener] of (lb.listeners ?? []).entries()) {
      const listenerPath = `${path}.listeners[${k}]`;
      const loadBalancerId = lbId;
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
            loadBalancerId,
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
