/**
 * The rollback workflow (statemachines/rollback.asl.json) on the local runtime: started with the
 * "Execution Status Change" detail of a provisioning, it deletes the execution's ledger — unless the plan
 * said `onFailure: keep`, which only an explicit (forced) rollback overrides. The end-to-end path (a
 * stopped provisioning → the event → this workflow → nothing left) is in faults.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ControlPlane } from '../../src/cloud/control-plane.ts';
import { type Harness, openHarness, statesEntered } from './harness.ts';

const EXECUTION = 'arn:aws:states:us-east-1:123456789012:execution:natflow-provision-dev:stopped-1';
const PROVISION_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:natflow-provision-dev';
const KEEP_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:natflow-provision-keep-dev';

let h: Harness | undefined;

afterEach(async () => {
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
      'DeletionsPending',
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

  it('rolls back when the event carries no input', async () => {
    h = await withLedger();
    const run = await runRollback(h, { executionArn: EXECUTION, status: 'TIMED_OUT' });
    expect(run.states).toEqual([
      'IsForced',
      'IsKeepMachine',
      'HasInput',
      'RollbackExecution',
      'DeletionsPending',
      'RolledBack',
    ]);
    expect(await h.resources()).toEqual([]);
  });
});
