/**
 * One turn of the rollback loop: what it deleted, what is left, and whether the workflow should wait and
 * run it again (`pending`), bounded by MAX_ROLLBACK_ATTEMPTS.
 */
import { describe, expect, it } from 'vitest';
import { ControlPlane } from '../../src/cloud/control-plane.ts';
import { MemoryStore } from '../../src/cloud/memory-store.ts';
import { MAX_ROLLBACK_ATTEMPTS, rollbackTurn } from '../../src/workflow/rollback-step.ts';

async function blockedLedger() {
  const store = new MemoryStore();
  const cloud = new ControlPlane({ store });
  // exec-1 created the VPC; another plan's subnet (exec-2) still references it.
  const vpc = await cloud.createVpc(
    { name: 'VPC-A', cidr: '192.168.0.0/16' },
    { plan: 'a', execution: 'exec-1' },
  );
  const own = await cloud.createSubnet(
    { name: 'subnet-own', vpcId: vpc.id, cidr: '192.168.0.0/24' },
    { plan: 'a', execution: 'exec-1' },
  );
  await cloud.createSubnet(
    { name: 'subnet-b', vpcId: vpc.id, cidr: '192.168.1.0/24' },
    { plan: 'b', execution: 'exec-2' },
  );
  return { store, cloud, vpc, own };
}

describe('Function: rollbackTurn', () => {
  it('deletes what it can and reports a still-referenced resource as pending', async () => {
    const { store, cloud, vpc, own } = await blockedLedger();
    const turn = await rollbackTurn(cloud, store, 'exec-1');
    expect(turn).toEqual({ deleted: [own.id], remaining: [vpc.id], attempt: 1, pending: true });
  });

  it(`stops asking for another turn after ${MAX_ROLLBACK_ATTEMPTS} attempts, listing what is left`, async () => {
    const { store, cloud, vpc } = await blockedLedger();
    const turn = await rollbackTurn(cloud, store, 'exec-1', MAX_ROLLBACK_ATTEMPTS - 1);
    expect(turn).toMatchObject({ remaining: [vpc.id], attempt: MAX_ROLLBACK_ATTEMPTS, pending: false });
  });

  it('reports nothing pending once the ledger is empty', async () => {
    const store = new MemoryStore();
    const cloud = new ControlPlane({ store });
    await cloud.createVpc({ name: 'VPC-A', cidr: '192.168.0.0/16' }, { execution: 'exec-1' });
    expect(await rollbackTurn(cloud, store, 'exec-1')).toMatchObject({
      remaining: [],
      pending: false,
      attempt: 1,
    });
    expect(await store.list()).toEqual([]);
  });
});
