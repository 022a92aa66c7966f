/**
 * The HTTP-API client of `--endpoint` signs with SigV4 (service execute-api), and a local server checks
 * each signature with its own implementation of the algorithm (node:crypto, not the signer under test):
 * canonical request, string to sign, the derived key. A wrong secret or a tampered body is refused, as
 * API Gateway would; an unsigned endpoint gets no Authorization header.
 */
import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { RemoteApi } from '../../src/cli/remote/client.ts';
import { isApiGatewayHost, regionOf } from '../../src/cli/remote/sigv4.ts';

const KEY_ID = 'AKIDEXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';

const sha256 = (data: string) => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();
const rfc3986 = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

interface Seen {
  authorization: string | undefined;
  verdict: 'valid' | 'invalid' | 'unsigned';
  reason?: string;
}

/** SigV4 verification as AWS documents it: recompute the signature from the request and compare. */
function verify(req: IncomingMessage, body: string): Seen {
  const authorization = req.headers.authorization;
  if (!authorization) return { authorization, verdict: 'unsigned' };
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
      authorization,
    );
  if (!match) return { authorization, verdict: 'invalid', reason: 'malformed Authorization' };
  const [, keyId, day, region, service, signedHeaders, signature] = match as unknown as string[];
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  if (keyId !== KEY_ID || service !== 'execute-api' || !amzDate.startsWith(day as string))
    return { authorization, verdict: 'invalid', reason: 'credential scope' };
  const url = new URL(req.url ?? '/', 'http://local');
  const query = [...url.searchParams]
    .map(([k, v]): [string, string] => [rfc3986(k), rfc3986(v)])
    .sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const names = (signedHeaders as string).split(';');
  if (!names.includes('host') || !names.includes('x-amz-date'))
    return { authorization, verdict: 'invalid', reason: 'host and x-amz-date must be signed' };
  const headers = names.map((name) => `${name}:${String(req.headers[name] ?? '').trim()}\n`).join('');
  const canonical = [req.method, url.pathname, query, headers, signedHeaders, sha256(body)].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  const key = hmac(
    hmac(hmac(hmac(`AWS4${SECRET}`, day as string), region as string), service as string),
    'aws4_request',
  );
  const expected = createHmac('sha256', key).update(toSign).digest('hex');
  return expected === signature
    ? { authorization, verdict: 'valid' }
    : { authorization, verdict: 'invalid', reason: 'signature mismatch' };
}

