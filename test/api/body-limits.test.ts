/**
 * Body limits per route (docs/http-api.md#conventions): `POST /dnat/evaluate` takes its documented 10,000
 * packets in the documented string form — 2 MB, on the local server and in the Lambda's own check (behind
 * API Gateway, whose payload limit is 10 MB) — while every other route keeps 256 KB.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createHandler as createEvaluate } from '../../functions/api/evaluate-dnat.ts';
import { depsOf } from '../../functions/lib/deps.ts';
import { bodyLimitOf, MAX_BODY_BYTES } from '../../src/api/problem.ts';
import { MAX_PACKETS_PER_REQUEST } from '../../src/dnat/api.ts';
import { type Stack, startStack } from '../../src/stack/stack.ts';
import { api, closed, ROOT } from '../reliability/support.ts';
import { call } from './events.ts';

/** The longest packet the documented string form writes: 67 characters. */
const LONGEST = 'tcp 255.255.255.255:65535 > 255.255.255.255:65535 [syn,ack,fin,rst]';

/** 10,000 packets in the string form, each as long as the form allows (varied, so none is cached). */
function batch(count = MAX_PACKETS_PER_REQUEST): string[] {
  return Array.from({ length: count }, (_, i) => {
    const port = String(10_000 + (i % 55_535)).padStart(5, '0');
    return `tcp 192.168.100.100:${port} > 192.168.100.144:65535 [syn,ack,fin,rst]`;
  });
}

const REFERENCE = parse(readFileSync(join(ROOT, 'examples/reference.plan.yaml'), 'utf8')) as Record<
  string,
  unknown
>;

describe('Function: bodyLimitOf', () => {
  it('gives POST /dnat/evaluate room for 10,000 of the longest packets, and 256 KB to the rest', () => {
    const body = JSON.stringify({ gateway: 'private_nat_gateway', packets: Array(10_000).fill(LONGEST) });
    expect(LONGEST).toHaveLength(67);
    expect(Buffer.byteLength(body)).toBeLessThan(bodyLimitOf('POST', '/dnat/evaluate'));
    expect(Buffer.byteLength(body)).toBeGreaterThan(MAX_BODY_BYTES);
    // within what API Gateway (10 MB) and a Lambda event (6 MB) carry
    expect(bodyLimitOf('POST', '/dnat/evaluate')).toBeLessThanOrEqual(6 * 1000 * 1000);
    expect(bodyLimitOf('post', '/dnat/evaluate')).toBe(bodyLimitOf('POST', '/dnat/evaluate'));
    expect(bodyLimitOf('POST', '/plans/validate')).toBe(MAX_BODY_BYTES);
    expect(bodyLimitOf('POST', '/executions')).toBe(MAX_BODY_BYTES);
  });
});

describe('POST /dnat/evaluate with 10,000 packets', () => {
  let dataDir: string;
  let stack: Stack;
  let url: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'natflow-body-'));
    stack = await startStack({ dataDir, port: 0, dataPlane: false });
    url = stack.url as string;
    await api(url, '/executions', { body: { workflow: 'provision', input: REFERENCE, name: 'ref' } });
    expect((await closed(url, 'ref')).status).toBe('SUCCEEDED');
  });
  afterAll(async () => {
    await stack.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers every packet of a full batch in the string form on the local server (was 413)', async () => {
    // Prepare
    const body = { gateway: 'private_nat_gateway', packets: batch() };
    expect(Buffer.byteLength(JSON.stringify(body))).toBeGreaterThan(MAX_BODY_BYTES);
    // Act
    const answer = await api(url, '/dnat/evaluate', { body });
    // Assess
    expect(answer.status, answer.text.slice(0, 300)).toBe(200);
    expect(answer.json.results).toHaveLength(MAX_PACKETS_PER_REQUEST);
    expect(answer.json.results.every((r: { verdict: string }) => r.verdict !== 'INVALID_PACKET')).toBe(true);
  });

  it('answers the same batch through the Lambda handler, as behind API Gateway', async () => {
    const handler = createEvaluate(depsOf({ store: stack.store }));
    const answer = await call(handler, {
      method: 'POST',
      resource: '/dnat/evaluate',
      body: { gateway: 'private_nat_gateway', packets: batch() },
    });
    expect(answer.status).toBe(200);
    expect(answer.json.results).toHaveLength(MAX_PACKETS_PER_REQUEST);
  });

  it('refuses a body past its 2 MB with 413, and keeps 256 KB on the other routes', async () => {
    const over = await api(url, '/dnat/evaluate', {
      raw: JSON.stringify({
        gateway: 'private_nat_gateway',
        packets: batch(10),
        pad: 'x'.repeat(2 * 1024 * 1024),
      }),
    });
    expect(over.status).toBe(413);
    expect(over.json).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    expect(over.json.detail).toMatch(/2 MB/);
    const validate = await api(url, '/plans/validate', {
      body: { ...REFERENCE, description: 'x'.repeat(300 * 1024) },
    });
    expect(validate.status).toBe(413);
    expect(validate.json.detail).toMatch(/256 KB/);
    const handler = createEvaluate(depsOf({ store: stack.store }));
    const lambdaOver = await call(handler, {
      method: 'POST',
      resource: '/dnat/evaluate',
      body: JSON.stringify({ gateway: 'x', packets: ['y'], pad: 'x'.repeat(2 * 1024 * 1024) }),
      headers: { 'content-type': 'application/json' },
    });
    expect(lambdaOver.status).toBe(413);
  });
});
