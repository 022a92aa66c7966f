import { describe } from 'vitest';
import { openDynamoStore } from '../../src/store/dynamodb.ts';
import { createMotoTable, motoAvailable, motoClient } from '../helpers/moto.ts';
import { storeContract } from './contract.ts';

// The production path: TransactWriteItems with scope counters, on moto's DynamoDB.
describe.runIf(motoAvailable)('on moto', () => {
  storeContract('DynamoDB (moto)', async () => {
    const tableName = await createMotoTable('natflow-contract');
    const client = motoClient();
    return { store: openDynamoStore({ tableName, client }), close: async () => client.destroy() };
  });
});
