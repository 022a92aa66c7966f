/** Step `backendGroups`: the plan's backend groups and their members (servers of the plan). */
import type { Cloud } from '../../cloud/cloud.ts';
import type { Plan } from '../../plan/plan.ts';
import type { StepRun } from './run.ts';

export async function backendGroups(run: StepRun, cloud: Cloud, plan: Plan): Promise<void> {
  for (const [i, group] of (plan.backendGroups ?? []).entries()) {
    const path = `backendGroups[${i}]`;
    await run.attempt(path, async () => {
      const members = [];
      for (const [k, member] of (group.members ?? []).entries()) {
        const serverId = await run.idOf('servers', member.server, `${path}.members[${k}].server`);
        members.push({
          serverId,
          port: member.port,
          ...(member.weight === undefined ? {} : { weight: member.weight }),
        });
      }
      const resource = await cloud.createBackendGroup(
        {
          name: group.name,
          protocol: group.protocol,
          ...(group.algorithm === undefined ? {} : { algorithm: group.algorithm }),
          ...(group.healthCheck === undefined ? {} : { healthCheck: group.healthCheck }),
          members,
        },
        run.context('backend-group', group.name, path),
      );
      run.record(resource, group.name);
    });
  }
}
