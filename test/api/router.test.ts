/**
 * The stack's router on its own, with stub protocols: it only dispatches (the first protocol that
 * claims a request serves it), checks the token before anything else unless the claiming protocol
 * serves the request open, and answers whatever a protocol throws as a problem document.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { HttpProblemError } from '../../src/api/problem.ts';
import { createRouter, type Protocol } from '../../src/stack/http/router.ts';

const TOKEN = 'router-token-0123456789';

/** A protocol claiming one path prefix, answering its name. */
function stub(name: string, prefix: string, open = false): Protocol {
  return {
    name,
    claims: ({ path }) => path.startsWith(prefix),
    open: () => open,
    serve({ res, path }) {
      if (path.endsWith('/fail')) throw new HttpProblemError(409, 'DNAT_PORT_CONFLICT', `${name} refused`);
      if (path.endsWith('/crash')) throw new Error(`${name} crashed at /internal/path.ts:1`);
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end(name);
    },
  };
}

let server: Server;
let base: string;

beforeAll(async () => {
  server = createRouter({
    token: TOKEN,
    protocols: [stub('first', '/a'), stub('second', '/a/b'), stub('public', '/open', true)],
  });
  await new Promise<void>((done) => server.listen(0, () => done()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((done) => server.close(done));
});

async function get(path: string, token?: string) {
  const response = await fetch(`${base}${path}`, {
    headers: token ? { Authorization: `Bearer ${token}` } : {},
  });
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
}

describe('createRouter', () => {
  it('hands a request to the first protocol that claims it', async () => {
    expect((await get('/a/b', TOKEN)).text).toBe('first');
  });

  it.each([
    { name: 'a claimed path without the token', path: '/a', token: undefined, status: 401 },
    { name: 'an unclaimed path without the token', path: '/nowhere', token: undefined, status: 401 },
    { name: 'an unclaimed path with the token', path: '/nowhere', token: TOKEN, status: 404 },
    { name: 'a path served open, without the token', path: '/open', token: undefined, status: 200 },
  ])('answers $status for $name', async ({ path, token, status }) => {
    const answer = await get(path, token);
    expect(answer.status).toBe(status);
    if (status !== 200) expect(answer.type).toBe('application/problem+json');
  });

  it("answers a protocol's error as a problem document, and an unexpected one without its stack", async () => {
    const refused = await get('/a/fail', TOKEN);
    expect(refused.status).toBe(409);
    expect(JSON.parse(refused.text)).toMatchObject({ status: 409, code: 'DNAT_PORT_CONFLICT' });
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      const crashed = await get('/open/crash');
      expect(crashed.status).toBe(500);
      expect(crashed.type).toBe('application/problem+json');
      expect(crashed.text).not.toContain('/internal/path.ts');
      // The stack goes to the stack's own log, never to the client.
      expect(String(warn.mock.calls[0]?.[0])).toContain('/internal/path.ts');
    } finally {
      warn.mockRestore();
    }
  });
});
