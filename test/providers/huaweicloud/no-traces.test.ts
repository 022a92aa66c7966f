/**
 * No stack trace, source path or dependency frame in anything natflow shows (docs/real-cloud.md#failure):
 * CLI output, API bodies, an execution's cause and output, its history events, event details. Traces go
 * to the logs only.
 *
 * The runs fail in three ways, through a loopback proxy in front of the account (two-stacks.ts) that
 * can misbehave on cue:
 * - a bug: the account answers a VPC create with `{"vpc": null}`, and the handler throws a TypeError
 *   (an Error with a stack, from inside the handler);
 * - a cloud error: the account refuses the VPC create with Huawei's error body and a request id;
 * - a connect error: the proxy stops listening, every call is refused.
 * The client is a natflow stack in this process (its bus keeps the events), driven by `natflow`
 * processes that find it through its data directory and by its HTTP API.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_AK, DEFAULT_PROJECT_ID, DEFAULT_SK } from '../../../src/local-huaweicloud/index.ts';
import { type Stack, startStack } from '../../../src/stack/stack.ts';
import { Account, natflow, REFERENCE, type Run } from './two-stacks.ts';

/** What a trace leaves in a text: a V8 frame, a file URL, a source position, a dependency's path. */
const TRACES: readonly [string, RegExp][] = [
  ['a stack frame', /\bat\s+(?:async\s+)?[^\s("]*\s*\(?(?:file:\/\/|node:|\/)[^\s)"]*:\d+:\d+/],
  ['a file URL', /file:\/\//],
  ['a source path', /\/(?:src|functions|bin)\/[\w@./-]+\.[cm]?[jt]s\b/],
  ['a dependency frame', /node_modules[\\/]/],
];

/** Every trace found in `text`, named by where it was seen. */
function tracesIn(where: string, text: string): string[] {
  return TRACES.filter(([, pattern]) => pattern.test(text)).map(([what]) => `${what} in ${where}`);
}

type Mode = 'pass' | 'garbage' | 'reject';

let dir: string;
let account: Account;
let proxy: Server;
let proxyUrl: string;
let mode: Mode = 'pass';
let client: Stack & { url: string };
const seen: [string, string][] = [];

/** Forwards to the account unchanged (Host too, which the signature covers), or misbehaves on cue. */
function startProxy(port = 0): Promise<void> {
  proxy = createServer((req, res) => {
    const vpcCreate = req.method === 'POST' && /\/v1\/[^/]+\/vpcs$/.test(req.url ?? '');
    if (vpcCreate && mode === 'garbage') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"vpc":null}');
      return;
    }
    if (vpcCreate && mode === 'reject') {
      res
        .writeHead(400, { 'Content-Type': 'application/json', 'X-Request-Id': 'req-trace-0001' })
        .end('{"code":"VPC.0101","message":"the request was refused by the account"}');
      return;
    }
    const upstream = new URL(account.url);
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  return new Promise((done) =>
    proxy.listen(port, '127.0.0.1', () => {
      proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
      done();
    }),
  );
}

const CLIENT_ENV = {
  HUAWEICLOUD_SDK_AK: DEFAULT_AK,
  HUAWEICLOUD_SDK_SK: DEFAULT_SK,
  HUAWEICLOUD_SDK_PROJECT_ID: DEFAULT_PROJECT_ID,
  HUAWEICLOUD_DEFAULT_IMAGE: 'ubuntu-22.04',
  HUAWEICLOUD_DEFAULT_FLAVOR: 's6.small.1',
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'natflow-no-traces-'));
  account = new Account(join(dir, 'account'));
  await account.start();
  await startProxy();
  // The client stack reads its provider's settings from the environment when it opens the provider.
  vi.stubEnv('HUAWEICLOUD_ENDPOINT', proxyUrl);
  for (const [name, value] of Object.entries(CLIENT_ENV)) vi.stubEnv(name, value);
  client = (await startStack({ dataDir: join(dir, 'client'), port: 0, dataPlane: false })) as Stack & {
    url: string;
  };
});

