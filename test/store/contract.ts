/**
 * The store port's guarantees (src/cloud/store.ts), as one suite every adapter runs: the in-memory store,
 * SQLite and DynamoDB. Each test opens a fresh store; the fixtures are small, valid resources of a
 * transit side (VPC, subnet, transit IP) and a gateway side (gateway, DNAT rules).
 */
import { describe, expect, it } from 'vitest';
import type { Resource } from '../../src/cloud/resources.ts';
import { keys, type Store, UniqueKeyViolation } from '../../src/cloud/store.ts';

export interface OpenedStore {
  store: Store;
  close(): Promise<void>;
}

const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-01T00:00:01.000Z';
const T2 = '2026-01-01T00:00:02.000Z';

interface Meta {
  plan?: string | null;
  execution?: string | null;
  createdAt?: string;
}

function meta(id: string, m: Meta) {
  return {
    id,
    name: id,
    status: 'ACTIVE' as const,
    createdAt: m.createdAt ?? T0,
    plan: m.plan === undefined ? 'plan-a' : m.plan,
    execution: m.execution === undefined ? 'exec-1' : m.execution,
    clientToken: null,
  };
}

export const fixtures = {
  vpc: (id: string, m: Meta = {}): Resource => ({ ...meta(id, m), type: 'vpc', cidr: '192.168.0.0/16' }),
  subnet: (id: string, vpcId: string, m: Meta = {}): Resource => ({
    ...meta(id, m),
    type: 'subnet',
    vpcId,
    cidr: '192.168.0.0/24',
    gatewayIp: '192.168.0.1',
  }),
  transitIp: (id: string, subnetId: string, m: Meta = {}): Resource => ({
    ...meta(id, m),
    type: 'transit-ip',
    vpcId: 'vpc-t',
    subnetId,
    ip: '192.168.0.144',
  }),
  gateway: (id: string, subnetId: string, m: Meta = {}): Resource => ({
    ...meta(id, m),
    type: 'private-nat-gateway',
    vpcId: 'vpc-g',
    subnetId,
    downlinkIp: '10.0.0.10',
    spec: 'Small',
    allowSharedTransitIp: false,
  }),
  dnatRule: (id: string, transitIpId: string, port: number, m: Meta = {}): Resource => ({
    ...meta(id, m),
    type: 'dnat-rule',
    gatewayId: 'pnat-1',
    transitIpId,
    transitIp: '192.168.0.144',
    protocol: 'tcp',
    transitPort: port,
    internalPort: port,
    target: { kind: 'ip', ip: '10.0.0.5' },
  }),
};

const insertOne = (store: Store, resource: Resource, keyList: string[] = [], refs: string[] = []) =>
  store.transaction([resource.id], (tx) => tx.insert(resource, { keys: keyList, refs }));

