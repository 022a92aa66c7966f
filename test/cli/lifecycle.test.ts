/**
 * The README's lifecycle commands as a new user types them (docs/cli.md): `natflow up` on a port in use
 * exits 2 at once (with --once too) and starts nothing; `teardown` takes the plan file or the plan's
 * name; `natflow plans` lists what is provisioned (and `GET /plans` the same); executions started by
 * the CLI and by the API are named alike, `PLAN-YYYYMMDDTHHMMSSZ-XXXX`.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { natflow, REFERENCE, startUp } from './support.ts';

const NAME = /^app-a-to-elb01-\d{8}T\d{6}Z-[0-9a-f]{4}$/;

let dir: string;
const cli = (...args: string[]) => natflow([...args, '--data-dir', join(dir, 'data')]);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'natflow-lifecycle-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('natflow up on a port in use', () => {
  let holder: Server;
  let port: number;

  beforeAll(async () => {
    holder = createServer();
    await new Promise<void>((done) => holder.listen(0, '127.0.0.1', () => done()));
    port = (holder.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise<void>((done) => holder.close(() => done()));
  });

  it.each([
    { name: 'serving', args: [] as string[] },
    { name: '--once with a plan', args: [REFERENCE, '--once'] },
    { name: '--json', args: ['--json'] },
  ])('exits 2 at once ($name), saying so, and starts nothing', async ({ args }) => {
    // Act: a hang would be killed after 20 s and fail the exit code.
    const dataDir = join(dir, `busy-${Math.random().toString(36).slice(2)}`);
    const result = await natflow(['up', ...args, '--port', String(port), '--data-dir', dataDir], {
      timeoutMs: 20_000,
    });

    // Assess
    expect(result.code).toBe(2);
    expect(result.stdout + result.stderr).toContain(`port ${port} is in use on 127.0.0.1`);
    expect(existsSync(dataDir)).toBe(false);
  });
});

describe('provision, plans, verify and teardown by the plan file', () => {
  it('provisions under a name of the one format', async () => {
    const result = await cli('provision', REFERENCE, '--json');
    expect(result.code, result.stderr).toBe(0);
    expect(result.json()).toMatchObject({ status: 'SUCCEEDED', name: expect.stringMatching(NAME) });
  });

  it('natflow plans lists the plan: cloud, resources, its provisioning and verification', async () => {
    const result = await cli('plans', '--json');
    expect(result.code, result.stderr).toBe(0);
    expect(result.json()).toEqual({
      plans: [
        {
          plan: 'app-a-to-elb01',
          cloud: 'virtual',
          resources: 14,
          lastExecution: {
            name: expect.stringMatching(NAME),
            workflow: 'provision',
            status: 'SUCCEEDED',
            startDate: expect.any(String),
          },
          lastVerification: { ok: true, at: expect.any(String) },
        },
      ],
    });
    const human = await cli('plans');
    expect(human.stdout).toMatch(/^PLAN\s+CLOUD\s+RESOURCES\s+LAST EXECUTION\s+LAST VERIFICATION$/m);
    expect(human.stdout).toMatch(/^app-a-to-elb01\s+virtual\s+14\s+provision SUCCEEDED .+\s+ok /m);
  });

  it('natflow verify becomes the last execution', async () => {
    const verified = await cli('verify', 'app-a-to-elb01', '--json');
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.json()).toMatchObject({ name: expect.stringMatching(NAME) });
    const { plans } = (await cli('plans', '--json')).json<{
      plans: { lastExecution: { workflow: string } }[];
    }>();
    expect(plans[0]?.lastExecution.workflow).toBe('verify');
  });

  it.each([
    { name: 'a plan file that does not exist', target: 'examples/no-such.plan.yaml', code: 'FILE_NOT_FOUND' },
    { name: 'something that is neither a file nor a plan name', target: 'No Such Plan', code: 'USAGE' },
  ])('teardown of $name exits 2 ($code), starting nothing', async ({ target, code }) => {
    const result = await cli('teardown', target, '--json');
    expect(result.code).toBe(2);
    expect(result.json()).toMatchObject({ error: { code } });
    expect((await cli('plans', '--json')).json()).toMatchObject({ plans: [{ resources: 14 }] });
  });

  it('teardown of a file that is no plan exits 2 with MALFORMED_PLAN', async () => {
    const notAPlan = join(dir, 'list.yaml');
    writeFileSync(notAPlan, '- a\n- b\n');
    const result = await cli('teardown', notAPlan, '--json');
    expect(result.code).toBe(2);
    expect(result.json()).toMatchObject({ error: { code: 'MALFORMED_PLAN' } });
  });

  it('teardown examples/reference.plan.yaml (the file) tears the plan down', async () => {
    const result = await cli('teardown', REFERENCE, '--json');
    expect(result.code, result.stderr + result.stdout).toBe(0);
    expect(result.json()).toMatchObject({
      status: 'SUCCEEDED',
      workflow: 'teardown',
      name: expect.stringMatching(NAME),
    });
    expect((await cli('resources', '--json')).json()).toEqual({ resources: [] });
    expect((await cli('plans', '--json')).json()).toEqual({ plans: [] });
  });

  it('teardown by the plan’s name works the same', async () => {
    expect((await cli('provision', REFERENCE, '--json')).code).toBe(0);
    const result = await cli('teardown', 'app-a-to-elb01', '--json');
    expect(result.code, result.stderr).toBe(0);
    expect((await cli('resources', '--json')).json()).toEqual({ resources: [] });
  });
});

describe('one execution-name format across the CLI and the API', () => {
  it('POST /executions without a name names it as the CLI does', async () => {
    const up = await startUp(['--data-dir', join(dir, 'api')]);
    try {
      const plan = await natflow(['validate', REFERENCE, '--json']);
      expect(plan.code).toBe(0);
      const { parse } = await import('yaml');
      const { readFileSync } = await import('node:fs');
      const response = await fetch(new URL('/executions', up.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ workflow: 'provision', input: parse(readFileSync(REFERENCE, 'utf8')) }),
      });
      expect(response.status).toBe(201);
      expect(((await response.json()) as { name: string }).name).toMatch(NAME);
    } finally {
      await up.stop();
    }
  });
});
