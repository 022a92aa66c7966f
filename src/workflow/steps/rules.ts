/**
 * Step `rules`: the plan's DNAT and SNAT rules, gateway by gateway in plan order (each gateway's DNAT
 * rules, then its SNAT rules). A workflow may run its halves, `dnatRules` and `snatRules`, instead.
 */
import type { Cloud } from '../../cloud/cloud.ts';
import type { Plan } from '../../plan/plan.ts';
import { addDnatRule } from './dnat-rules.ts';
import { forEachRule } from './gateway-rules.ts';
import type { StepRun } from './run.ts';
import { addSnatRule } from './snat-rules.ts';

export async function rules(run: StepRun, cloud: Cloud, plan: Plan): Promise<void> {
  await forEachRule(run, cloud, plan, {
    dnat: (gatewayId, rule) => addDnatRule(run, cloud, gatewayId, rule),
    snat: (gatewayId, rule) => addSnatRule(run, cloud, gatewayId, rule),
  });
}
