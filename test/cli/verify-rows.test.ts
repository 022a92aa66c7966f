/**
 * Verification rows (docs/real-cloud.md#verification-output) on the virtual cloud, through the CLI with
 * its embedded stack and live data plane: one row per `verify` entry — plan, path, expected, found,
 * mode (`both`: analysed and sent live) — in `provision`'s summary, in `verify`'s text and in its
 * `--json` document `{ok, plans: [{plan, cloud, ok, entries}]}`, for a verification that holds and for
 * one that does not.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const NODE = join(ROOT, 'node_modules/.bin/node');
const BIN = join(ROOT, 'bin/natflow.js');
const REFERENCE = join(ROOT, 'examples/reference.plan.yaml');

let dataDir: string;

function natflow(...args: string[]) {
  const result = spawnSync(NODE, [BIN, ...args, '--data-dir', dataDir], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 90_000,
    env: { ...process.env, NATFLOW_CLOUD: '' },
  });
  return {
    code: result.status ?? -1,
    stdout: result.stdout,
    stderr: result.stderr,
    json: () => JSON.parse(result.stdout) as Record<string, unknown>,
  };
}

const HTTP_ROW = {
  from: 'ECS-A',
  to: 'transit-ip-A',
  protocol: 'http',
  port: 80,
  expect: 'reachable',
  verdict: 'REACHABLE',
  mode: 'both',
  ok: true,
};
const SSH_ROW = {
  from: 'ECS-A',
  to: 'transit-ip-A',
  protocol: 'tcp',
  port: 22,
  expect: 'unreachable',
  expectCode: 'NO_MATCHING_RULE',
  verdict: 'UNREACHABLE',
  code: 'NO_MATCHING_RULE',
  mode: 'both',
  ok: true,
};

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'natflow-verify-rows-'));
});
afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

describe('verification rows on the virtual cloud', () => {
  it('provision: output.verify is the rows, and the summary prints them', () => {
    const text = natflow('provision', REFERENCE);
    expect(text.code, text.stderr + text.stdout).toBe(0);
    expect(text.stdout).toMatch(/PLAN\s+PATH\s+EXPECTED\s+FOUND\s+MODE/);
    expect(text.stdout).toMatch(
      /app-a-to-elb01\s+ECS-A → transit-ip-A:80\/http\s+reachable\s+✓ REACHABLE\s+both/,
    );
    expect(text.stdout).toMatch(
      /ECS-A → transit-ip-A:22\/tcp\s+unreachable \(NO_MATCHING_RULE\)\s+✓ UNREACHABLE \(NO_MATCHING_RULE\)\s+both/,
    );
    expect(text.stdout).not.toContain('no packet');

    const json = natflow('provision', REFERENCE, '--json');
    expect((json.json().output as { verify: unknown[] }).verify).toEqual([HTTP_ROW, SSH_ROW]);
  });

  it('verify: a row per entry in text, and {ok, plans: [{plan, cloud, ok, entries}]} in JSON', () => {
    const text = natflow('verify', 'app-a-to-elb01');
    expect(text.code, text.stderr + text.stdout).toBe(0);
    expect(text.stdout).toMatch(
      /app-a-to-elb01\s+ECS-A → transit-ip-A:80\/http\s+reachable\s+✓ REACHABLE\s+both/,
    );

    const json = natflow('verify', '--json');
    expect(json.code, json.stderr).toBe(0);
    expect(json.json()).toMatchObject({
      ok: true,
      plans: [{ plan: 'app-a-to-elb01', cloud: 'virtual', ok: true, entries: [HTTP_ROW, SSH_ROW] }],
      status: 'SUCCEEDED',
      workflow: 'verify',
    });
  });

  it('a verification that does not hold: exit 1, the rows still printed, the failed one marked', () => {
    // Prepare: a frozen gateway translates nothing.
    expect(natflow('freeze', 'private_nat_gateway').code).toBe(0);

    // Act
    const text = natflow('verify', 'app-a-to-elb01');
    const json = natflow('verify', 'app-a-to-elb01', '--json');

    // Assess
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/ECS-A → transit-ip-A:80\/http\s+reachable\s+✗ UNREACHABLE/);
    expect(json.code).toBe(1);
    const doc = json.json() as {
      ok: boolean;
      error: string;
      plans: { ok: boolean; entries: { port: number; ok: boolean; verdict: string }[] }[];
    };
    expect(doc).toMatchObject({ ok: false, status: 'FAILED', error: 'VERIFICATION_FAILED' });
    expect(doc.plans[0]?.ok).toBe(false);
    expect(doc.plans[0]?.entries.find((e) => e.port === 80)).toMatchObject({
      ok: false,
      verdict: 'UNREACHABLE',
    });
    expect(natflow('unfreeze', 'private_nat_gateway').code).toBe(0);
  });
});
