/**
 * A command's cloud settings, for the executions it starts in a running stack (docs/clouds.md
 * "Settings of a command, in a running stack"; docs/decisions.md).
 *
 * A provider reads its settings and credentials (`HUAWEICLOUD_*`) from the environment. A workflow
 * that `natflow provision` starts in a running `natflow up` runs in that process, whose environment is
 * not the command's. So the CLI hands its settings — the variables of every provider's
 * `environment` prefixes in the registry, nothing else — to the stack with the call that starts (or
 * redrives, or rolls back) the execution: the header `x-natflow-cloud-settings`, over loopback, behind
 * the stack's token like every call. The stack keeps them in memory only:
 *
 * - for the request that carried them (an AsyncLocalStorage context: the API handler it runs, and
 *   the work that request starts, such as the execution's first steps);
 * - and for each execution a Task of which ran under them (`bind`), until that execution closes, so a
 *   step that runs later (after a Wait, a retry, a redrive) still finds them.
 *
 * They are never written to disk, never put in an execution's input or history, and never logged.
 * Where none were handed in, the stack's own environment applies, as before. Settings handed in
 * replace the stack's own provider variables entirely (no mixing of two accounts' keys).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { SETTINGS_PREFIXES } from '../providers/registry.ts';

/** The header the CLI sends its settings in: base64url of a JSON object of strings. */
export const CLOUD_SETTINGS_HEADER = 'x-natflow-cloud-settings';

type Env = Readonly<Record<string, string | undefined>>;

const isSetting = (name: string) => SETTINGS_PREFIXES.some((prefix) => name.startsWith(prefix));

/** The provider settings of an environment: its variables under the registry's prefixes. */
export function settingsOf(env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env))
    if (isSetting(name) && value !== undefined) out[name] = value;
  return out;
}

/** The header's value for an environment's settings, or undefined when it has none. */
export function settingsHeader(env: Env): string | undefined {
  const settings = settingsOf(env);
  return Object.keys(settings).length === 0
    ? undefined
    : Buffer.from(JSON.stringify(settings)).toString('base64url');
}

/** The settings a header carries; anything but provider variables with string values is dropped. */
export function parseSettingsHeader(value: unknown): Record<string, string> | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const out: Record<string, string> = {};
  for (const [name, setting] of Object.entries(parsed))
    if (isSetting(name) && typeof setting === 'string') out[name] = setting;
  return Object.keys(out).length === 0 ? undefined : out;
}

export class CloudSettings {
  readonly #request = new AsyncLocalStorage<Record<string, string>>();
  readonly #byExecution = new Map<string, Record<string, string>>();
  readonly #base: Env;

  /** `base`: the stack's own environment, whose provider variables the handed-in ones replace. */
  constructor(base: Env = process.env) {
    this.#base = base;
  }

  /** Runs `serve` with the settings a request's header carries (or as is, without them). */
  serveWith<T>(header: unknown, serve: () => T): T {
    const settings = parseSettingsHeader(header);
    return settings ? this.#request.run(settings, serve) : serve();
  }

  /**
   * Called as a Task of `executionArn` starts: settings in the current context become that execution's
   * (a redrive's replace those of its first run).
   */
  bind(executionArn: string): void {
    const settings = this.#request.getStore();
    if (settings) this.#byExecution.set(executionArn, settings);
  }

  /** The header that hands the current request's settings on (the stack calling its own API). */
  currentHeader(): string | undefined {
    const settings = this.#request.getStore();
    return settings ? Buffer.from(JSON.stringify(settings)).toString('base64url') : undefined;
  }

  /** Forgets a closed execution's settings. */
  forget(executionArn: string): void {
    this.#byExecution.delete(executionArn);
  }

  /** How many executions hold settings (tests: none is left once they closed). */
  get size(): number {
    return this.#byExecution.size;
  }

  /**
   * The environment a provider reads now: the current request's settings, else those of the execution
   * whose Task is running, else the stack's own.
   */
  envFor(executionArn: string | undefined): Env {
    const settings =
      this.#request.getStore() ??
      (executionArn === undefined ? undefined : this.#byExecution.get(executionArn));
    if (!settings) return this.#base;
    const env: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(this.#base)) if (!isSetting(name)) env[name] = value;
    return { ...env, ...settings };
  }
}
