/**
 * The local HTTP server on 127.0.0.1 with the real handlers and the real serverless.yml routes. Step
 * Functions is a fake AWS JSON protocol endpoint on the same server (as the local SfnService is): the
 * handlers are built with deps whose SDK client points at it, so every request crosses the same path
 * as in `natflow up`.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { ApiDeps } from '../../functions/api/lib/deps.ts';
import { sfnClientFor, stateMachineArnsFromEnv } from '../../functions/api/lib/step-functions.ts';
import { depsOf } from '../../functions/lib/deps.ts';
import { MemoryStore } from '../../src/cloud/memory-store.ts';
import { LocalEventBus } from '../../src/local-bus/index.ts';
import { ManualClock } from '../../src/net/clock.ts';
import { apiRoutes, createHttpServer } from '../../src/stack/http/index.ts';
import { readServerlessConfig } from '../../src/stack/serverless-config.ts';

const PLAN = parse(
  readFileSync(new URL('../../examples/reference.plan.yaml', import.meta.url), 'utf8'),
) as Record<string, unknown>;
const TOKEN = 'test-token-0123456789';
const MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:natflow-provision-dev';

/** A fake Step Functions endpoint: records each call and answers StartExecution and DescribeExecution. */
class FakeSfn {
  calls: { target: string; body: Record<string, unknown> }[] = [];
  handle = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target']).replace('AWSStepFunctions.', '');
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      this.calls.push({ target, body });
      const reply = (status: number, value: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify(value));
      };
      if (target === 'StartExecution') {
        return reply(200, {
          executionArn: `${MACHINE.replace(':stateMachine:', ':execution:')}:${body.name}`,
          startDate: 1767323045.678,
        });
      }
      if (target === 'DescribeExecution' && String(body.executionArn).endsWith(':known')) {
        return reply(200, {
          executionArn: body.executionArn,
          stateMachineArn: MACHINE,
          name: 'known',
          status: 'SUCCEEDED',
          startDate: 1767323045,
          stopDate: 1767323046,
          input: '{"name":"p"}',
          output: '{"plan":"p"}',
        });
      }
      return reply(400, {
        __type: 'com.amazonaws.states#ExecutionDoesNotExist',
        message: 'Execution Does Not Exist',
      });
    });
  };
}

interface Started {
  server: Server;
  url: string;
  sfn: FakeSfn;
  bus: LocalEventBus;
  started: unknown[];
}

