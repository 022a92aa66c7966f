/**
 * Security of the stack as `natflow up` runs it: loopback only; NATFLOW_TOKEN guards every
 * route but /health (a 401 problem without it or with a wrong one, never echoing either); API Gateway
 * routes are AWS_IAM; error bodies carry no secret, stack or internal path; the 256 KB limit holds for
 * declared, chunked and endless bodies; a stalled body neither blocks other clients nor waits forever.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { LocalEventBus } from '../../src/local-bus/index.ts';
import { systemClock } from '../../src/net/clock.ts';
import { apiRoutes, createHttpServer } from '../../src/stack/http/index.ts';
import { readServerlessConfig } from '../../src/stack/serverless-config.ts';
import { type Stack, startStack } from '../../src/stack/stack.ts';
import { api, ROOT, sleep } from './support.ts';

const TOKEN = 'tok-3f9a1c7e5b2d4a6880c1e2f3a4b5c6d7';
const WRONG = 'wrong-9d8c7b6a5f4e3d2c1b0a';
const LEAKS = [TOKEN, WRONG, '    at ', 'node_modules', '/work/', `${ROOT}/`, '.ts:'];

/** Every route the local server answers, with a placeholder for each path parameter. */
function everyRoute(): { method: string; path: string }[] {
  const routes = apiRoutes(readServerlessConfig()).map((route) => ({
    method: route.method,
    path: route.resource.replace(/\{[^}]+\}/g, 'x'),
  }));
  return [
    ...routes.filter((r) => r.path !== '/health'),
    { method: 'POST', path: '/events' },
    { method: 'GET', path: '/events' },
    { method: 'GET', path: '/dataplane' },
    { method: 'GET', path: '/console/api/state-machines' },
    { method: 'POST', path: '/console/api/parse-plan' },
    { method: 'GET', path: '/no/such/route' },
    { method: 'DELETE', path: '/executions' },
  ];
}

function expectNoLeak(text: string): void {
  for (const leak of LEAKS) expect(text).not.toContain(leak);
}

