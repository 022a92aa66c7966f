/**
 * The copy-on-write overlay store (src/cloud/overlay-store.ts): unit cases for what only an overlay has
 * (a base that is never written, keys and references across both layers, `changes()`), and a property:
 * any sequence of writes on an overlay over a seeded base is observed exactly as the same writes on a
 * full copy of that base — the MemoryStore the dry run used to copy the store into.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/cloud/memory-store.ts';
import { OverlayStore } from '../../src/cloud/overlay-store.ts';
import type { Resource } from '../../src/cloud/resources.ts';
import { keys, type Store, type StoreReader, UniqueKeyViolation } from '../../src/cloud/store.ts';
import { openSqliteStore } from '../../src/store/sqlite.ts';
import { fixtures } from '../store/contract.ts';

const portKey = (port: number) => keys.dnatPort('tip-1', 'tcp', port);

async function seeded(base: Store): Promise<void> {
  await base.transaction([], async (tx) => {
    await tx.insert(fixtures.vpc('vpc-1'), { keys: [], refs: [] });
    await tx.insert(fixtures.subnet('subnet-1', 'vpc-1'), { keys: [], refs: ['vpc-1'] });
    await tx.insert(fixtures.transitIp('tip-1', 'subnet-1'), { keys: [], refs: ['subnet-1'] });
    await tx.insert(fixtures.dnatRule('dnat-80', 'tip-1', 80), { keys: [portKey(80)], refs: ['tip-1'] });
    await tx.putPlan({ name: 'plan-a', document: { v: 1 }, execution: 'exec-1', updatedAt: 'T0' });
  });
}

/** Everything a reader can observe, for the given ids and keys. */
async function observe(store: StoreReader, ids: readonly string[], keyPool: readonly string[]) {
  const sortedIds = (rs: Resource[]) => rs.map((r) => r.id).sort();
  return {
    list: (await store.list()).map((r) => r.id),
    rules: (await store.list({ type: 'dnat-rule' })).map((r) => r.id),
    planA: (await store.list({ plan: 'plan-a' })).map((r) => r.id),
    get: await Promise.all(ids.map((id) => store.get(id))),
    byKey: await Promise.all(keyPool.map(async (k) => (await store.getByKey(k))?.id ?? null)),
    referrers: await Promise.all(ids.map(async (id) => sortedIds(await store.referrers(id)))),
    plans: await store.listPlans(),
  };
}

