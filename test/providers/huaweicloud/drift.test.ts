/**
 * Drift on a Huawei Cloud account (docs/real-cloud.md#change-drift), through signed HTTP against natflow's
 * own local Huawei Cloud API: the reference walkthrough provisioned by the `huaweicloud` provider, then
 * changed behind natflow's back through the same API (a DNAT rule deleted, VPC-A deleted with everything
 * the API requires to go first, a port or the gateway's spec changed, a security group rule removed), or
 * — for what the API cannot change — in the account's own store. Each time: what the dry run reads back
 * (`DryRun.drift`, list calls per kind), what the preview and the validation make of it, and what a
 * later provisioning (another execution) repairs, read back through the API.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../src/cloud/memory-store.ts';
import {
  DEFAULT_AK,
  DEFAULT_PROJECT_ID,
  DEFAULT_SK,
  type HuaweiCloudServer,
  startHuaweiCloudServer,
} from '../../../src/local-huaweicloud/index.ts';
import { type Plan, PlanSchema, parsePlanText } from '../../../src/plan/plan.ts';
import { previewExitCode, previewPlan } from '../../../src/plan/preview.ts';
import { validatePlan } from '../../../src/plan/validate.ts';
import { apisFor, type HuaweiApis } from '../../../src/providers/huaweicloud/apis.ts';
import { readSettings } from '../../../src/providers/huaweicloud/config.ts';
import { HuaweiCloud } from '../../../src/providers/huaweicloud/provider.ts';
import { applyStep, steps } from '../../../src/workflow/steps/index.ts';

const FIRST = 'arn:aws:states:local:000000000000:execution:natflow-provision:first';
const REPAIR = 'arn:aws:states:local:000000000000:execution:natflow-provision:repair';
const STEPS = steps.order;

/** The reference plan's document, as a file holds it (what validation and the preview take). */
function referenceDocument(): unknown {
  return parsePlanText(
    readFileSync(new URL('../../../examples/reference.plan.yaml', import.meta.url), 'utf8'),
  );
}

/** A whole provisioning as the workflow runs it: each step retried while it reports Natflow.* or pending. */
async function provision(cloud: HuaweiCloud, plan: Plan, execution: string): Promise<void> {
  for (const name of STEPS) {
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await applyStep(cloud, plan, name, { execution });
        if ((result.pending ?? []).length === 0) break;
      } catch (error) {
        if (!(error as Error).name.startsWith('Natflow.') || attempt > 20) throw error;
      }
      if (attempt > 20) throw new Error(`${name} still pending`);
    }
  }
}

/** Counts of what the account holds, per kind, read through the API. */
async function accountCounts(api: HuaweiApis) {
  return {
    vpcs: (await api.vpc.listVpcs()).length,
    subnets: (await api.vpc.listSubnets()).length,
    groups: (await api.vpc.listSecurityGroups()).length,
    servers: (await api.ecs.listServers()).length,
    pools: (await api.elb.listPools()).length,
    loadBalancers: (await api.elb.listLoadBalancers()).length,
    listeners: (await api.elb.listListeners()).length,
    transitIps: (await api.nat.listTransitIps()).length,
    gateways: (await api.nat.listGateways()).length,
    dnatRules: (await api.nat.listDnatRules()).length,
  };
}

