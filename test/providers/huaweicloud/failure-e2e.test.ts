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
        cloud: { code: 'APIGW.0301', message: expect.any(String) },
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
