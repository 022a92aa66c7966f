/**
 * Running `natflow` as a user does, in tests: a separate process of `bin/natflow.js` on the pinned Node,
 * asynchronously (a stack this test process serves must keep answering meanwhile), and `natflow up` in
 * the background, read through its `--json` events.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const ROOT = join(import.meta.dirname, '../..');
export const NODE = join(ROOT, 'node_modules/.bin/node');
export const BIN = join(ROOT, 'bin/natflow.js');
export const REFERENCE = join(ROOT, 'examples/reference.plan.yaml');

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  json<T = Record<string, unknown>>(): T;
}

/** Variables a test's own environment must not leak into a command (the cloud, the token). */
const CLEAN = { NATFLOW_CLOUD: '', NATFLOW_TOKEN: '', NATFLOW_DATA_DIR: '' };

/** Runs a node script (or `bin/natflow.js` with `natflow`) and collects what it printed. */
export function run(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {},
): Promise<Run> {
  return runProgram(NODE, args, options);
}

/** Runs any program (`npm`, as a user types it) and collects what it printed. */
export function runProgram(
  program: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {},
): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(program, [...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, ...CLEAN, ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code: code ?? (signal ? -1 : 0),
        stdout,
        stderr,
        json: <T>() => JSON.parse(stdout) as T,
      });
    });
  });
}

/** `natflow ARGS` in its own process. */
export function natflow(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {},
): Promise<Run> {
  return run([BIN, ...args], options);
}

export interface RunningUp {
  url: string;
  child: ChildProcess;
  /** Every JSON event it printed so far. */
  events: Record<string, unknown>[];
  /** Resolves with the first event of `type` (the summary once a plan is provisioned). */
  next(type: string): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

/** `natflow up ARGS --port 0 --json` in the background; resolves once it serves. */
export function startUp(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<RunningUp> {
  const child = spawn(NODE, [BIN, 'up', ...args, '--port', '0', '--json'], {
    cwd: ROOT,
    env: { ...process.env, ...CLEAN, ...env },
  });
  const events: Record<string, unknown>[] = [];
  const waiting: { type: string; resolve: (event: Record<string, unknown>) => void }[] = [];
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    let event: Record<string, unknown>;
    try {
      event = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    events.push(event);
    for (const w of waiting.filter((w) => w.type === event.type)) {
      waiting.splice(waiting.indexOf(w), 1);
      w.resolve(event);
    }
  });
  const next = (type: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const seen = events.find((e) => e.type === type);
      if (seen) return resolve(seen);
      waiting.push({ type, resolve });
      child.once('close', (code) =>
        reject(new Error(`natflow up exited ${code} before '${type}': ${stderr}`)),
      );
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('close', () => resolve());
      child.kill('SIGTERM');
    });
  return next('stack').then((stack) => ({ url: String(stack.url), child, events, next, stop }));
}
