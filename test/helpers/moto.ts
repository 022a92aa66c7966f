/**
 * Clients of the moto DynamoDB the global setup started (test/setup/moto.ts), with placeholder
 * credentials, and fresh natflow tables on it. `motoAvailable` is false when moto is not installed
 * outside CI: the suites that need it skip (under CI=true the setup has already failed the run).
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import { tableDefinition } from '../../src/store/dynamodb-table.ts';

export const motoEndpoint = inject('motoEndpoint');
export const motoAvailable = motoEndpoint !== '';

let tables = 0;

/** A new client of moto (the caller destroys it). `maxAttempts: 1`: the store sees every fault. */
export function motoClient(): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: motoEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    maxAttempts: 1,
  });
}

/** Creates a natflow table with a name unique to this run and file (moto creates it ACTIVE). */
export async function createMotoTable(prefix: string): Promise<string> {
  const name = `${prefix}-${process.pid}-${++tables}`;
  const admin = motoClient();
  try {
    await admin.send(new CreateTableCommand(tableDefinition(name)));
  } finally {
    admin.destroy();
  }
  return name;
}
