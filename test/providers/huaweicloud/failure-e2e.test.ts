/**
 * Failures told as they are (docs/real-cloud.md#failure), end to end through the CLI and signed HTTP, with
 * two stacks (two-stacks.ts): the account goes away in the middle of a provisioning, and comes back; a
 * client holds the wrong secret key. What natflow says is checked against what the account holds, read
 * back through its API.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Account, natflow, REFERENCE, until } from './two-stacks.ts';

let dir: string;
let account: Account;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'natflow-hwc-failure-'));
  account = new Account(join(dir, 'account'));
  await account.start();
});

afterAll(async () => {
  await account.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface LeftBehind {
  kind: string;
  name: string;
  externalId?: string;
  cloudStatus?: string;
  error?: string;
}

describe('the account killed in the middle of a provisioning', () => {
  const client = () => ({ dataDir: join(dir, 'killed'), endpoint: account.url });
  let name: string;
  let leftBehind: LeftBehind[];

  it('fails with the step’s own error, telling what the rollback left behind and how to finish', async () => {
    // Act: provision; the account goes away once it holds the gateway (the run is then half done).
    const run = natflow(client(), 'provision', REFERENCE, '--cloud', 'huaweicloud', '--name', 'killed-run');
    await until(async () => (await account.stack?.store.list({ type: 'private-nat-gateway' }))?.length === 1);
    await account.stop();
    const provision = await run;
    name = 'killed-run';

    // Assess: exit 1; the error is the step's (the cloud out of reach), never the rollback's.
    expect(provision.code, provision.stderr + provision.stdout).toBe(1);
    const shown = await natflow(client(), 'executions', 'show', name, '--json');
    const doc = shown.json() as { status: string; error: string; cause: Record<string, unknown> };
    expect(doc.status).toBe('FAILED');
    expect(doc.error).toBe('CLOUD_UNAVAILABLE');
    const cause = doc.cause as {
      code: string;
      message: string;
      rollback: { status: string; leftBehind: LeftBehind[] };
    };
    expect(cause.code).toBe('CLOUD_UNAVAILABLE');
    expect(cause.message).toMatch(/ECONNREFUSED|socket hang up|ECONNRESET/);
    expect(cause.message).not.toMatch(/Delete/);
    expect(cause.rollback.status).toBe('INCOMPLETE');
    leftBehind = cause.rollback.leftBehind;
    expect(leftBehind.map((r) => r.kind)).toEqual(
      expect.arrayContaining(['vpc', 'subnet', 'private-nat-gateway']),
    );
    // Each with why it is still there: its deletion failed, or what it holds is still there.
    for (const resource of leftBehind)
      expect(resource.error).toMatch(/^(CLOUD_UNAVAILABLE|DEPENDENCY_VIOLATION): /);
    expect(leftBehind.some((r) => r.error?.startsWith('CLOUD_UNAVAILABLE: '))).toBe(true);

    // The CLI printed what is left, each with its id in the cloud, and the commands that finish the job.
    for (const resource of leftBehind)
      expect(provision.stdout).toContain(resource.externalId ?? '(never confirmed by the cloud)');
    expect(provision.stdout).toContain('rollback INCOMPLETE');
    expect(provision.stdout).toContain(`natflow executions rollback ${name}`);
    expect(provision.stdout).toContain('natflow teardown app-a-to-elb01');
  });

  it('lists exactly what the account kept, once it is back', async () => {
    // Act: the account comes back, on the same port and data.
    await account.start();

    // Assess: every resource the account holds is in leftBehind, with its id.
    const held = await account.holdings();
    expect(held.length).toBeGreaterThan(0);
    const listed = new Set(leftBehind.filter((r) => r.externalId).map((r) => `${r.kind} ${r.externalId}`));
    for (const resource of held) expect(listed).toContain(`${resource.kind} ${resource.id}`);
  });

  it('natflow executions rollback ID resumes the rollback: the account and the ledger empty', async () => {
    // Act
    const resumed = await natflow(client(), 'executions', 'rollback', name);

    // Assess
    expect(resumed.code, resumed.stderr + resumed.stdout).toBe(0);
    expect(resumed.stdout).toContain('rolled back');
    expect(await account.holdings()).toEqual([]);
    expect(await account.stack?.store.list()).toEqual([]);
    const ledger = (await natflow(client(), 'resources', '--json')).json().resources;
    expect(ledger).toEqual([]);
  });

  it('a second rollback of it is refused: nothing is left', async () => {
    const again = await natflow(client(), 'executions', 'rollback', name, '--json');
    expect(again.code).toBe(2);
    expect(again.json()).toMatchObject({ error: { code: 'ROLLBACK_REFUSED' } });
  });
});

describe('a wrong secret key', () => {
  const client = () => ({
    dataDir: join(dir, 'wrong-key'),
    endpoint: account.url,
    env: { HUAWEICLOUD_SDK_SK: 'not-the-secret-key' },
  });

  it('fails CLOUD_AUTH_FAILED with what the cloud said, and lists nothing that does not exist', async () => {
    // Act
    const run = await natflow(client(), 'provision', REFERENCE, '--cloud', 'huaweicloud', '--json');

    // Assess
    expect(run.code, run.stderr + run.stdout).toBe(1);
    expect(run.json()).toMatchObject({
      status: 'FAILED',
      error: 'CLOUD_AUTH_FAILED',
      cause: {
        code: 'CLOUD_AUTH_FAILED',
        cloud: { code: 'APIGW.0301', message: expect.any(String), requestId: expect.any(String) },
        rollback: { status: 'COMPLETE', leftBehind: [] },
      },
    });
    const resources = (await natflow(client(), 'resources', '--plan', 'app-a-to-elb01', '--json')).json()
      .resources as { status: string; externalId?: string }[];
    const held = new Set((await account.holdings()).map((r) => r.id));
    for (const resource of resources) {
      expect(resource.status).not.toBe('ACTIVE');
      if (resource.externalId) expect(held).toContain(resource.externalId);
    }
    expect(await account.holdings()).toEqual([]);
  });
});

describe('verification rows on a real cloud', () => {
  const client = () => ({ dataDir: join(dir, 'verified'), endpoint: account.url });
  const HTTP_ROW = {
    from: 'ECS-A',
    to: 'transit-ip-A',
    protocol: 'http',
    port: 80,
    expect: 'reachable',
    verdict: 'REACHABLE',
    mode: 'analyze',
  };

  it('provision prints a row per entry, by analysis, saying natflow sent no packet into a real VPC', async () => {
    const run = await natflow(client(), 'provision', REFERENCE, '--cloud', 'huaweicloud');
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(run.stdout).toMatch(
      /app-a-to-elb01\s+ECS-A → transit-ip-A:80\/http\s+reachable\s+✓ REACHABLE\s+analyze/,
    );
    expect(run.stdout).toMatch(/ECS-A → transit-ip-A:22\/tcp\s+.*UNREACHABLE \(NO_MATCHING_RULE\)\s+analyze/);
    expect(run.stdout).toContain('natflow sent no packet into a real VPC');
    const shown = (await natflow(client(), 'executions', 'list', '--json')).json().executions as {
      name: string;
    }[];
    const output = (await natflow(client(), 'executions', 'show', String(shown[0]?.name), '--json')).json()
      .output as { verify: unknown[] };
    expect(output.verify).toEqual([
      expect.objectContaining(HTTP_ROW),
      expect.objectContaining({
        port: 22,
        verdict: 'UNREACHABLE',
        code: 'NO_MATCHING_RULE',
        mode: 'analyze',
      }),
    ]);
  });

  it('verify: rows in text and JSON, mode analyze, on the cloud it names', async () => {
    const text = await natflow(client(), 'verify', 'app-a-to-elb01');
    expect(text.code, text.stderr + text.stdout).toBe(0);
    expect(text.stdout).toMatch(/ECS-A → transit-ip-A:80\/http\s+reachable\s+✓ REACHABLE\s+analyze/);
    expect(text.stdout).toContain('huaweicloud: natflow sent no packet into a real VPC');

    const json = await natflow(client(), 'verify', '--json');
    expect(json.code, json.stderr).toBe(0);
    expect(json.json()).toMatchObject({
      ok: true,
      plans: [
        {
          plan: 'app-a-to-elb01',
          cloud: 'huaweicloud',
          ok: true,
          entries: [HTTP_ROW, expect.objectContaining({ port: 22, mode: 'analyze' })],
        },
      ],
    });
  });

  it('tears down: nothing left in the account', async () => {
    const run = await natflow(client(), 'teardown', 'app-a-to-elb01');
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(await account.holdings()).toEqual([]);
  });
});