describe('drift on a Huawei Cloud account, read back and repaired by the huaweicloud provider', {
  timeout: 120_000,
}, () => {
  let remote: MemoryStore;
  let server: HuaweiCloudServer;
  let ledger: MemoryStore;
  let cloud: HuaweiCloud;
  let api: HuaweiApis;
  let plan: Plan;
  let document: unknown;

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
    ledger = new MemoryStore();
    cloud = new HuaweiCloud({ store: ledger, settings, credentials, apis: api });
    document = referenceDocument();
    plan = PlanSchema.parse(document);
    await provision(cloud, plan, FIRST);
  }, 120_000);

  afterEach(async () => {
    await server.close();
  });

  it('finds no drift right after a provisioning, and a re-run replays everything as it is', async () => {
    // Act
    const dryRun = await cloud.dryRun({ plan: plan.name });
    const before = await accountCounts(api);
    await provision(cloud, plan, REPAIR);

    // Assess
    expect(dryRun.drift).toEqual([]);
    expect(await accountCounts(api)).toEqual(before);
    expect((await ledger.list({ plan: plan.name })).every((r) => r.execution === FIRST)).toBe(true);
  });

  it('a DNAT rule deleted out of band: gone in the read-back, + create (gone) in the preview, recreated by a provisioning', async () => {
    // Prepare
    const [rule] = await api.nat.listDnatRules();
    const recorded = (await ledger.list({ type: 'dnat-rule' }))[0];
    await api.nat.deleteDnatRule(rule?.id as string);

    // Act
    const { drift } = await cloud.dryRun({ plan: plan.name });
    const preview = await previewPlan(cloud, document, { steps });

    // Assess: the read-back
    expect(drift).toEqual([
      {
        id: recorded?.id,
        kind: 'dnat-rule',
        name: recorded?.name,
        externalId: rule?.id,
        change: 'gone',
      },
    ]);
    // … the preview: + create (gone), the path opened again, exit 3 with --detailed-exitcode
    if (!preview.previewable) throw new Error(`not previewable: ${JSON.stringify(preview.errors)}`);
    const row = preview.preview.actions.find((a) => a.kind === 'dnat-rule');
    expect(row).toMatchObject({ action: 'create', gone: true });
    expect(row?.id).toBeUndefined();
    expect(preview.preview.summary).toMatchObject({ create: 1, unchanged: 13, conflicts: 0 });
    expect(preview.preview.summary.drifted).toBeUndefined();
    expect(preview.preview.reachability.opened).toEqual([
      expect.objectContaining({ from: 'ECS-A', to: '192.168.0.144:80', before: expect.any(Object) }),
    ]);
    expect(previewExitCode(preview, true)).toBe(3);
    expect(previewExitCode(preview, false)).toBe(0);
    const validation = await validatePlan(cloud, document, { steps });
    expect(validation.valid).toBe(true);
    expect(validation.summary).toMatchObject({ toCreate: 1, alreadyProvisioned: 13 });

    // Act: a provisioning of another execution repairs it
    await provision(cloud, plan, REPAIR);

    // Assess: exactly one rule again, recorded under the same natflow id with its new Huawei id
    const rules = await api.nat.listDnatRules();
    expect(rules).toHaveLength(1);
    expect(rules[0]?.id).not.toBe(rule?.id);
    const [again] = await ledger.list({ type: 'dnat-rule' });
    expect(again).toMatchObject({
      id: recorded?.id,
      externalId: rules[0]?.id,
      execution: REPAIR,
      status: 'ACTIVE',
      previous: [
        {
          externalId: rule?.id,
          createdAt: recorded?.createdAt,
          execution: FIRST,
          goneAt: expect.any(String),
        },
      ],
    });
    expect((await cloud.dryRun({ plan: plan.name })).drift).toEqual([]);
  });

  it('VPC-A deleted out of band with what the API requires to go first: all gone, all recreated in dependency order', async () => {
    // Prepare: the DNAT rule and the transit IP, ECS-A and its group, the subnet, then the VPC.
    const vpcA = (await api.vpc.listVpcs()).find((v) => v.name === 'VPC-A');
    const subnetA = (await api.vpc.listSubnets({ vpc_id: vpcA?.id })).at(0);
    for (const rule of await api.nat.listDnatRules()) await api.nat.deleteDnatRule(rule.id);
    for (const tip of await api.nat.listTransitIps()) await api.nat.deleteTransitIp(tip.id);
    const ecsA = (await api.ecs.listServers()).find((s) => s.name === 'ECS-A');
    await api.ecs.deleteServer(ecsA?.id as string);
    for (const group of await api.vpc.listSecurityGroups({ vpc_id: vpcA?.id }))
      if (group.name === 'ECS-A-sg') await api.vpc.deleteSecurityGroup(group.id);
    await api.vpc.deleteSubnet(vpcA?.id as string, subnetA?.id as string);
    await api.vpc.deleteVpc(vpcA?.id as string);
    const counts = await accountCounts(api);

    // Act
    const { drift } = await cloud.dryRun({ plan: plan.name });
    const preview = await previewPlan(cloud, document, { steps });

    // Assess
    expect(drift?.map((d) => `${d.kind} ${d.name} ${d.change}`).sort()).toEqual(
      [
        'dnat-rule transit-ip-A-tcp-80 gone',
        'security-group ECS-A-sg gone',
        'server ECS-A gone',
        'subnet subnet-A01 gone',
        'transit-ip transit-ip-A gone',
        'vpc VPC-A gone',
      ].sort(),
    );
    if (!preview.previewable) throw new Error(`not previewable: ${JSON.stringify(preview.errors)}`);
    const gone = preview.preview.actions.filter((a) => a.gone).map((a) => `${a.kind} ${a.name}`);
    expect(gone).toEqual([
      'vpc VPC-A',
      'subnet subnet-A01',
      'server ECS-A',
      'security-group ECS-A-sg',
      'transit-ip transit-ip-A',
      'dnat-rule transit-ip-A-tcp-80',
    ]);
    expect(preview.preview.summary).toMatchObject({ create: 6, unchanged: 8, conflicts: 0 });
    expect(counts).toMatchObject({ vpcs: 1, subnets: 1, servers: 1, transitIps: 0, dnatRules: 0 });

    // Act
    await provision(cloud, plan, REPAIR);

    // Assess: the account holds the walkthrough again, once, at the plan's addresses
    expect(await accountCounts(api)).toMatchObject({
      vpcs: 2,
      subnets: 2,
      servers: 2,
      transitIps: 1,
      dnatRules: 1,
      loadBalancers: 1,
    });
    expect((await api.nat.listTransitIps()).map((t) => t.ip_address)).toEqual(['192.168.0.144']);
    const [rule] = await api.nat.listDnatRules();
    const [lb] = await api.elb.listLoadBalancers();
    expect(rule?.network_interface_id).toBe(lb?.vip_port_id);
    expect((await cloud.dryRun({ plan: plan.name })).drift).toEqual([]);
    const vpc = (await ledger.list({ type: 'vpc' })).find((v) => v.name === 'VPC-A');
    expect(vpc?.externalId).toBe((await api.vpc.listVpcs()).find((v) => v.name === 'VPC-A')?.id);
  });

  it('VPC-B deleted out of band with everything in it: gateway, load balancer, pool and server recreated and wired again', async () => {
    // Prepare: what Huawei requires to go before VPC-B — the rule, the gateway, the listener, the pool's
    // monitor and members, the pool, the load balancer, ECS-B and its group, the subnet.
    const vpcB = (await api.vpc.listVpcs()).find((v) => v.name === 'VPC-B');
    for (const rule of await api.nat.listDnatRules()) await api.nat.deleteDnatRule(rule.id);
    for (const gateway of await api.nat.listGateways()) await api.nat.deleteGateway(gateway.id);
    for (const listener of await api.elb.listListeners()) await api.elb.deleteListener(listener.id);
    for (const pool of await api.elb.listPools()) {
      if (pool.healthmonitor_id) await api.elb.deleteHealthMonitor(pool.healthmonitor_id);
      for (const member of await api.elb.listMembers(pool.id)) await api.elb.deleteMember(pool.id, member.id);
      await api.elb.deletePool(pool.id);
    }
    for (const lb of await api.elb.listLoadBalancers()) await api.elb.deleteLoadBalancer(lb.id);
    const ecsB = (await api.ecs.listServers()).find((s) => s.name === 'ECS-B');
    await api.ecs.deleteServer(ecsB?.id as string);
    for (const group of await api.vpc.listSecurityGroups())
      if (group.name === 'ECS-B-sg') await api.vpc.deleteSecurityGroup(group.id);
    for (const subnet of await api.vpc.listSubnets({ vpc_id: vpcB?.id }))
      await api.vpc.deleteSubnet(vpcB?.id as string, subnet.id);
    await api.vpc.deleteVpc(vpcB?.id as string);

    // Act
    const preview = await previewPlan(cloud, document, { steps });

    // Assess
    if (!preview.previewable) throw new Error(`not previewable: ${JSON.stringify(preview.errors)}`);
    expect(preview.preview.actions.filter((a) => a.gone).map((a) => `${a.kind} ${a.name}`)).toEqual([
      'vpc VPC-B',
      'subnet subnet-B01',
      'server ECS-B',
      'security-group ECS-B-sg',
      'backend-group backend-server-group-B',
      'load-balancer ELB01',
      'listener ELB01/HTTP-80',
      'private-nat-gateway private_nat_gateway',
      'dnat-rule transit-ip-A-tcp-80',
    ]);

    // Act
    await provision(cloud, plan, REPAIR);

    // Assess
    expect(await accountCounts(api)).toMatchObject({
      vpcs: 2,
      subnets: 2,
      servers: 2,
      pools: 1,
      loadBalancers: 1,
      listeners: 1,
      gateways: 1,
      transitIps: 1,
      dnatRules: 1,
    });
    const [rule] = await api.nat.listDnatRules();
    const [lb] = await api.elb.listLoadBalancers();
    const [pool] = await api.elb.listPools();
    expect(rule?.network_interface_id).toBe(lb?.vip_port_id);
    expect((await api.elb.listListeners())[0]?.default_pool_id).toBe(pool?.id);
    expect(
      (await api.elb.listMembers(pool?.id as string)).map((m) => `${m.address}:${m.protocol_port}`),
    ).toEqual(['10.0.0.2:80']);
    expect((await cloud.dryRun({ plan: plan.name })).drift).toEqual([]);
  });

  it('a DNAT rule whose port was changed: ~ drifted with the field, updated in place by a provisioning', async () => {
    // Prepare
    const [rule] = await api.nat.listDnatRules();
    await api.nat.updateDnatRule(rule?.id as string, { internal_service_port: '8080' });

    // Act
    const { drift } = await cloud.dryRun({ plan: plan.name });
    const preview = await previewPlan(cloud, document, { steps });

    // Assess
    expect(drift).toEqual([
      expect.objectContaining({
        kind: 'dnat-rule',
        change: 'changed',
        externalId: rule?.id,
        fields: [{ field: 'internalPort', recorded: 80, actual: 8080 }],
      }),
    ]);
    expect(drift?.[0]?.replace).toBeUndefined();
    if (!preview.previewable) throw new Error(`not previewable: ${JSON.stringify(preview.errors)}`);
    expect(preview.preview.actions.find((a) => a.kind === 'dnat-rule')).toMatchObject({
      action: 'drifted',
      fields: [{ field: 'internalPort', recorded: 80, actual: 8080 }],
    });
    expect(preview.preview.summary).toMatchObject({ create: 0, unchanged: 13, drifted: 1 });
    expect(previewExitCode(preview, true)).toBe(3);

    // Act
    await provision(cloud, plan, REPAIR);

    // Assess: the same rule (its Huawei id kept), its port back
    const rules = await api.nat.listDnatRules();
    expect(rules).toEqual([expect.objectContaining({ id: rule?.id, internal_service_port: '80' })]);
    expect((await cloud.dryRun({ plan: plan.name })).drift).toEqual([]);
  });

  it("a VPC's block changed out of band (UpdateVpc): drifted, and put back in place; a block without its subnets is refused", async () => {
    // Prepare
    const vpcA = (await api.vpc.listVpcs()).find((v) => v.name === 'VPC-A');
    await expect(api.vpc.updateVpc(vpcA?.id as string, { cidr: '192.168.128.0/17' })).rejects.toThrow(
      /must contain every subnet/,
    );
    await api.vpc.updateVpc(vpcA?.id as string, { cidr: '192.168.0.0/17' });

    // Act
    const preview = await previewPlan(cloud, document, { steps });

    // Assess
    if (!preview.previewable) throw new Error(`not previewable: ${JSON.stringify(preview.errors)}`);
    expect(preview.preview.actions.filter((a) => a.action === 'drifted')).toEqual([
      expect.objectContaining({
        kind: 'vpc',
        name: 'VPC-A',
        fields: [{ field: 'cidr', recorded: '192.168.0.0/16', actual: '192.168.0.0/17' }],
      }),
    ]);

    // Act
    await provision(cloud, plan, REPAIR);

    // Assess
    expect((await api.vpc.showVpc(vpcA?.id as string)).cidr).toBe('192.168.0.0/16');
    expect((await cloud.dryRun({ plan: plan.name })).drift).toEqual([]);
  });

  it('the gateway spec and a security group rule changed: both drifted, both put back in place', async () => {
    // Prepare
    const [gateway] = await api.nat.listGateways();
    await api.nat.updateGateway(gateway?.id as string, { spec: 'Medium' });
    const group = (await api.vpc.listSecurityGroups()).find((g) => g.name === 'ECS-B-sg');
    const port80 = group?.security_group_rules?.find(
      (r) => r.direction === 'ingress' && r.port_range_min === 80,
    );
    await api.vpc.deleteSecurityGroupRule(port80?.id as string);

    // Act
    const preview = await previewPlan(cloud, document, { steps });

    // Assess
    if (!preview.previewable) throw new Error(`not previewable: ${JSON.stringify(preview.errors)}`);
    const drifted = preview.preview.actions.filter((a) => a.action === 'drifted');
    expect(drifted).toEqual([
      expect.objectContaining({
        kind: 'security-group',
        name: 'ECS-B-sg',
        fields: [expect.objectContaining({ field: 'inbound', actual: [] })],
      }),
      expect.objectContaining({
        kind: 'private-nat-gateway',
        fields: [{ field: 'spec', recorded: 'Small', actual: 'Medium' }],
      }),
    ]);

    // Act
    await provision(cloud, plan, REPAIR);

    // Assess
    expect((await api.nat.listGateways())[0]?.spec).toBe('Small');
    const again = (await api.vpc.listSecurityGroups()).find((g) => g.name === 'ECS-B-sg');
    expect(
      again?.security_group_rules?.filter(
        (r) => r.direction === 'ingress' && r.remote_ip_prefix === '10.0.0.0/16',
      ),
    ).toEqual([expect.objectContaining({ protocol: 'tcp', port_range_min: 80, port_range_max: 80 })]);
    expect((await cloud.dryRun({ plan: plan.name })).drift).toEqual([]);
  });

  it("the gateway's downlink address changed behind the API: DRIFT_REQUIRES_REPLACE in the preview and the validation, and a provisioning refuses it", async () => {
    // Prepare: the account's own record changed (Huawei's API has no update of a gateway's address).
    const gateway = (await remote.list({ type: 'private-nat-gateway' }))[0];
    if (gateway?.type !== 'private-nat-gateway') throw new Error('no gateway');
    await remote.transaction([gateway.id], (tx) => tx.update({ ...gateway, downlinkIp: '10.0.0.99' }));
    const counts = await accountCounts(api);

    // Act
    const { drift } = await cloud.dryRun({ plan: plan.name });
    const preview = await previewPlan(cloud, document, { steps });
    const validation = await validatePlan(cloud, document, { steps });

    // Assess
    const fields = [{ field: 'downlinkIp', recorded: gateway.downlinkIp, actual: '10.0.0.99' }];
    expect(drift).toEqual([
      expect.objectContaining({ kind: 'private-nat-gateway', change: 'changed', replace: true, fields }),
    ]);
    if (!preview.previewable) throw new Error(`not previewable: ${JSON.stringify(preview.errors)}`);
    expect(preview.preview.actions.find((a) => a.kind === 'private-nat-gateway')).toMatchObject({
      action: 'conflict',
      code: 'DRIFT_REQUIRES_REPLACE',
      fields,
    });
    expect(previewExitCode(preview, false)).toBe(1);
    expect(validation.valid).toBe(false);
    expect(validation.errors).toEqual([
      expect.objectContaining({ code: 'DRIFT_REQUIRES_REPLACE', path: 'privateNatGateways[0]' }),
    ]);
    // A provisioning that went past its validation still refuses, at the step, before changing anything.
    await expect(provision(cloud, plan, REPAIR)).rejects.toMatchObject({ name: 'DRIFT_REQUIRES_REPLACE' });
    expect(await accountCounts(api)).toEqual(counts);
  });
});