const ids = (resources: readonly Resource[]) => resources.map((r) => r.id);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the port's contract against the stores `open` returns (one per test). */
export function storeContract(name: string, open: () => Promise<OpenedStore>): void {
  describe(`Store contract: ${name}`, () => {
    const withStore = (body: (store: Store) => Promise<void>) => async () => {
      const opened = await open();
      try {
        await body(opened.store);
      } finally {
        await opened.close();
      }
    };

    describe('insert and get', () => {
      it(
        'returns what was inserted, and undefined for an unknown id',
        withStore(async (store) => {
          // Prepare
          const rule = fixtures.dnatRule('dnat-1', 'tip-1', 80);
          // Act
          await insertOne(store, rule, [keys.dnatPort('tip-1', 'tcp', 80)], ['tip-1']);
          // Assess
          expect(await store.get('dnat-1')).toEqual(rule);
          expect(await store.get('dnat-404')).toBeUndefined();
        }),
      );

      it(
        'keeps nulls, nested objects and empty arrays as they were',
        withStore(async (store) => {
          const server: Resource = {
            ...meta('ecs-1', { plan: null, execution: null }),
            type: 'server',
            vpcId: 'vpc-1',
            subnetId: 'subnet-1',
            ip: '10.0.0.5',
            securityGroupIds: [],
            apps: [{ protocol: 'http', port: 80 }],
          };
          await insertOne(store, server);
          expect(await store.get('ecs-1')).toEqual(server);
        }),
      );
    });

    describe('list', () => {
      const seed = async (store: Store) => {
        // Inserted out of creation order; two share a timestamp, so the id breaks the tie.
        await insertOne(store, fixtures.subnet('subnet-2', 'vpc-1', { createdAt: T2, plan: 'plan-b' }));
        await insertOne(store, fixtures.vpc('vpc-1', { createdAt: T0, execution: 'exec-2' }));
        await insertOne(store, fixtures.subnet('subnet-1b', 'vpc-1', { createdAt: T1 }));
        await insertOne(
          store,
          fixtures.subnet('subnet-1a', 'vpc-1', { createdAt: T1, plan: null, execution: null }),
        );
      };

      it.each([
        { query: undefined, expected: ['vpc-1', 'subnet-1a', 'subnet-1b', 'subnet-2'] },
        { query: {}, expected: ['vpc-1', 'subnet-1a', 'subnet-1b', 'subnet-2'] },
        { query: { type: 'subnet' as const }, expected: ['subnet-1a', 'subnet-1b', 'subnet-2'] },
        { query: { type: 'vpc' as const }, expected: ['vpc-1'] },
        { query: { type: 'dnat-rule' as const }, expected: [] },
        { query: { plan: 'plan-a' }, expected: ['vpc-1', 'subnet-1b'] },
        { query: { plan: 'plan-b' }, expected: ['subnet-2'] },
        { query: { plan: 'plan-a', type: 'subnet' as const }, expected: ['subnet-1b'] },
        { query: { execution: 'exec-1' }, expected: ['subnet-1b', 'subnet-2'] },
        { query: { execution: 'exec-1', plan: 'plan-b' }, expected: ['subnet-2'] },
        { query: { execution: 'exec-2', type: 'subnet' as const }, expected: [] },
        { query: { execution: 'exec-9' }, expected: [] },
      ])('lists $query in creation order', async ({ query, expected }) => {
        const opened = await open();
        try {
          await seed(opened.store);
          expect(ids(await opened.store.list(query))).toEqual(expected);
        } finally {
          await opened.close();
        }
      });
    });

    describe('the ledgers: list by execution and by plan', () => {
      it(
        'reads what each commit did at once: an insert, a move to another plan and execution, a removal',
        withStore(async (store) => {
          // Prepare: one resource of exec-1 / plan-a, one of exec-2 / plan-b
          await insertOne(store, fixtures.vpc('vpc-1', { createdAt: T0 }));
          await insertOne(
            store,
            fixtures.vpc('vpc-2', { createdAt: T1, plan: 'plan-b', execution: 'exec-2' }),
          );
          const listed = async () => ({
            exec1: ids(await store.list({ execution: 'exec-1' })),
            exec2: ids(await store.list({ execution: 'exec-2' })),
            planA: ids(await store.list({ plan: 'plan-a' })),
            planB: ids(await store.list({ plan: 'plan-b' })),
          });
          expect(await listed()).toEqual({
            exec1: ['vpc-1'],
            exec2: ['vpc-2'],
            planA: ['vpc-1'],
            planB: ['vpc-2'],
          });
          // Act: vpc-1 moves to plan-b and exec-2 (a re-run adopting it), then vpc-2 leaves every ledger
          await store.transaction(['vpc-1'], (tx) =>
            tx.update(fixtures.vpc('vpc-1', { createdAt: T0, plan: 'plan-b', execution: 'exec-2' })),
          );
          const moved = await listed();
          await store.transaction(['vpc-2'], (tx) =>
            tx.update(fixtures.vpc('vpc-2', { createdAt: T1, plan: null, execution: null })),
          );
          const released = await listed();
          await store.transaction(['vpc-1'], (tx) => tx.remove('vpc-1'));
          // Assess
          expect(moved).toEqual({
            exec1: [],
            exec2: ['vpc-1', 'vpc-2'],
            planA: [],
            planB: ['vpc-1', 'vpc-2'],
          });
          expect(released).toEqual({ exec1: [], exec2: ['vpc-1'], planA: [], planB: ['vpc-1'] });
          expect(await listed()).toEqual({ exec1: [], exec2: [], planA: [], planB: [] });
          expect(ids(await store.list())).toEqual(['vpc-2']);
        }),
      );

      it(
        'lists a ledger of more resources than one batch read takes, in creation order',
        withStore(async (store) => {
          // Prepare: 104 subnets of one execution (BatchGetItem takes 100 keys), 26 per transaction
          const subnets = Array.from({ length: 104 }, (_, i) =>
            fixtures.subnet(`subnet-${String(i).padStart(3, '0')}`, 'vpc-1', {
              createdAt: new Date(Date.parse(T0) + (103 - i) * 1000).toISOString(),
            }),
          );
          for (let i = 0; i < subnets.length; i += 26) {
            const batch = subnets.slice(i, i + 26);
            await store.transaction([], async (tx) => {
              for (const subnet of batch) await tx.insert(subnet, { keys: [], refs: [] });
            });
          }
          // Act
          const listed = ids(await store.list({ execution: 'exec-1', type: 'subnet' }));
          // Assess: in creation order (the last inserted was created first), every one of them
          expect(listed).toHaveLength(104);
          expect(listed[0]).toBe('subnet-103');
          expect(listed[103]).toBe('subnet-000');
          expect(ids(await store.list({ plan: 'plan-a' }))).toHaveLength(104);
        }),
      );
    });

    describe('update', () => {
      it(
        'replaces the fields and keeps the keys and references',
        withStore(async (store) => {
          // Prepare
          const key = keys.dnatPort('tip-1', 'tcp', 80);
          const rule = fixtures.dnatRule('dnat-1', 'tip-1', 80);
          await insertOne(store, rule, [key], ['tip-1']);
          const frozen = { ...rule, status: 'FROZEN' as const };
          // Act
          await store.transaction(['dnat-1'], (tx) => tx.update(frozen));
          // Assess
          expect(await store.get('dnat-1')).toEqual(frozen);
          expect(await store.getByKey(key)).toEqual(frozen);
          expect(ids(await store.referrers('tip-1'))).toEqual(['dnat-1']);
          expect(ids(await store.list({ type: 'dnat-rule' }))).toEqual(['dnat-1']);
        }),
      );
    });

    describe('remove', () => {
      it(
        'deletes the resource and releases its keys and references',
        withStore(async (store) => {
          // Prepare
          const key = keys.dnatPort('tip-1', 'tcp', 80);
          await insertOne(store, fixtures.dnatRule('dnat-1', 'tip-1', 80), [key], ['tip-1', 'pnat-1']);
          // Act
          await store.transaction(['dnat-1'], (tx) => tx.remove('dnat-1'));
          // Assess
          expect(await store.get('dnat-1')).toBeUndefined();
          expect(await store.getByKey(key)).toBeUndefined();
          expect(await store.referrers('tip-1')).toEqual([]);
          expect(await store.referrers('pnat-1')).toEqual([]);
          expect(await store.list()).toEqual([]);
          // The key is free again.
          await insertOne(store, fixtures.dnatRule('dnat-2', 'tip-1', 80), [key], ['tip-1']);
          expect((await store.getByKey(key))?.id).toBe('dnat-2');
        }),
      );

      it(
        'is a no-op for a missing id',
        withStore(async (store) => {
          await insertOne(store, fixtures.vpc('vpc-1'));
          await store.transaction(['x'], (tx) => tx.remove('vpc-404'));
          expect(ids(await store.list())).toEqual(['vpc-1']);
        }),
      );

      it(
        'lets a key move from a removed resource to a new one in one transaction',
        withStore(async (store) => {
          const key = keys.dnatPort('tip-1', 'tcp', 80);
          await insertOne(store, fixtures.dnatRule('dnat-1', 'tip-1', 80), [key], ['tip-1']);
          await store.transaction(['tip-1'], async (tx) => {
            await tx.remove('dnat-1');
            await tx.insert(fixtures.dnatRule('dnat-2', 'tip-1', 80), { keys: [key], refs: ['tip-1'] });
          });
          expect((await store.getByKey(key))?.id).toBe('dnat-2');
          expect(ids(await store.referrers('tip-1'))).toEqual(['dnat-2']);
          expect(await store.get('dnat-1')).toBeUndefined();
        }),
      );
    });

    describe('getByKey and referrers', () => {
      it(
        'finds the holder of each key, and nothing for a free key',
        withStore(async (store) => {
          await insertOne(store, fixtures.dnatRule('dnat-1', 'tip-1', 80), [
            keys.dnatPort('tip-1', 'tcp', 80),
            keys.name('plan-a', 'dnat-rule', 'web'),
          ]);
          await insertOne(store, fixtures.dnatRule('dnat-2', 'tip-1', 443), [
            keys.dnatPort('tip-1', 'tcp', 443),
          ]);
          expect((await store.getByKey(keys.dnatPort('tip-1', 'tcp', 80)))?.id).toBe('dnat-1');
          expect((await store.getByKey(keys.name('plan-a', 'dnat-rule', 'web')))?.id).toBe('dnat-1');
          expect((await store.getByKey(keys.dnatPort('tip-1', 'tcp', 443)))?.id).toBe('dnat-2');
          expect(await store.getByKey(keys.dnatPort('tip-1', 'udp', 80))).toBeUndefined();
        }),
      );

      it(
        'lists the resources referencing an id',
        withStore(async (store) => {
          await insertOne(store, fixtures.vpc('vpc-1'));
          await insertOne(store, fixtures.subnet('subnet-b', 'vpc-1', { createdAt: T2 }), [], ['vpc-1']);
          await insertOne(store, fixtures.subnet('subnet-a', 'vpc-1', { createdAt: T1 }), [], ['vpc-1']);
          await insertOne(store, fixtures.transitIp('tip-1', 'subnet-a'), [], ['subnet-a']);
          // The port promises no order for referrers.
          expect(ids(await store.referrers('vpc-1')).sort()).toEqual(['subnet-a', 'subnet-b']);
          expect(ids(await store.referrers('subnet-a'))).toEqual(['tip-1']);
          expect(await store.referrers('tip-1')).toEqual([]);
        }),
      );
    });

    describe('unique keys', () => {
      it(
        'rejects a held key with the holder id and writes nothing of the loser',
        withStore(async (store) => {
          // Prepare
          const key = keys.dnatPort('tip-1', 'tcp', 80);
          const other = keys.name('plan-a', 'dnat-rule', 'second');
          await insertOne(store, fixtures.dnatRule('dnat-1', 'tip-1', 80), [key], ['tip-1']);
          // Act
          const attempt = store.transaction(['tip-1'], async (tx) => {
            await tx.insert(fixtures.vpc('vpc-9'), { keys: [], refs: [] });
            await tx.insert(fixtures.dnatRule('dnat-2', 'tip-1', 80), {
              keys: [other, key],
              refs: ['pnat-1'],
            });
          });
          // Assess
          const error = await attempt.catch((e: unknown) => e);
          expect(error).toBeInstanceOf(UniqueKeyViolation);
          expect(error).toMatchObject({ key, holderId: 'dnat-1' });
          expect(await store.get('dnat-2')).toBeUndefined();
          expect(await store.get('vpc-9')).toBeUndefined();
          expect(await store.getByKey(other)).toBeUndefined();
          expect(await store.referrers('pnat-1')).toEqual([]);
          expect((await store.getByKey(key))?.id).toBe('dnat-1');
        }),
      );

      it(
        'rejects two resources of one transaction holding the same key',
        withStore(async (store) => {
          const key = keys.lbTarget('elb-1');
          const error = await store
            .transaction(['elb-1'], async (tx) => {
              await tx.insert(fixtures.dnatRule('dnat-1', 'tip-1', 80), { keys: [key], refs: [] });
              await tx.insert(fixtures.dnatRule('dnat-2', 'tip-1', 81), { keys: [key], refs: [] });
            })
            .catch((e: unknown) => e);
          expect(error).toMatchObject({ name: 'UniqueKeyViolation', key, holderId: 'dnat-1' });
          expect(await store.list()).toEqual([]);
        }),
      );
    });

    describe('transaction', () => {
      it(
        'leaves nothing behind when the function throws',
        withStore(async (store) => {
          // Prepare
          const key = keys.dnatPort('tip-1', 'tcp', 80);
          const rule = fixtures.dnatRule('dnat-1', 'tip-1', 80);
          await insertOne(store, rule, [key], ['tip-1']);
          await insertOne(store, fixtures.vpc('vpc-1'));
          // Act
          const attempt = store.transaction(['tip-1'], async (tx) => {
            await tx.insert(fixtures.dnatRule('dnat-2', 'tip-1', 443), {
              keys: [keys.dnatPort('tip-1', 'tcp', 443)],
              refs: ['tip-1'],
            });
            await tx.update({ ...rule, status: 'FROZEN' });
            await tx.remove('vpc-1');
            await tx.putPlan({ name: 'plan-a', document: { a: 1 }, execution: null, updatedAt: T0 });
            throw new Error('boom');
          });
          // Assess
          await expect(attempt).rejects.toThrow('boom');
          expect(await store.get('dnat-2')).toBeUndefined();
          expect(await store.getByKey(keys.dnatPort('tip-1', 'tcp', 443))).toBeUndefined();
          expect(await store.get('dnat-1')).toEqual(rule);
          expect(await store.get('vpc-1')).toEqual(fixtures.vpc('vpc-1'));
          expect(ids(await store.referrers('tip-1'))).toEqual(['dnat-1']);
          expect(await store.getPlan('plan-a')).toBeUndefined();
        }),
      );

      it(
        'returns the value of the function',
        withStore(async (store) => {
          await expect(store.transaction([], async () => 42)).resolves.toBe(42);
        }),
      );

      it(
        'lets reads inside the transaction see its own writes',
        withStore(async (store) => {
          const key = keys.dnatPort('tip-1', 'tcp', 80);
          await insertOne(store, fixtures.vpc('vpc-1'));
          await insertOne(
            store,
            fixtures.dnatRule('dnat-old', 'tip-1', 22),
            [keys.dnatPort('tip-1', 'tcp', 22)],
            ['tip-1'],
          );
          await store.transaction(['tip-1'], async (tx) => {
            const rule = fixtures.dnatRule('dnat-1', 'tip-1', 80, { createdAt: T1 });
            await tx.insert(rule, { keys: [key], refs: ['tip-1'] });
            await tx.update({ ...fixtures.vpc('vpc-1'), status: 'INACTIVE' });
            await tx.remove('dnat-old');
            expect(await tx.get('dnat-1')).toEqual(rule);
            expect((await tx.get('vpc-1'))?.status).toBe('INACTIVE');
            expect(await tx.get('dnat-old')).toBeUndefined();
            expect((await tx.getByKey(key))?.id).toBe('dnat-1');
            expect(await tx.getByKey(keys.dnatPort('tip-1', 'tcp', 22))).toBeUndefined();
            expect(ids(await tx.referrers('tip-1'))).toEqual(['dnat-1']);
            expect(ids(await tx.list({ type: 'dnat-rule' }))).toEqual(['dnat-1']);
            expect(ids(await tx.list())).toEqual(['vpc-1', 'dnat-1']);
            expect((await tx.list({ type: 'vpc' }))[0]?.status).toBe('INACTIVE');
          });
          expect((await store.getByKey(key))?.id).toBe('dnat-1');
          expect((await store.get('vpc-1'))?.status).toBe('INACTIVE');
          expect(await store.get('dnat-old')).toBeUndefined();
        }),
      );

      it(
        'serialises transactions on the same scope: each commit saw every earlier one',
        withStore(async (store) => {
          // Prepare: each transaction counts the VPCs referencing pnat-1 (a strongly consistent read),
          // pauses, then adds one. An optimistic adapter may run a function again; only commits count.
          const run = (n: number) =>
            store.transaction(['pnat-1'], async (tx) => {
              const before = (await tx.referrers('pnat-1')).length;
              await sleep(5);
              await tx.insert(fixtures.vpc(`vpc-${n}`), { keys: [], refs: ['pnat-1'] });
              return before;
            });
          // Act
          const saw = await Promise.all([1, 2, 3, 4].map(run));
          // Assess: the four commits saw 0, 1, 2 and 3 earlier ones, in some order: none was lost.
          expect([...saw].sort()).toEqual([0, 1, 2, 3]);
          expect(await store.referrers('pnat-1')).toHaveLength(4);
        }),
      );

      it.each([
        { scopes: 'one shared scope', scopeOf: (_n: number) => ['tip-1'] },
        { scopes: 'a scope each', scopeOf: (n: number) => [`racer-${n}`] },
      ])(
        'lets exactly one of 20 racers for the same transit IP and port win ($scopes)',
        async ({ scopeOf }) => {
          const opened = await open();
          try {
            // Prepare
            const { store } = opened;
            const key = keys.dnatPort('tip-1', 'tcp', 80);
            const racers = Array.from({ length: 20 }, (_, n) => n);
            // Act
            const results = await Promise.allSettled(
              racers.map((n) =>
                store.transaction(scopeOf(n), (tx) =>
                  tx.insert(fixtures.dnatRule(`dnat-${n}`, 'tip-1', 80), { keys: [key], refs: ['tip-1'] }),
                ),
              ),
            );
            // Assess
            const won = racers.filter((n) => results[n]?.status === 'fulfilled');
            expect(won).toHaveLength(1);
            const winner = `dnat-${won[0]}`;
            for (const result of results) {
              if (result.status === 'rejected') {
                expect(result.reason).toBeInstanceOf(UniqueKeyViolation);
                expect(result.reason).toMatchObject({ key, holderId: winner });
              }
            }
            expect(ids(await store.list({ type: 'dnat-rule' }))).toEqual([winner]);
            expect(ids(await store.referrers('tip-1'))).toEqual([winner]);
            expect((await store.getByKey(key))?.id).toBe(winner);
          } finally {
            await opened.close();
          }
        },
      );
    });

    describe('plans', () => {
      it(
        'puts, replaces, lists by name and removes plan records',
        withStore(async (store) => {
          const b = {
            name: 'plan-b',
            document: { verify: [{ from: 'ecs-1' }] },
            execution: 'exec-1',
            updatedAt: T0,
          };
          const a = { name: 'plan-a', document: { version: 1 }, execution: null, updatedAt: T0 };
          await store.transaction(['plans'], async (tx) => {
            await tx.putPlan(b);
            await tx.putPlan(a);
            expect(await tx.getPlan('plan-a')).toEqual(a);
          });
          expect(await store.listPlans()).toEqual([a, b]);
          const a2 = { ...a, document: { version: 2 }, updatedAt: T1 };
          await store.transaction(['plans'], (tx) => tx.putPlan(a2));
          expect(await store.getPlan('plan-a')).toEqual(a2);
          await store.transaction(['plans'], async (tx) => {
            await tx.removePlan('plan-b');
            await tx.removePlan('plan-404');
            expect(await tx.listPlans()).toEqual([a2]);
          });
          expect(await store.listPlans()).toEqual([a2]);
          expect(await store.getPlan('plan-b')).toBeUndefined();
        }),
      );
    });
  });
}
