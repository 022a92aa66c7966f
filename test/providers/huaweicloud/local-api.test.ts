/**
 * The huaweicloud provider through signed HTTP against natflow's own local Huawei Cloud API (docs/huaweicloud-api.md):
 * the real SDK clients and HcClient, SDK-HMAC-SHA256, Huawei's paths and bodies. Two natflows: the
 * "cloud" (a store behind `startHuaweiCloudServer`) and the client whose provider drives it (its own
 * store, the ledger). Everything is read back through the API, never from the cloud's store directly,
 * except to prove that nothing is left.
 */

import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ControlPlane } from '../../../src/cloud/control-plane.ts';
import { MemoryStore } from '../../../src/cloud/memory-store.ts';
import {
  DEFAULT_AK,
  DEFAULT_PROJECT_ID,
  DEFAULT_SK,
  type HuaweiCloudServer,
  startHuaweiCloudServer,
} from '../../../src/local-huaweicloud/index.ts';
import { type Plan, PlanSchema, parsePlanText } from '../../../src/plan/plan.ts';
import { apisFor, type HuaweiApis } from '../../../src/providers/huaweicloud/apis.ts';
import { readSettings } from '../../../src/providers/huaweicloud/config.ts';
import { HuaweiCloud } from '../../../src/providers/huaweicloud/provider.ts';
import { rollbackExecution } from '../../../src/workflow/rollback.ts';
import { applyStep } from '../../../src/workflow/steps/index.ts';

const EXECUTION = 'arn:aws:states:local:000000000000:execution:natflow-provision:hwc-1';
const STEPS = [
  'networks',
  'servers',
  'backendGroups',
  'loadBalancers',
  'transitIps',
  'gateways',
  'activateGateways',
  'rules',
  'activateRules',
] as const;

function referencePlan(): Plan {
  const text = readFileSync(new URL('../../../examples/reference.plan.yaml', import.meta.url), 'utf8');
  return PlanSchema.parse(parsePlanText(text));
}

async function step(cloud: HuaweiCloud, plan: Plan, name: (typeof STEPS)[number]) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await applyStep(cloud, plan, name, { execution: EXECUTION });
    } catch (error) {
      if (!(error as Error).name.startsWith('Natflow.') || attempt > 5) throw error;
    }
  }
}

describe('huaweicloud provider against the local Huawei Cloud API', () => {
  let remote: MemoryStore;
  let server: HuaweiCloudServer;
  let cloud: HuaweiCloud;
  /** The provider's own API clients (signed HTTP to the server): the cloud read back through its API. */
  let api: HuaweiApis;

  beforeEach(async () => {
    remote = new MemoryStore();
    server = await startHuaweiCloudServer({ store: remote, settleMs: 0 });
    const settings = readSettings({
      HUAWEICLOUD_ENDPOINT: server.url,
      HUAWEICLOUD_DEFAULT_IMAGE: 'image-ubuntu-22',
      HUAWEICLOUD_DEFAULT_FLAVOR: 's6.small.1',
    });
    const credentials = { ak: DEFAULT_AK, sk: DEFAULT_SK, projectId: DEFAULT_PROJECT_ID };
    api = apisFor(settings, credentials);
    cloud = new HuaweiCloud({ store: new MemoryStore(), settings, credentials, apis: api });
  });

  afterEach(async () => {
    await server.close();
  });

  it('provisions the reference walkthrough; the cloud holds exactly what the ledger says', async () => {
    // Act
    const plan = referencePlan();
    for (const name of STEPS) await step(cloud, plan, name);

    // Assess: read back through the API
    const [rule, ...more] = await api.nat.listDnatRules();
    expect(more).toEqual([]);
    const [lb] = await api.elb.listLoadBalancers();
    expect(rule).toMatchObject({ protocol: 'tcp', transit_service_port: '80', internal_service_port: '80' });
    expect(rule?.network_interface_id).toBe(lb?.vip_port_id);
    const tips = await api.nat.listTransitIps();
    expect(tips.map((t) => t.ip_address)).toEqual(['192.168.0.144']);
    const ledger = await cloud.list({ plan: plan.name });
    const remoteIds = new Set((await remote.list()).map((r) => r.externalId));
    for (const r of ledger) {
      expect(r.cloud).toBe('huaweicloud');
      expect(remoteIds.has(r.externalId), `${r.type} ${r.name}`).toBe(true);
    }
    expect(ledger.find((r) => r.type === 'dnat-rule')?.status).toBe('ACTIVE');
  });

  it('a re-run converges: the cloud holds no second copy of anything', async () => {
    const plan = referencePlan();
    for (const name of STEPS) await step(cloud, plan, name);
    const count = (await remote.list()).length;
    for (const name of STEPS) await step(cloud, plan, name);
    expect((await remote.list()).length).toBe(count);
  });

  it('a DNAT create committed but never answered is adopted by its token on the retry', async () => {
    // Prepare
    const plan = referencePlan();
    for (const name of STEPS.slice(0, 7)) await step(cloud, plan, name);
    server.api.faults.dropNextResponse('POST', '/v3/{project_id}/private-nat/dnat-rules');

    // Act
    await expect(applyStep(cloud, plan, 'rules', { execution: EXECUTION })).rejects.toMatchObject({
      name: 'Natflow.Transient',
    });
    expect(await api.nat.listDnatRules()).toHaveLength(1); // committed on the cloud side
    await applyStep(cloud, plan, 'rules', { execution: EXECUTION });

    // Assess
    const rules = await api.nat.listDnatRules();
    expect(rules).toHaveLength(1);
    const [recorded] = await cloud.list({ type: 'dnat-rule' });
    expect(recorded?.externalId).toBe(rules[0]?.id);
  });

  it('rollback deletes everything in reverse order, waiting in its loop, and leaves nothing on the cloud', async () => {
    const plan = referencePlan();
    for (const name of STEPS) await step(cloud, plan, name);

    let rounds = 0;
    while ((await cloud.list({ execution: EXECUTION })).length > 0 && rounds < 20) {
      await rollbackExecution(cloud, EXECUTION);
      rounds++;
    }

    expect(await cloud.list({ execution: EXECUTION })).toEqual([]);
    expect((await remote.list()).map((r) => `${r.type} ${r.name}`)).toEqual([]);
  });

  it('imports what the account has (made outside natflow) read-only, then refuses to delete it', async () => {
    // Prepare: the walkthrough created on the cloud side by someone else.
    const other = new ControlPlane({ store: remote });
    const vpc = await other.createVpc({ name: 'legacy', cidr: '172.20.0.0/16' });
    const subnet = await other.createSubnet({ name: 'legacy-a', vpcId: vpc.id, cidr: '172.20.1.0/24' });
    await other.createServer({
      name: 'legacy-web',
      subnetId: subnet.id,
      apps: [{ protocol: 'http', port: 80 }],
    });

    // Act
    const report = await cloud.importAccount({ vpcs: [vpc.externalId as string] });

    // Assess
    expect(report.imported).toMatchObject({ vpc: 1, subnet: 1, server: 1, 'security-group': 1 });
    const imported = await cloud.list({ type: 'server' });
    expect(imported).toEqual([
      expect.objectContaining({ name: 'legacy-web', imported: true, cloud: 'huaweicloud' }),
    ]);
    // Huawei reports no applications: not an ELB member, so none are modelled (analysis says APP_UNKNOWN).
    expect(imported[0]).toMatchObject({ apps: [] });
    await expect(cloud.destroy(imported[0]?.id as string)).rejects.toMatchObject({
      name: 'VALIDATION_FAILED',
    });
    expect(await remote.list({ type: 'server' })).toHaveLength(1);
  });
});

