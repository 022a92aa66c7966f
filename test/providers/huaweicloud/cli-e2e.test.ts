/**
 * `natflow … --cloud huaweicloud` end to end, as a user runs it: `natflow` processes whose
 * HUAWEICLOUD_ENDPOINT is another natflow's local Huawei Cloud API (a whole natflow stack, started here in
 * the test process on its own data directory), so every provisioning step is a signed HTTP call to
 * Huawei's paths. What the cloud
 * holds is read back through that API (the SDK-signed clients of the provider), and its store is checked
 * empty where the brief says "nothing left".
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Store } from '../../../src/cloud/store.ts';
import { DEFAULT_AK, DEFAULT_PROJECT_ID, DEFAULT_SK } from '../../../src/local-huaweicloud/index.ts';
import { apisFor } from '../../../src/providers/huaweicloud/apis.ts';
import { readSettings } from '../../../src/providers/huaweicloud/config.ts';
import { type Stack, startStack } from '../../../src/stack/stack.ts';

const ROOT = join(import.meta.dirname, '../../..');
const NODE = join(ROOT, 'node_modules/.bin/node');
const BIN = join(ROOT, 'bin/natflow.js');
const REFERENCE = join(ROOT, 'examples/reference.plan.yaml');

let dir: string;
let cloudStore: Store;
let server: Stack & { url: string };

/**
 * Runs `natflow ARGS` as its own process. Asynchronously: the cloud it calls is served by this very
 * process, whose event loop must keep running meanwhile.
 */
function natflow(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string; json: () => Record<string, unknown> }> {
  return new Promise((resolve) => {
    const child = spawn(NODE, [BIN, ...args, '--data-dir', join(dir, 'client')], {
      cwd: ROOT,
      env: {
        ...process.env,
        NATFLOW_CLOUD: '',
        NATFLOW_HWC_TEST_DROP_RESPONSE: '',
        HUAWEICLOUD_ENDPOINT: server.url,
        HUAWEICLOUD_SDK_AK: DEFAULT_AK,
        HUAWEICLOUD_SDK_SK: DEFAULT_SK,
        HUAWEICLOUD_SDK_PROJECT_ID: DEFAULT_PROJECT_ID,
        HUAWEICLOUD_DEFAULT_IMAGE: 'ubuntu-22.04',
        HUAWEICLOUD_DEFAULT_FLAVOR: 's6.small.1',
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill(), 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        code: code ?? -1,
        stdout,
        stderr,
        json: () => JSON.parse(stdout) as Record<string, unknown>,
      });
    });
  });
}

