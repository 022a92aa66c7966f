/**
 * Whether the stack a data directory advertises (`DATA_DIR/stack.json`, written by `natflow up`) is alive,
 * and a Step Functions client that falls back to an embedded stack when it is not.
 *
 * A CLI uses an advertised stack only if it is alive: its process exists (`kill(pid, 0)`) and its
 * `/health` answers 200 — checked before use and again when a call is refused (the stack stopped between
 * the check and the call). A refused connection never reached the stack, so the call is safe to send
 * again, to this process's own embedded stack. Embedded stacks of one-shot commands never write
 * `stack.json` (`startStack({ advertise: false })`), so no command finds another's short-lived stack.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { dataFile } from '../store/data-dir.ts';

export interface AdvertisedStack {
  url: string;
  pid: number;
  dataPlane?: unknown;
}

/** The stack `stack.json` names, if its process is alive (no health call: see `liveStack`). */
export function advertisedStack(dataDir: string): AdvertisedStack | undefined {
  const file = dataFile(dataDir, 'stack');
  if (!existsSync(file)) return undefined;
  try {
    const info = JSON.parse(readFileSync(file, 'utf8')) as AdvertisedStack;
    if (typeof info.url !== 'string' || !Number.isInteger(info.pid)) return undefined;
    if (info.pid !== process.pid) process.kill(info.pid, 0);
    return info;
  } catch {
    return undefined;
  }
}

/** `GET /health` answers 200 within `timeoutMs`. */
export async function healthy(url: string, timeoutMs = 1000): Promise<boolean> {
  try {
    const response = await fetch(new URL('/health', url), { signal: AbortSignal.timeout(timeoutMs) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

/** The advertised stack, if its process is alive and its `/health` answers. */
export async function liveStack(dataDir: string): Promise<AdvertisedStack | undefined> {
  const info = advertisedStack(dataDir);
  if (!info) return undefined;
  return (await healthy(info.url)) ? info : undefined;
}

/** The connection was refused: nothing listens there any more, and the call never reached a stack. */
export function isRefused(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (code === 'ECONNREFUSED') return true;
    const message = (e as { message?: unknown }).message;
    if (typeof message === 'string' && /\bECONNREFUSED\b/.test(message)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Makes `client.send` retry once on `fallback()`'s client when a call is refused and the advertised
 * stack is no longer alive (checked again: a refused call to a live stack is an error of its own).
 * `fallback` runs at most once; later calls go straight to its client.
 */
export function withFallback(
  client: SFNClient,
  stillAlive: () => Promise<boolean>,
  fallback: () => Promise<SFNClient>,
): SFNClient {
  const original = client.send.bind(client) as (...args: unknown[]) => Promise<unknown>;
  let replacement: Promise<SFNClient> | undefined;
  const send = async (...args: unknown[]): Promise<unknown> => {
    if (replacement) return ((await replacement).send as (...a: unknown[]) => Promise<unknown>)(...args);
    try {
      return await original(...args);
    } catch (error) {
      if (!isRefused(error) || (await stillAlive())) throw error;
      replacement ??= fallback();
      return ((await replacement).send as (...a: unknown[]) => Promise<unknown>)(...args);
    }
  };
  client.send = send as SFNClient['send'];
  return client;
}
