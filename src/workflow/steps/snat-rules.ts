/**
 * Step `snatRules`: the plan's SNAT rules (created PENDING; `activateRules` waits for them) — the SNAT
 * half of `rules`, for a workflow that adds DNAT and SNAT rules in parallel branches. A rule's `source`
 * is a CIDR block or the name of a subnet of the plan.
 */
import type { Cloud } from '../../cloud/cloud.ts';
import { tryParseCidr } from '../../net/ipv4.ts';
import type { Plan } from '../../plan/plan.ts';
import { awaitParents, forEachRule, type SnatRuleVisit } from './gateway-rules.ts';
import type { StepRun } from './run.ts';

export async function snatRules(run: StepRun, cloud: Cloud, plan: Plan): Promise<void> {
  await forEachRule(run, cloud, plan, {
    snat: (gatewayId, rule) => addSnatRule(run, cloud, gatewayId, rule),
  });
}

/** Creates (or re-finds) one SNAT rule entry on its gateway. */
export async function addSnatRule(
  run: StepRun,
  cloud: Cloud,
  gatewayId: string,
  rule: SnatRuleVisit,
): Promise<void> {
  const { entry, path } = rule;
  const transitIpId = await run.idOf('transitIps', entry.transitIp, `${path}.transitIp`);
  if (!(await awaitParents(run, cloud, transitIpId))) return;
  const cidr = tryParseCidr(entry.source) ? entry.source : undefined;
  const source = cidr ? { cidr } : { subnetId: await run.idOf('subnets', entry.source, `${path}.source`) };
  const resource = await cloud.createSnatRule(
    { ...(entry.name === undefined ? {} : { name: entry.name }), gatewayId, transitIpId, ...source },
    run.ruleContext(
      entry.name === undefined ? `snat-rule:${gatewayId}:${entry.source}` : `snat-rule:${entry.name}`,
      path,
    ),
  );
  run.record(resource, resource.name);
}
