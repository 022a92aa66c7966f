/**
 * The stack file and the data directory (docs/cli.md#where-a-command-runs): a CLI follows
 * `DATA_DIR/stack.json` only when it is natflow's record of a stack on http://127.0.0.1:PORT whose
 * process is alive and whose /health answers the recorded instance id; anything else — another address,
 * a server that answers 200 but is no natflow stack, one that answers 503, another natflow stack — is
 * ignored, said on stderr, and the command runs on its own embedded stack. The data directory is 0700
 * and its files 0600; a looser one is tightened, and the stack says so.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { liveStack } from '../../src/cli/live-stack.ts';
import { openSession } from '../../src/cli/session.ts';
import { type Stack, startStack } from '../../src/stack/stack.ts';
import { NATFLOW, NODE, ROOT } from '../reliability/support.ts';

const REFERENCE = join(ROOT, 'examples/reference.plan.yaml');

/** A loopback server answering every request with `status` and `body`. */
async function impostor(
  status: number,
  body: unknown,
): Promise<{ url: string; hits: string[]; server: Server }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url} ${String(req.headers['x-amz-target'] ?? '')}`);
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits, server };
}

/** A CLI process, run without blocking this one (whose servers it may talk to). */
function natflow(
  dataDir: string,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      NODE,
      [NATFLOW, ...args, '--data-dir', dataDir],
      { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NATFLOW_TOKEN: '' } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('a stack.json the CLI does not trust', () => {
  let dataDir: string;
  const servers: Server[] = [];

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'natflow-stackfile-'));
  });
  afterEach(async () => {
    for (const server of servers.splice(0)) await new Promise((done) => server.close(done));
    rmSync(dataDir, { recursive: true, force: true });
  });

  const record = (url: string, instance = 'recorded-instance') =>
    writeFileSync(join(dataDir, 'stack.json'), JSON.stringify({ pid: process.pid, url, instance }));

  it.each([
    {
      name: 'an address natflow never writes (127.0.0.9)',
      url: 'http://127.0.0.9:4000',
      reason: /127\.0\.0\.9/,
    },
    { name: 'a host name', url: 'http://localhost:4000', reason: /localhost/ },
    { name: 'https', url: 'https://127.0.0.1:4000', reason: /https/ },
    { name: 'a path after the port', url: 'http://127.0.0.1:4000/x', reason: /4000\/x/ },
  ])('ignores a record naming $name, without contacting it', async ({ url, reason }) => {
    // Prepare
    record(url);
    const warnings: string[] = [];
    // Act
    const found = await liveStack(dataDir, { warn: (line) => warnings.push(line) });
    // Assess
    expect(found).toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(reason);
    expect(warnings[0]).toMatch(/ignoring .*stack\.json.*embedded stack/);
  });

  it.each([
    {
      name: 'answers 200 but is no natflow stack',
      status: 200,
      body: { ok: true },
      reason: /not a natflow stack/,
    },
    { name: 'answers 503', status: 503, body: { code: 'OVERLOADED' }, reason: /HTTP 503/ },
    {
      name: 'is another natflow stack',
      status: 200,
      body: { status: 'ok', service: 'natflow', instance: 'another-instance' },
      reason: /another natflow stack/,
    },
    {
      name: 'is a natflow stack that gives no instance',
      status: 200,
      body: { status: 'ok', service: 'natflow' },
      reason: /another natflow stack/,
    },
  ])('ignores a server at the recorded address that $name', async ({ status, body, reason }) => {
    // Prepare
    const fake = await impostor(status, body);
    servers.push(fake.server);
    record(fake.url);
    const warnings: string[] = [];
    // Act
    const found = await liveStack(dataDir, { warn: (line) => warnings.push(line) });
    // Assess: only /health was asked
    expect(found).toBeUndefined();
    expect(warnings[0]).toMatch(reason);
    expect(fake.hits.every((hit) => hit.startsWith('GET /health'))).toBe(true);
  });

  it('ignores a record without an instance id, or whose process is gone', async () => {
    const warnings: string[] = [];
    writeFileSync(
      join(dataDir, 'stack.json'),
      JSON.stringify({ pid: process.pid, url: 'http://127.0.0.1:4000' }),
    );
    expect(await liveStack(dataDir, { warn: (line) => warnings.push(line) })).toBeUndefined();
    writeFileSync(
      join(dataDir, 'stack.json'),
      JSON.stringify({ pid: 2 ** 22 + 12345, url: 'http://127.0.0.1:4000', instance: 'x' }),
    );
    expect(await liveStack(dataDir, { warn: (line) => warnings.push(line) })).toBeUndefined();
    expect(warnings[0]).toMatch(/no instance id/);
    expect(warnings[1]).toMatch(/not running/);
  });

  it('provisions on its own embedded stack when a server that is not the stack answers 200 there (was INTERNAL)', async () => {
    // Prepare: an impostor that answers everything 200 with an empty object, recorded with a live pid
    const fake = await impostor(200, {});
    servers.push(fake.server);
    record(fake.url);
    // Act
    const run = await natflow(dataDir, 'provision', REFERENCE, '--json');
    // Assess
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'SUCCEEDED' });
    expect(run.stderr).toMatch(
      /ignoring .*stack\.json: .* is not a natflow stack; running an embedded stack/,
    );
    expect(run.stderr).not.toMatch(/INTERNAL|internal error|\s{4}at /);
    expect(fake.hits.every((hit) => hit.startsWith('GET /health'))).toBe(true);
  });

  it('runs on its own embedded stack when the record names 127.0.0.9, and says so', async () => {
    record('http://127.0.0.9:45678');
    const run = await natflow(dataDir, 'executions', 'list', '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ executions: [] });
    expect(run.stderr).toMatch(/ignoring .*stack\.json: .*127\.0\.0\.9.*not a stack natflow runs/);
  });
});

describe('a stack.json the CLI trusts', () => {
  let dataDir: string;
  let stack: Stack | undefined;
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("is followed when its stack's /health answers the recorded instance, with the token when set", async () => {
    // Prepare
    dataDir = mkdtempSync(join(tmpdir(), 'natflow-stackfile-'));
    stack = await startStack({ dataDir, port: 0, dataPlane: false, token: 'stack-token-123' });
    const warnings: string[] = [];
    // Act
    const session = await openSession({
      dataDir,
      dataPlane: false,
      token: 'stack-token-123',
      warn: (line) => warnings.push(line),
    });
    try {
      // Assess
      expect(session.stack).toBeUndefined();
      expect(session.url).toBe(stack.url);
      expect(warnings).toEqual([]);
      await expect(session.stateMachineArn('provision')).resolves.toMatch(/natflow-provision/);
      const health = (await (await fetch(`${stack.url}/health`)).json()) as { instance?: string };
      expect(health.instance).toBe(stack.instance);
    } finally {
      await session.close();
    }
  });
});

describe('the data directory', () => {
  let dataDir: string;
  let stack: Stack | undefined;
  beforeEach(() => {
    dataDir = join(mkdtempSync(join(tmpdir(), 'natflow-perm-')), 'data');
  });
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
    rmSync(join(dataDir, '..'), { recursive: true, force: true });
  });

  const mode = (path: string) => statSync(path).mode & 0o777;

  it('is created 0700 with every file in it 0600 (databases, their WAL and shared memory, stack.json)', async () => {
    // Act
    stack = await startStack({ dataDir, port: 0, dataPlane: false });
    await stack.sfn.startExecution({ stateMachineArn: stack.stateMachineArn('verify'), input: '{}' });
    await stack.idle();
    // Assess
    expect(mode(dataDir)).toBe(0o700);
    const files = readdirSync(dataDir);
    expect(files).toEqual(expect.arrayContaining(['natflow.sqlite', 'executions.sqlite', 'stack.json']));
    for (const file of files) expect(`${file} ${mode(join(dataDir, file)).toString(8)}`).toBe(`${file} 600`);
  });

  it('is tightened when an older natflow left it 0755 with 0644 files, and the stack says so', async () => {
    // Prepare: a data directory from before
    stack = await startStack({ dataDir, dataPlane: false });
    await stack.close();
    stack = undefined;
    chmodSync(dataDir, 0o755);
    for (const file of readdirSync(dataDir)) chmodSync(join(dataDir, file), 0o644);
    const warnings: string[] = [];
    // Act
    stack = await startStack({ dataDir, port: 0, dataPlane: false, warn: (line) => warnings.push(line) });
    // Assess
    expect(mode(dataDir)).toBe(0o700);
    for (const file of readdirSync(dataDir)) expect(mode(join(dataDir, file))).toBe(0o600);
    expect(warnings.join('\n')).toMatch(/tightened .*data to 0700 \(was 0755\)/);
    expect(warnings.join('\n')).toMatch(/tightened .*natflow\.sqlite to 0600 \(was 0644\)/);
  });

  it('is created 0700 with 0600 files by a CLI command on a fresh directory', async () => {
    const run = await natflow(dataDir, 'provision', REFERENCE, '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(mode(dataDir)).toBe(0o700);
    for (const file of readdirSync(dataDir)) expect(mode(join(dataDir, file))).toBe(0o600);
  });
});