let server: Server;
let endpoint: string;
const seen: Seen[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    req.on('end', () => {
      const result = verify(req, body);
      seen.push(result);
      res.setHeader('content-type', 'application/json');
      if (result.verdict === 'invalid') {
        res.statusCode = 403;
        res.end(
          JSON.stringify({
            message: `The request signature we calculated does not match (${result.reason})`,
          }),
        );
        return;
      }
      if (req.url?.startsWith('/dev/plans/validate')) {
        res.statusCode = 422;
        res.setHeader('content-type', 'application/problem+json');
        res.end(
          JSON.stringify({
            type: 'about:blank',
            title: 'Invalid plan',
            status: 422,
            detail: 'the plan has 1 error',
            code: 'INVALID_CIDR',
            errors: [{ path: 'vpcs[0].cidr', code: 'INVALID_CIDR', message: 'not a CIDR' }],
          }),
        );
        return;
      }
      res.end(
        JSON.stringify({ path: req.url, method: req.method, body: body === '' ? null : JSON.parse(body) }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dev`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const credentials = { accessKeyId: KEY_ID, secretAccessKey: SECRET };

describe('Class: RemoteApi', () => {
  it('signs a GET with a query under --sigv4, and the server finds the signature valid', async () => {
    // Prepare
    const api = new RemoteApi({ endpoint, sigv4: true, credentials, env: { AWS_REGION: 'eu-west-1' } });
    // Act
    const answer = await api.request('GET', '/executions', { query: { workflow: 'provision', limit: 5 } });
    // Assess
    expect(answer).toMatchObject({ path: '/dev/executions?workflow=provision&limit=5', method: 'GET' });
    expect(seen.at(-1)?.verdict).toBe('valid');
    expect(seen.at(-1)?.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, /,
    );
  });

  it('signs a POST body (its hash is part of the signature)', async () => {
    const api = new RemoteApi({ endpoint, sigv4: true, credentials });
    const answer = await api.request('POST', '/executions', {
      body: { workflow: 'provision', input: { name: 'p', vpcs: [] } },
    });
    expect(answer).toMatchObject({ method: 'POST', body: { workflow: 'provision' } });
    expect(seen.at(-1)?.verdict).toBe('valid');
  });

  it('is refused with ACCESS_DENIED when the secret is wrong', async () => {
    const api = new RemoteApi({
      endpoint,
      sigv4: true,
      credentials: { accessKeyId: KEY_ID, secretAccessKey: 'not-the-secret' },
    });
    const error = await api.request('GET', '/health').catch((e: unknown) => e);
    expect(seen.at(-1)).toMatchObject({ verdict: 'invalid', reason: 'signature mismatch' });
    expect(error).toMatchObject({ name: 'ACCESS_DENIED', status: 403 });
    expect((error as Error).message).toContain('signature');
  });

  it('detects a body changed after signing', async () => {
    // A fetch that alters the body in transit.
    const tampering: typeof fetch = (input, init) =>
      fetch(input, { ...init, body: String(init?.body).replace('"a"', '"b"') });
    const api = new RemoteApi({ endpoint, sigv4: true, credentials, fetch: tampering });
    const error = await api.request('POST', '/probes', { body: { from: 'a' } }).catch((e: unknown) => e);
    expect(seen.at(-1)?.verdict).toBe('invalid');
    expect(error).toMatchObject({ name: 'ACCESS_DENIED' });
  });

  it('sends no Authorization to an endpoint that is no API Gateway without --sigv4', async () => {
    const api = new RemoteApi({ endpoint, credentials });
    expect(api.signed).toBe(false);
    await api.request('GET', '/health');
    expect(seen.at(-1)).toMatchObject({ verdict: 'unsigned', authorization: undefined });
  });

  it('turns a problem document into an error named by its code, with every entry', async () => {
    const api = new RemoteApi({ endpoint, credentials });
    const error = await api
      .request('POST', '/plans/validate', { body: { plan: {} } })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'INVALID_CIDR',
      status: 422,
      issues: [{ path: 'vpcs[0].cidr', code: 'INVALID_CIDR', message: 'not a CIDR' }],
    });
  });

  it('rejects an endpoint that is no http(s) URL', () => {
    expect(() => new RemoteApi({ endpoint: 'ftp://x' })).toThrow(/http or https/);
    expect(() => new RemoteApi({ endpoint: 'not a url' })).toThrow(/not a URL/);
  });
});

describe('API Gateway hosts', () => {
  it.each([
    { host: 'a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com', gateway: true, region: 'eu-west-1' },
    { host: 'abc.execute-api.cn-north-1.amazonaws.com.cn', gateway: true, region: 'cn-north-1' },
    { host: '127.0.0.1', gateway: false, region: 'ap-south-1' },
    { host: 'execute-api.example.com', gateway: false, region: 'ap-south-1' },
  ])('$host: signed by default $gateway, region $region', ({ host, gateway, region }) => {
    expect(isApiGatewayHost(host)).toBe(gateway);
    expect(regionOf(host, { AWS_REGION: 'ap-south-1' })).toBe(region);
    expect(new RemoteApi({ endpoint: `https://${host}/prod/` }).signed).toBe(gateway);
  });
});

describe('natflow … --endpoint URL --sigv4', () => {
  it('sends the command to the HTTP API, signed with the default credential chain', async () => {
    // Prepare: the default chain reads the environment first.
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: KEY_ID,
      AWS_SECRET_ACCESS_KEY: SECRET,
      AWS_REGION: 'eu-west-1',
    });
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
    const out: string[] = [];
    const io = { out: (t: string) => out.push(t), err: (t: string) => out.push(t) };
    try {
      // Act
      const code = await main(
        ['executions', 'list', '--endpoint', endpoint, '--sigv4', '--json', '--workflow', 'verify'],
        io,
      );
      // Assess
      expect(code).toBe(0);
      expect(seen.at(-1)?.verdict).toBe('valid');
      expect(JSON.parse(out.join('\n'))).toMatchObject({
        path: '/dev/executions?workflow=verify',
        method: 'GET',
      });
    } finally {
      for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION']) {
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
      }
    }
  });

  it('says that a deployed stack analyses only when a probe asks for the live data plane', async () => {
    const out: string[] = [];
    const io = { out: (t: string) => out.push(t), err: (t: string) => out.push(t) };
    const code = await main(
      [
        'probe',
        '--endpoint',
        endpoint,
        '--from',
        'ECS-A',
        '--to',
        '192.168.0.144:80',
        '--protocol',
        'http',
        '--mode',
        'live',
      ],
      io,
    );
    expect(code).toBe(2);
    expect(out.join('\n')).toContain('analyses only');
  });

  it.each(['up', 'freeze'])('refuses %s, which has no HTTP API route, naming why', async (name) => {
    const out: string[] = [];
    const io = { out: (t: string) => out.push(t), err: (t: string) => out.push(t) };
    expect(await main([name, 'x', '--endpoint', endpoint], io)).toBe(2);
    expect(out.join('\n')).toMatch(/local|route/);
  });
});
