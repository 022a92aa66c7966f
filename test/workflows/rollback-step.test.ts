/**
 * One turn of the rollback loop: what it deleted, what is left, and whether the workflow should wait and
 * run it again (`pending`), bounded by MAX_ROLLBACK_ATTEMPTS; once it ends, how (`status`) and what it
 * left behind, each resource with the error that kept it (docs/real-cloud.md#failure).
 */
import { describe, expect, it } from 'vitest';
import type { Cloud } from '../../src/cloud/cloud.ts';
import { ControlPlane, externalIdOf } from '../../src/cloud/control-plane.ts';
import { CloudAuthFailedError, TransientError } from '../../src/cloud/errors.ts';
import { MemoryStore } from '../../src/cloud/memory-store.ts';
import { MAX_ROLLBACK_ATTEMPTS, MAX_STALLED_TURNS, rollbackTurn } from '../../src/workflow/rollback-step.ts';

/** The control plane, except that deleting `failing` ids throws what `fail()` returns. */
function failingCloud(inner: ControlPlane, failing: (id: string) => boolean, fail: () => Error): Cloud {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'destroy')
        return async (id: string) => {
          if (failing(id)) throw fail();
          return target.destroy(id);
        };
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as Cloud;
}

/** exec-1's VPC and subnet, recorded as a real cloud's (the VPC's id confirmed, the subnet an intent). */
async function realLedger() {
  const store = new MemoryStore();
  const cloud = new ControlPlane({ store });
  const vpc = await cloud.createVpc(
    { name: 'VPC-A', cidr: '192.168.0.0/16' },
    { plan: 'a', execution: 'exec-1' },
  );
  const subnet = await cloud.createSubnet(
    { name: 'subnet-A', vpcId: vpc.id, cidr: '192.168.0.0/24' },
    { plan: 'a', execution: 'exec-1' },
  );
  await store.transaction([vpc.id, subnet.id], async (tx) => {
    await tx.update({ ...vpc, cloud: 'huaweicloud', externalId: 'vpc-0001-hw' });
    await tx.update({ ...subnet, cloud: 'huaweicloud', externalId: externalIdOf(subnet.id) });
  });
  return { store, cloud, vpc, subnet };
}

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
    expect(turn).toEqual({ deleted: [own.id], remaining: [vpc.id], attempt: 1, stalls: 0, pending: true });
  });

  it('the last turn (the workflow gave up waiting) asks for no other and tells what is left', async () => {
    // Prepare: a resource another plan still references cannot go.
    const { store, cloud, vpc, own } = await blockedLedger();

    // Act: a first turn, as RollbackGaveUp runs it.
    const turn = await rollbackTurn(cloud, store, 'exec-1', 0, 0, true);

    // Assess: what it could delete is gone; no further turn; INCOMPLETE with what is left.
    expect(turn).toMatchObject({ deleted: [own.id], remaining: [vpc.id], attempt: 1, pending: false });
    expect(turn).toMatchObject({ status: 'INCOMPLETE', leftBehind: [{ kind: 'vpc', name: 'VPC-A' }] });
  });

  it(`stops asking for another turn after ${MAX_ROLLBACK_ATTEMPTS} attempts, listing what is left`, async () => {
    const { store, cloud, vpc } = await blockedLedger();
    const turn = await rollbackTurn(cloud, store, 'exec-1', MAX_ROLLBACK_ATTEMPTS - 1);
    expect(turn).toMatchObject({ remaining: [vpc.id], attempt: MAX_ROLLBACK_ATTEMPTS, pending: false });
    expect(turn).toMatchObject({
      status: 'INCOMPLETE',
      leftBehind: [{ kind: 'vpc', name: 'VPC-A', externalId: vpc.externalId, cloudStatus: 'ACTIVE' }],
    });
  });

  it('reports nothing pending once the ledger is empty', async () => {
    const store = new MemoryStore();
    const cloud = new ControlPlane({ store });
    await cloud.createVpc({ name: 'VPC-A', cidr: '192.168.0.0/16' }, { execution: 'exec-1' });
    expect(await rollbackTurn(cloud, store, 'exec-1')).toMatchObject({
      remaining: [],
      pending: false,
      attempt: 1,
      status: 'COMPLETE',
      leftBehind: [],
    });
    expect(await store.list()).toEqual([]);
  });

  it('keeps going while an unreachable cloud fails each deletion, then gives up INCOMPLETE, each error told', async () => {
    // Prepare: every deletion fails as a refused connection does.
    const { store, cloud, vpc, subnet } = await realLedger();
    const down = failingCloud(
      cloud,
      () => true,
      () =>
        new TransientError(
          'Huawei Cloud is unavailable or throttling — VPC DeleteSubnet: connect ECONNREFUSED',
        ),
    );

    // Act: the turns the workflow would run, each after a Wait.
    const turns = [];
    let previous = { attempt: 0, stalls: 0 };
    for (let i = 0; i < MAX_STALLED_TURNS; i++) {
      const turn = await rollbackTurn(down, store, 'exec-1', previous.attempt, previous.stalls);
      turns.push(turn);
      previous = turn;
    }

    // Assess: the first turns ask for another; the last gives up, naming what is left and why.
    expect(turns.map((t) => [t.pending, t.stalls])).toEqual([
      [true, 1],
      [true, 2],
      [false, 3],
    ]);
    const last = turns.at(-1);
    expect(last?.status).toBe('INCOMPLETE');
    const byKind = (a: { kind: string }, b: { kind: string }) => b.kind.localeCompare(a.kind);
    expect([...(last?.leftBehind ?? [])].sort(byKind)).toEqual([
      {
        kind: 'vpc',
        name: 'VPC-A',
        externalId: 'vpc-0001-hw',
        cloudStatus: 'ACTIVE',
        error: expect.stringMatching(/^CLOUD_UNAVAILABLE: .*ECONNREFUSED/),
      },
      // An intent the cloud never confirmed: no id of the cloud's to give, no status read from it.
      { kind: 'subnet', name: 'subnet-A', error: expect.stringMatching(/^CLOUD_UNAVAILABLE: /) },
    ]);
    expect((await store.list()).map((r) => r.id).sort()).toEqual([vpc.id, subnet.id].sort());
  });

  it('gives up at once when the cloud refuses the deletions (wrong keys): no retry changes that', async () => {
    const { store, cloud } = await realLedger();
    const refused = failingCloud(
      cloud,
      () => true,
      () =>
        new CloudAuthFailedError(
          'Huawei Cloud refused the credentials — VPC DeleteSubnet: APIGW.0301 (HTTP 401)',
        ),
    );
    const turn = await rollbackTurn(refused, store, 'exec-1');
    expect(turn).toMatchObject({ pending: false, stalls: 1, status: 'INCOMPLETE' });
    expect(turn.leftBehind?.map((r) => r.error)).toEqual([
      expect.stringMatching(/^CLOUD_AUTH_FAILED: /),
      expect.stringMatching(/^CLOUD_AUTH_FAILED: /),
    ]);
  });

  it('counts stalled turns in a row, and ends COMPLETE once the cloud is back', async () => {
    // Prepare: the subnet's deletion fails once; the VPC is blocked by it meanwhile.
    const { store, cloud, subnet } = await realLedger();
    let failures = 1;
    const flaky = failingCloud(
      cloud,
      (id) => id === subnet.id && failures-- > 0,
      () => new TransientError('dropped'),
    );

    // Act: after one stalled turn already.
    const first = await rollbackTurn(flaky, store, 'exec-1', 1, 1);
    const second = await rollbackTurn(flaky, store, 'exec-1', first.attempt, first.stalls);

    // Assess: the first turn stalled again (nothing deleted), below the limit; the second deleted all.
    expect(first).toMatchObject({ pending: true, stalls: 2, deleted: [] });
    expect(second).toMatchObject({ pending: false, stalls: 0, status: 'COMPLETE', leftBehind: [] });
    expect(await store.list()).toEqual([]);
  });
});
