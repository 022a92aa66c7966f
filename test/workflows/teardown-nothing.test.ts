/**
 * Teardown of a plan with nothing recorded (docs/workflows.md#teardown): no plan record and no resource —
 * resources left behind by a rollback count as recorded — starts nothing through the API (200 `{plan,
 * nothing: true}`), and where the teardown machine is started directly (the `TeardownRequested` rule, as
 * on AWS) the execution ends SUCCEEDED saying nothing was there. A second teardown behaves the same; a
 * plan with only left-behind resources is torn down for real.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../../src/stack/stack.ts';
import { api, closed, generatedPlan } from '../reliability/support.ts';

describe('teardown of a plan with nothing recorded', () => {
  let dataDir: string;
  let stack: Stack;
  let url: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'natflow-teardown-nothing-'));
    stack = await startStack({ dataDir, port: 0, dataPlane: false });
    url = stack.url as string;
  });
  afterAll(async () => {
    await stack.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function teardownExecutions(): Promise<number> {
    const listed = await stack.sfn.listExecutions({ stateMachineArn: stack.stateMachineArn('teardown') });
    return listed.executions?.length ?? 0;
  }

  /** What a `TeardownRequested` event starts: the teardown machine, directly, with `$.detail`. */
  async function requested(plan: string) {
    const put = await api(url, '/events', {
      body: {
        Entries: [
          { Source: 'natflow.requests', DetailType: 'TeardownRequested', Detail: JSON.stringify({ plan }) },
        ],
      },
    });
    expect(put.status).toBe(200);
    const arn = put.json.Started[0].result.executionArn as string;
    await stack.sfn.waitForExecution(arn, 30_000);
    await stack.idle();
    return stack.sfn.describeExecution(arn);
  }

  it('answers 200 {plan, nothing: true} through the API and starts no execution, twice', async () => {
    for (let i = 0; i < 2; i++) {
      const answer = await api(url, '/executions', {
        body: { workflow: 'teardown', input: { plan: 'never-was' } },
      });
      expect(answer.status).toBe(200);
      expect(answer.json).toEqual({ plan: 'never-was', nothing: true });
    }
    expect(await teardownExecutions()).toBe(0);
  });

  it('ends SUCCEEDED saying nothing was there when TeardownRequested starts the machine directly, twice', async () => {
    for (let i = 0; i < 2; i++) {
      const described = await requested('never-was');
      expect(described.status).toBe('SUCCEEDED');
      expect(JSON.parse(described.output as string)).toEqual({ plan: 'never-was', nothing: true });
    }
  });

  it('tears a provisioned plan down once, then finds nothing the second time (API and rule alike)', async () => {
    // Prepare
    const plan = generatedPlan(7, 'once');
    expect(
      (await api(url, '/executions', { body: { workflow: 'provision', input: plan, name: 'once' } })).status,
    ).toBe(201);
    expect((await closed(url, 'once')).status).toBe('SUCCEEDED');
    // Act: the first teardown deletes, the second finds nothing
    const first = await api(url, '/executions', {
      body: { workflow: 'teardown', input: { plan: plan.name }, name: 'once-down' },
    });
    const firstDone = await closed(url, 'once-down');
    await stack.idle();
    const second = await api(url, '/executions', {
      body: { workflow: 'teardown', input: { plan: plan.name } },
    });
    const byRule = await requested(String(plan.name));
    // Assess
    expect(first.status).toBe(201);
    expect(firstDone.status).toBe('SUCCEEDED');
    expect(firstDone.output).not.toHaveProperty('nothing');
    expect(second.status).toBe(200);
    expect(second.json).toEqual({ plan: plan.name, nothing: true });
    expect(byRule.status).toBe('SUCCEEDED');
    expect(JSON.parse(byRule.output as string)).toEqual({ plan: plan.name, nothing: true });
  });

  it('tears down what a kept failure left recorded to its plan, though the plan itself was never recorded', async () => {
    // Prepare: a kept failure (AddDnatRule fails after its handler ran): resources, no plan record
    stack.tasks.setFaults([{ at: 'AddDnatRule', kind: 'permanent', when: 'after' }]);
    const plan: Record<string, unknown> = { ...generatedPlan(8, 'left'), onFailure: 'keep' };
    await api(url, '/executions', { body: { workflow: 'provision', input: plan, name: 'left' } });
    expect((await closed(url, 'left')).status).toBe('FAILED');
    stack.tasks.setFaults([]);
    await stack.idle();
    expect(await stack.store.getPlan(String(plan.name))).toBeUndefined();
    expect((await stack.store.list({ plan: String(plan.name) })).length).toBeGreaterThan(0);
    // Act
    const answer = await api(url, '/executions', {
      body: { workflow: 'teardown', input: { plan: plan.name }, name: 'left-down' },
    });
    // Assess
    expect(answer.status).toBe(201);
    expect((await closed(url, 'left-down')).status).toBe('SUCCEEDED');
    expect(await stack.store.list({ plan: String(plan.name) })).toEqual([]);
  });
});
