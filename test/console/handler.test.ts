import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsole, type HistoryChange, type HistorySource } from '../../src/console/index.ts';
import { readServerlessConfig } from '../../src/stack/serverless-config.ts';
import { withKeepVariant } from '../../src/workflow/keep-variant.ts';

/** The state machines the local stack hands its console: serverless.yml's, and the kept variant. */
const stateMachines = () => withKeepVariant(readServerlessConfig().stateMachines.values());

/** The console's handler behind a bare server that answers 404 for everything it declines. */
let server: Server;
let base: string;
const examplesDir = mkdtempSync(join(tmpdir(), 'natflow-console-examples-'));

beforeAll(async () => {
  writeFileSync(join(examplesDir, 'tiny.plan.yaml'), 'name: tiny\nvpcs: []\n');
  writeFileSync(join(examplesDir, 'broken.plan.yaml'), 'name: [unclosed\n');
  writeFileSync(join(examplesDir, 'notes.txt'), 'not a plan');
  const { handle } = createConsole({ examplesDir, stateMachines });
  server = createServer((req, res) => {
    if (!handle(req, res)) res.writeHead(404, { 'X-Declined': 'yes' }).end();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((done) => server.close(done));
});

describe('createConsole', () => {
  it('redirects /console to /console/ and serves the page with a same-origin-only policy', async () => {
    // Act
    const redirect = await fetch(`${base}/console`, { redirect: 'manual' });
    const page = await fetch(`${base}/console/`);

    // Assess
    expect(redirect.status).toBe(308);
    expect(redirect.headers.get('location')).toBe('/console/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await page.text();
    expect(html).toContain('<script type="module" src="assets/app.ts">');
    // Offline: nothing outside this origin.
    expect(html).not.toMatch(/https?:\/\//);
  });

  it.each([
    'app.ts',
    'graph.ts',
    'status.ts',
    'topology.ts',
    'view-detail.ts',
    'view-start.ts',
    'view-topology.ts',
    'view-executions.ts',
    'elk.ts',
    'topology-state.ts',
    'topology-svg.ts',
    'verification.ts',
    'zoom.ts',
  ])(
    'serves assets/%s as JavaScript a browser can run (types stripped, imports same-origin)',
    async (file) => {
      const response = await fetch(`${base}/console/assets/${file}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/javascript/);
      const code = await response.text();
      for (const match of code.matchAll(/from '([^']+)'/g)) expect(match[1]).toMatch(/^\.\/[a-z-]+\.ts$/);
      // Valid JavaScript once stripped: node checks it as an ES module, with no TypeScript support.
      const out = join(mkdtempSync(join(tmpdir(), 'natflow-console-js-')), 'module.mjs');
      writeFileSync(out, code);
      expect(() => execFileSync(process.execPath, ['--check', out], { stdio: 'pipe' })).not.toThrow();
    },
  );

  it('serves the stylesheet and icon, and nothing outside the assets folder', async () => {
    expect((await fetch(`${base}/console/assets/style.css`)).headers.get('content-type')).toMatch(
      /^text\/css/,
    );
    expect((await fetch(`${base}/console/assets/favicon.svg`)).status).toBe(200);
    for (const path of [
      '/console/assets/../index.ts',
      '/console/assets/%2e%2e/index.ts',
      '/console/assets/missing.js',
      '/console/assets/',
    ]) {
      const response = await fetch(`${base}${path}`);
      expect(response.status, path).toBe(404);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
  });

  it('serves the layout library from its own origin, under the same policy, and no other vendor file', async () => {
    // Act
    const elk = await fetch(`${base}/console/assets/vendor/elk.bundled.js`);
    const head = await fetch(`${base}/console/assets/vendor/elk.bundled.js`, { method: 'HEAD' });

    // Assess
    expect(elk.status).toBe(200);
    expect(elk.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(elk.headers.get('content-security-policy')).toContain("script-src 'self'");
    const code = await elk.text();
    expect(code).toContain('g.ELK = f()');
    // Nothing the policy would refuse: no eval, no Function constructor.
    expect(code).not.toMatch(/\beval\(|new Function\(/);
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    for (const path of [
      '/console/assets/vendor/elk-worker.js',
      '/console/assets/vendor/%2e%2e%2fapp.ts',
      '/console/assets/vendor/',
    ]) {
      const response = await fetch(`${base}${path}`);
      expect(response.status, path).toBe(404);
    }
  });

  it('declines what is not under /console so the server routes it', async () => {
    for (const path of ['/', '/executions', '/consoles', '/console-x']) {
      const response = await fetch(`${base}${path}`);
      expect(response.headers.get('x-declined'), path).toBe('yes');
    }
  });

  it('lists the state machines of serverless.yml with their definitions, and the kept variant', async () => {
    const body = (await (await fetch(`${base}/console/api/state-machines`)).json()) as {
      stateMachines: { key: string; name: string; definition: { StartAt: string; States: object } }[];
    };
    expect(body.stateMachines.map((m) => m.key).sort()).toEqual([
      'provision',
      'provision-keep',
      'rollback',
      'teardown',
      'verify',
    ]);
    const keep = body.stateMachines.find((m) => m.key === 'provision-keep');
    expect(keep?.name).toMatch(/^natflow-provision-keep-/);
    expect(Object.keys(keep?.definition.States ?? {})).not.toContain('Rollback');
    const provision = body.stateMachines.find((m) => m.key === 'provision');
    expect(provision?.name).toMatch(/^natflow-provision-/);
    expect(provision?.definition.StartAt).toBe('ValidatePlan');
  });

  it('lists the example plans with their names and texts, a malformed one included', async () => {
    const body = (await (await fetch(`${base}/console/api/examples`)).json()) as {
      examples: { file: string; name: string; text: string }[];
    };
    expect(body.examples).toEqual([
      { file: 'broken.plan.yaml', name: 'broken', text: 'name: [unclosed\n' },
      { file: 'tiny.plan.yaml', name: 'tiny', text: 'name: tiny\nvpcs: []\n' },
    ]);
  });

  it('offers the project examples by default', async () => {
    const { handle } = createConsole({ stateMachines });
    const other = createServer((req, res) => void handle(req, res));
    await new Promise<void>((done) => other.listen(0, '127.0.0.1', done));
    try {
      const url = `http://127.0.0.1:${(other.address() as AddressInfo).port}/console/api/examples`;
      const body = (await (await fetch(url)).json()) as { examples: { file: string }[] };
      expect(body.examples.map((e) => e.file)).toContain('reference.plan.yaml');
    } finally {
      await new Promise((done) => other.close(done));
    }
  });

  it.each([
    [
      'YAML',
      'name: p\nvpcs:\n  - { name: A, cidr: 10.0.0.0/16 }\n',
      { name: 'p', vpcs: [{ name: 'A', cidr: '10.0.0.0/16' }] },
    ],
    ['JSON', '{"name": "p", "vpcs": []}', { name: 'p', vpcs: [] }],
  ])('parses a %s plan into JSON', async (_kind, text, plan) => {
    const response = await fetch(`${base}/console/api/parse-plan`, { method: 'POST', body: text });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ plan });
  });

  it.each([
    ['not YAML', 'name: [unclosed'],
    ['empty', ''],
    ['a list', '- a\n- b\n'],
  ])('refuses a plan that is %s with MALFORMED_PLAN', async (_kind, text) => {
    const response = await fetch(`${base}/console/api/parse-plan`, { method: 'POST', body: text });
    expect(response.status).toBe(422);
    const problem = (await response.json()) as { code: string; errors: { code: string }[] };
    expect(problem.code).toBe('MALFORMED_PLAN');
    expect(problem.errors[0]?.code).toBe('MALFORMED_PLAN');
  });

  it('refuses a plan over 256 KB', async () => {
    const response = await fetch(`${base}/console/api/parse-plan`, {
      method: 'POST',
      body: `# ${'x'.repeat(300 * 1024)}`,
    });
    expect(response.status).toBe(413);
    expect(((await response.json()) as { code: string }).code).toBe('PAYLOAD_TOO_LARGE');
  });

  it.each([
    ['GET', '/console/api/parse-plan', 405, 'POST'],
    ['POST', '/console/api/examples', 405, 'GET'],
    ['DELETE', '/console/', 405, 'GET, HEAD'],
    ['GET', '/console/api/nothing', 404, null],
  ])('answers %s %s with %i', async (method, path, status, allow) => {
    const response = await fetch(`${base}${path}`, { method });
    expect(response.status).toBe(status);
    expect(response.headers.get('allow')).toBe(allow);
  });
});

describe('createConsole with a history source', () => {
  it('relays the history it is given as server-sent events on /console/api/live, and stops on close', async () => {
    // Prepare: a history source the test drives, as the stack hands in its engine's subscribe.
    const listeners = new Set<(change: HistoryChange) => void>();
    const history: HistorySource = {
      subscribe(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    };
    const consoleApp = createConsole({ stateMachines, history });
    const live = createServer((req, res) => {
      if (!consoleApp.handle(req, res)) res.writeHead(404).end();
    });
    await new Promise<void>((done) => live.listen(0, '127.0.0.1', done));
    const url = `http://127.0.0.1:${(live.address() as AddressInfo).port}/console/api/live`;
    try {
      const response = await fetch(url);
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      let text = decoder.decode((await reader.read()).value);

      // Act
      for (const listener of listeners)
        listener({ executionArn: 'arn:x', event: { id: 1, type: 'ExecutionStarted' } });
      while (!text.includes('event: executions')) text += decoder.decode((await reader.read()).value);
      consoleApp.close();

      // Assess
      expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      expect(text).toContain(
        'event: history\ndata: {"executionArn":"arn:x","id":1,"type":"ExecutionStarted"}',
      );
      expect(text).toContain('event: executions\ndata: {"executionArn":"arn:x","type":"ExecutionStarted"}');
      expect(listeners.size).toBe(0);
      await reader.cancel();
    } finally {
      live.closeAllConnections();
      await new Promise((done) => live.close(done));
    }
  });

  it('serves no live feed without one', async () => {
    expect((await fetch(`${base}/console/api/live`)).status).toBe(404);
  });
});
