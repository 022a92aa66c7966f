/**
 * The stack's caps (docs/http-api.md#caps): at most N event streams and M other requests in flight;
 * past either, 503 OVERLOADED with Retry-After at once — a problem document like every error — while
 * what is under the cap keeps working. /health and the stack's own calls (x-natflow-internal) are never
 * refused. First the router with stub protocols, then a real stack's console streams and API.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createConsole } from '../../src/console/index.ts';
import { createRouter, type Protocol } from '../../src/stack/http/router.ts';
import { type Stack, startStack } from '../../src/stack/stack.ts';
import { api, closed, generatedPlan } from '../reliability/support.ts';

const INTERNAL = 'internal-key-0123456789abcdef';

/** Requests held open until released: `/hold` answers when `release()` is called. */
function holding() {
  const held: ServerResponse[] = [];
  const streams: ServerResponse[] = [];
  const protocol: Protocol = {
    name: 'held',
    claims: () => true,
    open: () => true,
    stream: ({ path }) => path === '/stream',
    serve({ res, path }) {
      if (path === '/hold') held.push(res);
      else if (path === '/stream') {
        res.writeHead(200, { 'Content-Type': 'text/event-stream' });
        res.write(': open\n\n');
        streams.push(res);
      } else res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
    },
  };
  return {
    protocol,
    held,
    streams,
    release: () => {
      for (const res of held.splice(0)) res.writeHead(200).end('released');
    },
  };
}

describe('createRouter with caps', () => {
  let server: Server;
  let base: string;
  const h = holding();

  beforeAll(async () => {
    server = createRouter({
      protocols: [h.protocol],
      caps: { maxStreams: 2, maxRequests: 2 },
      internalKey: INTERNAL,
    });
    await new Promise<void>((done) => server.listen(0, () => done()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    h.release();
    for (const res of h.streams) res.end();
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
  });

  const until = async (condition: () => boolean) => {
    for (let i = 0; i < 200 && !condition(); i++) await new Promise((done) => setTimeout(done, 5));
  };

  it('refuses a request past the cap of requests in flight with 503 OVERLOADED and Retry-After', async () => {
    // Prepare: two requests held in flight
    const first = fetch(`${base}/hold`);
    const second = fetch(`${base}/hold`);
    await until(() => h.held.length === 2);

    // Act
    const refused = await fetch(`${base}/other`);
    const health = await fetch(`${base}/health`);
    const internal = await fetch(`${base}/other`, { headers: { 'x-natflow-internal': INTERNAL } });
    const forged = await fetch(`${base}/other`, { headers: { 'x-natflow-internal': 'guess' } });

    // Assess
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect(await refused.json()).toMatchObject({
      status: 503,
      code: 'OVERLOADED',
      errors: [{ code: 'OVERLOADED' }],
    });
    expect(health.status).toBe(200);
    expect(internal.status).toBe(200);
    expect(forged.status).toBe(503);

    // and once they are answered, requests are served again
    h.release();
    expect((await first).status).toBe(200);
    expect((await second).status).toBe(200);
    // the server counts them out as their responses close
    await new Promise((done) => setTimeout(done, 20));
    expect((await fetch(`${base}/other`)).status).toBe(200);
  });

  it('caps event streams apart from requests, and keeps the open ones flowing', async () => {
    // Prepare: two streams open
    const controllers = [new AbortController(), new AbortController()];
    const open = await Promise.all(controllers.map((c) => fetch(`${base}/stream`, { signal: c.signal })));
    await until(() => h.streams.length === 2);

    // Act
    const third = await fetch(`${base}/stream`);
    const request = await fetch(`${base}/other`);
    for (const res of h.streams) res.write('data: still here\n\n');

    // Assess: the third is refused, requests are not, the two open streams receive
    expect(third.status).toBe(503);
    expect(third.headers.get('retry-after')).toBe('5');
    expect(await third.json()).toMatchObject({ code: 'OVERLOADED' });
    expect(request.status).toBe(200);
    for (const response of open) {
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      let text = '';
      while (!text.includes('still here')) text += new TextDecoder().decode((await reader.read()).value);
      expect(text).toContain('still here');
    }

    // and a closed stream frees its slot
    controllers[0]?.abort();
    await until(() => h.streams[0]?.closed === true);
    await new Promise((done) => setTimeout(done, 20));
    const again = new AbortController();
    expect((await fetch(`${base}/stream`, { signal: again.signal })).status).toBe(200);
    again.abort();
    controllers[1]?.abort();
  });
});

describe('a stack at its cap of console streams', () => {
  let dataDir: string;
  let stack: Stack;
  const controllers: AbortController[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'natflow-caps-'));
    stack = await startStack({
      dataDir,
      port: 0,
      dataPlane: false,
      console: createConsole,
      limits: { maxStreams: 3, maxRequests: 256 },
    });
  });
  afterEach(() => {
    for (const c of controllers.splice(0)) c.abort();
  });
  afterAll(async () => {
    await stack.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses the stream past the cap, and the open ones carry a provisioning that runs meanwhile', async () => {
    // Prepare: three live streams, the cap
    const url = stack.url as string;
    const readers = [];
    for (let i = 0; i < 3; i++) {
      const controller = new AbortController();
      controllers.push(controller);
      const response = await fetch(`${url}/console/api/live`, { signal: controller.signal });
      expect(response.status).toBe(200);
      readers.push((response.body as ReadableStream<Uint8Array>).getReader());
    }

    // Act
    const refused = await fetch(`${url}/console/api/live`);
    const started = await api(url, '/executions', {
      body: { workflow: 'provision', input: generatedPlan(1, 'capped'), name: 'capped' },
    });
    const done = await closed(url, 'capped');

    // Assess
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBeTruthy();
    expect(await refused.json()).toMatchObject({ status: 503, code: 'OVERLOADED' });
    expect(started.status).toBe(201);
    expect(done.status).toBe('SUCCEEDED');
    for (const reader of readers) {
      let text = '';
      while (!text.includes('ExecutionSucceeded'))
        text += new TextDecoder().decode((await reader.read()).value);
      expect(text).toContain('event: history');
    }
  });
});
