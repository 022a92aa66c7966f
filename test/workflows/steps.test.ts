/**
 * The provisioning steps (src/workflow/steps/): steps in order create the plan, re-runs converge on the
 * same ids, `existing` entries are only referenced (rollback and teardown: ./undo.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { resolveResource } from '../../src/cloud/resolve.ts';
import { PlanSchema } from '../../src/plan/plan.ts';
import { planResources } from '../../src/workflow/plan-resources.ts';
import { applyStep, PROVISION_STEPS } from '../../src/workflow/steps/index.ts';
import { examplePlan, referencePlan } from '../cloud/plans.ts';
import { errorOf, newCloud } from '../cloud/world.ts';
import { addRulePlan, runAll } from './run-plan.ts';

describe('Module: provisioner', () => {
  it('provisions the reference plan step by step, gateways and rules ending ACTIVE', async () => {
    const { cloud } = newCloud();
    const plan = PlanSchema.parse(referencePlan());
    const resources = await runAll(cloud, plan, 'exec-1');
    expect(Object.keys(resources.dnatRules ?? {})).toEqual(['transit-ip-A-tcp-80']);
    const rule = await cloud.require(Object.values(resources.dnatRules ?? {})[0] as string, 'dnat-rule');
    expect(rule).toMatchObject({
      status: 'ACTIVE',
      transitIp: '192.168.0.144',
      transitPort: 80,
      target: { ip: '10.0.0.3' },
    });
    const gateway = await cloud.require(
      resources.privateNatGateways?.private_nat_gateway as string,
      'private-nat-gateway',
    );
    expect(gateway.status).toBe('ACTIVE');
    expect(await planResources(cloud.store, plan.name)).toEqual(resources);
  });

  it('converges on a re-run: the same ids, nothing created twice', async () => {
    const { cloud, store } = newCloud();
    const plan = PlanSchema.parse(referencePlan());
    const first = await runAll(cloud, plan, 'exec-1');
    const count = (await store.list()).length;
    const second = await runAll(cloud, plan, 'exec-2');
    expect(second).toEqual(first);
    expect(await store.list()).toHaveLength(count);
    expect(await store.list({ execution: 'exec-2' })).toEqual([]);
  });

  it('throws the first problem with its code and path outside a dry run', async () => {
    const { cloud } = newCloud();
    const document = referencePlan();
    document.servers[0].ip = '192.168.0.1';
    const plan = PlanSchema.parse(document);
    await applyStep(cloud, plan, 'networks', { execution: 'e' });
    expect(await errorOf(applyStep(cloud, plan, 'servers', { execution: 'e' }))).toMatchObject({
      name: 'IP_RESERVED',
      path: 'servers[0].ip',
    });
    // ECS-B was never created (the step stopped at ECS-A): its backend group cannot find it.
    expect(await errorOf(applyStep(cloud, plan, 'backendGroups', { execution: 'e' }))).toMatchObject({
      name: 'NOT_FOUND',
      path: 'backendGroups[0].members[0].server',
    });
  });

  it('adds DNAT and SNAT rules in separate steps (parallel branches) to the same result as rules', async () => {
    const plan = PlanSchema.parse(examplePlan('examples/snat.plan.yaml'));
    const split = newCloud();
    const together = newCloud();
    for (const step of PROVISION_STEPS) {
      if (step === 'rules') {
        await applyStep(split.cloud, plan, 'snatRules', { execution: 'e' });
        await applyStep(split.cloud, plan, 'dnatRules', { execution: 'e' });
      } else await applyStep(split.cloud, plan, step, { execution: 'e' });
      await applyStep(together.cloud, plan, step, { execution: 'e' });
    }
    const rules = await split.store.list({ type: 'snat-rule' });
    expect(rules.map((r) => r.name)).toEqual(['web-out', 'batch-out']);
    expect((await split.store.list({ type: 'dnat-rule' }))[0]?.status).toBe('ACTIVE');
    expect((await split.store.list()).length).toBe((await together.store.list()).length);
  });

  it('reports gateways still PENDING under a provisioning delay', async () => {
    const { cloud, clock } = newCloud({ provisioningDelayMs: 30_000 });
    const plan = PlanSchema.parse(referencePlan());
    for (const step of PROVISION_STEPS.slice(0, PROVISION_STEPS.indexOf('activateGateways')))
      await applyStep(cloud, plan, step, { execution: 'e' });
    const waiting = await applyStep(cloud, plan, 'activateGateways', { execution: 'e' });
    expect(waiting.pending).toHaveLength(1);
    clock.advance(30_000);
    expect((await applyStep(cloud, plan, 'activateGateways', { execution: 'e' })).pending).toEqual([]);
  });

  it('lists what a plan created and what it references (planResources)', async () => {
    const { cloud, store } = newCloud();
    await runAll(cloud, PlanSchema.parse(referencePlan()), 'exec-1');
    const gateway = await resolveResource(store, 'private-nat-gateway', 'private_nat_gateway');
    const tip = await resolveResource(store, 'transit-ip', 'transit-ip-A');
    const server = await resolveResource(store, 'server', 'ECS-B');
    const addRule = addRulePlan(gateway.id, tip.id, server.id);
    await runAll(cloud, addRule, 'exec-2');
    await store.transaction([], (tx) =>
      tx.putPlan({ name: 'add-rule', document: addRule, execution: 'exec-2', updatedAt: 'now' }),
    );
    expect(await planResources(store, 'add-rule')).toEqual({
      servers: { web: server.id },
      transitIps: { tip: tip.id },
      privateNatGateways: { gw: gateway.id },
      dnatRules: { ssh: expect.any(String) },
    });
  });
});
