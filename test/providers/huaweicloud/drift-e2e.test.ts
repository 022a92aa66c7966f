/**
 * Drift end to end (docs/real-cloud.md#change-drift), as a user meets it: two natflow stacks in this
 * process — "the account", serving the local Huawei Cloud API, and "natflow", whose provider drives that
 * account through signed HTTP (HUAWEICLOUD_ENDPOINT), advertised on its data directory so that the
 * `natflow` processes run here go through it — and the account changed behind natflow's back through
 * the same API (Huawei's SDK client core, signed), or in its own store for what the API cannot change.
 *
 * The reference walkthrough is provisioned once; then, one after the other: a DNAT rule deleted (seen by
 * `plan`, by `verify` as DriftDetected, recreated by `provision`, probed REACHABLE), VPC-A deleted with
 * everything Huawei requires to go first (seen and repaired), a port changed (drifted, updated in place),
 * and an address changed where no API reaches (DRIFT_REQUIRES_REPLACE: `plan` exits 1, `provision` and
 * POST /executions refuse it before anything is created, the account's counts unchanged).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PreviewSchema } from '../../../src/api/schemas.ts';
import type { Resource } from '../../../src/cloud/resources.ts';
import type { Store } from '../../../src/cloud/store.ts';
import { DEFAULT_AK, DEFAULT_PROJECT_ID, DEFAULT_SK } from '../../../src/local-huaweicloud/index.ts';
import { parsePlanText } from '../../../src/plan/plan.ts';
import { apisFor, type HuaweiApis } from '../../../src/providers/huaweicloud/apis.ts';
import { readSettings } from '../../../src/providers/huaweicloud/config.ts';
import { type Stack, startStack } from '../../../src/stack/stack.ts';
import { type Run, natflow as run } from './two-stacks.ts';

const ROOT = join(import.meta.dirname, '../../..');
const REFERENCE = join(ROOT, 'examples/reference.plan.yaml');
const PLAN = 'app-a-to-elb01';

let dir: string;
let account: Stack & { url: string };
let natflowStack: Stack & { url: string };
let cloudStore: Store;

/** What natflow's provider reads: the account's endpoint and keys (the CLI's environment, and ours). */
const HUAWEI_ENV = (): Record<string, string> => ({
  NATFLOW_CLOUD: '',
  HUAWEICLOUD_ENDPOINT: account.url,
  HUAWEICLOUD_SDK_AK: DEFAULT_AK,
  HUAWEICLOUD_SDK_SK: DEFAULT_SK,
  HUAWEICLOUD_SDK_PROJECT_ID: DEFAULT_PROJECT_ID,
  HUAWEICLOUD_DEFAULT_IMAGE: 'ubuntu-22.04',
  HUAWEICLOUD_DEFAULT_FLAVOR: 's6.small.1',
});

/** `natflow ARGS` as its own process, on natflow's data directory (so through the advertised stack). */
function natflow(...args: string[]): Promise<Run> {
  return run(
    {
      dataDir: join(dir, 'natflow'),
      endpoint: account.url,
      env: { ...HUAWEI_ENV(), NO_COLOR: '1' },
      timeoutMs: 150_000,
    },
    ...args,
  );
}

/** The account, through its API (signed as the SDKs sign). */
function api(): HuaweiApis {
  return apisFor(readSettings({ HUAWEICLOUD_ENDPOINT: account.url }), {
    ak: DEFAULT_AK,
    sk: DEFAULT_SK,
    projectId: DEFAULT_PROJECT_ID,
  });
}

/** How many of each kind the account holds, read through its API. */
async function counts() {
  const cloud = api();
  return {
    vpcs: (await cloud.vpc.listVpcs()).length,
    subnets: (await cloud.vpc.listSubnets()).length,
    groups: (await cloud.vpc.listSecurityGroups()).length,
    servers: (await cloud.ecs.listServers()).length,
    pools: (await cloud.elb.listPools()).length,
    loadBalancers: (await cloud.elb.listLoadBalancers()).length,
    transitIps: (await cloud.nat.listTransitIps()).length,
    gateways: (await cloud.nat.listGateways()).length,
    dnatRules: (await cloud.nat.listDnatRules()).length,
  };
}

