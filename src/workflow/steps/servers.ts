/** Step `servers`: the plan's servers, each with the security group its `inbound` rules make. */
import type { Cloud } from '../../cloud/cloud.ts';
import { isExisting, type Plan } from '../../plan/plan.ts';
import type { StepRun } from './run.ts';

export async function servers(run: StepRun, cloud: Cloud, plan: Plan): Promise<void> {
  for (const [i, server] of (plan.servers ?? []).entries()) {
    const path = `servers[${i}]`;
    await run.attempt(path, async () => {
      if (isExisting(server)) {
        run.record(await run.existing('server', server.existing, path), server.name);
        return;
      }
      const subnetId = await run.idOf('subnets', server.subnet, `${path}.subnet`);
      const resource = await cloud.createServer(
        {
          name: server.name,
          subnetId,
          ...(server.ip === undefined ? {} : { ip: server.ip }),
          ...(server.image === undefined ? {} : { image: server.image }),
          ...(server.flavor === undefined ? {} : { flavor: server.flavor }),
          apps: server.apps ?? [],
          ...(server.inbound === undefined
            ? {}
            : {
                inbound: server.inbound.map((rule) => ({
                  protocol: rule.protocol,
                  fromPort: rule.ports?.from ?? 1,
                  toPort: rule.ports?.to ?? 65535,
                  source: rule.source,
                })),
              }),
        },
        run.context('server', server.name, path, server.subnet),
      );
      run.record(resource, server.name);
      for (const groupId of resource.securityGroupIds) {
        const group = await cloud.get(groupId);
        if (group?.plan === plan.name) run.record(group, group.name);
      }
    });
  }
}