describe('Module: OverlayStore', () => {
  it('reads the base, writes only to itself, and reports what it changed', async () => {
    // Prepare
    const base = openSqliteStore(':memory:');
    await seeded(base);
    const overlay = new OverlayStore(base);
    // Act
    await overlay.transaction([], async (tx) => {
      await tx.insert(fixtures.dnatRule('dnat-81', 'tip-1', 81), { keys: [portKey(81)], refs: ['tip-1'] });
      await tx.update({ ...fixtures.vpc('vpc-1'), status: 'FROZEN' });
      await tx.remove('dnat-80');
      await tx.putPlan({ name: 'plan-b', document: {}, execution: null, updatedAt: 'T1' });
      await tx.removePlan('plan-a');
    });
    // Assess: the overlay sees the writes, across both layers…
    expect((await overlay.get('vpc-1'))?.status).toBe('FROZEN');
    expect(await overlay.get('dnat-80')).toBeUndefined();
    expect(await overlay.getByKey(portKey(80))).toBeUndefined();
    expect((await overlay.getByKey(portKey(81)))?.id).toBe('dnat-81');
    expect((await overlay.referrers('tip-1')).map((r) => r.id)).toEqual(['dnat-81']);
    expect((await overlay.listPlans()).map((p) => p.name)).toEqual(['plan-b']);
    // …the base none of them…
    expect((await base.get('vpc-1'))?.status).toBe('ACTIVE');
    expect((await base.getByKey(portKey(80)))?.id).toBe('dnat-80');
    expect(await base.get('dnat-81')).toBeUndefined();
    expect((await base.listPlans()).map((p) => p.name)).toEqual(['plan-a']);
    // …and changes() lists them.
    const changes = overlay.changes();
    expect(changes.created.map((r) => r.id)).toEqual(['dnat-81']);
    expect(changes.updated.map((r) => [r.id, r.status])).toEqual([['vpc-1', 'FROZEN']]);
    expect(changes.removed).toEqual(['dnat-80']);
    expect(changes.plansPut.map((p) => p.name)).toEqual(['plan-b']);
    expect(changes.plansRemoved).toEqual(['plan-a']);
    await overlay.close();
    // Closing the overlay leaves the base open.
    expect(await base.get('vpc-1')).toBeDefined();
    await base.close();
  });

  it('refuses a key a base resource holds, with the holder, and an id the base has', async () => {
    const base = new MemoryStore();
    await seeded(base);
    const overlay = new OverlayStore(base);
    const clash = overlay.transaction([], (tx) =>
      tx.insert(fixtures.dnatRule('dnat-x', 'tip-1', 80), { keys: [portKey(80)], refs: ['tip-1'] }),
    );
    await expect(clash).rejects.toMatchObject({
      name: 'UniqueKeyViolation',
      key: portKey(80),
      holderId: 'dnat-80',
    });
    const sameId = overlay.transaction([], (tx) => tx.insert(fixtures.vpc('vpc-1'), { keys: [], refs: [] }));
    await expect(sameId).rejects.toBeInstanceOf(UniqueKeyViolation);
    expect(overlay.changes().created).toEqual([]);
  });

  it('frees a base resource’s keys when it is removed, and takes them over on re-insert', async () => {
    const base = new MemoryStore();
    await seeded(base);
    const overlay = new OverlayStore(base);
    await overlay.transaction([], async (tx) => {
      await tx.remove('dnat-80');
      // The same id again, holding another key: the base's key stays free.
      await tx.insert(fixtures.dnatRule('dnat-80', 'tip-1', 8080), {
        keys: [portKey(8080)],
        refs: ['tip-1'],
      });
    });
    expect(await overlay.getByKey(portKey(80))).toBeUndefined();
    expect((await overlay.getByKey(portKey(8080)))?.id).toBe('dnat-80');
    expect(
      (await overlay.get('dnat-80'))?.type === 'dnat-rule' && (await overlay.get('dnat-80')),
    ).toMatchObject({
      transitPort: 8080,
    });
    expect((await overlay.referrers('tip-1')).map((r) => r.id)).toEqual(['dnat-80']);
    expect(overlay.changes()).toMatchObject({ removed: ['dnat-80'], created: [{ id: 'dnat-80' }] });
  });

  it('refuses to update a resource neither layer has, and one it removed', async () => {
    const base = new MemoryStore();
    await seeded(base);
    const overlay = new OverlayStore(base);
    await expect(overlay.transaction([], (tx) => tx.update(fixtures.vpc('vpc-404')))).rejects.toThrow(
      'update of a missing resource vpc-404',
    );
    await overlay.transaction([], (tx) => tx.remove('vpc-1'));
    await expect(overlay.transaction([], (tx) => tx.update(fixtures.vpc('vpc-1')))).rejects.toThrow(
      'update of a missing resource vpc-1',
    );
  });

  it('hands out copies: mutating a result changes neither layer', async () => {
    const base = new MemoryStore();
    await seeded(base);
    const overlay = new OverlayStore(base);
    await overlay.transaction([], (tx) => tx.update({ ...fixtures.vpc('vpc-1'), status: 'FROZEN' }));
    const got = (await overlay.get('vpc-1')) as Resource;
    got.status = 'DELETED' as Resource['status'];
    expect((await overlay.get('vpc-1'))?.status).toBe('FROZEN');
    overlay.changes().updated[0]!.status = 'DELETED' as Resource['status'];
    expect((await overlay.list({ type: 'vpc' }))[0]?.status).toBe('FROZEN');
  });

  it('refuses transactions once closed', async () => {
    const overlay = new OverlayStore(new MemoryStore());
    await overlay.close();
    await expect(overlay.transaction([], async () => 1)).rejects.toThrow('the store is closed');
  });

  // Property: overlay(base) + ops ≡ copy(base) + ops, and base unchanged.
  const ID_POOL = ['vpc-1', 'subnet-1', 'tip-1', 'dnat-80', 'n-1', 'n-2', 'n-3', 'n-4'];
  const KEY_POOL = [portKey(80), portKey(81), portKey(82), keys.lbTarget('elb-1')];
  const op = fc.oneof(
    fc.record({
      kind: fc.constant('insert' as const),
      id: fc.constantFrom(...ID_POOL),
      port: fc.constantFrom(80, 81, 82),
      keys: fc.subarray(KEY_POOL, { maxLength: 2 }),
      refs: fc.subarray(ID_POOL, { maxLength: 3 }),
      createdAt: fc.constantFrom(
        '2026-01-01T00:00:00.000Z',
        '2025-06-01T00:00:00.000Z',
        '2027-01-01T00:00:00.000Z',
      ),
      plan: fc.constantFrom('plan-a', 'plan-b'),
    }),
    fc.record({ kind: fc.constant('update' as const), id: fc.constantFrom(...ID_POOL) }),
    fc.record({ kind: fc.constant('remove' as const), id: fc.constantFrom(...ID_POOL) }),
    fc.record({ kind: fc.constant('putPlan' as const), name: fc.constantFrom('plan-a', 'plan-b') }),
    fc.record({ kind: fc.constant('removePlan' as const), name: fc.constantFrom('plan-a', 'plan-b') }),
  );
  type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;
  const txs = fc.array(fc.record({ ops: fc.array(op, { minLength: 1, maxLength: 4 }), fail: fc.boolean() }), {
    maxLength: 8,
  });

  const apply = async (store: Store, ops: readonly Op[], fail: boolean) => {
    try {
      await store.transaction([], async (tx) => {
        for (const o of ops) {
          if (o.kind === 'insert') {
            await tx.insert(
              fixtures.dnatRule(o.id, 'tip-1', o.port, { createdAt: o.createdAt, plan: o.plan }),
              {
                keys: o.keys,
                refs: o.refs,
              },
            );
          } else if (o.kind === 'update') {
            const current = await tx.get(o.id);
            if (current)
              await tx.update({ ...current, status: current.status === 'ACTIVE' ? 'FROZEN' : 'ACTIVE' });
          } else if (o.kind === 'remove') await tx.remove(o.id);
          else if (o.kind === 'putPlan')
            await tx.putPlan({
              name: o.name,
              document: { ops: ops.length },
              execution: null,
              updatedAt: 'T1',
            });
          else await tx.removePlan(o.name);
        }
        if (fail) throw new Error('rolled back');
      });
      return 'ok';
    } catch (error) {
      return error instanceof UniqueKeyViolation ? `key ${error.key}` : String((error as Error).message);
    }
  };

  it('behaves as a full copy of its base, for any sequence of transactions, and never writes the base', async () => {
    await fc.assert(
      fc.asyncProperty(txs, async (sequence) => {
        const base = openSqliteStore(':memory:');
        const copy = new MemoryStore();
        await seeded(base);
        await seeded(copy);
        const baseBefore = await observe(base, ID_POOL, KEY_POOL);
        const overlay = new OverlayStore(base);
        for (const { ops, fail } of sequence) {
          expect(await apply(overlay, ops, fail)).toEqual(await apply(copy, ops, fail));
        }
        expect(await observe(overlay, ID_POOL, KEY_POOL)).toEqual(await observe(copy, ID_POOL, KEY_POOL));
        expect(await observe(base, ID_POOL, KEY_POOL)).toEqual(baseBefore);
        // changes() is the difference between the copy and the base.
        const changes = overlay.changes();
        const now = new Set((await copy.list()).map((r) => r.id));
        const was = new Set(baseBefore.list);
        for (const id of was)
          expect(changes.removed.includes(id)).toBe(!now.has(id) || changes.created.some((r) => r.id === id));
        for (const r of changes.created) expect(now.has(r.id)).toBe(true);
        for (const r of changes.updated) expect(was.has(r.id) && now.has(r.id)).toBe(true);
        await base.close();
      }),
      { numRuns: 150 },
    );
  });
});
