/**
 * The huaweicloud provider's own guarantees, against an in-memory account (fake-huawei.ts): the reference
 * plan's steps (src/workflow/steps/), exactly one Huawei resource per entry whatever is retried,
 * adoption after a dropped response, control-plane rule refused before any call, deletion confirmed by reading,
 * and import. Addresses are the walkthrough's: VPC-A 192.168.0.0/16, VPC-B 10.0.0.0/16, transit IP
 * 192.168.0.144.
 */
import { readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';
import { isIntent, shownResource } from '../../../src/cloud/intent.ts';
import { MemoryStore } from '../../../src/cloud/memory-store.ts';
import { type Plan, PlanSchema, parsePlanText } from '../../../src/plan/plan.ts';
import { isRealized } from '../../../src/providers/huaweicloud/account.ts';
import { readSettings } from '../../../src/providers/huaweicloud/config.ts';
import { mapHuaweiError } from '../../../src/providers/huaweicloud/errors.ts';
import { tokenDigest } from '../../../src/providers/huaweicloud/mapping.ts';
import { HuaweiCloud } from '../../../src/providers/huaweicloud/provider.ts';
import { rollbackExecution } from '../../../src/workflow/rollback.ts';
import { applyStep } from '../../../src/workflow/steps/index.ts';
import { FakeHuawei } from './fake-huawei.ts';

const EXECUTION = 'arn:aws:states:local:000000000000:execution:natflow-provision:run-1';
const STEPS = [
  'networks',
  'servers',
  'backendGroups',
  'loadBalancers',
  'listeners',
  'transitIps',
  'gateways',
  'activateGateways',
  'rules',
  'activateRules',
] as const;

function referencePlan(): Plan {
  const doc = parsePlanText(
    readFileSync(new URL('../../../examples/reference.plan.yaml', import.meta.url), 'utf8'),
  );
  return PlanSchema.parse(doc);
}

function providerOver(fake: FakeHuawei, store = new MemoryStore()) {
  const settings = readSettings({
    HUAWEICLOUD_ENDPOINT: 'http://127.0.0.1:1',
    HUAWEICLOUD_DEFAULT_IMAGE: 'image-1',
    HUAWEICLOUD_DEFAULT_FLAVOR: 'c7.large.2',
  });
  return new HuaweiCloud({
    store,
    settings,
    credentials: { ak: 'a', sk: 's', projectId: 'p' },
    apis: fake.apis(),
  });
}

/** Runs a step, retrying transient failures as the workflow's Retry would. */
async function step(cloud: HuaweiCloud, plan: Plan, name: (typeof STEPS)[number] | 'dnatRules') {
  for (let attempt = 0; ; attempt++) {
    try {
      return await applyStep(cloud, plan, name, { execution: EXECUTION });
    } catch (error) {
      if (!(error as Error).name.startsWith('Natflow.') || attempt > 5) throw error;
    }
  }
}

async function provision(cloud: HuaweiCloud, plan: Plan) {
  for (const name of STEPS) await step(cloud, plan, name);
}

describe('Class: HuaweiCloud', () => {
  let fake: FakeHuawei;
  let cloud: HuaweiCloud;

  beforeEach(() => {
    fake = new FakeHuawei();
    cloud = providerOver(fake);
  });

  describe('Method: create… (the reference plan)', () => {
    it('creates one Huawei resource per entry, recorded with its Huawei id and cloud', async () => {
      // Act
      await provision(cloud, referencePlan());

      // Assess: on the cloud side
      expect(fake.all('vpc')).toHaveLength(2);
      expect(fake.all('subnet')).toHaveLength(2);
      expect(fake.all('server')).toHaveLength(2);
      expect(fake.all('lb')).toHaveLength(1);
      expect(fake.all('listener')).toHaveLength(1);
      expect(fake.all('pool')).toHaveLength(1);
      expect(fake.all('member')).toHaveLength(1);
      expect(fake.all('monitor')).toHaveLength(1);
      expect(fake.all('tip')).toEqual([expect.objectContaining({ ip_address: '192.168.0.144' })]);
      expect(fake.all('gateway')).toEqual([expect.objectContaining({ spec: 'Small' })]);
      const [lb] = fake.all('lb');
      const [rule] = fake.all('dnat');
      // Ports are strings on the wire; the ELB is targeted by its vip_port_id.
      expect(rule).toMatchObject({
        protocol: 'tcp',
        transit_service_port: '80',
        internal_service_port: '80',
        network_interface_id: lb?.vip_port_id,
      });
      // ECS-B's apps become user_data running the walkthrough's own command.
      const ecsB = fake.all('server').find((s) => s.name === 'ECS-B');
      expect(Buffer.from(String(ecsB?.user_data), 'base64').toString()).toContain(
        'python3 -m http.server 80',
      );
      expect(ecsB).toMatchObject({ imageRef: 'image-1', flavorRef: 'c7.large.2' });

      // Assess: in the ledger
      const resources = await cloud.list({ plan: 'app-a-to-elb01' });
      expect(resources.length).toBeGreaterThanOrEqual(12);
      for (const r of resources) {
        expect(r.cloud).toBe('huaweicloud');
        expect(isRealized(r)).toBe(true);
      }
      const dnat = resources.find((r) => r.type === 'dnat-rule');
      expect(dnat?.externalId).toBe(rule?.id);
      // The client token rides in the description, as its digest.
      expect(String(rule?.description)).toContain(
        `natflow:token=${tokenDigest(dnat?.clientToken as string)}`,
      );
      expect(dnat?.status).toBe('ACTIVE');
    });

    it('a re-run converges: no second create of anything', async () => {
      const plan = referencePlan();
      await provision(cloud, plan);
      const creates = fake.calls.filter((c) => c.startsWith('create')).length;

      await provision(cloud, plan);

      expect(fake.calls.filter((c) => c.startsWith('create')).length).toBe(creates);
    });

    it('a create committed whose answer was lost is adopted by its token on the retry, never duplicated', async () => {
      // Prepare
      const plan = referencePlan();
      for (const name of STEPS.slice(0, STEPS.indexOf('rules'))) await step(cloud, plan, name);
      fake.dropNext('dnat');

      // Act: the first attempt fails like a dropped connection (transient, retried)...
      await expect(applyStep(cloud, plan, 'rules', { execution: EXECUTION })).rejects.toMatchObject({
        name: 'Natflow.Transient',
      });
      // ...and the retry finds the committed rule by its token.
      await applyStep(cloud, plan, 'rules', { execution: EXECUTION });

      // Assess
      expect(fake.all('dnat')).toHaveLength(1);
      const [recorded] = await cloud.list({ type: 'dnat-rule' });
      expect(recorded?.externalId).toBe(fake.all('dnat')[0]?.id);
    });

    it('a DNAT_PORT_CONFLICT is refused by the model before any call to the cloud', async () => {
      // Prepare: a second plan forwarding the same transit IP and port.
      const plan = referencePlan();
      await provision(cloud, plan);
      const gateway = await cloud.resolve('private-nat-gateway', 'private_nat_gateway');
      const tip = await cloud.resolve('transit-ip', 'transit-ip-A');
      const lb = await cloud.resolve('load-balancer', 'ELB01');
      const second = PlanSchema.parse({
        name: 'second',
        loadBalancers: [{ name: 'ELB01', existing: lb.externalId }],
        transitIps: [{ name: 'tip', existing: tip.externalId }],
        privateNatGateways: [
          {
            name: 'gw',
            existing: gateway.id,
            dnatRules: [
              {
                transitIp: 'tip',
                portType: 'specific',
                protocol: 'tcp',
                transitPort: 80,
                internalPort: 80,
                target: { ip: '10.0.0.9' },
              },
            ],
          },
        ],
      });
      const calls = fake.calls.length;

      // Act + Assess
      await expect(applyStep(cloud, second, 'rules', { execution: 'exec-2' })).rejects.toMatchObject({
        name: 'DNAT_PORT_CONFLICT',
      });
      expect(fake.calls.slice(calls).filter((c) => c.startsWith('create'))).toEqual([]);
    });

    it('a server without image or flavor is VALIDATION_FAILED naming the field, before any call', async () => {
      const bare = new HuaweiCloud({
        store: new MemoryStore(),
        settings: readSettings({ HUAWEICLOUD_ENDPOINT: 'http://127.0.0.1:1' }),
        credentials: { ak: 'a', sk: 's', projectId: 'p' },
        apis: fake.apis(),
      });
      const plan = referencePlan();
      await step(bare, plan, 'networks');
      await expect(applyStep(bare, plan, 'servers', { execution: EXECUTION })).rejects.toMatchObject({
        name: 'VALIDATION_FAILED',
        path: 'servers[0].image',
      });
      expect(fake.all('server')).toEqual([]);
    });
  });

  describe('Method: destroy (rollback)', () => {
    it('deletes in reverse dependency order, waiting for the ECS deletions, and leaves nothing', async () => {
      // Prepare
      await provision(cloud, referencePlan());

      // Act: the workflow's loop — run the rollback until the ledger is empty.
      let rounds = 0;
      while ((await cloud.list({ execution: EXECUTION })).length > 0) {
        await rollbackExecution(cloud, EXECUTION);
        rounds++;
        expect(rounds).toBeLessThan(10);
      }

      // Assess: asynchronous ECS deletion took more than one round, and the account is empty.
      expect(rounds).toBeGreaterThan(1);
      for (const kind of [
        'vpc',
        'subnet',
        'sg',
        'server',
        'lb',
        'listener',
        'pool',
        'member',
        'monitor',
        'tip',
        'gateway',
        'dnat',
      ]) {
        expect(fake.all(kind), kind).toEqual([]);
      }
    });

    it('a first look-up the cloud refuses (wrong keys) drops the fresh intent: nothing was created', async () => {
      // Prepare: every list call is refused as a wrong signature is.
      const apis = fake.apis();
      const refused = Object.assign(new Error('signature mismatch'), {
        httpStatusCode: 401,
        errorCode: 'APIGW.0301',
        errorMsg: 'signature mismatch',
      });
      apis.vpc.listVpcs = async () => {
        throw mapHuaweiError(refused, 'VPC ListVpcs');
      };
      const store = new MemoryStore();
      const refusing = new HuaweiCloud({
        store,
        settings: readSettings({ HUAWEICLOUD_ENDPOINT: 'http://127.0.0.1:1' }),
        credentials: { ak: 'a', sk: 'wrong', projectId: 'p' },
        apis,
      });

      // Act
      await expect(
        applyStep(refusing, referencePlan(), 'networks', { execution: EXECUTION }),
      ).rejects.toMatchObject({ name: 'CLOUD_AUTH_FAILED', details: { cloud: { code: 'APIGW.0301' } } });

      // Assess
      expect(await store.list()).toEqual([]);
      expect(fake.all('vpc')).toEqual([]);
    });

    it('an intent an earlier attempt sent stays when the look-up is refused: that create may have landed', async () => {
      // Prepare: the VPC create is committed and its answer lost; then the keys are refused.
      const plan = referencePlan();
      const store = new MemoryStore();
      fake.dropNext('vpc');
      await expect(
        applyStep(providerOver(fake, store), plan, 'networks', { execution: EXECUTION }),
      ).rejects.toMatchObject({ name: 'Natflow.Transient' });
      const apis = fake.apis();
      apis.vpc.listVpcs = async () => {
        throw mapHuaweiError(
          Object.assign(new Error('expired'), {
            httpStatusCode: 401,
            errorCode: 'APIGW.0301',
            errorMsg: 'expired',
          }),
          'VPC ListVpcs',
        );
      };
      const refusing = new HuaweiCloud({
        store,
        settings: readSettings({ HUAWEICLOUD_ENDPOINT: 'http://127.0.0.1:1' }),
        credentials: { ak: 'a', sk: 'wrong', projectId: 'p' },
        apis,
      });

      // Act
      await expect(applyStep(refusing, plan, 'networks', { execution: EXECUTION })).rejects.toMatchObject({
        name: 'CLOUD_AUTH_FAILED',
      });

      // Assess: the intent stays, shown as one (PENDING, no id), and the cloud does hold the VPC.
      const [intent] = await store.list({ type: 'vpc' });
      expect(intent && isIntent(intent)).toBe(true);
      expect(intent && shownResource(intent)).toMatchObject({ status: 'PENDING' });
      expect(intent && shownResource(intent)).not.toHaveProperty('externalId');
      expect(fake.all('vpc')).toHaveLength(1);
    });

    it('an intent whose create never reached the cloud is just dropped', async () => {
      const plan = referencePlan();
      fake.dropNext('vpc');
      await expect(applyStep(cloud, plan, 'networks', { execution: EXECUTION })).rejects.toMatchObject({
        name: 'Natflow.Transient',
      });
      // The dropped create was committed: rollback finds it by token and deletes it.
      while ((await cloud.list({ execution: EXECUTION })).length > 0)
        await rollbackExecution(cloud, EXECUTION);
      expect(fake.all('vpc')).toEqual([]);
    });
  });

  describe('Method: importAccount', () => {
    it('reads what natflow did not create, marked imported; never duplicates its own; re-import replaces', async () => {
      // Prepare: the reference provisioned by natflow, plus a VPC made by someone else.
      await provision(cloud, referencePlan());
      const foreign = await fake.apis().vpc.createVpc({ name: 'legacy', cidr: '172.16.0.0/16' });
      await fake.apis().vpc.showVpc(foreign.id);
      await fake.apis().vpc.createSubnet({
        name: 'legacy-a',
        cidr: '172.16.1.0/24',
        gateway_ip: '172.16.1.1',
        vpc_id: foreign.id,
      });
      const before = (await cloud.list()).length;

      // Act
      const report = await cloud.importAccount();

      // Assess
      expect(report.imported).toMatchObject({ vpc: 1, subnet: 1 });
      const imported = (await cloud.list()).filter((r) => r.imported);
      expect(imported.map((r) => r.name).sort()).toEqual(['legacy', 'legacy-a']);
      expect(imported.every((r) => r.cloud === 'huaweicloud' && r.plan === null)).toBe(true);
      expect((await cloud.list()).length).toBe(before + 2);

      // A re-import after the subnet is gone drops it, keeps the VPC's id.
      const vpcId = imported.find((r) => r.type === 'vpc')?.id;
      fake.kind('subnet').delete(fake.all('subnet').find((s) => s.name === 'legacy-a')?.id as string);
      const again = await cloud.importAccount();
      expect(again.removed).toHaveLength(1);
      expect((await cloud.list()).filter((r) => r.imported).map((r) => r.id)).toEqual([vpcId]);
    });

    it('imported resources are read-only', async () => {
      const foreign = await fake.apis().vpc.createVpc({ name: 'legacy', cidr: '172.16.0.0/16' });
      await cloud.importAccount();
      const vpc = await cloud.resolve('vpc', foreign.id);
      await expect(cloud.destroy(vpc.id)).rejects.toMatchObject({ name: 'VALIDATION_FAILED' });
      expect(fake.all('vpc')).toHaveLength(1);
    });
  });
});