interface PreviewRow {
  kind: string;
  name: string;
  action: string;
  gone?: boolean;
  code?: string;
  fields?: Array<{ field: string; recorded: unknown; actual: unknown }>;
}

const lastLine = (text: string) => text.trimEnd().split('\n').at(-1);

/** The reference plan's document, as the file holds it. */
const referenceDocument = () => parsePlanText(readFileSync(REFERENCE, 'utf8')) as Record<string, unknown>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'natflow-drift-e2e-'));
  account = (await startStack({ dataDir: join(dir, 'account'), port: 0, dataPlane: false })) as Stack & {
    url: string;
  };
  cloudStore = account.store;
  // natflow's stack reads its provider's settings from the environment when a step opens the cloud.
  for (const [name, value] of Object.entries(HUAWEI_ENV())) vi.stubEnv(name, value);
  natflowStack = (await startStack({
    dataDir: join(dir, 'natflow'),
    port: 0,
    dataPlane: false,
    advertise: true,
  })) as Stack & { url: string };
}, 60_000);

afterAll(async () => {
  await natflowStack?.close();
  await account?.close();
  vi.unstubAllEnvs();
  rmSync(dir, { recursive: true, force: true });
});

/** Each case runs several `natflow` processes, each a whole provisioning or dry run: minutes on a busy machine. */
const CASE_TIMEOUT_MS = 300_000;

