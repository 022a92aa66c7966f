/**
 * The files of a natflow data directory (`.natflow/` by default, `--data-dir`, `NATFLOW_DATA_DIR`), in
 * one place: the store, the local Step Functions history, and the record of a running stack.
 */
import { join } from 'node:path';

export const DEFAULT_DATA_DIR = '.natflow';

export const DATA_FILES = {
  /** The resource store (SQLite, WAL): shared by the stack and every CLI command. */
  store: 'natflow.sqlite',
  /** The local Step Functions service's executions and their histories. */
  executions: 'executions.sqlite',
  /** A running stack's URL, pid and data-plane map (present while it runs). */
  stack: 'stack.json',
} as const;

export type DataFile = keyof typeof DATA_FILES;

/** The path of one of a data directory's files. */
export function dataFile(dataDir: string, file: DataFile): string {
  return join(dataDir, DATA_FILES[file]);
}
