/**
 * `listPlans` (src/workflow/plan-list.ts): what GET /plans and `natflow plans` answer — each plan with a
 * record or resources, its cloud and resource count, its newest execution and its newest verification,
 * read from executions newest first (a provisioning's plan document, a teardown's or verify's `plan`,
 * a verify of every plan through its output or its failure).
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/cloud/memory-store.ts';
import { PlanSchema } from '../../src/plan/plan.ts';
import { type ExecutionSummary, listPlans } from '../../src/workflow/plan-list.ts';
import { applyStep, PROVISION_STEPS } from '../../src/workflow/steps/index.ts';
import { executionNameFor, planOfExecutionName } from '../../src/workflow/workflows.ts';
import { referencePlan } from '../cloud/plans.ts';
import { newCloud } from '../cloud/world.ts';

async function provisioned(names: string[]) {
  const store = new MemoryStore();
  const { cloud } = newCloud({ store });
  for (const name of names) {
    const document = { ...referencePlan(), name };
    const plan = PlanSchema.parse(document);
    for (const step of PROVISION_STEPS) await applyStep(cloud, plan, step, { execution: `exec-${name}` });
    await store.transaction([`plan:${name}`], (tx) =>
      tx.putPlan({ name, document, execution: `exec-${name}`, updatedAt: '2026-01-01T00:00:00.000Z' }),
    );
  }
  return store;
}

/** Executions given newest first; counts how many the listing read. */
function recent(executions: ExecutionSummary[]) {
  const read = { count: 0 };
  async function* iterate() {
    for (const e of executions) {
      read.count++;
      yield e;
    }
  }
  return { iterable: iterate(), read };
}

const at = (minute: number) => `2026-12-07T09:${String(minute).padStart(2, '0')}:00.000Z`;

describe('Function: listPlans', () => {
  it('answers each plan with its cloud, resources, last execution and last verification', async () => {
    // Prepare: p1 provisioned then verified (verify of every plan); p2 provisioned, its verify failed.
    const store = await provisioned(['p1', 'p2']);
    const { iterable } = recent([
      {
        name: 'verify-x',
        workflow: 'verify',
        status: 'FAILED',
        startDate: at(5),
        stopDate: at(6),
        input: { plan: 'p2' },
        error: 'VERIFICATION_FAILED',
      },
      {
        name: 'all',
        workflow: 'verify',
        status: 'SUCCEEDED',
        startDate: at(3),
        stopDate: at(4),
        input: {},
        output: { ok: true, plans: [{ plan: 'p1', ok: true, entries: 2 }] },
      },
      {
        name: 'p2-run',
        workflow: 'provision',
        status: 'SUCCEEDED',
        startDate: at(2),
        stopDate: at(2),
        input: { name: 'p2' },
        output: { plan: 'p2', verify: [{ ok: true }] },
      },
      { name: 'p1-run', workflow: 'provision', status: 'SUCCEEDED', startDate: at(1), input: { name: 'p1' } },
    ]);

    // Act
    const { plans } = await listPlans(store, iterable);

    // Assess
    expect(plans).toEqual([
      {
        plan: 'p1',
        cloud: 'virtual',
        resources: 14,
        lastExecution: { name: 'all', workflow: 'verify', status: 'SUCCEEDED', startDate: at(3) },
        lastVerification: { ok: true, at: at(4) },
      },
      {
        plan: 'p2',
        cloud: 'virtual',
        resources: 14,
        lastExecution: { name: 'verify-x', workflow: 'verify', status: 'FAILED', startDate: at(5) },
        lastVerification: { ok: false, at: at(6) },
      },
    ]);
  });

  it('attributes a failed verify of every plan to the plans its cause names', async () => {
    const store = await provisioned(['p1', 'p2']);
    const { iterable } = recent([
      {
        name: 'all',
        workflow: 'verify',
        status: 'FAILED',
        startDate: at(1),
        stopDate: at(2),
        input: {},
        error: 'VERIFICATION_FAILED',
        cause: 'connectivity lost for 1 of 2 plan(s): plan p2: 1 of 2 verify entries did not hold: …',
      },
    ]);
    const { plans } = await listPlans(store, iterable);
    expect(plans.map((p) => [p.plan, p.lastVerification?.ok])).toEqual([
      ['p1', undefined],
      ['p2', false],
    ]);
  });

  it('stops reading once every plan is settled, and reads at most scanLimit', async () => {
    const store = await provisioned(['p1']);
    const older = Array.from({ length: 50 }, (_, i) => ({
      name: `old-${i}`,
      workflow: 'provision' as const,
      status: 'SUCCEEDED',
      startDate: at(0),
      input: { name: 'p1' },
    }));
    const settled = recent([
      {
        name: 'v',
        workflow: 'verify' as const,
        status: 'SUCCEEDED',
        startDate: at(9),
        input: { plan: 'p1' },
        output: { ok: true },
      },
      ...older,
    ]);
    await listPlans(store, settled.iterable);
    expect(settled.read.count).toBe(1);
    const unsettled = recent(older);
    const { plans } = await listPlans(store, unsettled.iterable, { scanLimit: 10 });
    expect(unsettled.read.count).toBe(11);
    expect(plans[0]?.lastVerification).toBeUndefined();
  });

  it('lists nothing, and reads no execution, when nothing is provisioned', async () => {
    const empty = recent([{ name: 'x', workflow: 'verify', status: 'SUCCEEDED', startDate: at(0) }]);
    expect(await listPlans(new MemoryStore(), empty.iterable)).toEqual({ plans: [] });
    expect(empty.read.count).toBe(0);
  });
});

describe('Function: executionNameFor', () => {
  const now = Date.UTC(2026, 11, 7, 9, 13, 33, 549);

  it.each([
    {
      workflow: 'provision' as const,
      input: { name: 'app-a-to-elb01' },
      name: 'app-a-to-elb01-20261207T091333Z-a1b2',
    },
    {
      workflow: 'teardown' as const,
      input: { plan: 'app-a-to-elb01' },
      name: 'app-a-to-elb01-20261207T091333Z-a1b2',
    },
    { workflow: 'verify' as const, input: {}, name: 'verify-20261207T091333Z-a1b2' },
  ])('names a $workflow PLAN-YYYYMMDDTHHMMSSZ-XXXX', ({ workflow, input, name }) => {
    expect(executionNameFor(workflow, input, now, 'a1b2')).toBe(name);
  });

  it("cuts the plan's part to keep Step Functions' 80 characters, time and suffix whole", () => {
    const name = executionNameFor('provision', { name: 'p'.repeat(64) }, now);
    expect(name).toHaveLength(80);
    expect(name).toMatch(/^p+-20261207T091333Z-[0-9a-f]{4}$/);
  });

  it('reads the plan back from a generated name (and from the older names to the millisecond)', () => {
    expect(planOfExecutionName(executionNameFor('teardown', { plan: 'app-a' }, now), 'teardown')).toBe(
      'app-a',
    );
    expect(planOfExecutionName('app-a-20260102T030405678Z-9abc', 'provision')).toBe('app-a');
    expect(planOfExecutionName(executionNameFor('verify', {}, now), 'verify')).toBeUndefined();
    expect(planOfExecutionName('my-own-name', 'provision')).toBeUndefined();
  });

  it('gives two starts in one second different names', () => {
    const names = new Set(Array.from({ length: 20 }, () => executionNameFor('verify', {}, now)));
    expect(names.size).toBeGreaterThan(1);
  });
});
