/**
 * `DATA_DIR/stack.json`: a running stack's URL, instance id and data-plane map, so CLI commands on the
 * same data directory use it instead of starting their own. Written 0600; removed on close, if it still
 * names this process.
 *
 * The instance id is a random id the stack draws when it starts and also answers on `GET /health`
 * (docs/http-api.md): a CLI trusts the file only when the stack at that URL answers the same id
 * (src/cli/live-stack.ts), so a file left by a dead stack, or naming an address something else now
 * listens on, is never followed.
 */
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { DATA_FILE_MODE } from '../store/data-dir.ts';

export interface StackRecord {
  url: string;
  /** The stack's instance id, as its `/health` answers it. */
  instance: string;
  dataDir: string;
  startedAt: Date;
  dataPlane: unknown;
}

export function writeStackFile(file: string, record: StackRecord): void {
  const { url, instance, dataDir, startedAt, dataPlane } = record;
  const text = `${JSON.stringify(
    { pid: process.pid, url, instance, dataDir, startedAt: startedAt.toISOString(), dataPlane },
    null,
    2,
  )}\n`;
  writeFileSync(file, text, { mode: DATA_FILE_MODE });
  // The mode above applies only to a new file: an older one keeps its own unless told.
  chmodSync(file, DATA_FILE_MODE);
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
