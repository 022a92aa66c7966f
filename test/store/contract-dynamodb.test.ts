import { afterAll, beforeAll } from 'vitest';
import { openDynamoStore } from '../../src/store/dynamodb.ts';
import { type DynaliteServer, startDynalite } from '../helpers/dynalite.ts';
import { storeContract } from './contract.ts';

let dynamo: DynaliteServer;
let tables = 0;

beforeAll(async () => {
  dynamo = await startDynalite();
});

afterAll(async () => {
  await dynamo.close();
});

// dynalite has no TransactWriteItems: this runs the guard-item sequence, after one refused attempt.
storeContract('DynamoDB (dynalite)', async () => {
  const tableName = `natflow-contract-${++tables}`;
  await dynamo.createTable(tableName);
  const client = dynamo.client();
  return { store: openDynamoStore({ tableName, client }), close: async () => client.destroy() };
});
