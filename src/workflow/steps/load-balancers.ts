/**
 * Step `loadBalancers`: the plan's load balancers (their listeners are step `listeners`, since a
 * listener needs its backend group too, which another branch of the workflow creates).
 */
import type { Cloud } from '../../cloud/cloud.ts';
import { isExisting, type Plan } from '../../plan/plan.ts';
import type { StepRun } from './run.ts';

export async function loadBalancers(run: StepRun, cloud: Cloud, plan: Plan): Promise<void> {
  for (const [i, lb] of (plan.loadBalancers ?? []).entries()) {
    const path = `loadBalancers[${i}]`;
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
      run.record(resource, lb.name);
    });
  }
}
