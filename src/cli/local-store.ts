/**
 * The CLI's embedded store: SQLite at `<data dir>/natflow.sqlite`, shared by every command and by a
 * local stack running on the same data directory (WAL lets them use it at once).
 */
import { existsSync } from 'node:fs';
import { MemoryStore } from '../cloud/memory-store.ts';
import type { Store } from '../cloud/store.ts';
import { dataFile } from '../store/data-dir.ts';
import { openSqliteStore } from '../store/sqlite.ts';

export function localStorePath(dataDir: string): string {
  return dataFile(dataDir, 'store');
}

/** Opens (creating when missing) the local store of a data directory. */
export function openLocalStore(dataDir: string): Store {
  return openSqliteStore(localStorePath(dataDir));
}

/**
 * The local store for commands that only read it: an empty in-memory store when there is none yet,
 * so `natflow validate` or `natflow resources` in a fresh checkout create no `.natflow/` directory.
 */
export function openLocalReader(dataDir: string): Store {
  return existsSync(localStorePath(dataDir)) ? openLocalStore(dataDir) : new MemoryStore();
}