async function start(options: { token?: string } = {}): Promise<Started> {
  const sfn = new FakeSfn();
  const bus = new LocalEventBus({ clock: new ManualClock(0) });
  const started: unknown[] = [];
  bus.addRule({
    name: 'provision',
    pattern: { source: ['natflow.requests'], 'detail-type': ['CrossVpcAccessRequested'] },
    inputPath: '$.detail',
    target: async (input) => {
      started.push(input);
      return { executionArn: 'arn:x' };
    },
  });
  let url = '';
  let client: SFNClient | undefined;
  const deps: ApiDeps = {
    ...depsOf({ store, clock: new ManualClock(Date.parse('2026-01-02T03:04:05.678Z')) }),
    // A fresh store for every test (beforeEach), behind the handlers built once with these deps.
    store: async () => store,
    stepFunctions: () => {
      client ??= sfnClientFor({ endpoint: url, token: options.token });
      return client;
    },
    stateMachineArns: () => stateMachineArnsFromEnv({}),
  };
  const server = createHttpServer({
    config: readServerlessConfig(),
    deps,
    sfn: sfn.handle,
    bus,
    dataPlaneMap: () => ({ endpoints: [{ vpc: 'VPC-A', ip: '192.168.0.144', loopback: '127.0.1.1' }] }),
    console: (req, res) => {
      if (!req.url?.startsWith('/console')) return false;
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<h1>console</h1>');
      return true;
    },
    ...(options.token ? { token: options.token } : {}),
  });
  await new Promise<void>((done) => server.listen(0, () => done()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { server, url, sfn, bus, started };
}

async function stop(started: Started): Promise<void> {
  started.server.closeAllConnections();
  await new Promise<void>((done) => started.server.close(() => done()));
}

let stack: Started;
let store = new MemoryStore();

beforeAll(async () => {
  stack = await start();
});
afterAll(async () => {
  await stop(stack);
});
beforeEach(() => {
  stack.sfn.calls = [];
  store = new MemoryStore();
});

async function request(
  path: string,
  init: { method?: string; body?: string; type?: string; headers?: Record<string, string> } = {},
  base = stack.url,
) {
  const response = await fetch(`${base}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { ...(init.type ? { 'Content-Type': init.type } : {}), ...init.headers },
    ...(init.body !== undefined ? { body: init.body } : {}),
  });
  const text = await response.text();
  const json = /json/.test(response.headers.get('content-type') ?? '') && text ? JSON.parse(text) : undefined;
  return { status: response.status, headers: response.headers, text, json };
}

describe('apiRoutes', () => {
  it("serves every route of serverless.yml's http events, literal segments first", () => {
    const routes = apiRoutes(readServerlessConfig()).map((r) => `${r.method} ${r.resource}`);
    expect(routes).toEqual(
      expect.arrayContaining([
        'POST /plans/validate',
        'POST /plans/preview',
        'POST /executions',
        'GET /executions',
        'GET /executions/{id}',
        'GET /executions/{id}/history',
        'POST /executions/{id}/stop',
        'POST /executions/{id}/redrive',
        'POST /executions/{id}/rollback',
        'POST /dnat/evaluate',
        'POST /probes',
        'GET /plans',
        'GET /resources',
        'GET /resources/{id}',
        'GET /health',
        'GET /openapi.json',
      ]),
    );
    expect(routes).toHaveLength(16);
  });
});

describe('createHttpServer', () => {
  it('binds 127.0.0.1 even when listen is given no host', () => {
    expect((stack.server.address() as AddressInfo).address).toBe('127.0.0.1');
  });

  it('answers GET /health through the real handler', async () => {
    const answer = await request('/health');
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ status: 'ok', service: 'natflow' });
    expect(answer.headers.get('content-type')).toBe('application/json');
  });

  it('validates a plan: 200 when valid, 422 listing every problem when not', async () => {
    const valid = await request('/plans/validate', { body: JSON.stringify(PLAN), type: 'application/json' });
    expect(valid.status).toBe(200);
    expect(valid.json.valid).toBe(true);
    const invalid = await request('/plans/validate', {
      body: JSON.stringify({ ...PLAN, name: 'BAD NAME', vpcs: [{ name: 'v', cidr: 'ten' }] }),
      type: 'application/json',
    });
    expect(invalid.status).toBe(422);
    expect(invalid.headers.get('content-type')).toBe('application/problem+json');
    expect(invalid.json.errors.map((e: { path: string }) => e.path)).toEqual(
      expect.arrayContaining(['name', 'vpcs[0].cidr']),
    );
  });

  it('answers 422 (not 404) on the local server too for a plan naming a VPC that does not exist', async () => {
    const plan = {
      ...PLAN,
      privateNatGateways: (PLAN.privateNatGateways as Record<string, unknown>[]).map((g) => ({
        ...g,
        vpc: 'VPC-NOPE',
      })),
    };
    for (const [path, body] of [
      ['/plans/validate', plan],
      ['/plans/preview', { plan }],
      ['/executions', { workflow: 'provision', input: plan }],
    ] as const) {
      const answer = await request(path, { body: JSON.stringify(body), type: 'application/json' });
      expect(answer.status, path).toBe(422);
      expect(
        answer.json.errors.map((e: { code: string }) => e.code),
        path,
      ).toContain('NOT_FOUND');
    }
  });

  it('starts a provisioning through the Step Functions endpoint, and describes it by name', async () => {
    const started = await request('/executions', {
      body: JSON.stringify({ workflow: 'provision', input: PLAN }),
      type: 'application/json',
    });
    expect(started.status).toBe(201);
    expect(started.json.name).toMatch(/^app-a-to-elb01-20260102T030405Z-[0-9a-f]{4}$/);
    expect(stack.sfn.calls).toEqual([
      {
        target: 'StartExecution',
        body: { stateMachineArn: MACHINE, name: started.json.name, input: JSON.stringify(PLAN) },
      },
    ]);
    const described = await request('/executions/known');
    expect(described.status).toBe(200);
    expect(described.json).toMatchObject({
      name: 'known',
      status: 'SUCCEEDED',
      input: { name: 'p' },
      output: { plan: 'p' },
    });
    const missing = await request('/executions/nobody');
    expect(missing.status).toBe(404);
    expect(missing.json.code).toBe('NOT_FOUND');
  });

  it('answers 422 with every problem and calls no StartExecution for an invalid plan', async () => {
    const answer = await request('/executions', {
      body: JSON.stringify({
        workflow: 'provision',
        input: { ...PLAN, vpcs: [{ name: 'v', cidr: '300.0.0.0/8' }], servers: 'x' },
      }),
      type: 'application/json',
    });
    expect(answer.status).toBe(422);
    expect(answer.json.errors.length).toBeGreaterThanOrEqual(2);
    expect(stack.sfn.calls.filter((c) => c.target === 'StartExecution')).toEqual([]);
  });

  it.each([
    {
      name: 'malformed JSON',
      path: '/executions',
      body: '{"workflow":',
      type: 'application/json',
      status: 400,
      code: 'MALFORMED_JSON',
    },
    {
      name: 'a wrong content type',
      path: '/executions',
      body: 'workflow=x',
      type: 'application/x-www-form-urlencoded',
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    },
    {
      name: 'a body over 256 KB',
      path: '/plans/validate',
      body: `{"x":"${'a'.repeat(300 * 1024)}"}`,
      type: 'application/json',
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
    },
    {
      name: 'a body over 256 KB to a local route',
      path: '/events',
      body: `{"x":"${'a'.repeat(300 * 1024)}"}`,
      type: 'application/json',
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
    },
    {
      name: 'an unknown route',
      path: '/nowhere',
      body: undefined,
      type: undefined,
      status: 404,
      code: 'NOT_FOUND',
    },
    {
      name: 'a wrong method',
      path: '/plans/validate',
      body: undefined,
      type: undefined,
      status: 405,
      code: 'METHOD_NOT_ALLOWED',
    },
  ])('answers $status $code for $name, as a problem document', async ({ path, body, type, status, code }) => {
    const answer = await request(path, {
      ...(body !== undefined ? { body } : {}),
      ...(type ? { type } : {}),
    });
    expect(answer.status).toBe(status);
    expect(answer.headers.get('content-type')).toBe('application/problem+json');
    expect(answer.json).toMatchObject({ status, code, type: `urn:natflow:problem:${code}` });
    expect(answer.json.errors[0].code).toBe(code);
    expect(stack.sfn.calls).toEqual([]);
  });

  it('names the allowed methods of a known path in Allow', async () => {
    const answer = await request('/executions', { method: 'DELETE' });
    expect(answer.status).toBe(405);
    expect(answer.headers.get('allow')).toBe('POST, GET');
  });

  it('routes POST /events through the bus rules with $.detail as the input, and lists events newest first', async () => {
    const detail = { name: 'from-event' };
    const put = await request('/events', {
      body: JSON.stringify({
        Entries: [
          {
            Source: 'natflow.requests',
            DetailType: 'CrossVpcAccessRequested',
            Detail: JSON.stringify(detail),
          },
          { Source: 'someone.else', DetailType: 'Other', Detail: '{}' },
        ],
      }),
      type: 'application/json',
    });
    expect(put.status).toBe(200);
    expect(put.json.FailedEntryCount).toBe(0);
    expect(stack.started).toEqual([detail]);
    const listed = await request('/events');
    expect(listed.json.events.map((e: { source: string }) => e.source).slice(0, 2)).toEqual([
      'someone.else',
      'natflow.requests',
    ]);
    const invalid = await request('/events', {
      body: JSON.stringify({ Entries: [] }),
      type: 'application/json',
    });
    expect(invalid.status).toBe(422);
    expect(invalid.json.errors).toEqual([
      { path: 'Entries', code: 'VALIDATION_FAILED', message: expect.any(String) },
    ]);
    // Paths are written as everywhere else in natflow: `Entries[1].Source`, not `Entries.1.Source`.
    const nested = await request('/events', {
      body: JSON.stringify({
        Entries: [
          { Source: 'a.b', DetailType: 'T', Detail: '{}' },
          { Source: '', DetailType: 'T', Detail: '{}' },
        ],
      }),
      type: 'application/json',
    });
    expect(nested.status).toBe(422);
    expect(nested.json.errors.map((e: { path: string }) => e.path)).toEqual(['Entries[1].Source']);
    expect(stack.started).toEqual([detail]);
  });

  it('accepts PutEvents in the AWS JSON protocol', async () => {
    const answer = await request('/', {
      body: JSON.stringify({ Entries: [{ Source: 'x.y', DetailType: 'T', Detail: '{"a":1}' }] }),
      type: 'application/x-amz-json-1.1',
      headers: { 'X-Amz-Target': 'AWSEvents.PutEvents' },
    });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ FailedEntryCount: 0, Entries: [{ EventId: expect.any(String) }] });
  });

  it('serves GET /dataplane and hands /console to the console hook', async () => {
    expect((await request('/dataplane')).json.endpoints[0].loopback).toBe('127.0.1.1');
    const console = await request('/console/executions');
    expect(console.status).toBe(200);
    expect(console.text).toContain('console');
  });
});

describe('createHttpServer with a token', () => {
  let guarded: Started;
  beforeAll(async () => {
    guarded = await start({ token: TOKEN });
  });
  afterAll(async () => {
    await stop(guarded);
  });

  it.each([
    { name: 'no Authorization', headers: {} as Record<string, string>, status: 401 },
    { name: 'a wrong token', headers: { Authorization: 'Bearer nope' }, status: 401 },
    { name: 'the token', headers: { Authorization: `Bearer ${TOKEN}` }, status: 200 },
  ])('answers $status to GET /resources with $name', async ({ headers, status }) => {
    const answer = await request('/resources', { headers }, guarded.url);
    expect(answer.status).toBe(status);
    if (status === 401) {
      expect(answer.json.code).toBe('UNAUTHORIZED');
      expect(answer.headers.get('www-authenticate')).toContain('Bearer');
    }
  });

  it('leaves /health open', async () => {
    expect((await request('/health', {}, guarded.url)).status).toBe(200);
  });

  it("lets the handlers' own SDK client through with x-natflow-token", async () => {
    const answer = await request(
      '/executions/known',
      { headers: { Authorization: `Bearer ${TOKEN}` } },
      guarded.url,
    );
    expect(answer.status).toBe(200);
    expect(guarded.sfn.calls.map((c) => c.target)).toContain('DescribeExecution');
  });
});