describe('drift repaired on a slow account (every kind settles in 150 ms, deletions too)', {
  timeout: 180_000,
}, () => {
  const pause = (ms: number) => new Promise((done) => setTimeout(done, ms));

  /** A provisioning as the workflow runs it on a slow account: Natflow.* and pending retried after a pause. */
  async function patiently(cloud: HuaweiCloud, plan: Plan, execution: string): Promise<void> {
    for (const name of STEPS) {
      for (let attempt = 0; ; attempt++) {
        try {
          const result = await applyStep(cloud, plan, name, { execution });
          if ((result.pending ?? []).length === 0) break;
        } catch (error) {
          if (!(error as Error).name.startsWith('Natflow.') || attempt > 150) throw error;
        }
        if (attempt > 150) throw new Error(`${name} still pending`);
        await pause(40);
      }
    }
  }

  /** Waits until `done` holds (a deletion settling on the account). */
  async function until(done: () => Promise<boolean>): Promise<void> {
    for (let i = 0; i < 200 && !(await done()); i++) await pause(25);
  }

  it('VPC-A deleted (each deletion settling), seen gone, then recreated through the in-between states', async () => {
    // Prepare
    const remote = new MemoryStore();
    const server = await startHuaweiCloudServer({ store: remote, settleMs: 150 });
    try {
      const settings = readSettings({
        HUAWEICLOUD_ENDPOINT: server.url,
        HUAWEICLOUD_DEFAULT_IMAGE: 'image-ubuntu-22',
        HUAWEICLOUD_DEFAULT_FLAVOR: 's6.small.1',
      });
      const credentials = { ak: DEFAULT_AK, sk: DEFAULT_SK, projectId: DEFAULT_PROJECT_ID };
      const api = apisFor(settings, credentials);
      const cloud = new HuaweiCloud({ store: new MemoryStore(), settings, credentials, apis: api });
      const document = referenceDocument();
      const plan = PlanSchema.parse(document);
      await patiently(cloud, plan, FIRST);
      const vpcA = (await api.vpc.listVpcs()).find((v) => v.name === 'VPC-A');
      for (const rule of await api.nat.listDnatRules()) await api.nat.deleteDnatRule(rule.id);
      await until(async () => (await api.nat.listDnatRules()).length === 0);
      for (const tip of await api.nat.listTransitIps()) await api.nat.deleteTransitIp(tip.id);
      await until(async () => (await api.nat.listTransitIps()).length === 0);
      const ecsA = (await api.ecs.listServers()).find((s) => s.name === 'ECS-A');
      await api.ecs.deleteServer(ecsA?.id as string);
      await until(async () => !(await api.ecs.listServers()).some((s) => s.name === 'ECS-A'));
      for (const group of await api.vpc.listSecurityGroups())
        if (group.name === 'ECS-A-sg') await api.vpc.deleteSecurityGroup(group.id);
      for (const subnet of await api.vpc.listSubnets({ vpc_id: vpcA?.id }))
        await api.vpc.deleteSubnet(vpcA?.id as string, subnet.id);
      await until(async () => (await api.vpc.listSubnets({ vpc_id: vpcA?.id })).length === 0);
      await api.vpc.deleteVpc(vpcA?.id as string);
      await until(async () => !(await api.vpc.listVpcs()).some((v) => v.id === vpcA?.id));

      // Act
      const { drift } = await cloud.dryRun({ plan: plan.name });
      await patiently(cloud, plan, REPAIR);

      // Assess
      expect(drift?.filter((d) => d.change === 'gone')).toHaveLength(6);
      expect((await api.vpc.listVpcs()).map((v) => v.name).sort()).toEqual(['VPC-A', 'VPC-B']);
      expect((await api.nat.listTransitIps()).map((t) => t.ip_address)).toEqual(['192.168.0.144']);
      expect(await api.nat.listDnatRules()).toHaveLength(1);
      expect((await cloud.dryRun({ plan: plan.name })).drift).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
