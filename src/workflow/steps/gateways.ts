/** Step `gateways`: the plan's private NAT gateways (created PENDING; `activateGateways` waits for them). */
import type { Cloud } from '../../cloud/cloud.ts';
import { isExisting, type Plan } from '../../plan/plan.ts';
import type { StepRun } from './run.ts';

export async function gateways(run: StepRun, cloud: Cloud, plan: Plan): Promise<void> {
  for (const [i, gateway] of (plan.privateNatGateways ?? []).entries()) {
    const path = `privateNatGateways[${i}]`;
    await run.attempt(path, async () => {
      if (isExisting(gateway)) {
        run.record(await run.existing('private-nat-gateway', gateway.existing, path), gateway.name);
        return;
      }
      const vpcId = await run.idOf('vpcs', gateway.vpc, `${path}.vpc`);
      const subnetId = await run.idOf('subnets', gateway.subnet, `${path}.subnet`);
      const resource = await cloud.createGateway(
        {
          name: gateway.name,
          vpcId,
          subnetId,
          ...(gateway.spec === undefined ? {} : { spec: gateway.spec }),
          ...(gateway.allowSharedTransitIp === undefined
            ? {}
            : { allowSharedTransitIp: gateway.allowSharedTransitIp }),
          ...(gateway.downlinkIp === undefined ? {} : { downlinkIp: gateway.downlinkIp }),
        },
        run.context('private-nat-gateway', gateway.name, path, gateway.subnet),
      );
      run.record(resource, gateway.name);
    });
  }
}