describe('huaweicloud provider against a slow local account (NATFLOW_HWC_SETTLE_MS)', () => {
  const pause = (ms: number) => new Promise((done) => setTimeout(done, ms));

  /** A step as the workflow runs it: Natflow.* errors and pending activations retried after a pause. */
  async function patiently(cloud: HuaweiCloud, plan: Plan, name: (typeof STEPS)[number]) {
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await applyStep(cloud, plan, name, { execution: EXECUTION });
        if ((result.pending ?? []).length === 0 || attempt > 80) return result;
      } catch (error) {
        if (!(error as Error).name.startsWith('Natflow.') || attempt > 80) throw error;
      }
      await pause(40);
    }
  }

  it('provisions the reference walkthrough when every kind settles in 150 ms, then rolls it all back', async () => {
    // Prepare: in-between states on every kind (gateway, transit IP and rules INACTIVE while they settle)
    const remote = new MemoryStore();
    const server = await startHuaweiCloudServer({ store: remote, settleMs: 150 });
    const settings = readSettings({
      HUAWEICLOUD_ENDPOINT: server.url,
      HUAWEICLOUD_DEFAULT_IMAGE: 'image-ubuntu-22',
      HUAWEICLOUD_DEFAULT_FLAVOR: 's6.small.1',
    });
    const credentials = { ak: DEFAULT_AK, sk: DEFAULT_SK, projectId: DEFAULT_PROJECT_ID };
    const api = apisFor(settings, credentials);
    const cloud = new HuaweiCloud({ store: new MemoryStore(), settings, credentials, apis: api });
    try {
      // Act
      const plan = referencePlan();
      for (const name of STEPS) await patiently(cloud, plan, name);

      // Assess: everything realised, the gateway and the rule ACTIVE, read back through the API
      const ledger = await cloud.list({ plan: plan.name });
      expect(ledger.length).toBeGreaterThan(10);
      const remoteIds = new Set((await remote.list()).map((r) => r.externalId));
      for (const r of ledger) expect(remoteIds.has(r.externalId), `${r.type} ${r.name}`).toBe(true);
      for (const type of ['private-nat-gateway', 'dnat-rule'] as const)
        expect(ledger.filter((r) => r.type === type).map((r) => r.status)).toEqual(['ACTIVE']);
      expect((await api.nat.listDnatRules()).map((r) => r.status)).toEqual(['ACTIVE']);
      expect((await api.nat.listGateways()).map((g) => g.status)).toEqual(['ACTIVE']);

      let rounds = 0;
      while ((await cloud.list({ execution: EXECUTION })).length > 0 && rounds < 200) {
        try {
          await rollbackExecution(cloud, EXECUTION);
        } catch (error) {
          if (!(error as Error).name.startsWith('Natflow.')) throw error;
        }
        rounds++;
        await pause(40);
      }
      expect(await cloud.list({ execution: EXECUTION })).toEqual([]);
      await server.api.idle();
      expect((await remote.list()).map((r) => `${r.type} ${r.name}`)).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
