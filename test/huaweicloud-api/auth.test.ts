/**
 * SDK-HMAC-SHA256 on the local Huawei Cloud API: verified over the raw bytes received; a missing,
 * wrong or stale signature, or another project id, is a 401 in API Gateway's shape and changes nothing.
 * On a stack, natflow's own routes keep their token rule and Huawei's paths need AK/SK instead.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListVpcsRequest, VpcClient } from '@huaweicloud/huaweicloud-sdk-vpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from '../../src/local-huaweicloud/index.ts';
import { startStack } from '../../src/stack/stack.ts';
import {
  AK,
  credentials,
  failure,
  type Local,
  PROJECT,
  raw,
  SK,
  snapshot,
  startLocal,
  V1,
} from './harness.ts';

let local: Local;
beforeAll(async () => {
  local = await startLocal({ dataPlane: false });
});
afterAll(async () => {
  await local?.close();
});

const SPACED = '{ "vpc" :  { "name": "spaced",\n  "cidr": "10.9.0.0/16" } }';

async function unauthorised(
  send: () => Promise<{ status: number; json: Record<string, unknown> }>,
  reason: RegExp,
) {
  const before = await snapshot(local.store);
  const response = await send();
  expect(response.status).toBe(401);
  expect(response.json).toMatchObject({
    error_code: 'APIGW.0301',
    request_id: expect.stringMatching(/^[0-9a-f]{32}$/),
  });
  expect(String(response.json.error_msg)).toMatch(reason);
  expect(await snapshot(local.store)).toBe(before);
}

describe('SDK-HMAC-SHA256 verification', () => {
  it('accepts a body whose re-serialisation differs: the signature covers the raw bytes', async () => {
    expect(JSON.stringify(JSON.parse(SPACED))).not.toBe(SPACED);
    const response = await raw(local.url, 'POST', `${V1}/vpcs`, SPACED);
    expect(response.status).toBe(200);
    expect(response.json.vpc).toMatchObject({ name: 'spaced', cidr: '10.9.0.0/16', status: 'CREATING' });
  });

  it('refuses a signature computed over the re-serialised body instead of the bytes sent', async () => {
    const host = new URL(local.url).host;
    const signed = signRequest(
      {
        method: 'POST',
        rawPath: `${V1}/vpcs`,
        rawQuery: '',
        headers: { host, 'content-type': 'application/json' },
        body: Buffer.from(JSON.stringify(JSON.parse(SPACED))),
      },
      { ak: AK, sk: SK },
      Date.now(),
    );
    await unauthorised(async () => {
      const r = await fetch(`${local.url}${V1}/vpcs`, { method: 'POST', headers: signed, body: SPACED });
      return { status: r.status, json: (await r.json()) as Record<string, unknown> };
    }, /signature does not match/);
  });

  it('refuses a missing Authorization header', async () => {
    await unauthorised(async () => {
      const r = await fetch(`${local.url}${V1}/vpcs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: SPACED,
      });
      return { status: r.status, json: (await r.json()) as Record<string, unknown> };
    }, /no Authorization header/);
  });

  it('refuses a wrong secret key, and a wrong access key', async () => {
    await unauthorised(
      () => raw(local.url, 'POST', `${V1}/vpcs`, SPACED, { sk: 'not-the-secret' }),
      /signature/,
    );
    const vpc = VpcClient.newBuilder()
      .withCredential(credentials('SOMEONEELSE000000000', SK))
      .withEndpoint(local.url)
      .build();
    const refused = await failure(vpc.listVpcs(new ListVpcsRequest()));
    expect(refused).toMatchObject({ status: 401, code: 'APIGW.0301' });
  });

  it('refuses a stale X-Sdk-Date (over 15 minutes), accepts one 14 minutes old', async () => {
    await unauthorised(
      () => raw(local.url, 'POST', `${V1}/vpcs`, SPACED, { now: Date.now() - 16 * 60_000 }),
      /more than 15 minutes/,
    );
    await unauthorised(
      () => raw(local.url, 'POST', `${V1}/vpcs`, SPACED, { now: Date.now() + 16 * 60_000 }),
      /more than 15 minutes/,
    );
    const fresh = await raw(local.url, 'GET', `${V1}/vpcs`, undefined, { now: Date.now() - 14 * 60_000 });
    expect(fresh.status).toBe(200);
  });

  it('refuses another project id, in the path or in X-Project-Id, even correctly signed', async () => {
    await unauthorised(
      () => raw(local.url, 'POST', `/v1/ffffffffffffffffffffffffffffffff/vpcs`, SPACED),
      /project id ffffffffffffffffffffffffffffffff/,
    );
    await unauthorised(
      () =>
        raw(local.url, 'POST', `${V1}/vpcs`, SPACED, {
          headers: { 'X-Project-Id': 'ffffffffffffffffffffffffffffffff' },
        }),
      /X-Project-Id/,
    );
    const vpc = VpcClient.newBuilder()
      .withCredential(credentials(AK, SK, 'ffffffffffffffffffffffffffffffff'))
      .withEndpoint(local.url)
      .build();
    expect(await failure(vpc.listVpcs(new ListVpcsRequest()))).toMatchObject({
      status: 401,
      code: 'APIGW.0301',
    });
  });

  it('refuses a tampered query string and a declared body hash that does not match', async () => {
    const host = new URL(local.url).host;
    const headers = signRequest(
      { method: 'GET', rawPath: `${V1}/vpcs`, rawQuery: 'limit=1', headers: { host }, body: Buffer.alloc(0) },
      { ak: AK, sk: SK },
      Date.now(),
    );
    await unauthorised(async () => {
      const r = await fetch(`${local.url}${V1}/vpcs?limit=2`, { headers });
      return { status: r.status, json: (await r.json()) as Record<string, unknown> };
    }, /signature/);
    await unauthorised(
      () =>
        raw(local.url, 'POST', `${V1}/vpcs`, SPACED, { headers: { 'X-Sdk-Content-Sha256': '0'.repeat(64) } }),
      /X-Sdk-Content-Sha256/,
    );
  });

  it('an unknown path is a 404 APIGW.0101 once signed, a 401 before', async () => {
    expect((await raw(local.url, 'GET', `/v3/${PROJECT}/nothing-here`)).json).toMatchObject({
      error_code: 'APIGW.0101',
    });
    const r = await fetch(`${local.url}/v3/${PROJECT}/nothing-here`);
    expect(r.status).toBe(401);
  });
});

describe('on a stack: Huawei paths by AK/SK, natflow routes by token', () => {
  it('serves the Huawei API on the stack port and keeps NATFLOW_TOKEN for natflow’s own routes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'natflow-hwc-stack-'));
    // A stack with a token takes only its own keys on the Huawei paths (docs/huaweicloud-api.md#authentication; security.test.ts).
    const keys = { ak: 'STACKOWNAK0000000001', sk: 'stack-own-secret-key-0000000000000000001' };
    process.env.NATFLOW_HWC_AK = keys.ak;
    process.env.NATFLOW_HWC_SK = keys.sk;
    const stack = await startStack({
      dataDir: dir,
      port: 0,
      dataPlane: false,
      token: 'secret-token',
    }).finally(() => {
      delete process.env.NATFLOW_HWC_AK;
      delete process.env.NATFLOW_HWC_SK;
    });
    try {
      const url = stack.url as string;
      expect((await fetch(`${url}/resources`)).status).toBe(401);
      expect(
        (await fetch(`${url}/resources`, { headers: { authorization: 'Bearer secret-token' } })).status,
      ).toBe(200);
      const created = await raw(url, 'POST', `${V1}/vpcs`, SPACED, keys);
      expect(created.status).toBe(200);
      const listed = await fetch(`${url}/resources`, { headers: { authorization: 'Bearer secret-token' } });
      const body = JSON.stringify(await listed.json());
      expect(body).toContain((created.json.vpc as Record<string, string>).id);
      expect(
        (await fetch(`${url}${V1}/vpcs`, { headers: { authorization: 'Bearer secret-token' } })).status,
      ).toBe(401);
    } finally {
      await stack.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
