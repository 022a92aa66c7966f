/**
 * What the DynamoDB adapter adds beyond the port's contract, on moto: scope counters (a commit advances
 * them; a commit that lost to a concurrent one on an overlapping scope runs its function again on fresh
 * reads, and a rule over the parent then reports the winner — QUOTA_EXCEEDED, PORT_TYPE_CONFLICT),
 * guards left by a crashed commit (fresh ones still hold the key, stale ones are reclaimed), and the
 * table definition agreeing with infra/table.yml. Races are forced at a known point (a competing commit
 * made inside the function, or just before the TransactWriteItems), never left to timing.
 */
import { readFile } from 'node:fs/promises';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { ControlPlane } from '../../src/cloud/control-plane.ts';
import { TransientError } from '../../src/cloud/errors.ts';
import { keys, type Store } from '../../src/cloud/store.ts';
import { ManualClock } from '../../src/net/clock.ts';
import { openDynamoStore } from '../../src/store/dynamodb.ts';
import { TABLE_LOGICAL_ID, TABLE_SHAPE } from '../../src/store/dynamodb-table.ts';
import { createMotoTable, motoAvailable, motoClient } from '../helpers/moto.ts';
import { fixtures } from './contract.ts';

const STALE_MS = 1_000;
const KEY = keys.dnatPort('tip-1', 'tcp', 80);

const clients: DynamoDBClient[] = [];

afterEach(() => {
  for (const client of clients.splice(0)) client.destroy();
});

/** A fresh table, a store on it whose retry waits advance `clock`, and a raw reader and writer. */
async function setup(options: { maxWaitMs?: number } = {}) {
  const tableName = await createMotoTable('natflow-adapter');
  const client = motoClient();
  clients.push(client);
  const clock = new ManualClock(1_000_000);
  const waits: number[] = [];
  const store: Store = openDynamoStore({
    tableName,
    client,
    clock,
    staleClaimMs: STALE_MS,
    maxWaitMs: options.maxWaitMs ?? 5_000,
    sleep: async (ms) => {
      waits.push(ms);
      clock.advance(ms);
    },
  });
  const raw = DynamoDBDocumentClient.from(client);
  const put = (Item: Record<string, unknown>) => raw.send(new PutCommand({ TableName: tableName, Item }));
  const get = async (pk: string, sk: string) =>
    (await raw.send(new GetCommand({ TableName: tableName, Key: { pk, sk }, ConsistentRead: true }))).Item;
  return { tableName, client, store, clock, waits, put, get };
}

const insertVpc = (store: Store, id: string, scopes: string[]) =>
  store.transaction(scopes, (tx) => tx.insert(fixtures.vpc(id), { keys: [], refs: ['pnat-1'] }));

