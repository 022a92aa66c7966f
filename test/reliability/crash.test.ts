/**
 * Crash, through the real process boundary: `natflow up PLAN` runs in a child process with
 * gateways held PENDING (NATFLOW_PROVISIONING_DELAY_MS), so the provisioning is in its Wait loop with
 * resources created; the child is SIGKILLed (no handler, no cleanup); a new `natflow up` on the same data
 * directory shows the execution FAILED (never RUNNING), has rolled its resources back, and the plan
 * provisioned again converges — a third run creates nothing more.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { api, countByType, NATFLOW, NODE, natflow, ROOT, sleep } from './support.ts';

const PLAN_FILE = join(ROOT, 'examples/reference.plan.yaml');

interface Up {
  child: ChildProcessWithoutNullStreams;
  url: string;
  recovered: number;
  lines: string[];
}

/** Starts `natflow up [PLAN] --port 0 --json` and resolves once its `stack` event gives the URL. */
function up(dataDir: string, args: string[], env: Record<string, string> = {}): Promise<Up> {
  const child = spawn(
    NODE,
    ['--no-warnings', NATFLOW, 'up', ...args, '--port', '0', '--json', '--data-dir', dataDir],
    {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', ...env },
    },
  );
  const lines: string[] = [];
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`natflow up did not start: ${stderr}`)), 30_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      const event = JSON.parse(line) as { type?: string; url?: string; recovered?: number };
      if (event.type === 'stack' && event.url) {
        clearTimeout(timer);
        resolve({ child, url: event.url, recovered: event.recovered ?? 0, lines });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`natflow up exited ${code}: ${stderr}`));
    });
  });
}

function exited(child: ChildProcessWithoutNullStreams): Promise<NodeJS.Signals | number | null> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve(child.signalCode ?? child.exitCode);
  return new Promise((done) => child.once('exit', (code, signal) => done(signal ?? code)));
}

describe('SIGKILL in the middle of a provisioning, then a restart on the same data directory', () => {
  const children: ChildProcessWithoutNullStreams[] = [];
  let dataDir: string | undefined;
  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited(child);
      }
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('shows the execution FAILED, has rolled it back, and converges when the plan runs again', async () => {
    // Prepare: a provisioning that stays in its Wait loop (gateways PENDING for a minute)
    dataDir = mkdtempSync(join(tmpdir(), 'natflow-crash-'));
    const first = await up(dataDir, [PLAN_FILE], { NATFLOW_PROVISIONING_DELAY_MS: '60000' });
    children.push(first.child);
    let created: unknown[] = [];
    for (
      let i = 0;
      i < 500 && !created.some((r) => (r as { type: string }).type === 'private-nat-gateway');
      i++
    ) {
      await sleep(20);
      created = (await api(first.url, '/resources')).json?.resources ?? [];
    }
    expect(created.length).toBeGreaterThan(5);
    const running = (await api(first.url, '/executions?workflow=provision')).json.executions;
    expect(running).toHaveLength(1);
    expect(running[0].status).toBe('RUNNING');
    const name = running[0].name as string;

    // Act: kill it (no signal handler runs), then start again on the same directory
    first.child.kill('SIGKILL');
    expect(await exited(first.child)).toBe('SIGKILL');
    const second = await up(dataDir, []);
    children.push(second.child);

    // Assess: closed FAILED at start, rolled back, nothing RUNNING
    expect(second.recovered).toBe(1);
    const described = (await api(second.url, `/executions/${name}`)).json;
    expect(described).toMatchObject({ status: 'FAILED' });
    // The cause is the failure document (docs/real-cloud.md#failure).
    expect(described.cause).toMatchObject({ message: expect.stringMatching(/restarted/) });
    expect((await api(second.url, '/executions?status=RUNNING')).json.executions).toEqual([]);
    expect((await api(second.url, '/resources')).json.resources).toEqual([]);

    // Act: the plan again, through the running stack (the CLI finds it in stack.json), twice
    const rerun = await natflow(['provision', PLAN_FILE, '--json', '--data-dir', dataDir]);
    expect(rerun.code, rerun.stderr).toBe(0);
    const once = (await api(second.url, '/resources')).json.resources as { id: string; type: string }[];
    const again = await natflow(['provision', PLAN_FILE, '--json', '--data-dir', dataDir]);
    expect(again.code, again.stderr).toBe(0);
    const twice = (await api(second.url, '/resources')).json.resources as { id: string; type: string }[];

    // Assess: one of each entry of the plan, the same ids both times
    expect(countByType(once as never)).toEqual({
      vpc: 2,
      subnet: 2,
      server: 2,
      'security-group': 2,
      'backend-group': 1,
      'load-balancer': 1,
      listener: 1,
      'transit-ip': 1,
      'private-nat-gateway': 1,
      'dnat-rule': 1,
    });
    expect(twice.map((r) => r.id).sort()).toEqual(once.map((r) => r.id).sort());
  });
});
