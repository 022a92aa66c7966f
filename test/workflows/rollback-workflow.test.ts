/**
 * The rollback workflow (statemachines/rollback.asl.json) on the local runtime: started with the
 * "Execution Status Change" detail of a provisioning, it deletes the execution's ledger — unless the plan
 * said `onFailure: keep`, which only an explicit (forced) rollback overrides. The end-to-end path (a
 * stopped provisioning → the event → this workflow → nothing left) is in faults.test.ts.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ControlPlane } from '../../src/cloud/control-plane.ts';
import { type Harness, openHarness, statesEntered } from './harness.ts';

const EXECUTION = 'arn:aws:states:us-east-1:123456789012:execution:natflow-provision-dev:stopped-1';
const PROVISION_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:natflow-provision-dev';
const KEEP_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:natflow-provision-keep-dev';

let h: Harness | undefined;

afterEach(async () => {
  vi.unstubAllEnvs();
  await h?.close();
  h = undefined;
});

/** A harness whose store holds a VPC and a subnet created by EXECUTION. */
async function withLedger(): Promise<Harness> {
  const harness = await openHarness();
  const cloud = new ControlPlane({ store: harness.stack.store });
  const ctx = { plan: 'kept-or-not', execution: EXECUTION };
  const vpc = await cloud.createVpc({ name: 'VPC-A', cidr: '192.168.0.0/16' }, ctx);
  await cloud.createSubnet({ name: 'subnet-A01', vpcId: vpc.id, cidr: '192.168.0.0/24' }, ctx);
  return harness;
}

async function runRollback(harness: Harness, input: unknown) {
  const started = await harness.stack.sfn.startExecution({
    stateMachineArn: harness.stack.stateMachineArn('rollback' as never),
    input: JSON.stringify(input),
  });
  const described = await harness.stack.sfn.waitForExecution(started.executionArn, 60_000);
  return { status: described.status, states: statesEntered(await harness.history(started.executionArn)) };
}

const statusChange = (plan: Record<string, unknown>, stateMachineArn = PROVISION_MACHINE) => ({
  executionArn: EXECUTION,
  stateMachineArn,
  status: 'ABORTED',
  input: JSON.stringify(plan),
});

