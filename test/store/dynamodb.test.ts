/**
 * What the DynamoDB adapter adds beyond the port's contract, against dynalite: leases (a held scope
 * waits, then fails as transient; an expired lease is taken over), guards left by a crashed commit
 * (fresh ones still hold the key, stale ones are reclaimed), and the table definition agreeing with
 * infra/table.yml. Time is a manual clock the lease waits advance.
 */
import { readFile } from 'node:fs/promises';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { TransientError } from '../../src/cloud/errors.ts';
import { keys, type Store } from '../../src/cloud/store.ts';
import { ManualClock } from '../../src/net/clock.ts';
import { openDynamoStore } from '../../src/store/dynamodb.ts';
import { TABLE_LOGICAL_ID, TABLE_SHAPE } from '../../src/store/dynamodb-table.ts';
import { type DynaliteServer, startDynalite } from '../helpers/dynalite.ts';
import { fixtures } from './contract.ts';

const LEASE_MS = 1_000;
const MAX_WAIT_MS = 300;
const KEY = keys.dnatPort('tip-1', 'tcp', 80);

let dynamo: DynaliteServer;
let tables = 0;
const clients: DynamoDBClient[] = [];

beforeAll(async () => {
  dynamo = await startDynalite();
});

afterEach(() => {
  for (const client of clients.splice(0)) client.destroy();
});

afterAll(async () => {
  await dynamo.close();
});

/** A fresh table, a store on it whose lease waits advance `clock`, and a raw writer to fake debris. */
async function setup() {
  const tableName = `natflow-adapter-${++tables}`;
  await dynamo.createTable(tableName);
  const client = dynamo.client();
  clients.push(client);
  const clock = new ManualClock(1_000_000);
  const waits: number[] = [];
  const store: Store = openDynamoStore({
    tableName,
    client,
    clock,
    leaseMs: LEASE_MS,
    maxWaitMs: MAX_WAIT_MS,
    sleep: async (ms) => {
      waits.push(ms);
      clock.advance(ms);
    },
  });
  const raw = DynamoDBDocumentClient.from(client);
  const put = (Item: Record<string, unknown>) => raw.send(new PutCommand({ TableName: tableName, Item }));
  return { store, clock, waits, put };
}

describe('Class: DynamoStore (dynalite)', () => {
  describe('Method: transaction — leases', () => {
    it('waits with backoff for a held scope, then fails with Natflow.Transient', async () => {
      // Prepare: another process holds the scope for the whole lease.
      const { store, clock, waits, put } = await setup();
      await put({ pk: 'LEASE#pnat-1', sk: 'LEASE', owner: 'other', expiresAt: clock.now() + LEASE_MS });
      // Act
      const error = await store.transaction(['pnat-1'], async () => 'ran').catch((e: unknown) => e);
      // Assess
      expect(error).toBeInstanceOf(TransientError);
      expect(error).toMatchObject({ name: 'Natflow.Transient', details: { scope: 'pnat-1' } });
      expect(waits.length).toBeGreaterThan(2);
      expect(waits.reduce((a, b) => a + b, 0)).toBe(MAX_WAIT_MS);
      expect(Math.max(...waits)).toBeLessThanOrEqual(200);
    });

    it('releases the scopes it took when a later one is held', async () => {
      const { store, clock, put } = await setup();
      await put({ pk: 'LEASE#b', sk: 'LEASE', owner: 'other', expiresAt: clock.now() + LEASE_MS });
      await expect(store.transaction(['a', 'b'], async () => undefined)).rejects.toBeInstanceOf(
        TransientError,
      );
      // `a` is free again: a transaction on it alone runs at once.
      await expect(store.transaction(['a'], async () => 'ran')).resolves.toBe('ran');
    });

    it('takes over the lease of a holder that crashed once it expired', async () => {
      const { store, clock, waits, put } = await setup();
      await put({ pk: 'LEASE#pnat-1', sk: 'LEASE', owner: 'crashed', expiresAt: clock.now() - 1 });
      await expect(store.transaction(['pnat-1'], async () => 'ran')).resolves.toBe('ran');
      expect(waits).toEqual([]);
    });

    it('runs transactions on different scopes side by side', async () => {
      const { store } = await setup();
      const log: string[] = [];
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const first = store.transaction(['gw-1'], async () => {
        log.push('first started');
        await gate;
        log.push('first ended');
      });
      await store.transaction(['gw-2'], async () => {
        log.push('second ran');
      });
      release();
      await first;
      expect(log).toEqual(['first started', 'second ran', 'first ended']);
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

    it('reclaims a guard left by a crashed commit once it is older than a lease', async () => {
      const { store, clock, put } = await setup();
      await put({
        pk: `KEY#${KEY}`,
        sk: 'KEY',
        holder: 'dnat-crashed',
        writtenAt: clock.now() - LEASE_MS - 1,
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
      clock.advance(10 * LEASE_MS);
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

  describe('Table definition', () => {
    it('is the same in infra/table.yml as in src/store/dynamodb-table.ts', async () => {
      // Prepare: CloudFormation's short-form intrinsic functions are plain tags to a YAML parser.
      const text = await readFile(new URL('../../infra/table.yml', import.meta.url), 'utf8');
      const doc = parseDocument(text, {
        customTags: [{ tag: '!Ref', resolve: (value: string) => ({ Ref: value }) }],
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
      const { AttributeDefinitions, KeySchema, GlobalSecondaryIndexes, BillingMode } =
        table?.Properties ?? {};
      expect({ AttributeDefinitions, KeySchema, GlobalSecondaryIndexes, BillingMode }).toEqual(TABLE_SHAPE);
      expect(table?.Properties.PointInTimeRecoverySpecification).toEqual({
        PointInTimeRecoveryEnabled: true,
      });
      expect(table?.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'ttl', Enabled: true });
    });
  });
});
