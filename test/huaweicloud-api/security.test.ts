/**
 * The local Huawei API on a stack (docs/huaweicloud-api.md): a stack started with NATFLOW_TOKEN refuses the published
 * default AK/SK (401 in API Gateway's shape, nothing changed) unless it has its own keys, and says so
 * when `natflow up` starts; idle keep-alive connections stay open long enough for an SDK to reuse them.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalEventBus } from '../../src/local-bus/index.ts';
import { DEFAULT_AK, DEFAULT_SK, signRequest } from '../../src/local-huaweicloud/index.ts';
import { systemClock } from '../../src/net/clock.ts';
import { createHttpServer } from '../../src/stack/http/index.ts';
import { readServerlessConfig } from '../../src/stack/serverless-config.ts';
import { type Stack, startStack } from '../../src/stack/stack.ts';
import { raw, V1 } from './harness.ts';

const ROOT = join(import.meta.dirname, '../..');
const VPC = JSON.stringify({ vpc: { name: 'guarded', cidr: '10.7.0.0/16' } });
const OWN = { ak: 'STACKOWNAK0000000002', sk: 'stack-own-secret-key-0000000000000000002' };

/** A stack on a fresh data dir, with these environment variables set while it starts. */
async function withStack<T>(
  env: Record<string, string>,
  options: { token?: string },
  run: (stack: Stack) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'natflow-hwc-sec-'));
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  let stack: Stack | undefined;
  try {
    stack = await startStack({ dataDir: dir, port: 0, dataPlane: false, ...options });
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  try {
    return await run(stack);
  } finally {
    await stack.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function vpcCount(stack: Stack): Promise<number> {
  return (await stack.store.list({ type: 'vpc' })).length;
}

describe('the published default keys under NATFLOW_TOKEN', () => {
  it('a stack with a token and the default keys refuses them: 401 APIGW.0301 in Huawei’s body, nothing changed', async () => {
    await withStack({}, { token: 'secret-token' }, async (stack) => {
      const url = stack.url as string;
      const created = await raw(url, 'POST', `${V1}/vpcs`, VPC);
      expect(created.status).toBe(401);
      expect(created.json).toMatchObject({ error_code: 'APIGW.0301' });
      expect(String(created.json.error_msg)).toMatch(/default AK\/SK.*NATFLOW_HWC_AK/);
      expect(typeof created.json.request_id).toBe('string');
      expect((await raw(url, 'GET', `${V1}/vpcs`)).status).toBe(401);
      expect((await raw(url, 'GET', `/v3/${'0123456789abcdef0123456789abcdef'}/nothing`)).status).toBe(401);
      expect(await vpcCount(stack)).toBe(0);
      // natflow's own routes keep the token rule.
      expect(
        (await fetch(`${url}/resources`, { headers: { authorization: 'Bearer secret-token' } })).status,
      ).toBe(200);
    });
  });

  it('with its own NATFLOW_HWC_AK/_SK the stack takes them, and the defaults stay refused', async () => {
    await withStack(
      { NATFLOW_HWC_AK: OWN.ak, NATFLOW_HWC_SK: OWN.sk },
      { token: 'secret-token' },
      async (stack) => {
        const url = stack.url as string;
        expect((await raw(url, 'POST', `${V1}/vpcs`, VPC, OWN)).status).toBe(200);
        expect(await vpcCount(stack)).toBe(1);
        const defaults = await raw(url, 'POST', `${V1}/vpcs`, VPC, { ak: DEFAULT_AK, sk: DEFAULT_SK });
        expect(defaults).toMatchObject({ status: 401, json: { error_code: 'APIGW.0301' } });
        expect(await vpcCount(stack)).toBe(1);
      },
    );
  });

  it('only its default SK changed is not enough: a published key in effect is refused', async () => {
    await withStack({ NATFLOW_HWC_AK: OWN.ak }, { token: 'secret-token' }, async (stack) => {
      expect((await raw(stack.url as string, 'POST', `${V1}/vpcs`, VPC, { ak: OWN.ak })).status).toBe(401);
      expect(await vpcCount(stack)).toBe(0);
    });
  });

  it('without a token the default keys work, as docs/huaweicloud-api.md has it', async () => {
    await withStack({}, {}, async (stack) => {
      expect((await raw(stack.url as string, 'POST', `${V1}/vpcs`, VPC)).status).toBe(200);
    });
  });

  it('`natflow up` says so when it starts (the banner, and --json’s stack event)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'natflow-hwc-up-'));
    const up = (...args: string[]) =>
      spawnSync(
        join(ROOT, 'node_modules/.bin/node'),
        [join(ROOT, 'bin/natflow.js'), 'up', '--once', '--port', '0', '--data-dir', dir, ...args],
        {
          cwd: ROOT,
          encoding: 'utf8',
          timeout: 60_000,
          env: { ...process.env, NATFLOW_TOKEN: 'secret-token', NO_COLOR: '1' },
        },
      );
    try {
      const text = up();
      expect(text.status, text.stderr).toBe(0);
      expect(text.stdout).toMatch(
        /Huawei Cloud API on http:\/\/127\.0\.0\.1:\d+ refuses the published default AK\/SK/,
      );
      const json = up('--json');
      expect(json.status, json.stderr).toBe(0);
      const event = JSON.parse(json.stdout.split('\n')[0] as string) as {
        huaweiCloud: Record<string, unknown>;
      };
      expect(event.huaweiCloud).toMatchObject({ refusesDefaultKeys: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('keep-alive on the stack’s port', () => {
  it('keeps idle connections 65 s and still bounds a request being received (10 s headers, 30 s whole)', async () => {
    const server = createHttpServer({
      config: readServerlessConfig(),
      bus: new LocalEventBus({ clock: systemClock }),
    });
    expect(server.keepAliveTimeout).toBe(65_000);
    expect(server.headersTimeout).toBe(10_000);
    expect(server.requestTimeout).toBe(30_000);
  });

  it('an idle connection is reused after 6 s (Node’s 5 s default would have closed it)', async () => {
    await withStack({}, {}, async (stack) => {
      const url = new URL(stack.url as string);
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      const get = () =>
        new Promise<{ status: number; reused: boolean }>((done, fail) => {
          const path = `${V1}/vpcs`;
          const headers = signRequest(
            {
              method: 'GET',
              rawPath: path,
              rawQuery: '',
              headers: { host: url.host },
              body: Buffer.alloc(0),
            },
            { ak: DEFAULT_AK, sk: DEFAULT_SK },
            Date.now(),
          );
          const req = request(
            { host: url.hostname, port: url.port, path, method: 'GET', headers, agent },
            (res) => {
              res.resume();
              res.on('end', () => done({ status: res.statusCode ?? 0, reused: req.reusedSocket }));
            },
          );
          req.on('error', fail);
          req.end();
        });
      try {
        expect(await get()).toEqual({ status: 200, reused: false });
        await new Promise((done) => setTimeout(done, 6_000));
        expect(await get()).toEqual({ status: 200, reused: true });
      } finally {
        agent.destroy();
      }
    });
  }, 30_000);
});
