/**
 * Whether the stack a data directory advertises (`DATA_DIR/stack.json`, written by `natflow up`) is
 * alive and is that stack, and a Step Functions client that falls back to an embedded stack when it is not.
 *
 * A CLI uses an advertised stack only if every one of these holds, checked before use:
 * - the file is natflow's record: a pid, an instance id, and a URL of the form natflow writes —
 *   `http://127.0.0.1:PORT`, nothing else (a record naming another address is never followed);
 * - its process exists (`kill(pid, 0)`);
 * - `GET /health` at that URL (sent with the CLI's token, when it has one) answers 200 with the instance id
 *   the file records — so a dead stack's file, or a port another server took since, is never trusted.
 * Otherwise the CLI ignores the file, says why on stderr, and runs its own embedded stack. The check is
 * made again when a call is refused (the stack stopped between the check and the call): a refused
 * connection never reached the stack, so the call is safe to send again, to this process's own embedded
 * stack. Embedded stacks of one-shot commands never write `stack.json` (`startStack({ advertise: false })`),
 * so no command finds another's short-lived stack.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { dataFile } from '../store/data-dir.ts';

export interface AdvertisedStack {
  url: string;
  pid: number;
  instance: string;
  dataPlane?: unknown;
}

/**
 * How long a stack has to answer `/health`: a live stack answers in milliseconds, but a loaded machine
 * must not make a CLI take a healthy stack for a dead one (a dead one is refused at once anyway).
 */
const HEALTH_TIMEOUT_MS = 3000;

/** Where natflow's own stacks listen, as `stack.json` records it. */
const LOCAL_URL = /^http:\/\/127\.0\.0\.1:([1-9][0-9]{0,4})$/;

/** What was wrong with a data directory's `stack.json`, or the stack it names, in one line for stderr. */
export type Ignored = { reason: string };

/** The record `stack.json` holds if it is natflow's and its process is alive, else why not (no health call). */
export function readStackFile(dataDir: string): AdvertisedStack | Ignored | undefined {
  const file = dataFile(dataDir, 'stack');
  if (!existsSync(file)) return undefined;
  let info: Partial<AdvertisedStack>;
  try {
    info = JSON.parse(readFileSync(file, 'utf8')) as Partial<AdvertisedStack>;
  } catch {
    return { reason: `${file} is not a stack record` };
  }
  if (typeof info !== 'object' || info === null || !Number.isInteger(info.pid) || (info.pid as number) <= 0)
    return { reason: `${file} is not a stack record` };
  const port = typeof info.url === 'string' ? Number(LOCAL_URL.exec(info.url)?.[1]) : Number.NaN;
  if (!(port >= 1 && port <= 65535))
    return {
      reason: `${file} names ${JSON.stringify(info.url)}, not a stack natflow runs (http://127.0.0.1:PORT)`,
    };
  if (typeof info.instance !== 'string' || info.instance === '')
    return { reason: `${file} records no instance id (written by an older natflow)` };
  if (info.pid !== process.pid && !processAlive(info.pid as number))
    return { reason: `the stack ${file} names (pid ${info.pid}) is not running` };
  return {
    url: info.url as string,
    pid: info.pid as number,
    instance: info.instance,
    ...(info.dataPlane === undefined ? {} : { dataPlane: info.dataPlane }),
  };
}

/** The stack `stack.json` names, if its record is natflow's and its process alive (no health call). */
export function advertisedStack(dataDir: string): AdvertisedStack | undefined {
  const found = readStackFile(dataDir);
  return found && !('reason' in found) ? found : undefined;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    // ESRCH: gone. EPERM: another user's process — not a stack this user runs on this directory.
    return false;
  }
}

/**
 * Whether `GET /health` at `url` answers 200 within `timeoutMs` with the instance id `instance` (when
 * given); the reason when it does not.
 */
export async function checkHealth(
  url: string,
  options: { instance?: string | undefined; token?: string | undefined; timeoutMs?: number } = {},
): Promise<{ ok: true } | { ok: false; reason: string }> {
  let response: Response;
  try {
    response = await fetch(new URL('/health', url), {
      headers: {
        Accept: 'application/json',
        ...(options.token ? { Authorization: `Bearer ${options.token}` } : {}),
      },
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs ?? HEALTH_TIMEOUT_MS),
    });
  } catch {
    return { ok: false, reason: `nothing answers ${url}/health` };
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  if (response.status !== 200) return { ok: false, reason: `${url}/health answered HTTP ${response.status}` };
  const health = (body ?? {}) as { service?: unknown; instance?: unknown };
  if (health.service !== 'natflow') return { ok: false, reason: `${url} is not a natflow stack` };
  if (options.instance !== undefined && health.instance !== options.instance)
    return { ok: false, reason: `${url} is another natflow stack than the one recorded` };
  return { ok: true };
}

/** `GET /health` answers 200 (any natflow stack). */
export async function healthy(url: string, timeoutMs = HEALTH_TIMEOUT_MS): Promise<boolean> {
  return (await checkHealth(url, { timeoutMs })).ok;
}

export interface LiveStackOptions {
  /** The CLI's token (`--token`, NATFLOW_TOKEN), sent with the health check. */
  token?: string | undefined;
  /** Told why a `stack.json` is ignored (the CLI: stderr). */
  warn?: ((text: string) => void) | undefined;
}

/**
 * The advertised stack, if its record is natflow's, its process alive and its `/health` answers the
 * recorded instance; otherwise undefined, after telling `warn` why the file is ignored.
 */
export async function liveStack(
  dataDir: string,
  options: LiveStackOptions = {},
): Promise<AdvertisedStack | undefined> {
  const found = readStackFile(dataDir);
  if (!found) return undefined;
  const ignore = (reason: string) => {
    options.warn?.(`natflow: ignoring ${dataFile(dataDir, 'stack')}: ${reason}; running an embedded stack`);
    return undefined;
  };
  if ('reason' in found) return ignore(found.reason);
  const health = await checkHealth(found.url, { instance: found.instance, token: options.token });
  return health.ok ? found : ignore(health.reason);
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
