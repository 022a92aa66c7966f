/**
 * Step `dnatRules`: the plan's DNAT rules (created PENDING; `activateRules` waits for them) — the DNAT
 * half of `rules`, for a workflow that adds DNAT and SNAT rules in parallel branches. A rule without a
 * name is created under its identity's token (`plan:dnat-rule:TIP:PROTO:PORT`); two entries with one
 * identity are DNAT_PORT_CONFLICT at the second.
 */
import type { Cloud } from '../../cloud/cloud.ts';
import { DnatPortConflictError } from '../../cloud/errors.ts';
import type { DnatTargetInput } from '../../cloud/inputs.ts';
import type { Plan } from '../../plan/plan.ts';
import { awaitParents, type DnatRuleVisit, forEachRule } from './gateway-rules.ts';
import type { StepRun } from './run.ts';

export async function dnatRules(run: StepRun, cloud: Cloud, plan: Plan): Promise<void> {
  await forEachRule(run, cloud, plan, {
    dnat: (gatewayId, rule) => addDnatRule(run, cloud, gatewayId, rule),
  });
}

/** Creates (or re-finds) one DNAT rule entry on its gateway. */
export async function addDnatRule(
  run: StepRun,
  cloud: Cloud,
  gatewayId: string,
  rule: DnatRuleVisit,
): Promise<void> {
  const { entry, path } = rule;
  const transitIpId = await run.idOf('transitIps', entry.transitIp, `${path}.transitIp`);
  const target: DnatTargetInput =
    entry.target.loadBalancer !== undefined
      ? {
          loadBalancerId: await run.idOf(
            'loadBalancers',
            entry.target.loadBalancer,
            `${path}.target.loadBalancer`,
          ),
        }
      : entry.target.server !== undefined
        ? { serverId: await run.idOf('servers', entry.target.server, `${path}.target.server`) }
        : { ip: entry.target.ip as string };
  // In a workflow run the rule waits for the transit IP and load balancer this plan created to be ready.
  if (
    !(await awaitParents(
      run,
      cloud,
      transitIpId,
      'loadBalancerId' in target ? target.loadBalancerId : undefined,
    ))
  )
    return;
  const identity = `${transitIpId}:${entry.protocol}:${entry.transitPort}`;
  const first = rule.identities.get(identity);
  if (first !== undefined && first !== path) {
    throw new DnatPortConflictError(
      `${entry.transitIp} ${entry.protocol === 'any' ? 'all ports' : `${entry.protocol} ${entry.transitPort}`} is already forwarded by ${first}`,
      { path: `${path}.transitPort` },
    );
  }
  rule.identities.set(identity, path);
  const resource = await cloud.createDnatRule(
    {
      ...(entry.name === undefined ? {} : { name: entry.name }),
      gatewayId,
      transitIpId,
      protocol: entry.protocol,
      transitPort: entry.transitPort,
      internalPort: entry.internalPort,
      target,
    },
    run.ruleContext(entry.name === undefined ? `dnat-rule:${identity}` : `dnat-rule:${entry.name}`, path),
  );
  run.record(resource, resource.name);
}
