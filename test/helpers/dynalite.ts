/**
 * An in-process DynamoDB API (dynalite, in memory) on a random loopback port, and a client for it with
 * placeholder credentials. dynalite implements the item, query and condition APIs natflow uses, but not
 * TransactWriteItems: the adapter falls back to its guard-item sequence there.
 */
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { tableDefinition } from '../../src/store/dynamodb-table.ts';

type Dynalite = (options: {
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}) => Server;
// dynalite is CommonJS without type declarations; this is its documented factory.
const dynalite = createRequire(import.meta.url)('dynalite') as Dynalite;

export interface DynaliteServer {
  endpoint: string;
  /** A new client of this server (the caller destroys it). */
  client(): DynamoDBClient;
  /** Creates a natflow table and waits until it is ACTIVE. */
  createTable(name: string): Promise<void>;
  close(): Promise<void>;
}

export async function startDynalite(): Promise<DynaliteServer> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = () =>
    new DynamoDBClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
  const admin = client();
  return {
    endpoint,
    client,
    async createTable(name) {
      await admin.send(new CreateTableCommand(tableDefinition(name)));
      for (let i = 0; i < 100; i++) {
        const { Table } = await admin.send(new DescribeTableCommand({ TableName: name }));
        if (Table?.TableStatus === 'ACTIVE') return;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      throw new Error(`table ${name} did not become ACTIVE`);
    },
    async close() {
      admin.destroy();
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
