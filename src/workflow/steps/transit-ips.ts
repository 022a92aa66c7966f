/** Step `transitIps`: the plan's transit IPs. */
import type { Cloud } from '../../cloud/cloud.ts';
import { isExisting, type Plan } from '../../plan/plan.ts';
import type { StepRun } from './run.ts';

export async function transitIps(run: StepRun, cloud: Cloud, plan: Plan): Promise<void> {
  for (const [i, tip] of (plan.transitIps ?? []).entries()) {
    const path = `transitIps[${i}]`;
    await run.attempt(path, async () => {
      if (isExisting(tip)) {
        run.record(await run.existing('transit-ip', tip.existing, path), tip.name);
        return;
      }
      const subnetId = await run.idOf('subnets', tip.subnet, `${path}.subnet`);
      const resource = await cloud.createTransitIp(
        { name: tip.name, subnetId, ...(tip.ip === undefined ? {} : { ip: tip.ip }) },
        run.context('transit-ip', tip.name, path, tip.subnet),
      );
      run.record(resource, tip.name);
    });
  }
}
