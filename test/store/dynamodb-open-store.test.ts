/**
 * Adapter selection (`openStore`): NATFLOW_STORE picks the adapter (SQLite by default), NATFLOW_TABLE and
 * NATFLOW_DYNAMODB_ENDPOINT configure DynamoDB (here moto on loopback), anything else fails clearly.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.ts';
import { createMotoTable, motoAvailable, motoEndpoint } from '../helpers/moto.ts';
import { fixtures } from './contract.ts';

const credentials = { AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_REGION: 'us-east-1' };

describe('Function: openStore', () => {
  it.runIf(motoAvailable)(
    'opens the DynamoDB adapter on the table and endpoint the environment names',
    async () => {
      // Prepare
      const env = {
        ...credentials,
        NATFLOW_STORE: 'dynamodb',
        NATFLOW_TABLE: await createMotoTable('natflow-selected'),
        NATFLOW_DYNAMODB_ENDPOINT: motoEndpoint,
      };
      const previous = { ...process.env };
      Object.assign(process.env, credentials); // the SDK's default provider reads process.env
      try {
        const store = await openStore(env);
        // Act
        await store.transaction(['vpc-1'], (tx) => tx.insert(fixtures.vpc('vpc-1'), { keys: [], refs: [] }));
        // Assess
        expect(await store.get('vpc-1')).toEqual(fixtures.vpc('vpc-1'));
        await store.close();
      } finally {
        for (const name of Object.keys(credentials)) {
          if (previous[name] === undefined) delete process.env[name];
          else process.env[name] = previous[name];
        }
      }
    },
  );

  it.each([
    { name: 'nothing set', env: {} },
    { name: 'NATFLOW_STORE=sqlite', env: { NATFLOW_STORE: 'sqlite' } },
  ])('opens SQLite under the data directory by default ($name)', async ({ env }) => {
    const dir = await mkdtemp(join(tmpdir(), 'natflow-open-store-'));
    try {
      const store = await openStore({ ...env, NATFLOW_DATA_DIR: join(dir, 'ignored') }, dir);
      await store.transaction(['vpc-1'], (tx) => tx.insert(fixtures.vpc('vpc-1'), { keys: [], refs: [] }));
      await store.close();
      expect(existsSync(join(dir, 'natflow.sqlite'))).toBe(true);
      expect(existsSync(join(dir, 'ignored'))).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('takes the SQLite directory from NATFLOW_DATA_DIR without an explicit one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'natflow-open-store-'));
    try {
      const store = await openStore({ NATFLOW_DATA_DIR: dir });
      await store.close();
      expect(existsSync(join(dir, 'natflow.sqlite'))).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.each([
    { env: { NATFLOW_STORE: 'dynamodb' }, message: /NATFLOW_TABLE/ },
    { env: { NATFLOW_STORE: 'dynamodb', NATFLOW_TABLE: ' ' }, message: /NATFLOW_TABLE/ },
    {
      env: { NATFLOW_STORE: 'postgres' },
      message: /NATFLOW_STORE must be one of sqlite, dynamodb; got "postgres"/,
    },
  ])('rejects $env clearly', async ({ env, message }) => {
    await expect(openStore(env)).rejects.toThrow(message);
  });
});
