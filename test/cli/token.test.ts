/**
 * The token on every CLI path (docs/cli.md#the-token): with a stack started with NATFLOW_TOKEN, each
 * client the CLI builds — the Step Functions client of a command on the data directory of a running
 * stack, the API client of `--endpoint`, `up PLAN`'s own client, the calls to the stack's routes
 * (`executions rollback`, `probe`), `plans` — sends the token it has (NATFLOW_TOKEN, or `--token`); a missing or
 * wrong token is a clear UNAUTHORIZED, exit 2, never INTERNAL and never a stack trace.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../../src/stack/stack.ts';
import { NATFLOW, NODE, ROOT } from '../reliability/support.ts';

const TOKEN = 's3cret';
const REFERENCE = join(ROOT, 'examples/reference.plan.yaml');
const PLAN = 'app-a-to-elb01';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** A CLI process (never blocking this one, whose stack it talks to), with `env` over a clean token. */
function natflow(env: Record<string, string>, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      NODE,
      [NATFLOW, ...args],
      { cwd: ROOT, encoding: 'utf8', timeout: 90_000, env: { ...process.env, NATFLOW_TOKEN: '', ...env } },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    );
  });
}

/** A refusal as docs/cli.md wants it: UNAUTHORIZED, exit 2, the way out named, nothing internal. */
function expectUnauthorized(run: Run, json = false): void {
  expect(run.code, run.stdout + run.stderr).toBe(2);
  if (json) expect(JSON.parse(run.stdout)).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
  else expect(run.stderr).toMatch(/natflow: UNAUTHORIZED: the stack at http:\/\/127\.0\.0\.1:\d+ /);
  const all = run.stdout + run.stderr;
  expect(all).not.toMatch(/INTERNAL|internal error|UnknownError/);
  expect(all).not.toMatch(/\s{4}at |node_modules/);
  // Neither the token sent nor the stack's is ever echoed.
  expect(all).not.toContain('wrong-token');
  expect(all).not.toContain(TOKEN);
}

