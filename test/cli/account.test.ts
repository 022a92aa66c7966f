/**
 * The README's "Provision into your Huawei Cloud account", as written, while a `natflow up` runs on the
 * same data directory (docs/clouds.md "Settings of a command, in a running stack"). "The account" is
 * another natflow's local Huawei API, served by this test process; the running `natflow up` was started
 * with settings that point nowhere (`HUAWEICLOUD_ENDPOINT=http://127.0.0.1:9`), so only the command's
 * own `HUAWEICLOUD_*` can make its executions work:
 * - validate and plan --cloud huaweicloud read the account (14 to create), not a plan of another cloud;
 * - provision, verify, plans and teardown (by the plan file) run their workflows in the running stack,
 *   with the command's settings — none of which is written to disk, to an execution's input or history;
 * - a probe of what the account holds is the analysis (said so), and a live one is refused, whatever
 *   `--cloud` says;
 * - a plan provisioned in the virtual cloud is PLAN_CHANGED for huaweicloud, never "already provisioned".
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_AK, DEFAULT_PROJECT_ID, DEFAULT_SK } from '../../src/local-huaweicloud/index.ts';
import { type Stack, startStack } from '../../src/stack/stack.ts';
import { natflow, REFERENCE, type RunningUp, startUp } from './support.ts';

let dir: string;
let account: Stack & { url: string };
let up: RunningUp;
let upOutput = '';

/** The command's own settings: the README's exports, pointed at "the account". */
const settings = () => ({
  HUAWEICLOUD_ENDPOINT: account.url,
  HUAWEICLOUD_SDK_AK: DEFAULT_AK,
  HUAWEICLOUD_SDK_SK: DEFAULT_SK,
  HUAWEICLOUD_SDK_PROJECT_ID: DEFAULT_PROJECT_ID,
  HUAWEICLOUD_DEFAULT_IMAGE: 'ubuntu-22.04',
  HUAWEICLOUD_DEFAULT_FLAVOR: 's6.small.1',
});

const client = (...args: string[]) =>
  natflow([...args, '--data-dir', join(dir, 'client')], { env: settings(), timeoutMs: 180_000 });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'natflow-account-'));
  account = (await startStack({ dataDir: join(dir, 'account'), port: 0, dataPlane: false })) as Stack & {
    url: string;
  };
  // The running stack's own settings point nowhere: its executions work only with the command's.
  up = await startUp(['--data-dir', join(dir, 'client')], {
    HUAWEICLOUD_ENDPOINT: 'http://127.0.0.1:9',
    HUAWEICLOUD_REGION: '',
  });
  up.child.stdout?.on('data', (chunk) => {
    upOutput += chunk;
  });
}, 60_000);