describe.runIf(motoAvailable)('Class: DynamoStore (moto)', () => {
  describe('Method: transaction — scope counters', () => {
    it('advances the counter of every scope it commits on, and writes none for a read-only function', async () => {
      // Prepare
      const { store, get } = await setup();
      // Act
      await insertVpc(store, 'vpc-1', ['pnat-1', 'tip-1']);
      await insertVpc(store, 'vpc-2', ['pnat-1']);
      await store.transaction(['read-only'], (tx) => tx.get('vpc-1'));
      // Assess
      expect(await get('SCOPE#pnat-1', 'SCOPE')).toMatchObject({ commits: 2, version: expect.any(String) });
      expect(await get('SCOPE#tip-1', 'SCOPE')).toMatchObject({ commits: 1 });
      expect(await get('SCOPE#read-only', 'SCOPE')).toBeUndefined();
    });

    it('runs the function again on fresh reads when a concurrent commit on the scope won', async () => {
      // Prepare: during the first run, another transaction commits on the same scope.
      const { store, waits } = await setup();
      const seen: number[] = [];
      // Act
      await store.transaction(['pnat-1'], async (tx) => {
        seen.push((await tx.referrers('pnat-1')).length);
        if (seen.length === 1) await insertVpc(store, 'vpc-winner', ['pnat-1']);
        await tx.insert(fixtures.vpc(`vpc-run-${seen.length}`), { keys: [], refs: ['pnat-1'] });
      });
      // Assess: the first run lost (its commit wrote nothing); the second saw the winner.
      expect(seen).toEqual([0, 1]);
      expect(waits).toHaveLength(1);
      const committed = (await store.referrers('pnat-1')).map((r) => r.id).sort();
      expect(committed).toEqual(['vpc-run-2', 'vpc-winner']);
    });

    it('commits side by side with a transaction on another scope, whichever commits first', async () => {
      // Prepare: the first transaction waits inside its function until the second has committed.
      const { store } = await setup();
      let runs = 0;
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const first = store.transaction(['gw-1'], async (tx) => {
        runs++;
        await gate;
        await tx.insert(fixtures.vpc('vpc-1'), { keys: [], refs: [] });
      });
      // Act
      await store.transaction(['gw-2'], (tx) => tx.insert(fixtures.vpc('vpc-2'), { keys: [], refs: [] }));
      release();
      await first;
      // Assess: no conflict, one run each.
      expect(runs).toBe(1);
      expect((await store.list({ type: 'vpc' })).map((r) => r.id)).toEqual(['vpc-1', 'vpc-2']);
    });

    it('fails with Natflow.Transient once it has lost races for longer than maxWaitMs, writing nothing', async () => {
      // Prepare: every run of the function loses to a competing commit on the scope.
      const { store, waits } = await setup({ maxWaitMs: 300 });
      let runs = 0;
      // Act
      const error = await store
        .transaction(['pnat-1'], async (tx) => {
          runs++;
          await insertVpc(store, `vpc-competitor-${runs}`, ['pnat-1']);
          await tx.insert(fixtures.vpc('vpc-loser'), { keys: [KEY], refs: ['pnat-1'] });
        })
        .catch((e: unknown) => e);
      // Assess
      expect(error).toBeInstanceOf(TransientError);
      expect(error).toMatchObject({ name: 'Natflow.Transient', details: { scopes: ['pnat-1'] } });
      expect(runs).toBeGreaterThan(2);
      expect(waits.reduce((a, b) => a + b, 0)).toBe(300);
      expect(await store.get('vpc-loser')).toBeUndefined();
      expect(await store.getByKey(KEY)).toBeUndefined();
    });
  });

  describe('Method: transaction — a lost commit reports the rule the winner broke (rule codes)', () => {
    /** A control plane on `store` whose next TransactWriteItems is preceded by `competitor()`. */
    async function racedOnce(competitor: (cloud: ControlPlane) => Promise<unknown>) {
      const { client, tableName } = await setup();
      const store = openDynamoStore({ tableName, client });
      const rivalClient = motoClient();
      clients.push(rivalClient);
      const rival = new ControlPlane({ store: openDynamoStore({ tableName, client: rivalClient }) });
      let armed = false;
      client.middlewareStack.add(
        (next, context) => async (args) => {
          if (armed && context.commandName === 'TransactWriteItemsCommand') {
            armed = false;
            await competitor(rival);
          }
          return next(args);
        },
        { step: 'initialize', name: 'natflowTestCompetitor' },
      );
      const cloud = new ControlPlane({ store });
      const vpcA = await cloud.createVpc({ name: 'VPC-A', cidr: '192.168.0.0/16' });
      const subnetA = await cloud.createSubnet({
        name: 'subnet-A01',
        vpcId: vpcA.id,
        cidr: '192.168.0.0/24',
      });
      const vpcB = await cloud.createVpc({ name: 'VPC-B', cidr: '10.0.0.0/16' });
      const subnetB = await cloud.createSubnet({ name: 'subnet-B01', vpcId: vpcB.id, cidr: '10.0.0.0/24' });
      const server = await cloud.createServer({ name: 'ECS-B', subnetId: subnetB.id });
      const tip = await cloud.createTransitIp({ name: 'tip-0', subnetId: subnetA.id });
      const gateway = await cloud.createGateway({ name: 'gw-0', subnetId: subnetB.id });
      await cloud.activate(gateway.id);
      const rule = (on: ControlPlane, protocol: 'tcp' | 'any', port: number) =>
        on.createDnatRule({
          gatewayId: gateway.id,
          transitIpId: tip.id,
          protocol,
          transitPort: port,
          internalPort: port === 0 ? 0 : 80,
          target: { serverId: server.id },
        });
      return { cloud, rule, arm: () => (armed = true) };
    }

    it('QUOTA_EXCEEDED when a rival took the last rule of the quota between the check and the commit', async () => {
      // Prepare: 19 of the Small gateway's 20 rules exist.
      const { cloud, rule, arm } = await racedOnce((rival) => rule(rival, 'tcp', 2000));
      for (let port = 1; port <= 19; port++) await rule(cloud, 'tcp', port);
      // Act: our rule passes every check, then the rival's 20th rule commits first.
      arm();
      const error = await rule(cloud, 'tcp', 1000).catch((e: unknown) => e);
      // Assess
      expect(error).toMatchObject({ name: 'QUOTA_EXCEEDED', details: { limit: 20 } });
      expect(await cloud.list({ type: 'dnat-rule' })).toHaveLength(20);
    }, 90_000);

    it('PORT_TYPE_CONFLICT when a rival put an all-ports rule on the transit IP between the check and the commit', async () => {
      const { cloud, rule, arm } = await racedOnce((rival) => rule(rival, 'any', 0));
      arm();
      const error = await rule(cloud, 'tcp', 80).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'PORT_TYPE_CONFLICT' });
      const rules = await cloud.list({ type: 'dnat-rule' });
      expect(rules.map((r) => r.type === 'dnat-rule' && r.protocol)).toEqual(['any']);
    });
  });

  describe('Method: list — the ledgers a rollback and a teardown decide on', () => {
    it('reads an execution or a plan strongly consistently from the base table, never from an index', async () => {
      // Prepare: record every read the store sends
      const { client, store } = await setup();
      await store.transaction([], (tx) => tx.insert(fixtures.vpc('vpc-1'), { keys: [], refs: [] }));
      await store.transaction([], (tx) =>
        tx.insert(fixtures.subnet('subnet-1', 'vpc-1'), { keys: [], refs: ['vpc-1'] }),
      );
      const reads: { command: string; input: Record<string, unknown> }[] = [];
      client.middlewareStack.add(
        (next, context) => async (args) => {
          reads.push({ command: String(context.commandName), input: args.input as Record<string, unknown> });
          return next(args);
        },
        { step: 'initialize', name: 'recordReads' },
      );
      // Act
      const byExecution = await store.list({ execution: 'exec-1' });
      const byPlan = await store.list({ plan: 'plan-a', type: 'subnet' });
      // Assess
      expect(byExecution.map((r) => r.id)).toEqual(['subnet-1', 'vpc-1']); // one createdAt: by id
      expect(byPlan.map((r) => r.id)).toEqual(['subnet-1']);
      expect(reads.map((r) => r.command).sort()).toEqual([
        'BatchGetItemCommand',
        'BatchGetItemCommand',
        'QueryCommand',
        'QueryCommand',
      ]);
      for (const { command, input } of reads) {
        expect(input.IndexName, command).toBeUndefined();
        if (command === 'QueryCommand') expect(input.ConsistentRead, command).toBe(true);
        else
          for (const request of Object.values(
            input.RequestItems as Record<string, { ConsistentRead?: boolean }>,
          ))
            expect(request.ConsistentRead, command).toBe(true);
      }
    });

    it('commits a resource with its ledger entries in the one TransactWriteItems, and removes them with it', async () => {
      // Prepare
      const { store, get } = await setup();
      // Act
      await store.transaction([], (tx) => tx.insert(fixtures.vpc('vpc-1'), { keys: [], refs: [] }));
      const entered = [await get('EXEC#exec-1', 'RES#vpc-1'), await get('OWNED#plan-a', 'RES#vpc-1')];
      await store.transaction([], (tx) => tx.remove('vpc-1'));
      // Assess
      expect(entered).toEqual([
        { pk: 'EXEC#exec-1', sk: 'RES#vpc-1', id: 'vpc-1' },
        { pk: 'OWNED#plan-a', sk: 'RES#vpc-1', id: 'vpc-1' },
      ]);
      expect(await get('EXEC#exec-1', 'RES#vpc-1')).toBeUndefined();
      expect(await get('OWNED#plan-a', 'RES#vpc-1')).toBeUndefined();
    });
  });

  describe('Method: insert — guards without a resource', () => {
    it('treats a fresh guard without its resource as a commit in flight: the key is held', async () => {
      const { store, clock, put } = await setup();
      await put({ pk: `KEY#${KEY}`, sk: 'KEY', holder: 'dnat-inflight', writtenAt: clock.now() - 10 });
      const error = await store
        .transaction(['tip-1'], (tx) =>
          tx.insert(fixtures.dnatRule('dnat-1', 'tip-1', 80), { keys: [KEY], refs: [] }),
        )
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'UniqueKeyViolation', key: KEY, holderId: 'dnat-inflight' });
      expect(await store.getByKey(KEY)).toBeUndefined();
    });

    it('reclaims a guard left by a crashed commit once it is older than staleClaimMs', async () => {
      const { store, clock, put } = await setup();
      await put({
        pk: `KEY#${KEY}`,
        sk: 'KEY',
        holder: 'dnat-crashed',
        writtenAt: clock.now() - STALE_MS - 1,
      });
      await store.transaction(['tip-1'], (tx) =>
        tx.insert(fixtures.dnatRule('dnat-1', 'tip-1', 80), { keys: [KEY], refs: [] }),
      );
      expect((await store.getByKey(KEY))?.id).toBe('dnat-1');
    });

    it('never reclaims a guard whose resource exists, however old', async () => {
      const { store, clock } = await setup();
      await store.transaction(['tip-1'], (tx) =>
        tx.insert(fixtures.dnatRule('dnat-1', 'tip-1', 80), { keys: [KEY], refs: [] }),
      );
      clock.advance(10 * STALE_MS);
      const error = await store
        .transaction(['tip-1'], (tx) =>
          tx.insert(fixtures.dnatRule('dnat-2', 'tip-1', 80), { keys: [KEY], refs: [] }),
        )
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'UniqueKeyViolation', key: KEY, holderId: 'dnat-1' });
    });

    it('gives a claimed key back when the function throws after the insert', async () => {
      const { store } = await setup();
      await expect(
        store.transaction(['tip-1'], async (tx) => {
          await tx.insert(fixtures.dnatRule('dnat-1', 'tip-1', 80), { keys: [KEY], refs: [] });
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      await store.transaction(['tip-1'], (tx) =>
        tx.insert(fixtures.dnatRule('dnat-2', 'tip-1', 80), { keys: [KEY], refs: [] }),
      );
      expect((await store.getByKey(KEY))?.id).toBe('dnat-2');
    });

    it('gives a claimed key back when the resource is removed in the same transaction', async () => {
      const { store } = await setup();
      await store.transaction(['tip-1'], async (tx) => {
        await tx.insert(fixtures.dnatRule('dnat-1', 'tip-1', 80), { keys: [KEY], refs: ['tip-1'] });
        await tx.remove('dnat-1');
        await tx.insert(fixtures.dnatRule('dnat-2', 'tip-1', 80), { keys: [KEY], refs: ['tip-1'] });
      });
      expect((await store.getByKey(KEY))?.id).toBe('dnat-2');
      expect(await store.get('dnat-1')).toBeUndefined();
    });
  });
});

