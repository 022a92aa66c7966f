/**
 * `natflow probe` as a user runs it — the real bin in a child process, on a data directory where the
 * reference plan was provisioned — and the probe Lambda built with a store of its own. The CLI realises the data
 * plane in its own process (no stack runs), so `both` mode sends a real request.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { depsOf } from '../../functions/lib/deps.ts';
import { createHandler } from '../../functions/probe.ts';
import { openLocalStore } from '../../src/cli/local-store.ts';
import { ControlPlane } from '../../src/cloud/control-plane.ts';
import { MemoryStore } from '../../src/cloud/memory-store.ts';
import { PlanSchema } from '../../src/plan/plan.ts';
import { applyStep, PROVISION_STEPS } from '../../src/workflow/steps/index.ts';
import { referencePlan } from '../cloud/plans.ts';
import { referenceScenario } from './builder.ts';

const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), 'natflow-probe-'));

beforeAll(async () => {
  const store = openLocalStore(scratch);
  const cloud = new ControlPlane({ store });
  const plan = PlanSchema.parse(referencePlan());
  for (const step of PROVISION_STEPS) await applyStep(cloud, plan, step, { execution: 'exec-1' });
  await store.close();
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function natflow(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(
      'node_modules/.bin/node',
      ['bin/natflow.js', 'probe', '--data-dir', scratch, ...args],
      {
        env: { ...process.env, NO_COLOR: '1' },
      },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('CLI: natflow probe', () => {
  it('curls the transit IP for real and exits 0', async () => {
    // Act
    const { code, stdout } = await natflow(
      '--from',
      'ECS-A',
      '--to',
      '192.168.0.144:80',
      '--protocol',
      'http',
      '--json',
    );

    // Assess
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({
      verdict: 'REACHABLE',
      mode: 'both',
      live: { ok: true, status: 200, responder: 'ECS-B' },
    });
  });

  it.each([
    {
      args: ['--to', 'transit-ip-A:22', '--protocol', 'tcp'],
      exit: 1,
      what: 'an unreachable path expected reachable',
    },
    {
      args: ['--to', 'transit-ip-A:22', '--protocol', 'tcp', '--expect', 'unreachable'],
      exit: 0,
      what: 'an unreachable path expected so',
    },
    { args: ['--to', 'transit-ip-A', '--protocol', 'tcp'], exit: 2, what: '--to without a port' },
    { args: ['--to', 'transit-ip-A:80', '--protocol', 'icmp'], exit: 2, what: 'an unknown protocol' },
    { args: ['--to', '192.168.0.999:80', '--protocol', 'tcp'], exit: 2, what: 'a malformed address' },
    {
      args: ['--to', 'nowhere:80', '--protocol', 'tcp', '--mode', 'analyze'],
      exit: 2,
      what: 'an unknown name',
    },
  ])('exits $exit for $what', async ({ args, exit }) => {
    const { code } = await natflow('--from', 'ECS-A', ...args);
    expect(code).toBe(exit);
  });

  it('explains where the path stops', async () => {
    const { code, stdout } = await natflow(
      '--from',
      'ECS-A',
      '--to',
      'transit-ip-A:22',
      '--protocol',
      'tcp',
      '--mode',
      'analyze',
    );
    expect(code).toBe(1);
    expect(stdout).toContain('UNREACHABLE (NO_MATCHING_RULE at dnat)');
  });
});

describe('Lambda: probe', () => {
  it('analyses when no data plane runs', async () => {
    // Prepare
    const handler = createHandler(depsOf({ store: MemoryStore.from(referenceScenario().b.resources) }));

    // Act
    const report = await handler(
      { from: 'ECS-A', to: 'transit-ip-A', protocol: 'tcp', port: 22 },
      {} as never,
    );

    // Assess
    expect(report).toMatchObject({ verdict: 'UNREACHABLE', code: 'NO_MATCHING_RULE', mode: 'analyze' });
  });

  it('rejects a body without a port as VALIDATION_FAILED', async () => {
    const handler = createHandler(depsOf({ store: new MemoryStore() }));
    await expect(
      handler({ from: 'ECS-A', to: 'transit-ip-A', protocol: 'tcp' } as never, {} as never),
    ).rejects.toMatchObject({
      name: 'VALIDATION_FAILED',
    });
  });
});
