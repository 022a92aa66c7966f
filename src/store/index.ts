/**
 * Chooses the store adapter from the environment: `NATFLOW_STORE=sqlite` (the default: a file under
 * the data directory, what the CLI and the local runtime use) or `dynamodb` (the deployed stack: the
 * table `NATFLOW_TABLE`, at `NATFLOW_DYNAMODB_ENDPOINT` when set, e.g. a local emulator).
 *
 * Adapters are imported on demand, so a Lambda bundle that selects DynamoDB never loads `node:sqlite`
 * and the CLI never loads the AWS SDK.
 */
import type { Store } from '../cloud/store.ts';
import { DEFAULT_DATA_DIR, dataFile } from './data-dir.ts';

export const STORE_KINDS = ['sqlite', 'dynamodb'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

/** Opens the store `env` selects; `dataDir` overrides `NATFLOW_DATA_DIR` for SQLite. */
export async function openStore(env: NodeJS.ProcessEnv, dataDir?: string): Promise<Store> {
  const kind = env.NATFLOW_STORE?.trim() || 'sqlite';
  switch (kind) {
    case 'sqlite': {
      const { openSqliteStore } = await import('./sqlite.ts');
      return openSqliteStore(dataFile(dataDir ?? env.NATFLOW_DATA_DIR ?? DEFAULT_DATA_DIR, 'store'));
    }
    case 'dynamodb': {
      const tableName = env.NATFLOW_TABLE?.trim();
      if (!tableName) throw new Error('NATFLOW_STORE=dynamodb needs NATFLOW_TABLE, the name of the table');
      const { openDynamoStore } = await import('./dynamodb.ts');
      const endpoint = env.NATFLOW_DYNAMODB_ENDPOINT?.trim();
      return openDynamoStore({ tableName, ...(endpoint ? { endpoint } : {}) });
    }
    default:
      throw new Error(`NATFLOW_STORE must be one of ${STORE_KINDS.join(', ')}; got "${kind}"`);
  }
}