describe('the rollback workflow', () => {
  it('deletes the ledger of a stopped provisioning, reporting nothing pending', async () => {
    h = await withLedger();
    const run = await runRollback(h, statusChange({ name: 'kept-or-not' }));
    expect(run.status).toBe('SUCCEEDED');
    expect(run.states).toEqual([
      'IsForced',
      'IsKeepMachine',
      'HasInput',
      'ReadPlan',
      'IsKept',
      'RollbackExecution',
      'RollbackEnded',
      'RolledBack',
    ]);
    expect(await h.resources()).toEqual([]);
  });

  it('skips a provisioning whose plan said onFailure: keep', async () => {
    h = await withLedger();
    const run = await runRollback(h, statusChange({ name: 'kept-or-not', onFailure: 'keep' }));
    expect(run.status).toBe('SUCCEEDED');
    expect(run.states).toContain('KeptForRedrive');
    expect(run.states).not.toContain('RollbackExecution');
    expect(await h.resources()).toHaveLength(2);
  });

  it('skips an execution of provision-keep whatever its input says (the status-change rule covers that machine too)', async () => {
    h = await withLedger();
    const run = await runRollback(h, statusChange({ name: 'kept-or-not' }, KEEP_MACHINE));
    expect(run.status).toBe('SUCCEEDED');
    expect(run.states).toEqual(['IsForced', 'IsKeepMachine', 'KeptForRedrive']);
    expect(await h.resources()).toHaveLength(2);
  });

  it('does not take a machine whose name merely contains provision for provision-keep', async () => {
    h = await withLedger();
    const other = PROVISION_MACHINE.replace('natflow-provision-dev', 'natflow-provision-keeper');
    const run = await runRollback(h, statusChange({ name: 'kept-or-not' }, other));
    expect(run.states).toContain('RollbackExecution');
    expect(await h.resources()).toEqual([]);
  });

  it('rolls a kept provisioning back when forced (natflow executions rollback)', async () => {
    h = await withLedger();
    const run = await runRollback(h, { executionArn: EXECUTION, force: true });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.states[0]).toBe('IsForced');
    expect(run.states).toContain('RollbackExecution');
    expect(await h.resources()).toEqual([]);
  });

  it('ends FAILED with ROLLBACK_INCOMPLETE, listing what is left, when the cloud holding it is down', async () => {
    // Prepare: EXECUTION's VPC recorded in a Huawei Cloud account nothing answers for.
    // Port 1 on loopback: nothing listens there, every connection is refused.
    vi.stubEnv('HUAWEICLOUD_ENDPOINT', 'http://127.0.0.1:1');
    vi.stubEnv('HUAWEICLOUD_SDK_AK', 'AK');
    vi.stubEnv('HUAWEICLOUD_SDK_SK', 'SK');
    vi.stubEnv('HUAWEICLOUD_SDK_PROJECT_ID', 'project');
    h = await openHarness();
    const vpc = await new ControlPlane({ store: h.stack.store }).createVpc(
      { name: 'VPC-A', cidr: '192.168.0.0/16' },
      { plan: 'p', execution: EXECUTION },
    );
    await h.stack.store.transaction([vpc.id], (tx) =>
      tx.update({ ...vpc, cloud: 'huaweicloud', externalId: 'b1c3e1a2-0000-4000-8000-000000000001' }),
    );

    // Act
    const started = await h.stack.sfn.startExecution({
      stateMachineArn: h.stack.stateMachineArn('rollback' as never),
      input: JSON.stringify({ executionArn: EXECUTION, force: true }),
    });
    const described = await h.stack.sfn.waitForExecution(started.executionArn, 60_000);

    // Assess: the resource stays recorded, and the cause says what is left and why.
    expect(described).toMatchObject({ status: 'FAILED', error: 'ROLLBACK_INCOMPLETE' });
    expect(JSON.parse(described.cause ?? '{}')).toEqual({
      code: 'ROLLBACK_INCOMPLETE',
      message: expect.stringContaining('left 1 resource(s) behind'),
      rollback: {
        status: 'INCOMPLETE',
        leftBehind: [
          {
            kind: 'vpc',
            name: 'VPC-A',
            externalId: 'b1c3e1a2-0000-4000-8000-000000000001',
            cloudStatus: 'ACTIVE',
            error: expect.stringMatching(/^CLOUD_UNAVAILABLE: .*ECONNREFUSED/),
          },
        ],
      },
    });
    expect(statesEntered(await h.history(started.executionArn))).toContain('RollbackIncomplete');
    expect((await h.resources()).map((r) => r.id)).toEqual([vpc.id]);
  });

  it('what a rollback left behind stays recorded to its plan: natflow teardown PLAN removes it', async () => {
    // Prepare: EXECUTION's resources, recorded to plan kept-or-not, which was never recorded as provisioned.
    h = await withLedger();
    expect(await h.stack.store.getPlan('kept-or-not')).toBeUndefined();

    // Act
    const run = await h.run('teardown', { plan: 'kept-or-not' });

    // Assess
    expect(run.status, run.cause).toBe('SUCCEEDED');
    expect(await h.resources()).toEqual([]);
  });

  it('rolls back when the event carries no input', async () => {
    h = await withLedger();
    const run = await runRollback(h, { executionArn: EXECUTION, status: 'TIMED_OUT' });
    expect(run.states).toEqual([
      'IsForced',
      'IsKeepMachine',
      'HasInput',
      'RollbackExecution',
      'RollbackEnded',
      'RolledBack',
    ]);
    expect(await h.resources()).toEqual([]);
  });
});
