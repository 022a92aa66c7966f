/**
 * Fault injection at every provisioning step (the runtime's test-only switch): a permanent fault — before
 * the step's handler ran, or after it ran and created its resources — ends the execution FAILED with zero
 * orphans; a transient fault (`Natflow.Transient`) is retried with backoff and the execution SUCCEEDS.
 * Also: a stopped execution and one left RUNNING by a dead process are closed and rolled back.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, openHarness, REFERENCE, statesEntered } from './harness.ts';

interface AslState {
  Type: string;
  Resource?: unknown;
  Branches?: { States: Record<string, AslState> }[];
}

/** Every Task state of the provision workflow that creates or changes something, read from the ASL. */
function provisionTaskStates(): string[] {
  const definition = JSON.parse(
    readFileSync(join(import.meta.dirname, '../../statemachines/provision.asl.json'), 'utf8'),
  ) as {
    States: Record<string, AslState>;
  };
  const names: string[] = [];
  const walk = (states: Record<string, AslState>) => {
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === 'Task') names.push(name);
      for (const branch of state.Branches ?? []) walk(branch.States);
    }
  };
  walk(definition.States);
  return names.filter((name) => !['Rollback', 'RollbackGaveUp', 'PublishProvisioningFailed'].includes(name));
}

const STEPS = provisionTaskStates();

describe('fault injection at every provisioning step', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('covers every Task state of the workflow', () => {
    expect(STEPS).toEqual(
      expect.arrayContaining([
        'ValidatePlan',
        'CreateNetworks',
        'CreateLoadBalancer',
        'CreatePrivateNatGateway',
        'AddDnatRule',
        'VerifyConnectivity',
        'PublishProvisioningSucceeded',
      ]),
    );
  });

  it.each(
    STEPS.flatMap((at) => [
      { at, when: 'before' as const },
      { at, when: 'after' as const },
    ]),
  )('a permanent fault $when $at fails the execution with zero orphans', async ({ at, when }) => {
    // Prepare
    h = await openHarness({ faults: [{ at, kind: 'permanent', when }] });

    // Act
    const run = await h.run('provision', REFERENCE);

    // Assess
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('Natflow.InjectedFault');
    expect(run.cause).toContain(at);
    expect(statesEntered(run.history)).toContain('Rollback');
    expect(await h.resources()).toEqual([]);
    expect(h.stack.tasks.inFlight()).toBe(0);
  });

  it.each(STEPS)('a transient fault at %s is retried and the execution succeeds', async (at) => {
    // Prepare: two failed attempts, then success (the ASL allows three).
    // The time knob zeroes the Retry pauses: this is about what is retried, not when.
    h = await openHarness({ waitTimeScale: 0, faults: [{ at, kind: 'transient', times: 2 }] });

    // Act
    const run = await h.run('provision', REFERENCE);

    // Assess
    expect(run.status, run.cause).toBe('SUCCEEDED');
    const failures = run.history.filter((e) => e.type === 'LambdaFunctionFailed');
    expect(failures).toHaveLength(2);
    expect(failures.every((e) => e.lambdaFunctionFailedEventDetails?.error === 'Natflow.Transient')).toBe(
      true,
    );
    expect(statesEntered(run.history)).not.toContain('Rollback');
  });

  it('a transient fault that outlasts the retries fails the execution CLOUD_UNAVAILABLE and rolls back', async () => {
    h = await openHarness({
      waitTimeScale: 0,
      faults: [{ at: 'AddDnatRule', kind: 'transient', times: 10 }],
    });
    const run = await h.run('provision', REFERENCE);
    // A retry signal is never an execution's error: the one it ends with once given up on is a code.
    expect(run).toMatchObject({ status: 'FAILED', error: 'CLOUD_UNAVAILABLE' });
    expect(JSON.parse(run.cause ?? '{}')).toMatchObject({
      code: 'CLOUD_UNAVAILABLE',
      message: expect.stringContaining('injected transient fault'),
      rollback: { status: 'COMPLETE', leftBehind: [] },
    });
    // MaxAttempts 3: the first attempt and three retries.
    expect(run.history.filter((e) => e.type === 'LambdaFunctionFailed')).toHaveLength(4);
    expect(await h.resources()).toEqual([]);
  });
});

describe('executions that do not finish', () => {
  const delay = process.env.NATFLOW_PROVISIONING_DELAY_MS;
  afterEach(() => {
    if (delay === undefined) delete process.env.NATFLOW_PROVISIONING_DELAY_MS;
    else process.env.NATFLOW_PROVISIONING_DELAY_MS = delay;
  });

  async function untilGatewayExists(h: Harness): Promise<void> {
    for (let i = 0; i < 200; i++) {
      if ((await h.stack.store.list({ type: 'private-nat-gateway' })).length > 0) return;
      await new Promise((done) => setTimeout(done, 10));
    }
    throw new Error('the gateway was never created');
  }

  it('a stopped provisioning is ABORTED and the rollback workflow its status-change event starts deletes what it created', async () => {
    // Prepare: gateways stay PENDING for a minute, so the workflow polls in its Wait loop.
    process.env.NATFLOW_PROVISIONING_DELAY_MS = '60000';
    const h = await openHarness({ waitTimeScale: 0.01 });
    try {
      const arn = await h.start('provision', REFERENCE);
      await untilGatewayExists(h);
      expect((await h.resources()).length).toBeGreaterThan(5);

      // Act
      await h.stack.sfn.stopExecution(arn, { error: 'Stopped', cause: 'test' });
      await h.stack.idle();

      // Assess: the event AWS would put on the default bus, and the rollback execution it started.
      expect((await h.stack.sfn.describeExecution(arn)).status).toBe('ABORTED');
      const change = h.stack.bus.list({ source: 'aws.states' }).find((e) => e.detail.executionArn === arn);
      expect(change?.['detail-type']).toBe('Step Functions Execution Status Change');
      expect(change?.detail).toMatchObject({
        status: 'ABORTED',
        stateMachineArn: h.stack.stateMachineArn('provision'),
      });
      const rollbacks = await h.stack.sfn.listExecutions({
        stateMachineArn: h.stack.stateMachineArn('rollback'),
      });
      expect(rollbacks.executions?.map((e) => e.status)).toEqual(['SUCCEEDED']);
      expect(await h.resources()).toEqual([]);
    } finally {
      await h.close();
    }
  });

  it('an execution left RUNNING by a dead process is closed FAILED and rolled back on restart', async () => {
    // Prepare: a stack that "dies" (closes without finishing) in the middle of a provisioning.
    process.env.NATFLOW_PROVISIONING_DELAY_MS = '60000';
    const first = await openHarness({ waitTimeScale: 0.01 });
    const arn = await first.start('provision', REFERENCE);
    await untilGatewayExists(first);
    await first.stack.close();
    delete process.env.NATFLOW_PROVISIONING_DELAY_MS;

    // Act
    const second = await openHarness({}, first.dataDir);
    try {
      // Assess
      expect(second.stack.recovered.map((e) => e.executionArn)).toEqual([arn]);
      const described = await second.stack.sfn.describeExecution(arn);
      expect(described.status).toBe('FAILED');
      expect(await second.resources()).toEqual([]);
      // Re-running the plan converges from a clean slate.
      const rerun = await second.run('provision', REFERENCE);
      expect(rerun.status, rerun.cause).toBe('SUCCEEDED');
    } finally {
      await second.close();
      await first.close();
    }
  });
});