/** The cloud side, through its API. */
function api() {
  return apisFor(readSettings({ HUAWEICLOUD_ENDPOINT: server.url }), {
    ak: DEFAULT_AK,
    sk: DEFAULT_SK,
    projectId: DEFAULT_PROJECT_ID,
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'natflow-hwc-e2e-'));
  // The cloud side commits the first DNAT rule create and drops its answer (TEST ONLY switch): the crash
  // between a create and its record, which the first provisioning must survive without a duplicate.
  vi.stubEnv('NATFLOW_HWC_TEST_DROP_RESPONSE', 'POST /v3/{project_id}/private-nat/dnat-rules');
  server = (await startStack({ dataDir: join(dir, 'cloud'), port: 0, dataPlane: false })) as Stack & {
    url: string;
  };
  vi.unstubAllEnvs();
  cloudStore = server.store;
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('natflow --cloud huaweicloud against a local Huawei Cloud API', () => {
  let count = 0;

  it('provisions the reference walkthrough through signed HTTP, its DNAT answer dropped once: SUCCEEDED, one rule', async () => {
    // Act
    const run = await natflow('provision', REFERENCE, '--cloud', 'huaweicloud', '--json');

    // Assess
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(run.json()).toMatchObject({ status: 'SUCCEEDED' });
    // The dropped answer was a transient failure of AddDnatRule, retried by the workflow.
    const history = await natflow('executions', 'history', String(run.json().executionArn), '--json');
    expect(history.stdout).toContain('Natflow.Transient');
    const cloud = api();
    const [rule, ...others] = await cloud.nat.listDnatRules();
    expect(others).toEqual([]);
    const [lb] = await cloud.elb.listLoadBalancers();
    expect(rule).toMatchObject({ protocol: 'tcp', transit_service_port: '80', internal_service_port: '80' });
    expect(rule?.network_interface_id).toBe(lb?.vip_port_id);
    expect((await cloud.nat.listTransitIps()).map((t) => t.ip_address)).toEqual(['192.168.0.144']);
    expect((await cloud.ecs.listServers()).map((s) => s.name).sort()).toEqual(['ECS-A', 'ECS-B']);
    // natflow's resources record the cloud and the Huawei ids.
    const resources = (await natflow('resources', '--plan', 'app-a-to-elb01', '--json')).json()
      .resources as Array<{
      cloud?: string;
      externalId?: string;
      type: string;
    }>;
    expect(resources.every((r) => r.cloud === 'huaweicloud')).toBe(true);
    expect(resources.find((r) => r.type === 'dnat-rule')?.externalId).toBe(rule?.id);
    count = (await cloudStore.list()).length;
    expect(count).toBeGreaterThanOrEqual(12);
  });

  it('converges when run again: nothing new on the cloud side', async () => {
    const run = await natflow('provision', REFERENCE, '--cloud', 'huaweicloud', '--json');
    expect(run.code, run.stderr).toBe(0);
    expect((await cloudStore.list()).length).toBe(count);
  });

  it('natflow up --cloud huaweicloud --once runs the walkthrough again, converged, saying how it verified', async () => {
    const run = await natflow('up', REFERENCE, '--cloud', 'huaweicloud', '--once', '--port', '0', '--json');
    expect(run.code, run.stderr + run.stdout).toBe(0);
    const events = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events.find((e) => e.type === 'summary')).toMatchObject({ status: 'SUCCEEDED' });
    expect(run.stdout).toContain('"mode":"analyze"');
    expect((await cloudStore.list()).length).toBe(count);
  });

  it('refuses a DNAT_PORT_CONFLICT before any call (exit 2, the cloud side unchanged)', async () => {
    const tip = (await api().nat.listTransitIps())[0]?.id as string;
    const gateway = (await api().nat.listGateways())[0]?.id as string;
    const file = join(dir, 'conflict.yaml');
    writeFileSync(
      file,
      JSON.stringify({
        name: 'conflicting',
        cloud: 'huaweicloud',
        transitIps: [{ name: 'tip', existing: tip }],
        privateNatGateways: [
          {
            name: 'gw',
            existing: gateway,
            dnatRules: [
              {
                transitIp: 'tip',
                portType: 'specific',
                protocol: 'tcp',
                transitPort: 80,
                internalPort: 8080,
                target: { ip: '10.0.0.50' },
              },
            ],
          },
        ],
      }),
    );
    const run = await natflow('provision', file, '--json');
    expect(run.code, run.stderr + run.stdout).toBe(2);
    expect(run.json()).toMatchObject({
      valid: false,
      errors: [expect.objectContaining({ code: 'DNAT_PORT_CONFLICT' })],
    });
    expect((await cloudStore.list()).length).toBe(count);
  });

  it('refuses freeze and a live probe on a real cloud, saying why (exit 2)', async () => {
    const freeze = await natflow('freeze', 'private_nat_gateway', '--cloud', 'huaweicloud');
    expect(freeze.code).toBe(2);
    expect(freeze.stderr).toMatch(/not available on huaweicloud/);
    const probe = await natflow(
      'probe',
      '--from',
      'ECS-A',
      '--to',
      'transit-ip-A:80',
      '--protocol',
      'http',
      '--mode',
      'live',
      '--cloud',
      'huaweicloud',
    );
    expect(probe.code).toBe(2);
    expect(probe.stderr).toMatch(/no packet into a real VPC/);
  });

  it('tears down: nothing of the plan left on the cloud side', async () => {
    const run = await natflow('teardown', 'app-a-to-elb01', '--json');
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(run.json()).toMatchObject({ status: 'SUCCEEDED' });
    expect((await cloudStore.list()).map((r) => `${r.type} ${r.name}`)).toEqual([]);
  });

  it('a failure after the last step rolls back everything it created on the cloud side', async () => {
    // A verify entry that cannot hold: port 22 is not forwarded.
    const file = join(dir, 'failing.yaml');
    const { readFileSync } = await import('node:fs');
    writeFileSync(
      file,
      `${readFileSync(REFERENCE, 'utf8').replace(/verify:[\s\S]*$/, '')}verify:\n  - { from: ECS-A, to: transit-ip-A, protocol: tcp, port: 22, expect: reachable }\n`,
    );
    const run = await natflow('provision', file, '--cloud', 'huaweicloud', '--json');
    expect(run.code, run.stderr + run.stdout).toBe(1);
    expect(run.json()).toMatchObject({ status: 'FAILED', error: 'VERIFICATION_FAILED' });
    expect((await cloudStore.list()).map((r) => `${r.type} ${r.name}`)).toEqual([]);
  });
});