describe('the local stack with NATFLOW_TOKEN', () => {
  let stack: Stack;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'natflow-sec-'));
    stack = await startStack({ dataDir, port: 0, dataPlane: false, token: TOKEN });
  });

  afterAll(async () => {
    await stack?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves on 127.0.0.1 only', () => {
    expect(new URL(stack.url as string).hostname).toBe('127.0.0.1');
    const stackFile = JSON.parse(readFileSync(join(dataDir, 'stack.json'), 'utf8')) as { url: string };
    expect(new URL(stackFile.url).hostname).toBe('127.0.0.1');
  });

  it.each(everyRoute())(
    'refuses $method $path without the token and with a wrong one',
    async ({ method, path }) => {
      for (const headers of [
        {} as Record<string, string>,
        { Authorization: `Bearer ${WRONG}` },
        { Authorization: `Basic ${Buffer.from(`user:${WRONG}`).toString('base64')}` },
        { 'x-natflow-token': WRONG },
        { Authorization: `Bearer ${TOKEN.slice(0, -1)}` },
      ]) {
        const answer = await api(stack.url as string, path, {
          method,
          headers,
          ...(method === 'POST' ? { body: {} } : {}),
        });
        expect(answer.status, `${method} ${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(answer.type).toBe('application/problem+json');
        expect(answer.json).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
        expectNoLeak(answer.text);
      }
    },
  );

  it('refuses the Step Functions endpoint without the token (no execution can be started around the API)', async () => {
    const answer = await api(stack.url as string, '/', {
      raw: JSON.stringify({ stateMachineArn: stack.stateMachineArn('provision'), input: '{}' }),
      contentType: 'application/x-amz-json-1.0',
      headers: { 'X-Amz-Target': 'AWSStepFunctions.StartExecution' },
    });
    expect(answer.status).toBe(401);
    expect(
      (await stack.sfn.listExecutions({ stateMachineArn: stack.stateMachineArn('provision') })).executions,
    ).toEqual([]);
  });

  it('answers /health without the token, and every route with it', async () => {
    expect((await api(stack.url as string, '/health')).status).toBe(200);
    const answer = await api(stack.url as string, '/resources', {
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    expect(answer.status).toBe(200);
    const bad = await api(stack.url as string, '/executions', {
      headers: { Authorization: `Bearer ${TOKEN}` },
      body: { workflow: 'provision', input: { name: 'BAD NAME' } },
    });
    expect(bad.status).toBe(422);
    expectNoLeak(bad.text);
  });

  it('compares tokens in constant time (digests through timingSafeEqual, never ===)', () => {
    const source = readFileSync(join(ROOT, 'src/stack/http/router.ts'), 'utf8');
    const authorised = /const authorised = [\s\S]*?\n {2}};/.exec(source)?.[0] ?? '';
    expect(authorised).toContain('timingSafeEqual(digest(offered), tokenDigest)');
    expect(authorised).not.toMatch(/offered\s*===|===\s*offered|token\s*===/);
  });
});

describe('the console on a stack with NATFLOW_TOKEN', () => {
  it('serves its page and assets (no data) without the token, and its API only with it', async () => {
    // Prepare
    const { createConsole } = await import('../../src/console/index.ts');
    const dataDir = mkdtempSync(join(tmpdir(), 'natflow-sec-console-'));
    const stack = await startStack({
      dataDir,
      port: 0,
      dataPlane: false,
      token: TOKEN,
      console: createConsole,
    });
    try {
      const url = stack.url as string;

      // Act
      const page = await fetch(new URL('/console/', url));
      const asset = await fetch(new URL('/console/assets/api.ts', url));
      const anonymous = await fetch(new URL('/console/api/state-machines', url));
      const withToken = await fetch(new URL('/console/api/state-machines', url), {
        headers: { 'x-natflow-token': TOKEN },
      });

      // Assess
      expect(page.status).toBe(200);
      expect(asset.status).toBe(200);
      expect(anonymous.status).toBe(401);
      expect(withToken.status).toBe(200);
      expectNoLeak(await anonymous.text());
    } finally {
      await stack.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('the local stack without a token', () => {
  let stack: Stack;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'natflow-sec-'));
    stack = await startStack({ dataDir, port: 0, dataPlane: false });
  });

  afterAll(async () => {
    await stack?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('never echoes an Authorization header or cookie in an error', async () => {
    const secret = `Bearer ${TOKEN}`;
    for (const request of [
      { path: '/executions', raw: '{"workflow": ', contentType: 'application/json' },
      { path: '/executions', raw: '{}', contentType: 'text/plain' },
      { path: '/executions/nope', raw: undefined, contentType: null },
      { path: '/resources?type=nope', raw: undefined, contentType: null },
    ]) {
      const answer = await api(stack.url as string, request.path, {
        ...(request.raw === undefined ? {} : { raw: request.raw }),
        contentType: request.contentType,
        headers: { Authorization: secret, Cookie: `session=${WRONG}` },
      });
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
      expectNoLeak(answer.text);
    }
  });

  it.each([
    { name: 'a declared 300 KB body', chunked: false, bytes: 300 * 1024 },
    { name: 'a chunked 300 KB body', chunked: true, bytes: 300 * 1024 },
  ])('refuses $name with 413 PAYLOAD_TOO_LARGE and starts nothing', async ({ chunked, bytes }) => {
    const plan = JSON.stringify({
      workflow: 'provision',
      input: { name: 'big', description: 'x'.repeat(bytes) },
    });
    const body = chunked
      ? new ReadableStream({
          start(controller) {
            controller.enqueue(new TextEncoder().encode(plan));
            controller.close();
          },
        })
      : plan;
    const response = await fetch(`${stack.url}/executions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body,
      ...(chunked ? { duplex: 'half' } : {}),
    } as RequestInit);
    const text = await response.text();
    expect(response.status).toBe(413);
    expect(JSON.parse(text)).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', status: 413 });
    expect(
      (await stack.sfn.listExecutions({ stateMachineArn: stack.stateMachineArn('provision') })).executions,
    ).toEqual([]);
  });

  it('stops reading an endless body after its drain limit, buffers none of it, and keeps serving', async () => {
    const port = new URL(stack.url as string).port;
    const socket = connect(Number(port), '127.0.0.1');
    let received = '';
    socket.on('data', (d: Buffer) => {
      received += d.toString();
    });
    const closedSocket = new Promise<void>((done) => socket.on('close', () => done()));
    socket.on('error', () => undefined);
    socket.write(
      'POST /executions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
    );
    const chunk = `${(64 * 1024).toString(16)}\r\n${'x'.repeat(64 * 1024)}\r\n`;
    let sent = 0;
    // Keep writing until the server hangs up: at most 64 MB, far past its 4 MB drain limit.
    while (!socket.destroyed && sent < 1024) {
      if (!socket.write(chunk)) await new Promise((done) => socket.once('drain', done).once('close', done));
      sent++;
    }
    await closedSocket;
    // Cut off after the 4 MB drain limit plus what the kernel's socket buffers held.
    expect(sent * 64).toBeLessThan(16 * 1024);
    // The server cuts the connection without answering (see docs/reliability.md): no 413 reaches the
    // client of an endless body; whatever did arrive is never anything but a 413.
    if (received) expect(received).toMatch(/^HTTP\/1\.1 413/);
    expect((await api(stack.url as string, '/health')).status).toBe(200);
    console.info(
      `endless body: cut off after ${sent * 64} KB sent; response: ${received ? received.split('\r\n')[0] : 'none'}`,
    );
  });

  it('keeps answering other clients while one body stalls', async () => {
    const port = new URL(stack.url as string).port;
    const socket = connect(Number(port), '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write(
      'POST /plans/validate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"na',
    );
    await sleep(50);
    const started = performance.now();
    const answer = await api(stack.url as string, '/plans/validate', { body: { name: 'ok' } });
    expect(answer.status).toBe(200);
    expect(performance.now() - started).toBeLessThan(2000);
    socket.destroy();
  });
});

