/**
 * Step `networks`: the plan's VPCs and their subnets (an `existing:` subnet must be in its VPC). Every
 * VPC is created at once; a subnet once its VPC is ready (in a workflow run a subnet of a VPC still
 * being created is set aside, and the step waits). A workflow run is done once the networks it created
 * are ready: everything the later steps create needs a ready subnet, and one step waiting for them
 * spares each of those a read of its own.
 */
import type { Cloud } from '../../cloud/cloud.ts';
import { ValidationFailedError } from '../../cloud/errors.ts';
import type { Resource } from '../../cloud/resources.ts';
import { isExisting, type Plan } from '../../plan/plan.ts';
import type { StepRun } from './run.ts';

export async function networks(run: StepRun, cloud: Cloud, plan: Plan): Promise<void> {
  const created: Resource[] = [];
  for (const [i, vpc] of (plan.vpcs ?? []).entries()) {
    const path = `vpcs[${i}]`;
    let vpcId: string | undefined;
    let ready = true;
    await run.attempt(path, async () => {
      const resource = isExisting(vpc)
        ? await run.existing('vpc', vpc.existing, path)
        : await cloud.createVpc({ name: vpc.name, cidr: vpc.cidr }, run.context('vpc', vpc.name, path));
      vpcId = resource.id;
      run.record(resource, vpc.name);
      if (!isExisting(vpc)) ready = await run.awaitReady(resource);
    });
    // Its subnets wait for it (one read of the VPC, none of them while it is being created).
    if (!ready) continue;
    for (const [j, subnet] of (vpc.subnets ?? []).entries()) {
      const subnetPath = `${path}.subnets[${j}]`;
      if (vpcId === undefined) continue;
      const parentId = vpcId;
      await run.attempt(subnetPath, async () => {
        if (isExisting(subnet)) {
          const resource = await run.existing('subnet', subnet.existing, subnetPath);
          if (resource.type === 'subnet' && resource.vpcId !== parentId) {
            throw new ValidationFailedError(`subnet ${resource.id} is not in VPC ${vpc.name}`, {
              path: `${subnetPath}.existing`,
            });
          }
          run.record(resource, subnet.name);
          return;
        }
        const resource = await cloud.createSubnet(
          { name: subnet.name, vpcId: parentId, cidr: subnet.cidr },
          run.context('subnet', subnet.name, subnetPath),
        );
        run.record(resource, subnet.name);
        created.push(resource);
      });
    }
  }
  for (const resource of created) await run.awaitReady(resource);
}