afterAll(async () => {
  await up?.stop();
  await account?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the Huawei account path, with natflow up running on the data directory', () => {
  it('validate --cloud huaweicloud reads the account: 14 to create', async () => {
    const result = await client('validate', REFERENCE, '--cloud', 'huaweicloud', '--json');
    expect(result.code, result.stderr + result.stdout).toBe(0);
    expect(result.json()).toMatchObject({ valid: true, summary: { toCreate: 14, alreadyProvisioned: 0 } });
  });

  it("provision --cloud huaweicloud runs in the running stack with the command's settings: SUCCEEDED", async () => {
    // Act
    const result = await client('provision', REFERENCE, '--cloud', 'huaweicloud', '--json');

    // Assess
    expect(result.code, result.stderr + result.stdout).toBe(0);
    expect(result.json()).toMatchObject({ status: 'SUCCEEDED' });
    // It ran in the running stack (whose own settings point nowhere), and the account holds the plan.
    expect((await fetch(new URL('/executions', up.url)).then((r) => r.json())) as unknown).toMatchObject({
      executions: [expect.objectContaining({ name: (result.json() as { name: string }).name })],
    });
    expect((await account.store.list({ type: 'dnat-rule' })).length).toBe(1);
  });

  it('writes no secret anywhere: not in the input, the history, the data directory or the output', async () => {
    const list = await client('executions', 'list', '--json');
    for (const { name } of list.json<{ executions: { name: string }[] }>().executions) {
      const shown = await client('executions', 'show', name, '--json');
      const history = await client('executions', 'history', name, '--json');
      expect(shown.stdout).not.toContain(DEFAULT_SK);
      expect(history.stdout).not.toContain(DEFAULT_SK);
    }
    const data = join(dir, 'client');
    for (const file of readdirSync(data))
      expect(readFileSync(join(data, file)).includes(DEFAULT_SK), file).toBe(false);
    expect(upOutput).not.toContain(DEFAULT_SK);
  });

  it('plan --cloud huaweicloud reads the account: the provisioned plan changes nothing', async () => {
    const result = await client('plan', REFERENCE, '--cloud', 'huaweicloud', '--json', '--detailed-exitcode');
    expect(result.code, result.stderr).toBe(0);
    expect(result.json()).toMatchObject({ summary: { create: 0, unchanged: 14 } });
  });

  it('a probe of what the account holds is the analysis, said so; a live one exits 2 saying why', async () => {
    const args = ['probe', '--from', 'ECS-A', '--to', 'transit-ip-A:80', '--protocol', 'http'];
    // No --cloud: the resources say where they are.
    const analysed = await client(...args, '--json');
    expect(analysed.code, analysed.stderr).toBe(0);
    expect(analysed.json()).toMatchObject({ verdict: 'REACHABLE', mode: 'analyze' });
    expect(analysed.json()).not.toHaveProperty('live');
    expect(analysed.stderr).toContain('natflow sent no packet into a real VPC');
    for (const mode of ['live', 'both']) {
      const refused = await client(...args, '--mode', mode, '--json');
      expect(refused.code).toBe(2);
      expect(refused.json()).toMatchObject({
        error: {
          code: 'LIVE_PROBE_UNAVAILABLE',
          message: expect.stringContaining('no packet into a real VPC'),
        },
      });
    }
  });

  it('natflow plans lists the plan in huaweicloud, with its provisioning and verification', async () => {
    const result = await client('plans', '--json');
    expect(result.code, result.stderr).toBe(0);
    expect(result.json()).toEqual({
      plans: [
        expect.objectContaining({
          plan: 'app-a-to-elb01',
          cloud: 'huaweicloud',
          resources: 14,
          lastExecution: expect.objectContaining({ workflow: 'provision', status: 'SUCCEEDED' }),
          lastVerification: { ok: true, at: expect.any(String) },
        }),
      ],
    });
    // The same through the stack's API.
    const remote = await natflow(['plans', '--json', '--endpoint', up.url]);
    expect(remote.json()).toEqual(result.json());
  });

  it('teardown by the plan file, in the running stack with the command’s settings, empties the account', async () => {
    const result = await client('teardown', REFERENCE, '--json');
    expect(result.code, result.stderr + result.stdout).toBe(0);
    expect(result.json()).toMatchObject({ status: 'SUCCEEDED', workflow: 'teardown' });
    expect(await account.store.list({ type: 'dnat-rule' })).toEqual([]);
    expect((await client('plans', '--json')).json()).toEqual({ plans: [] });
  });
});

describe('without a running stack: the command’s own process', () => {
  const solo = (...args: string[]) =>
    natflow([...args, '--data-dir', join(dir, 'solo')], { env: settings(), timeoutMs: 180_000 });

  it('provisions, probes by analysis only (a live probe refused), and tears down', async () => {
    const provisioned = await solo('provision', REFERENCE, '--cloud', 'huaweicloud', '--json');
    expect(provisioned.code, provisioned.stderr + provisioned.stdout).toBe(0);
    const args = ['probe', '--from', 'app-a-to-elb01/ECS-A', '--to', 'transit-ip-A:80', '--protocol', 'http'];
    const analysed = await solo(...args);
    expect(analysed.code, analysed.stderr).toBe(0);
    expect(analysed.stdout).toContain('REACHABLE');
    expect(analysed.stdout).not.toContain('live:');
    expect(analysed.stderr).toContain('is recorded in huaweicloud');
    const refused = await solo(...args, '--mode', 'both');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('LIVE_PROBE_UNAVAILABLE');
    const torn = await solo('teardown', 'app-a-to-elb01', '--json');
    expect(torn.code, torn.stderr).toBe(0);
  });
});

describe('a plan provisioned in another cloud of the data directory', () => {
  it('is PLAN_CHANGED for huaweicloud, never counted as already provisioned', async () => {
    // Prepare: the reference plan, in the virtual cloud of a data directory of its own.
    const virtual = join(dir, 'virtual');
    const provisioned = await natflow(['provision', REFERENCE, '--data-dir', virtual, '--json']);
    expect(provisioned.code, provisioned.stderr).toBe(0);

    // Act
    const result = await natflow(
      ['validate', REFERENCE, '--cloud', 'huaweicloud', '--data-dir', virtual, '--json'],
      {
        env: settings(),
      },
    );

    // Assess
    expect(result.code).toBe(2);
    expect(result.json()).toMatchObject({
      valid: false,
      errors: [
        {
          path: 'cloud',
          code: 'PLAN_CHANGED',
          message: expect.stringContaining('provisioned in the virtual cloud here'),
        },
      ],
    });
  });
});