describe('timeouts of the HTTP server', () => {
  it('bounds how long a request body may take (requestTimeout) and how long headers may take', () => {
    const server = createHttpServer({
      config: readServerlessConfig(),
      bus: new LocalEventBus({ clock: systemClock }),
    });
    // A stalled request is closed with 408 after 30 s (headers within 10 s), never hung.
    expect(server.requestTimeout).toBe(30_000);
    expect(server.headersTimeout).toBe(10_000);
    expect(server.headersTimeout).toBeGreaterThan(0);
    expect(server.headersTimeout).toBeLessThanOrEqual(server.requestTimeout);
  });

  it('binds 127.0.0.1 even when asked for every interface', async () => {
    const server = createHttpServer({
      config: readServerlessConfig(),
      bus: new LocalEventBus({ clock: systemClock }),
    });
    await new Promise<void>((done) => server.listen(0, '0.0.0.0', () => done()));
    try {
      expect((server.address() as AddressInfo).address).toBe('127.0.0.1');
    } finally {
      await new Promise((done) => server.close(done));
    }
  });
});

describe('API Gateway routes on AWS', () => {
  it('every http event of serverless.yml has authorizer aws_iam', () => {
    const raw = parse(readFileSync(join(ROOT, 'serverless.yml'), 'utf8'), { logLevel: 'silent' }) as {
      functions: Record<
        string,
        { events?: { http?: { method: string; path: string; authorizer?: unknown } }[] }
      >;
    };
    const routes = Object.values(raw.functions).flatMap((fn) =>
      (fn.events ?? []).flatMap((e) => (e.http ? [e.http] : [])),
    );
    expect(routes.length).toBeGreaterThanOrEqual(12);
    for (const route of routes) {
      const authorizer =
        typeof route.authorizer === 'object'
          ? (route.authorizer as { type?: string }).type
          : route.authorizer;
      expect(String(authorizer).toLowerCase(), `${route.method} ${route.path}`).toBe('aws_iam');
    }
  });

  it('the packaged template, when built, puts every method behind AWS_IAM', () => {
    const file = join(ROOT, '.serverless/cloudformation-template-update-stack.json');
    if (!existsSync(file)) return; // test/package/template.test.ts builds and checks it itself
    const template = JSON.parse(readFileSync(file, 'utf8')) as {
      Resources: Record<
        string,
        { Type: string; Properties: { AuthorizationType?: string; HttpMethod?: string } }
      >;
    };
    const methods = Object.values(template.Resources).filter((r) => r.Type === 'AWS::ApiGateway::Method');
    for (const method of methods.filter((m) => m.Properties.HttpMethod !== 'OPTIONS'))
      expect(method.Properties.AuthorizationType).toBe('AWS_IAM');
  });
});