describe('Table definition', () => {
  it('is the same in infra/table.yml as in src/store/dynamodb-table.ts', async () => {
    // Prepare: CloudFormation's short-form intrinsic functions are plain tags to a YAML parser.
    const text = await readFile(new URL('../../infra/table.yml', import.meta.url), 'utf8');
    const doc = parseDocument(text, {
      customTags: [
        { tag: '!Ref', resolve: (value: string) => ({ Ref: value }) },
        { tag: '!Sub', resolve: (value: string) => ({ 'Fn::Sub': value }) },
        { tag: '!Equals', collection: 'seq', resolve: (value: unknown) => ({ 'Fn::Equals': value }) },
      ],
    });
    expect(doc.errors).toEqual([]);
    const template = z
      .object({
        Resources: z.record(
          z.string(),
          z.object({ Type: z.string(), Properties: z.record(z.string(), z.unknown()) }),
        ),
      })
      .parse(doc.toJS());
    // Act
    const table = template.Resources[TABLE_LOGICAL_ID];
    // Assess
    expect(table?.Type).toBe('AWS::DynamoDB::Table');
    const { AttributeDefinitions, KeySchema, GlobalSecondaryIndexes, BillingMode } = table?.Properties ?? {};
    expect({ AttributeDefinitions, KeySchema, GlobalSecondaryIndexes, BillingMode }).toEqual(TABLE_SHAPE);
    expect(table?.Properties.PointInTimeRecoverySpecification).toEqual({
      PointInTimeRecoveryEnabled: true,
    });
    expect(table?.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'ttl', Enabled: true });
  });
});
