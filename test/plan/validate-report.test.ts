/**
 * `validatePlan` reports every problem in one run (docs/cli.md `natflow validate`): shape errors and
 * unresolved references together — the entries that parse have their references resolved even when
 * another entry fails its shape — and a plan recorded in another cloud is PLAN_CHANGED before any dry
 * run counts its resources as "already provisioned".
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/cloud/memory-store.ts';
import type { Store } from '../../src/cloud/store.ts';
import { PlanSchema } from '../../src/plan/plan.ts';
import { checkNames, salvage, validatePlan } from '../../src/plan/validate.ts';
import { applyStep, PROVISION_STEPS, steps } from '../../src/workflow/steps/index.ts';
import { referencePlan } from '../cloud/plans.ts';
import { newCloud } from '../cloud/world.ts';

const codes = (errors: readonly { path: string; code: string }[]) => errors.map((e) => [e.path, e.code]);

describe('Function: validatePlan — every problem in one run', () => {
  it('reports an unknown reference together with a shape error of another entry', async () => {
    // Prepare: a DNAT rule targets ELB99 (no such load balancer); a VPC's CIDR is no CIDR.
    const plan = referencePlan();
    plan.privateNatGateways[0].dnatRules[0].target = { loadBalancer: 'ELB99' };
    plan.vpcs[1].cidr = '10.0.0.0';

    // Act
    const result = await validatePlan(new MemoryStore(), plan, { steps });

    // Assess
    expect(result.valid).toBe(false);
    expect(codes(result.errors)).toEqual(
      expect.arrayContaining([
        ['vpcs[1].cidr', 'INVALID_CIDR'],
        ['privateNatGateways[0].dnatRules[0].target.loadBalancer', 'NOT_FOUND'],
      ]),
    );
  });

  it('resolves the references of the list items that parse when one item of the list does not', async () => {
    // Prepare: the gateway's second rule has a bad port; its first rule names a transit IP that is not there.
    const plan = referencePlan();
    const rules = plan.privateNatGateways[0].dnatRules;
    rules[0].transitIp = 'transit-ip-Z';
    rules.push({ ...rules[0], transitIp: 'transit-ip-A', transitPort: 70000 });

    // Act
    const result = await validatePlan(new MemoryStore(), plan, { steps });

    // Assess
    expect(codes(result.errors)).toEqual(
      expect.arrayContaining([
        ['privateNatGateways[0].dnatRules[1].transitPort', 'INVALID_PORT_SPEC'],
        ['privateNatGateways[0].dnatRules[0].transitIp', 'NOT_FOUND'],
      ]),
    );
  });

  it('does not call a reference unknown when the entry it names is there but fails its shape', async () => {
    // Prepare: ELB01 has a bad address; the rule that targets it is fine.
    const plan = referencePlan();
    (plan.loadBalancers[0] as Record<string, unknown>).ip = 'nope';

    // Act
    const result = await validatePlan(new MemoryStore(), plan, { steps });

    // Assess
    expect(codes(result.errors)).toEqual([['loadBalancers[0].ip', 'INVALID_ADDRESS']]);
  });

  it('reports DUPLICATE_NAME by the names as written, whatever the shape of the entries', async () => {
    const plan = referencePlan();
    plan.servers.push({ name: 'ECS-A', subnet: 'subnet-A01', ip: 'not-an-ip' });
    const result = await validatePlan(new MemoryStore(), plan, { steps });
    expect(codes(result.errors)).toEqual(
      expect.arrayContaining([
        ['servers[2].ip', 'INVALID_ADDRESS'],
        ['servers[2].name', 'DUPLICATE_NAME'],
      ]),
    );
  });

  it('reports the same problems for a valid shape as before: names then the dry run', async () => {
    const plan = referencePlan();
    plan.servers[0].subnet = 'subnet-Z';
    const result = await validatePlan(new MemoryStore(), plan, { steps });
    expect(codes(result.errors)).toContainEqual(['servers[0].subnet', 'NOT_FOUND']);
  });
});

describe('Function: salvage', () => {
  it('keeps the entries that parse at their own indices, a hole where one does not', () => {
    const plan = referencePlan();
    (plan.servers[0] as Record<string, unknown>).ip = 'nope';
    const salvaged = salvage(plan);
    expect(salvaged.servers?.[0]).toBeUndefined();
    expect(salvaged.servers?.[1]?.name).toBe('ECS-B');
    expect(checkNames(salvaged, plan)).toEqual([]);
  });

  it('returns nothing for a document that is no object', () => {
    expect(salvage(['a'])).toEqual({});
    expect(salvage(null)).toEqual({});
  });
});

describe('a plan recorded in another cloud', () => {
  async function provisionedAs(store: Store, cloud: string) {
    const world = newCloud({ store: store as MemoryStore });
    const plan = PlanSchema.parse(referencePlan());
    for (const step of PROVISION_STEPS) await applyStep(world.cloud, plan, step, { execution: 'exec-1' });
    // What a real cloud's provider records: each resource marked with its cloud.
    for (const resource of await store.list({ plan: plan.name }))
      await store.transaction([resource.id], (tx) => tx.update({ ...resource, cloud }));
  }

  it('is PLAN_CHANGED at `cloud` naming where it is, not "already provisioned" here', async () => {
    // Prepare: the reference plan, recorded in huaweicloud; validated against the virtual cloud.
    const store = new MemoryStore();
    await provisionedAs(store, 'huaweicloud');

    // Act
    const result = await validatePlan(store, referencePlan(), { steps });

    // Assess
    expect(result.valid).toBe(false);
    expect(result.summary).toBeUndefined();
    expect(result.errors).toEqual([
      expect.objectContaining({
        path: 'cloud',
        code: 'PLAN_CHANGED',
        message: expect.stringContaining('natflow teardown app-a-to-elb01'),
      }),
    ]);
  });
});