afterAll(async () => {
  await client?.close();
  vi.unstubAllEnvs();
  proxy?.close();
  await account.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** `natflow ARGS` through the client stack (found in its data directory), its output kept for the scan. */
async function cli(...args: string[]): Promise<Run> {
  const run = await natflow({ dataDir: join(dir, 'client'), endpoint: proxyUrl }, ...args);
  seen.push(
    [`natflow ${args.join(' ')} (stdout)`, run.stdout],
    [`natflow ${args.join(' ')} (stderr)`, run.stderr],
  );
  return run;
}

/** A GET of the client's API, its body kept for the scan. */
async function get(path: string): Promise<unknown> {
  const response = await fetch(new URL(path, client.url));
  const text = await response.text();
  seen.push([`GET ${path}`, text]);
  return JSON.parse(text);
}

describe('a run that fails in several ways shows no trace anywhere', () => {
  const runs: { name: string; error: string }[] = [];

  it.each([
    { mode: 'garbage' as const, name: 'bug', error: 'TypeError', flags: [] },
    { mode: 'reject' as const, name: 'refused', error: 'CLOUD_REJECTED', flags: ['--json'] },
  ])('fails on $name ($error)', async ({ mode: next, name, error, flags }) => {
    mode = next;
    const run = await cli('provision', REFERENCE, '--cloud', 'huaweicloud', '--name', name, ...flags);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const shown = (await cli('executions', 'show', name, '--json')).json();
    expect(shown).toMatchObject({ status: 'FAILED', error });
    runs.push({ name, error });
  });

  it('fails on a refused connection (CLOUD_UNAVAILABLE)', async () => {
    mode = 'pass';
    proxy.closeAllConnections();
    await new Promise<void>((done) => proxy.close(() => done()));
    try {
      const run = await cli('provision', REFERENCE, '--cloud', 'huaweicloud', '--name', 'refused-connection');
      expect(run.code, run.stdout + run.stderr).toBe(1);
      expect((await cli('executions', 'show', 'refused-connection', '--json')).json()).toMatchObject({
        status: 'FAILED',
        error: 'CLOUD_UNAVAILABLE',
      });
      runs.push({ name: 'refused-connection', error: 'CLOUD_UNAVAILABLE' });
    } finally {
      await startProxy(Number(new URL(proxyUrl).port));
    }
  });

  it('keeps the cloud’s own words in the cause, with its request id', async () => {
    const detail = (await get('/executions/refused')) as { cause?: Record<string, unknown> };
    expect(detail.cause).toMatchObject({
      code: 'CLOUD_REJECTED',
      cloud: {
        code: 'VPC.0101',
        message: 'the request was refused by the account',
        requestId: 'req-trace-0001',
      },
      rollback: { status: 'COMPLETE', leftBehind: [] },
    });
    const bug = (await get('/executions/bug')) as { cause?: Record<string, unknown> };
    expect(bug.cause).toMatchObject({ code: 'TypeError', message: expect.stringContaining('null') });
    // ProvisioningFailed carries the same document.
    const failed = client.bus
      .list({ detailType: 'ProvisioningFailed' })
      .map((e) => e.detail as { error: string; cause: unknown });
    expect(failed.find((d) => d.error === 'CLOUD_REJECTED')?.cause).toEqual(detail.cause);
  });

  it('scans every CLI output, API body, cause, history event and event detail: no trace', async () => {
    expect(runs.map((r) => r.error).sort()).toEqual(['CLOUD_REJECTED', 'CLOUD_UNAVAILABLE', 'TypeError']);
    // Prepare: everything natflow shows about the three runs.
    for (const { name } of runs) {
      await cli('executions', 'show', name);
      await cli('executions', 'history', name, '--json');
      await get(`/executions/${name}`);
      await get(`/executions/${name}/history`);
      const history = await client.sfn.getExecutionHistory(
        `${client.stateMachineArn('provision').replace(':stateMachine:', ':execution:')}:${name}`,
        { maxResults: 1000 },
      );
      seen.push([`the history of ${name}`, JSON.stringify(history.events)]);
      const described = await client.sfn.describeExecution(
        `${client.stateMachineArn('provision').replace(':stateMachine:', ':execution:')}:${name}`,
      );
      seen.push([
        `the cause of ${name}`,
        `${described.error ?? ''} ${described.cause ?? ''} ${described.output ?? ''}`,
      ]);
    }
    await cli('executions', 'list');
    await get('/executions');
    await get('/events');
    seen.push(['the events published', JSON.stringify(client.bus.list({}))]);
    expect(client.bus.list({ detailType: 'ProvisioningFailed' })).toHaveLength(3);

    // Assess
    expect(seen.flatMap(([where, text]) => tracesIn(where, text))).toEqual([]);
  });

  it('the scan finds a trace where there is one', () => {
    const stack = new TypeError('boom').stack ?? '';
    expect(tracesIn('a stack', stack)).not.toEqual([]);
    expect(
      tracesIn('a cause', JSON.stringify({ errorType: 'TypeError', trace: stack.split('\n') })),
    ).not.toEqual([]);
    expect(tracesIn('a path', 'at /work/natflow/src/cloud/nat.ts:12:5')).not.toEqual([]);
    expect(tracesIn('a message', 'connect ECONNREFUSED 127.0.0.1:3000')).toEqual([]);
  });
});
