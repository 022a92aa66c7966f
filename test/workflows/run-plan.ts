/** Test helpers: run every provisioning step of a plan, and a plan that adds one rule to existing resources. */
import type { Cloud } from '../../src/cloud/cloud.ts';
import { type Plan, PlanSchema } from '../../src/plan/plan.ts';
import { applyStep, PROVISION_STEPS } from '../../src/workflow/steps/index.ts';

/** Every step in order; the merged `{kind: {name: id}}`. */
export async function runAll(cloud: Cloud, plan: Plan, execution: string) {
  const merged: Record<string, Record<string, string>> = {};
  for (const step of PROVISION_STEPS) {
    const { resources } = await applyStep(cloud, plan, step, { execution });
    for (const [kind, names] of Object.entries(resources)) merged[kind] = { ...merged[kind], ...names };
  }
  return merged;
}

export const addRulePlan = (gatewayId: string, transitIpId: string, serverId: string): Plan =>
  PlanSchema.parse({
    name: 'add-rule',
    servers: [{ name: 'web', existing: serverId }],
    transitIps: [{ name: 'tip', existing: transitIpId }],
    privateNatGateways: [
      {
        name: 'gw',
        existing: gatewayId,
        dnatRules: [
          {
            name: 'ssh',
            transitIp: 'tip',
            protocol: 'tcp',
            transitPort: 22,
            internalPort: 22,
            target: { server: 'web' },
          },
        ],
      },
    ],
  });