describe('drift on a Huawei Cloud account, through the CLI and two stacks', {
  timeout: CASE_TIMEOUT_MS,
}, () => {
  it('provisions the reference walkthrough; plan then finds nothing to change (exit 0)', async () => {
    const run = await natflow('provision', REFERENCE, '--cloud', 'huaweicloud', '--json');
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(run.json()).toMatchObject({ status: 'SUCCEEDED' });

    const plan = await natflow('plan', REFERENCE, '--cloud', 'huaweicloud', '--detailed-exitcode');
    expect(plan.code, plan.stderr + plan.stdout).toBe(0);
    expect(lastLine(plan.stdout)).toBe('Plan: 0 to create, 14 unchanged, 0 differ, 0 conflicts.');
  });

  it('a DNAT rule deleted out of band: plan shows it gone (+ create, exit 3), verify emits DriftDetected', async () => {
    // Prepare
    const [rule] = await api().nat.listDnatRules();
    await api().nat.deleteDnatRule(rule?.id as string);

    // Act
    const text = await natflow('plan', REFERENCE, '--cloud', 'huaweicloud', '--detailed-exitcode');
    const json = await natflow('plan', REFERENCE, '--cloud', 'huaweicloud', '--json');
    const verify = await natflow('verify', PLAN, '--json');
    const previewed = await fetch(new URL('/plans/preview', natflowStack.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ plan: { ...referenceDocument(), cloud: 'huaweicloud' } }),
    });

    // Assess: the text preview
    expect(text.code, text.stderr + text.stdout).toBe(3);
    expect(text.stdout).toMatch(
      /^ {2}\+ dnat-rule +transit-ip-A-tcp-80 +privateNatGateways\[0\]\.dnatRules\[0\] \(gone from the cloud\)$/m,
    );
    expect(text.stdout).toMatch(/^ {2}\+ opened +ECS-A → 192\.168\.0\.144:80\/tcp/m);
    expect(lastLine(text.stdout)).toBe('Plan: 1 to create, 13 unchanged, 0 differ, 0 conflicts.');
    // … and its JSON
    expect(json.code).toBe(0);
    const doc = json.json() as { actions: PreviewRow[]; summary: Record<string, number> };
    expect(doc.actions.find((a) => a.kind === 'dnat-rule')).toMatchObject({ action: 'create', gone: true });
    expect(doc.actions.filter((a) => a.gone)).toHaveLength(1);
    expect(doc.summary).toMatchObject({ create: 1, unchanged: 13, conflicts: 0 });
    // … and POST /plans/preview's, as its schema says
    expect(previewed.status).toBe(200);
    const answered = PreviewSchema.parse(await previewed.json());
    expect(answered.actions.find((a) => a.kind === 'dnat-rule')).toMatchObject({
      action: 'create',
      gone: true,
    });
    // verify: connectivity lost, and the drift published with its exact shape
    expect(verify.code).toBe(1);
    const events = natflowStack.bus.list({ detailType: 'DriftDetected' });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ source: 'natflow', 'detail-type': 'DriftDetected' });
    expect(events[0]?.detail).toEqual({
      plan: PLAN,
      cloud: 'huaweicloud',
      drift: [{ kind: 'dnat-rule', name: 'transit-ip-A-tcp-80', externalId: rule?.id, change: 'gone' }],
    });
    expect(natflowStack.bus.list({ detailType: 'ConnectivityLost' })).toHaveLength(1);
  });

  it('provision recreates it: the account holds exactly one rule again, and the path probes REACHABLE', async () => {
    // Act
    const run = await natflow('provision', REFERENCE, '--cloud', 'huaweicloud', '--json');

    // Assess
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(run.json()).toMatchObject({ status: 'SUCCEEDED' });
    const rules = await api().nat.listDnatRules();
    const [lb] = await api().elb.listLoadBalancers();
    expect(rules).toHaveLength(1);
    expect(rules[0]).toMatchObject({
      protocol: 'tcp',
      transit_service_port: '80',
      internal_service_port: '80',
    });
    expect(rules[0]?.network_interface_id).toBe(lb?.vip_port_id);
    const listed = (await natflow('resources', '--plan', PLAN, '--json')).json().resources as Resource[];
    const recorded = listed.find((r) => r.type === 'dnat-rule');
    expect(recorded).toMatchObject({
      externalId: rules[0]?.id,
      status: 'ACTIVE',
      previous: [expect.any(Object)],
    });
    const probe = await natflow(
      'probe',
      '--from',
      'ECS-A',
      '--to',
      'transit-ip-A:80',
      '--protocol',
      'http',
      '--cloud',
      'huaweicloud',
      '--json',
    );
    expect(probe.code, probe.stderr + probe.stdout).toBe(0);
    expect(probe.json()).toMatchObject({ verdict: 'REACHABLE', mode: 'analyze' });
    const plan = await natflow('plan', REFERENCE, '--cloud', 'huaweicloud', '--detailed-exitcode');
    expect(plan.code, plan.stdout).toBe(0);
  });

  it('VPC-A deleted out of band, with what Huawei requires to go first: seen gone, then repaired', async () => {
    // Prepare: the rule and the transit IP, ECS-A and its group, the subnet, the VPC.
    const cloud = api();
    const vpcA = (await cloud.vpc.listVpcs()).find((v) => v.name === 'VPC-A');
    for (const rule of await cloud.nat.listDnatRules()) await cloud.nat.deleteDnatRule(rule.id);
    for (const tip of await cloud.nat.listTransitIps()) await cloud.nat.deleteTransitIp(tip.id);
    const ecsA = (await cloud.ecs.listServers()).find((s) => s.name === 'ECS-A');
    await cloud.ecs.deleteServer(ecsA?.id as string);
    for (const group of await cloud.vpc.listSecurityGroups())
      if (group.name === 'ECS-A-sg') await cloud.vpc.deleteSecurityGroup(group.id);
    for (const subnet of await cloud.vpc.listSubnets({ vpc_id: vpcA?.id }))
      await cloud.vpc.deleteSubnet(vpcA?.id as string, subnet.id);
    await cloud.vpc.deleteVpc(vpcA?.id as string);

    // Act
    const plan = await natflow('plan', REFERENCE, '--cloud', 'huaweicloud', '--json', '--detailed-exitcode');

    // Assess
    expect(plan.code, plan.stderr).toBe(3);
    const rows = (plan.json() as { actions: PreviewRow[] }).actions;
    expect(rows.filter((a) => a.gone).map((a) => `${a.kind} ${a.name}`)).toEqual([
      'vpc VPC-A',
      'subnet subnet-A01',
      'server ECS-A',
      'security-group ECS-A-sg',
      'transit-ip transit-ip-A',
      'dnat-rule transit-ip-A-tcp-80',
    ]);

    // Act
    const run = await natflow('provision', REFERENCE, '--cloud', 'huaweicloud', '--json');

    // Assess
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(await counts()).toMatchObject({ vpcs: 2, subnets: 2, servers: 2, transitIps: 1, dnatRules: 1 });
    expect((await api().nat.listTransitIps()).map((t) => t.ip_address)).toEqual(['192.168.0.144']);
    const again = await natflow('plan', REFERENCE, '--cloud', 'huaweicloud', '--detailed-exitcode');
    expect(again.code, again.stdout).toBe(0);
  });

  it('a DNAT rule port changed out of band: ~ drifted with the field (exit 3), updated in place by provision', async () => {
    // Prepare
    const [rule] = await api().nat.listDnatRules();
    await api().nat.updateDnatRule(rule?.id as string, { internal_service_port: '8080' });

    // Act
    const text = await natflow('plan', REFERENCE, '--cloud', 'huaweicloud', '--detailed-exitcode');
    const json = await natflow('plan', REFERENCE, '--cloud', 'huaweicloud', '--json');

    // Assess
    expect(text.code, text.stderr + text.stdout).toBe(3);
    expect(text.stdout).toMatch(
      /^ {2}~ dnat-rule +transit-ip-A-tcp-80 +privateNatGateways\[0\]\.dnatRules\[0\] .*\(drifted\)$/m,
    );
    expect(text.stdout).toMatch(/^ +internalPort: 80 → 8080$/m);
    expect(lastLine(text.stdout)).toBe('Plan: 0 to create, 13 unchanged, 0 differ, 0 conflicts, 1 drifted.');
    const doc = json.json() as { actions: PreviewRow[]; summary: Record<string, number> };
    expect(doc.actions.find((a) => a.kind === 'dnat-rule')).toMatchObject({
      action: 'drifted',
      fields: [{ field: 'internalPort', recorded: 80, actual: 8080 }],
    });
    expect(doc.summary).toMatchObject({ drifted: 1, create: 0 });

    // Act
    const run = await natflow('provision', REFERENCE, '--cloud', 'huaweicloud', '--json');

    // Assess: the same rule, its port back
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(await api().nat.listDnatRules()).toEqual([
      expect.objectContaining({ id: rule?.id, internal_service_port: '80' }),
    ]);
  });

  it('an address changed where no API reaches: DRIFT_REQUIRES_REPLACE — plan exits 1, provision and POST /executions (409) start nothing', async () => {
    // Prepare: the gateway's downlink address, changed in the account's own records.
    const gateway = (await cloudStore.list({ type: 'private-nat-gateway' }))[0];
    if (gateway?.type !== 'private-nat-gateway') throw new Error('no gateway');
    await cloudStore.transaction([gateway.id], (tx) => tx.update({ ...gateway, downlinkIp: '10.0.0.99' }));
    const before = await counts();
    const ledgerBefore = await natflowStack.store.list({ plan: PLAN });

    // Act
    const plan = await natflow('plan', REFERENCE, '--cloud', 'huaweicloud');
    const provision = await natflow('provision', REFERENCE, '--cloud', 'huaweicloud', '--json');
    const started = await fetch(new URL('/executions', natflowStack.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        workflow: 'provision',
        input: { ...referenceDocument(), cloud: 'huaweicloud' },
      }),
    });

    // Assess
    expect(plan.code, plan.stderr + plan.stdout).toBe(1);
    expect(plan.stdout).toMatch(/^ {2}! private-nat-gateway +private_nat_gateway +privateNatGateways\[0\]/m);
    expect(plan.stdout).toMatch(/^ +DRIFT_REQUIRES_REPLACE {2}privateNatGateways\[0\]: /m);
    expect(plan.stdout).toMatch(/^ +downlinkIp: 10\.0\.0\.5 → 10\.0\.0\.99$/m);
    expect(provision.code, provision.stderr + provision.stdout).toBe(1);
    expect(provision.json()).toMatchObject({
      valid: false,
      errors: [expect.objectContaining({ code: 'DRIFT_REQUIRES_REPLACE', path: 'privateNatGateways[0]' })],
    });
    expect(started.status).toBe(409);
    expect(await started.json()).toMatchObject({ code: 'DRIFT_REQUIRES_REPLACE' });
    expect(await counts()).toEqual(before);
    expect(await natflowStack.store.list({ plan: PLAN })).toEqual(ledgerBefore);

    // Cleanup: the account as natflow recorded it.
    await cloudStore.transaction([gateway.id], (tx) => tx.update(gateway));
  });
});
