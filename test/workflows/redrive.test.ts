/**
 * `onFailure: keep` and RedriveExecution through the real provision workflow, handlers and store: a kept
 * provisioning fails at the failing Task with what it created left in place; once the fault is fixed a
 * redrive continues from the failed state under the same ARN and converges with no duplicate resource;
 * a kept failure that is rolled back instead leaves nothing.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it } from 'vitest';
import { rollbackProvisioning } from '../../src/workflow/rollback.ts';
import { type Harness, openHarness, REFERENCE, statesEntered } from './harness.ts';

const KEPT = { ...structuredClone(REFERENCE), onFailure: 'keep' };

async function history(h: Harness, arn: string): Promise<HistoryEvent[]> {
  return h.history(arn);
}

async function startKept(h: Harness, name: string): Promise<string> {
  const started = await h.stack.sfn.startExecution({
    stateMachineArn: h.stack.stateMachineArn('provision-keep'),
    name,
    input: JSON.stringify(KEPT),
  });
  await h.stack.sfn.waitForExecution(started.executionArn, 60_000);
  await h.stack.idle();
  return started.executionArn;
}

describe('onFailure: keep, then RedriveExecution', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('fails at the failing Task past its retries, keeps what it created, and is not rolled back', async () => {
    // Prepare: AddDnatRule fails 4 times — the first attempt and its 3 retries.
    h = await openHarness({ waitTimeScale: 0, faults: [{ at: 'AddDnatRule', kind: 'transient', times: 4 }] });

    // Act
    const arn = await startKept(h, 'kept-1');

    // Assess
    const described = await h.stack.sfn.describeExecution(arn);
    expect(described).toMatchObject({
      status: 'FAILED',
      error: 'Natflow.Transient',
      redriveCount: 0,
      redriveStatus: 'REDRIVABLE',
    });
    const events = await history(h, arn);
    expect(statesEntered(events)).not.toContain('Rollback');
    expect(events.filter((e) => e.type === 'LambdaFunctionFailed')).toHaveLength(4);
    const kinds = new Set((await h.resources()).map((r) => r.type));
    expect(kinds).toEqual(
      new Set([
        'vpc',
        'subnet',
        'server',
        'security-group',
        'backend-group',
        'load-balancer',
        'listener',
        'transit-ip',
        'private-nat-gateway',
      ]),
    );
  });

  it('redrives from the failed state after the fault is fixed and converges with no duplicates', async () => {
    // Prepare
    h = await openHarness({ waitTimeScale: 0, faults: [{ at: 'AddDnatRule', kind: 'transient', times: 4 }] });
    const arn = await startKept(h, 'kept-2');
    const before = await h.resources();
    const eventsBefore = (await history(h, arn)).length;
    h.stack.tasks.setFaults([]);

    // Act
    const { redriveDate } = await h.stack.sfn.redriveExecution(arn);
    const described = await h.stack.sfn.waitForExecution(arn, 60_000);
    await h.stack.idle();

    // Assess
    expect(described).toMatchObject({ executionArn: arn, status: 'SUCCEEDED', redriveCount: 1 });
    expect(described.redriveDate?.getTime()).toBe(redriveDate.getTime());
    expect(described.redriveStatus).toBe('NOT_REDRIVABLE');
    expect(described.redriveStatusReason).toBe('Execution is SUCCEEDED and cannot be redriven');
    const events = await history(h, arn);
    const redriven = events.find((e) => e.type === 'ExecutionRedriven');
    expect(redriven).toMatchObject({
      id: eventsBefore + 1,
      executionRedrivenEventDetails: { redriveCount: 1 },
    });
    // It continued at the failed top-level state: nothing before AddRules ran again.
    const after = statesEntered(events.slice(eventsBefore));
    expect(after[0]).toBe('AddRules');
    expect(after).not.toContain('ValidatePlan');
    expect(after).not.toContain('CreateNetworks');
    expect(after).not.toContain('ProvisionInParallel');
    // Everything created once: the resources of the first attempt, plus the rules.
    const resources = await h.resources();
    const ids = resources.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const resource of before) expect(ids).toContain(resource.id);
    expect(resources.filter((r) => r.type === 'dnat-rule')).toHaveLength(1);
    const perName = new Map<string, number>();
    for (const r of resources)
      perName.set(`${r.type}:${r.name}`, (perName.get(`${r.type}:${r.name}`) ?? 0) + 1);
    expect([...perName.values()].every((n) => n === 1)).toBe(true);
  });

  it('a redrive that fails again is redrivable again, and counts', async () => {
    // Prepare: a permanent fault, never fixed.
    h = await openHarness({ faults: [{ at: 'CreateLoadBalancer', kind: 'permanent' }] });
    const arn = await startKept(h, 'kept-3');

    // Act
    await h.stack.sfn.redriveExecution(arn);
    await h.stack.sfn.waitForExecution(arn, 60_000);
    await h.stack.idle();
    await h.stack.sfn.redriveExecution(arn);
    const described = await h.stack.sfn.waitForExecution(arn, 60_000);

    // Assess: the whole failed Parallel reran each time (locally), from ProvisionInParallel.
    expect(described).toMatchObject({ status: 'FAILED', redriveCount: 2, redriveStatus: 'REDRIVABLE' });
    const events = await history(h, arn);
    expect(events.filter((e) => e.type === 'ExecutionRedriven')).toHaveLength(2);
    const reentered = statesEntered(events).filter((name) => name === 'ProvisionInParallel');
    expect(reentered).toHaveLength(3);
    expect(statesEntered(events).filter((name) => name === 'CreateNetworks')).toHaveLength(1);
  });

  it.each([
    { status: 'RUNNING', reason: 'Execution is RUNNING and cannot be redriven' },
    { status: 'SUCCEEDED', reason: 'Execution is SUCCEEDED and cannot be redriven' },
  ])('refuses a $status execution with ExecutionNotRedrivable', async ({ status, reason }) => {
    // Prepare
    process.env.NATFLOW_PROVISIONING_DELAY_MS = status === 'RUNNING' ? '60000' : '0';
    try {
      h = await openHarness({ waitTimeScale: status === 'RUNNING' ? 0.01 : 0 });
      const started = await h.stack.sfn.startExecution({
        stateMachineArn: h.stack.stateMachineArn('provision-keep'),
        name: `kept-${status}`,
        input: JSON.stringify(KEPT),
      });
      if (status === 'SUCCEEDED') await h.stack.sfn.waitForExecution(started.executionArn, 60_000);

      // Act
      const attempt = h.stack.sfn.redriveExecution(started.executionArn);

      // Assess
      await expect(attempt).rejects.toMatchObject({ name: 'ExecutionNotRedrivable' });
      await expect(attempt).rejects.toThrow(reason);
      if (status === 'RUNNING') await h.stack.sfn.stopExecution(started.executionArn);
    } finally {
      delete process.env.NATFLOW_PROVISIONING_DELAY_MS;
    }
  });

  it('a kept failure that is rolled back instead leaves no resource', async () => {
    // Prepare
    h = await openHarness({ waitTimeScale: 0, faults: [{ at: 'AddDnatRule', kind: 'transient', times: 4 }] });
    const arn = await startKept(h, 'kept-4');
    expect((await h.resources()).length).toBeGreaterThan(0);

    // Act: the rollback the runtime runs today for a stopped provisioning.
    const { ControlPlane } = await import('../../src/cloud/control-plane.ts');
    await rollbackProvisioning(new ControlPlane({ store: h.stack.store }), h.stack.store, arn);

    // Assess
    expect(await h.resources()).toEqual([]);
  });

  it('a stopped kept provisioning is ABORTED and keeps its resources (the status-change rollback skips it)', async () => {
    // Prepare
    process.env.NATFLOW_PROVISIONING_DELAY_MS = '60000';
    try {
      h = await openHarness({ waitTimeScale: 0.01 });
      const started = await h.stack.sfn.startExecution({
        stateMachineArn: h.stack.stateMachineArn('provision-keep'),
        name: 'kept-stopped',
        input: JSON.stringify(KEPT),
      });
      for (let i = 0; i < 200 && (await h.resources()).length === 0; i++)
        await new Promise((done) => setTimeout(done, 10));

      // Act
      await h.stack.sfn.stopExecution(started.executionArn);
      await h.stack.tasks.settle(started.executionArn);
      await h.stack.idle();

      // Assess
      expect((await h.stack.sfn.describeExecution(started.executionArn)).status).toBe('ABORTED');
      expect((await h.resources()).length).toBeGreaterThan(0);
    } finally {
      delete process.env.NATFLOW_PROVISIONING_DELAY_MS;
    }
  });
});
