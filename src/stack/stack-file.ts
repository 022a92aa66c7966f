/**
 * `DATA_DIR/stack.json`: a running stack's URL and data-plane map, so CLI commands on the same data
 * directory use it instead of starting their own. Removed on close, if it still names this process.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';

export interface StackRecord {
  url: string;
  dataDir: string;
  startedAt: Date;
  dataPlane: unknown;
}

export function writeStackFile(file: string, record: StackRecord): void {
  const { url, dataDir, startedAt, dataPlane } = record;
  writeFileSync(
    file,
    `${JSON.stringify({ pid: process.pid, url, dataDir, startedAt: startedAt.toISOString(), dataPlane }, null, 2)}\n`,
  );
}

/** Removes the file if it still names this process (a later stack may have replaced it). */
export function removeStackFile(file: string): void {
  try {
    if ((JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown }).pid === process.pid)
      rmSync(file, { force: true });
  } catch {
    // Missing or unreadable: nothing of ours to remove.
  }
}