describe('NATFLOW_TOKEN=s3cret natflow up PLAN --once', () => {
  it('provisions the reference plan through its own tokened API and exits 0 (was INTERNAL, exit 1)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'natflow-token-up-'));
    try {
      const run = await natflow(
        { NATFLOW_TOKEN: TOKEN },
        'up',
        REFERENCE,
        '--once',
        '--port',
        '0',
        '--data-dir',
        dataDir,
      );
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/SUCCEEDED/);
      expect(run.stderr).not.toMatch(/UNAUTHORIZED|internal error/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('the CLI beside a running stack with NATFLOW_TOKEN', () => {
  let dataDir: string;
  let stack: Stack;
  let url: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'natflow-token-'));
    stack = await startStack({ dataDir, port: 0, dataPlane: false, token: TOKEN });
    url = stack.url as string;
  });
  afterAll(async () => {
    await stack.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** The arguments, on the running stack's data directory. */
  const on = (...args: string[]) => [...args, '--data-dir', dataDir];

  it('provisions through that stack with the token from NATFLOW_TOKEN (was INTERNAL)', async () => {
    const run = await natflow({ NATFLOW_TOKEN: TOKEN }, ...on('provision', REFERENCE, '--json'));
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'SUCCEEDED' });
    // It ran on the running stack, not an embedded one of its own.
    const listed = await stack.sfn.listExecutions({ stateMachineArn: stack.stateMachineArn('provision') });
    expect(listed.executions).toHaveLength(1);
  });

  it('lists executions with NATFLOW_TOKEN, and with --token', async () => {
    for (const run of [
      await natflow({ NATFLOW_TOKEN: TOKEN }, ...on('executions', 'list', '--json')),
      await natflow({}, ...on('executions', 'list', '--json', '--token', TOKEN)),
    ]) {
      expect(run.code, run.stderr).toBe(0);
      expect((JSON.parse(run.stdout) as { executions: unknown[] }).executions).toHaveLength(1);
    }
  });

  it('lists the plans with the token, locally and through --endpoint (was UNAUTHORIZED with it)', async () => {
    for (const run of [
      await natflow({ NATFLOW_TOKEN: TOKEN }, ...on('plans', '--json')),
      await natflow({}, ...on('plans', '--json', '--token', TOKEN)),
      await natflow({ NATFLOW_TOKEN: TOKEN }, 'plans', '--endpoint', url, '--json'),
    ]) {
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({
        plans: [{ plan: PLAN, lastExecution: { workflow: 'provision', status: 'SUCCEEDED' } }],
      });
    }
    expectUnauthorized(await natflow({}, ...on('plans')));
    expectUnauthorized(
      await natflow({ NATFLOW_TOKEN: 'wrong-token' }, 'plans', '--endpoint', url, '--json'),
      true,
    );
  });

  it('refuses without the token, and with a wrong one: UNAUTHORIZED, exit 2', async () => {
    expectUnauthorized(await natflow({}, ...on('executions', 'list')));
    expect((await natflow({}, ...on('executions', 'list'))).stderr).toMatch(
      /set NATFLOW_TOKEN or pass --token/,
    );
    expectUnauthorized(
      await natflow({ NATFLOW_TOKEN: 'wrong-token' }, ...on('executions', 'list', '--json')),
      true,
    );
    const wrongFlag = await natflow(
      { NATFLOW_TOKEN: TOKEN },
      ...on('teardown', PLAN, '--token', 'wrong-token'),
    );
    expectUnauthorized(wrongFlag);
    expect(wrongFlag.stderr).toMatch(/refused the token/);
  });

  it('sends the token on the routes it calls itself (executions rollback, probe)', async () => {
    // rollback of a provisioning that ran with onFailure: rollback is refused by the rules, not the token
    const [execution] =
      (await stack.sfn.listExecutions({ stateMachineArn: stack.stateMachineArn('provision') })).executions ??
      [];
    const rollback = await natflow(
      { NATFLOW_TOKEN: TOKEN },
      ...on('executions', 'rollback', execution?.name as string, '--json'),
    );
    expect(rollback.code, rollback.stderr).toBe(2);
    expect(JSON.parse(rollback.stdout)).toMatchObject({ error: { code: 'ROLLBACK_REFUSED' } });
    const probe = await natflow(
      { NATFLOW_TOKEN: TOKEN },
      ...on(
        'probe',
        '--from',
        'ECS-A',
        '--to',
        'transit-ip-A:80',
        '--protocol',
        'http',
        '--mode',
        'analyze',
        '--json',
      ),
    );
    expect(probe.code, probe.stderr).toBe(0);
    expect(JSON.parse(probe.stdout)).toMatchObject({ verdict: 'REACHABLE' });
    expectUnauthorized(
      await natflow({}, ...on('probe', '--from', 'ECS-A', '--to', 'transit-ip-A:80', '--protocol', 'http')),
    );
  });

  it('talks to --endpoint with the token, and refuses clearly without it (was 401, exit 2, unexplained)', async () => {
    const withToken = await natflow({ NATFLOW_TOKEN: TOKEN }, 'resources', '--endpoint', url, '--json');
    expect(withToken.code, withToken.stderr).toBe(0);
    expect((JSON.parse(withToken.stdout) as { resources: unknown[] }).resources.length).toBeGreaterThan(0);
    const withFlag = await natflow({}, 'resources', '--endpoint', url, '--token', TOKEN, '--json');
    expect(withFlag.code, withFlag.stderr).toBe(0);
    expectUnauthorized(await natflow({}, 'resources', '--endpoint', url));
    expectUnauthorized(
      await natflow({ NATFLOW_TOKEN: 'wrong-token' }, 'resources', '--endpoint', url, '--json'),
      true,
    );
  });

  it('tears down through --endpoint with the token', async () => {
    const run = await natflow({ NATFLOW_TOKEN: TOKEN }, 'teardown', PLAN, '--endpoint', url, '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'SUCCEEDED' });
  });
});
