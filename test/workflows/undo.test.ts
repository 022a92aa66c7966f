/**
 * Undoing a provisioning through the cloud port: rollback deletes one execution's ledger, teardown (phase
 * by phase, as the teardown state machine runs it) one plan's own resources — and a cloud that deletes
 * asynchronously is followed until it is done.
 */
import { describe, expect, it } from 'vitest';
import type { Cloud, Deletion } from '../../src/cloud/cloud.ts';
import { deletionOrder } from '../../src/cloud/deletion-order.ts';
import { resolveResource } from '../../src/cloud/resolve.ts';
import type { Resource } from '../../src/cloud/resources.ts';
import type { Store } from '../../src/cloud/store.ts';
import { PlanSchema } from '../../src/plan/plan.ts';
import { rollbackExecution, rollbackProvisioning } from '../../src/workflow/rollback.ts';
import { checkTeardown, TEARDOWN_PHASES, teardownPhase } from '../../src/workflow/teardown.ts';
import { referencePlan } from '../cloud/plans.ts';
import { errorOf, newCloud } from '../cloud/world.ts';
import { addRulePlan, runAll } from './run-plan.ts';

/** Every teardown phase in order, as the teardown workflow runs them; the ids deleted. */
async function teardown(cloud: Cloud, store: Store, plan: string): Promise<string[]> {
  const deleted: string[] = [];
  for (const phase of TEARDOWN_PHASES) deleted.push(...(await teardownPhase(cloud, store, plan, phase)));
  return deleted;
}

/** The reference plan (exec-1), and `add-rule` (exec-2) adding a DNAT rule to its gateway. */
async function twoPlans() {
  const world = newCloud();
  const { cloud, store } = world;
  await runAll(cloud, PlanSchema.parse(referencePlan()), 'exec-1');
  await store.transaction([], (tx) =>
    tx.putPlan({ name: 'app-a-to-elb01', document: referencePlan(), execution: 'exec-1', updatedAt: 'now' }),
  );
  const gateway = await resolveResource(store, 'private-nat-gateway', 'private_nat_gateway');
  const tip = await resolveResource(store, 'transit-ip', 'transit-ip-A');
  const server = await resolveResource(store, 'server', 'ECS-B');
  const addRule = addRulePlan(gateway.id, tip.id, server.id);
  await runAll(cloud, addRule, 'exec-2');
  await store.transaction([], (tx) =>
    tx.putPlan({ name: 'add-rule', document: addRule, execution: 'exec-2', updatedAt: 'now' }),
  );
  return world;
}

/** A cloud whose deletions each take one extra call, as a real cloud's asynchronous deletes do. */
function slowDeleting(cloud: Cloud): Cloud {
  const asked = new Set<string>();
  return Object.assign(Object.create(cloud) as Cloud, {
    async destroy(id: string): Promise<Deletion> {
      if (!asked.has(id)) {
        asked.add(id);
        return { resource: (await cloud.require(id)) as Resource, done: false };
      }
      return cloud.destroy(id);
    },
  });
}

describe('Module: rollback', () => {
  it('rolls back exactly one execution, in reverse dependency order, idempotently', async () => {
    const { cloud, store } = await twoPlans();
    // Act
    const deleted = await rollbackExecution(cloud, 'exec-2');
    // Assess
    expect(deleted).toHaveLength(1);
    expect(await rollbackExecution(cloud, 'exec-2')).toEqual([]);
    expect(await store.list({ plan: 'add-rule' })).toEqual([]);
    expect((await rollbackExecution(cloud, 'exec-1')).length).toBe(14);
    expect(await store.list()).toEqual([]);
  });

  it('refuses with DEPENDENCY_VIOLATION for what another execution still uses, deleting the rest', async () => {
    const { cloud, store } = await twoPlans();
    const refused = await errorOf(rollbackExecution(cloud, 'exec-1'));
    expect(refused.name).toBe('DEPENDENCY_VIOLATION');
    // The gateway, its transit IP and the server the other plan's rule targets stay, with what they need.
    const left = await store.list({ plan: 'app-a-to-elb01' });
    expect(left.map((r) => r.type).sort()).toEqual(
      [
        'private-nat-gateway',
        'security-group',
        'server',
        'subnet',
        'subnet',
        'transit-ip',
        'vpc',
        'vpc',
      ].sort(),
    );
  });

  it('follows a pending deletion: not reported deleted, left in the ledger, finished by the next run', async () => {
    const { cloud, store } = await twoPlans();
    const slow = slowDeleting(cloud);
    expect(await rollbackProvisioning(slow, store, 'exec-2')).toEqual([]);
    expect(await store.list({ execution: 'exec-2' })).toHaveLength(1);
    expect(await store.getPlan('add-rule')).toBeDefined();
    expect(await rollbackProvisioning(slow, store, 'exec-2')).toHaveLength(1);
    expect(await store.list({ execution: 'exec-2' })).toEqual([]);
    expect(await store.getPlan('add-rule')).toBeUndefined();
  });

  it('orders deletions rules first, VPCs last, newest first within a type', () => {
    const at = (type: Resource['type'], id: string) => ({ type, id }) as Resource;
    const order = deletionOrder([
      at('vpc', 'v1'),
      at('subnet', 's1'),
      at('dnat-rule', 'd1'),
      at('vpc', 'v2'),
    ]);
    expect(order.map((r) => r.id)).toEqual(['d1', 's1', 'v2', 'v1']);
  });
});

describe('Module: teardown', () => {
  it('tears down only what a plan created and refuses while another plan depends on it', async () => {
    const { cloud, store } = await twoPlans();
    // Act + Assess
    const refused = await errorOf(teardown(cloud, store, 'app-a-to-elb01'));
    expect(refused.name).toBe('DEPENDENCY_VIOLATION');
    expect(await errorOf(checkTeardown(store, 'app-a-to-elb01'))).toMatchObject({
      name: 'DEPENDENCY_VIOLATION',
    });
    expect(await store.list({ plan: 'app-a-to-elb01' })).toHaveLength(14);
    expect(await teardown(cloud, store, 'add-rule')).toHaveLength(1);
    expect(await store.getPlan('add-rule')).toBeUndefined();
    // What add-rule only referenced is still there.
    expect(await store.list({ plan: 'app-a-to-elb01' })).toHaveLength(14);
    expect(await teardown(cloud, store, 'app-a-to-elb01')).toHaveLength(14);
    expect(await store.list()).toEqual([]);
    expect(await store.getPlan('app-a-to-elb01')).toBeUndefined();
    // Once torn down, nothing is recorded to the plan: its check says so, and a second teardown deletes nothing.
    expect(await checkTeardown(store, 'app-a-to-elb01')).toEqual({ nothing: true });
    expect(await checkTeardown(store, 'never-was')).toEqual({ nothing: true });
    expect(await teardown(cloud, store, 'app-a-to-elb01')).toEqual([]);
  });

  it('keeps the plan record while an asynchronous deletion is pending, and finishes on a re-run', async () => {
    const { cloud, store } = await twoPlans();
    const slow = slowDeleting(cloud);
    expect(await teardown(slow, store, 'add-rule')).toEqual([]);
    expect(await store.getPlan('add-rule')).toBeDefined();
    expect(await teardownPhase(slow, store, 'add-rule', 'rules')).toHaveLength(1);
    expect(await teardownPhase(slow, store, 'add-rule', 'networks')).toEqual([]);
    expect(await store.getPlan('add-rule')).toBeUndefined();
  });
});
