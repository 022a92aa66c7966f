/**
 * `validatePlan`: every example is valid; invalid plans are rejected with every problem at its path and
 * with the most specific code; nothing is ever written to the store it reads.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/cloud/memory-store.ts';
import type { Store } from '../../src/cloud/store.ts';
import { PlanSchema } from '../../src/plan/plan.ts';
import { validatePlan } from '../../src/plan/validate.ts';
import { applyStep, PROVISION_STEPS, steps } from '../../src/workflow/steps/index.ts';
import { EXAMPLES, examplePlan, referencePlan } from '../cloud/plans.ts';
import { newCloud } from '../cloud/world.ts';

type Doc = ReturnType<typeof referencePlan>;

async function provision(store: Store, document: unknown, execution = 'exec-1') {
  const { cloud } = newCloud({ store: store as MemoryStore });
  const plan = PlanSchema.parse(document);
  for (const step of PROVISION_STEPS) await applyStep(cloud, plan, step, { execution });
  return cloud;
}

async function snapshot(store: Store) {
  return { resources: await store.list(), plans: await store.listPlans() };
}

const dnatRule = (overrides: Record<string, unknown> = {}) => ({
  transitIp: 'transit-ip-A',
  protocol: 'tcp',
  transitPort: 80,
  internalPort: 80,
  target: { loadBalancer: 'ELB01' },
  ...overrides,
});

/** Each case breaks the reference plan one way and expects that problem, at that path. */
const INVALID: Array<{ name: string; mutate: (plan: Doc) => unknown; path: string; code: string }> = [
  {
    name: 'an unknown top-level field',
    mutate: (p) => Object.assign(p, { routes: [] }),
    path: 'routes',
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'an unknown field in a rule',
    mutate: (p) => Object.assign(p.privateNatGateways[0].dnatRules[0], { transitport: 80 }),
    path: 'privateNatGateways[0].dnatRules[0].transitport',
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'a plan name with upper case',
    mutate: (p) => Object.assign(p, { name: 'App_A' }),
    path: 'name',
    code: 'VALIDATION_FAILED',
  },
  { name: 'no plan name', mutate: (p) => delete p.name, path: 'name', code: 'VALIDATION_FAILED' },
  {
    name: 'a wrong type',
    mutate: (p) => Object.assign(p, { vpcs: 'VPC-A' }),
    path: 'vpcs',
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'an unknown spec',
    mutate: (p) => Object.assign(p.privateNatGateways[0], { spec: 'Huge' }),
    path: 'privateNatGateways[0].spec',
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'a CIDR without prefix',
    mutate: (p) => Object.assign(p.vpcs[0], { cidr: '192.168.0.0' }),
    path: 'vpcs[0].cidr',
    code: 'INVALID_CIDR',
  },
  {
    name: 'a CIDR with host bits',
    mutate: (p) => Object.assign(p.vpcs[1].subnets[0], { cidr: '10.0.0.1/24' }),
    path: 'vpcs[1].subnets[0].cidr',
    code: 'INVALID_CIDR',
  },
  {
    name: 'a numeric CIDR',
    mutate: (p) => Object.assign(p.vpcs[1], { cidr: 10 }),
    path: 'vpcs[1].cidr',
    code: 'INVALID_CIDR',
  },
  {
    name: 'a bad inbound source',
    mutate: (p) => Object.assign(p.servers[1].inbound[0], { source: '10.0.0.0/40' }),
    path: 'servers[1].inbound[0].source',
    code: 'INVALID_CIDR',
  },
  {
    name: 'a public VPC CIDR',
    mutate: (p) => Object.assign(p.vpcs[0], { cidr: '8.8.0.0/16', subnets: [] }),
    path: 'vpcs[0].cidr',
    code: 'CIDR_OUT_OF_RANGE',
  },
  {
    name: 'a subnet outside its VPC',
    mutate: (p) => Object.assign(p.vpcs[1].subnets[0], { cidr: '10.1.0.0/24' }),
    path: 'vpcs[1].subnets[0].cidr',
    code: 'CIDR_OUT_OF_RANGE',
  },
  {
    name: 'a /30 subnet',
    mutate: (p) => p.vpcs[1].subnets.push({ name: 'tiny', cidr: '10.0.9.0/30' }),
    path: 'vpcs[1].subnets[1].cidr',
    code: 'CIDR_OUT_OF_RANGE',
  },
  {
    name: 'overlapping subnets',
    mutate: (p) => p.vpcs[1].subnets.push({ name: 'subnet-B02', cidr: '10.0.0.128/25' }),
    path: 'vpcs[1].subnets[1].cidr',
    code: 'SUBNET_OVERLAP',
  },
  {
    name: 'an address outside the subnet',
    mutate: (p) => Object.assign(p.servers[0], { ip: '10.0.0.9' }),
    path: 'servers[0].ip',
    code: 'IP_NOT_IN_SUBNET',
  },
  {
    name: 'a reserved address',
    mutate: (p) => Object.assign(p.servers[0], { ip: '192.168.0.1' }),
    path: 'servers[0].ip',
    code: 'IP_RESERVED',
  },
  {
    name: 'a broadcast address',
    mutate: (p) => Object.assign(p.transitIps[0], { ip: '192.168.0.255' }),
    path: 'transitIps[0].ip',
    code: 'IP_RESERVED',
  },
  {
    name: 'an address used twice',
    mutate: (p) => Object.assign(p.servers[0], { ip: '192.168.0.144' }),
    path: 'transitIps[0].ip',
    code: 'IP_IN_USE',
  },
  {
    name: 'a malformed address',
    mutate: (p) => Object.assign(p.servers[0], { ip: '192.168.0.2.1' }),
    path: 'servers[0].ip',
    code: 'INVALID_ADDRESS',
  },
  {
    name: 'a malformed target address',
    mutate: (p) => Object.assign(p.privateNatGateways[0].dnatRules[0], { target: { ip: '10.0.0.999' } }),
    path: 'privateNatGateways[0].dnatRules[0].target.ip',
    code: 'INVALID_ADDRESS',
  },
  {
    name: 'a malformed verify address',
    mutate: (p) => Object.assign(p.verify[0], { to: '192.168.0' }),
    path: 'verify[0].to',
    code: 'INVALID_ADDRESS',
  },
  {
    name: 'a full subnet',
    mutate: (p) => {
      p.vpcs[0].subnets[0].cidr = '192.168.0.0/29';
      p.transitIps[0].ip = 'auto';
      p.servers.push({ name: 'ECS-A2', subnet: 'subnet-A01' }, { name: 'ECS-A3', subnet: 'subnet-A01' });
    },
    path: 'transitIps[0].ip',
    code: 'SUBNET_EXHAUSTED',
  },
  {
    name: 'a transit port above 65535',
    mutate: (p) => Object.assign(p.privateNatGateways[0].dnatRules[0], { transitPort: 70000 }),
    path: 'privateNatGateways[0].dnatRules[0].transitPort',
    code: 'INVALID_PORT_SPEC',
  },
  {
    name: 'an internal port of text',
    mutate: (p) => Object.assign(p.privateNatGateways[0].dnatRules[0], { internalPort: 'http' }),
    path: 'privateNatGateways[0].dnatRules[0].internalPort',
    code: 'INVALID_PORT_SPEC',
  },
  {
    name: 'all ports with tcp',
    mutate: (p) => Object.assign(p.privateNatGateways[0].dnatRules[0], { portType: 'all' }),
    path: 'privateNatGateways[0].dnatRules[0].protocol',
    code: 'INVALID_PORT_SPEC',
  },
  {
    name: 'specific with any',
    mutate: (p) => Object.assign(p.privateNatGateways[0].dnatRules[0], { protocol: 'any' }),
    path: 'privateNatGateways[0].dnatRules[0].protocol',
    code: 'INVALID_PORT_SPEC',
  },
  {
    name: 'a backwards port range',
    mutate: (p) => Object.assign(p.servers[1].inbound[0], { ports: '90-80' }),
    path: 'servers[1].inbound[0].ports',
    code: 'INVALID_PORT_SPEC',
  },
  {
    name: 'an app port of 0',
    mutate: (p) => Object.assign(p.servers[1].apps[0], { port: 0 }),
    path: 'servers[1].apps[0].port',
    code: 'INVALID_PORT_SPEC',
  },
  {
    name: 'a transit IP in the target VPC',
    mutate: (p) => Object.assign(p.transitIps[0], { subnet: 'subnet-B01', ip: 'auto' }),
    path: 'privateNatGateways[0].dnatRules[0].target',
    code: 'TRANSIT_IP_IN_TARGET_VPC',
  },
  {
    name: 'a target outside the gateway VPC',
    mutate: (p) => Object.assign(p.privateNatGateways[0].dnatRules[0], { target: { ip: '172.16.0.5' } }),
    path: 'privateNatGateways[0].dnatRules[0].target',
    code: 'TARGET_NOT_IN_GATEWAY_VPC',
  },
  {
    name: 'a load balancer mapped twice',
    mutate: (p) => p.privateNatGateways[0].dnatRules.push(dnatRule({ transitPort: 8080 })),
    path: 'privateNatGateways[0].dnatRules[1].target.loadBalancer',
    code: 'LB_ALREADY_MAPPED',
  },
  {
    name: 'the same transit port twice',
    mutate: (p) => p.privateNatGateways[0].dnatRules.push(dnatRule({ target: { server: 'ECS-B' } })),
    path: 'privateNatGateways[0].dnatRules[1].transitPort',
    code: 'DNAT_PORT_CONFLICT',
  },
  {
    name: 'the same unnamed rule twice',
    mutate: (p) => p.privateNatGateways[0].dnatRules.push(dnatRule()),
    path: 'privateNatGateways[0].dnatRules[1].transitPort',
    code: 'DNAT_PORT_CONFLICT',
  },
  {
    name: 'all ports beside a specific port',
    mutate: (p) =>
      p.privateNatGateways[0].dnatRules.push({
        transitIp: 'transit-ip-A',
        portType: 'all',
        target: { server: 'ECS-B' },
      }),
    path: 'privateNatGateways[0].dnatRules[1].portType',
    code: 'PORT_TYPE_CONFLICT',
  },
  {
    name: 'SNAT on the DNAT transit IP',
    mutate: (p) =>
      p.privateNatGateways[0].snatRules.push({ source: 'subnet-B01', transitIp: 'transit-ip-A' }),
    path: 'privateNatGateways[0].snatRules[0].transitIp',
    code: 'TRANSIT_IP_SHARED',
  },
  {
    name: 'two SNAT rules for one subnet',
    mutate: (p) => {
      p.transitIps.push({ name: 'out-1', subnet: 'subnet-A01' }, { name: 'out-2', subnet: 'subnet-A01' });
      p.privateNatGateways[0].snatRules.push(
        { source: 'subnet-B01', transitIp: 'out-1' },
        { source: '10.0.0.0/24', transitIp: 'out-2' },
      );
    },
    path: 'privateNatGateways[0].snatRules[1].source',
    code: 'SNAT_SOURCE_CONFLICT',
  },
  {
    name: 'more rules than a Small gateway takes',
    mutate: (p) => {
      for (let port = 1000; port < 1020; port++)
        p.privateNatGateways[0].dnatRules.push(dnatRule({ transitPort: port, target: { ip: '10.0.0.50' } }));
    },
    path: 'privateNatGateways[0].dnatRules[20]',
    code: 'QUOTA_EXCEEDED',
  },
  {
    name: 'two servers with one name',
    mutate: (p) => Object.assign(p.servers[1], { name: 'ECS-A' }),
    path: 'servers[1].name',
    code: 'DUPLICATE_NAME',
  },
  {
    name: 'one subnet name in two VPCs',
    mutate: (p) => Object.assign(p.vpcs[1].subnets[0], { name: 'subnet-A01' }),
    path: 'vpcs[1].subnets[0].name',
    code: 'DUPLICATE_NAME',
  },
  {
    name: 'an unknown transit IP',
    mutate: (p) => Object.assign(p.privateNatGateways[0].dnatRules[0], { transitIp: 'transit-ip-Z' }),
    path: 'privateNatGateways[0].dnatRules[0].transitIp',
    code: 'NOT_FOUND',
  },
  {
    name: 'an unknown subnet',
    mutate: (p) => Object.assign(p.servers[0], { subnet: 'subnet-Z' }),
    path: 'servers[0].subnet',
    code: 'NOT_FOUND',
  },
  {
    name: 'an unknown backend group',
    mutate: (p) => Object.assign(p.loadBalancers[0].listeners[0], { backendGroup: 'pool-z' }),
    path: 'loadBalancers[0].listeners[0].backendGroup',
    code: 'NOT_FOUND',
  },
  {
    name: 'an unknown verify source',
    mutate: (p) => Object.assign(p.verify[0], { from: 'ECS-Z' }),
    path: 'verify[0].from',
    code: 'NOT_FOUND',
  },
  {
    name: 'a missing existing gateway',
    mutate: (p) => (p.privateNatGateways[0] = { name: 'gw', existing: 'pnat-404', dnatRules: [dnatRule()] }),
    path: 'privateNatGateways[0].existing',
    code: 'NOT_FOUND',
  },
  {
    name: 'two targets',
    mutate: (p) =>
      Object.assign(p.privateNatGateways[0].dnatRules[0], {
        target: { loadBalancer: 'ELB01', server: 'ECS-B' },
      }),
    path: 'privateNatGateways[0].dnatRules[0].target',
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'an existing entry with create fields',
    mutate: (p) => Object.assign(p.vpcs[0], { existing: 'vpc-1' }),
    path: 'vpcs[0].cidr',
    code: 'VALIDATION_FAILED',
  },
];

describe('Function: validatePlan', () => {
  it.each(EXAMPLES)('accepts %s', async (file) => {
    const result = await validatePlan(new MemoryStore(), examplePlan(file), { steps });
    expect(result.errors).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('summarises the reference plan with the addresses it would get', async () => {
    const result = await validatePlan(new MemoryStore(), referencePlan(), { steps });
    expect(result.summary).toMatchObject({
      plan: 'app-a-to-elb01',
      toCreate: 14,
      alreadyProvisioned: 0,
      addresses: {
        'servers.ECS-A': '192.168.0.2',
        'servers.ECS-B': '10.0.0.2',
        'loadBalancers.ELB01': '10.0.0.3',
        'transitIps.transit-ip-A': '192.168.0.144',
        'privateNatGateways.private_nat_gateway': '10.0.0.5',
      },
    });
  });

  describe('invalid plans', () => {
    // A store with another plan in it: validation must leave it exactly as it was.
    const seeded = async () => {
      const store = new MemoryStore();
      await provision(store, examplePlan('examples/udp-dns.plan.yaml'));
      return store;
    };

    it.each(INVALID)('rejects $name with $code at $path', async ({ mutate, path, code }) => {
      // Prepare
      const store = await seeded();
      const before = await snapshot(store);
      const plan = referencePlan();
      mutate(plan);
      // Act
      const result = await validatePlan(store, plan, { steps });
      // Assess
      expect(result.valid).toBe(false);
      expect(result.errors).toContainEqual(expect.objectContaining({ path, code }));
      for (const error of result.errors) expect(error.message).toEqual(expect.any(String));
      expect(await snapshot(store)).toEqual(before);
    });

    it('lists every problem at once', async () => {
      const plan = referencePlan();
      plan.vpcs[0].cidr = '192.168.0.0/33';
      plan.servers[0].ip = 'nope';
      plan.privateNatGateways[0].dnatRules[0].transitPort = 0;
      plan.extra = true;
      const result = await validatePlan(new MemoryStore(), plan, { steps });
      expect(result.errors.map((e) => [e.path, e.code])).toEqual(
        expect.arrayContaining([
          ['vpcs[0].cidr', 'INVALID_CIDR'],
          ['servers[0].ip', 'INVALID_ADDRESS'],
          ['privateNatGateways[0].dnatRules[0].transitPort', 'INVALID_PORT_SPEC'],
          ['extra', 'VALIDATION_FAILED'],
        ]),
      );
    });

    it('reports semantic problems of independent entries together, without cascades', async () => {
      const plan = referencePlan();
      plan.vpcs[0].subnets[0].cidr = '10.0.0.0/24'; // outside VPC-A: everything in subnet-A01 is skipped
      plan.servers[1].ip = '10.0.0.1';
      const result = await validatePlan(new MemoryStore(), plan, { steps });
      expect(result.errors).toEqual([
        expect.objectContaining({ path: 'vpcs[0].subnets[0].cidr', code: 'CIDR_OUT_OF_RANGE' }),
        expect.objectContaining({ path: 'servers[1].ip', code: 'IP_RESERVED' }),
      ]);
    });

    it('rejects a document that is not an object', async () => {
      expect((await validatePlan(new MemoryStore(), ['a'], { steps })).errors).toEqual([
        expect.objectContaining({ path: '', code: 'VALIDATION_FAILED' }),
      ]);
    });
  });

  describe('against provisioned state', () => {
    it('accepts a plan that is already provisioned (its tokens replay)', async () => {
      const store = new MemoryStore();
      await provision(store, referencePlan());
      const result = await validatePlan(store, referencePlan(), { steps });
      expect(result.errors).toEqual([]);
      expect(result.summary).toMatchObject({ toCreate: 0, alreadyProvisioned: 14 });
    });

    it('PLAN_CHANGED when an entry differs from what it created', async () => {
      const store = new MemoryStore();
      await provision(store, referencePlan());
      const plan = referencePlan();
      plan.privateNatGateways[0].dnatRules[0].internalPort = 8080;
      plan.vpcs[1].subnets[0].cidr = '10.0.1.0/24';
      const result = await validatePlan(store, plan, { steps });
      expect(result.errors).toContainEqual(
        expect.objectContaining({ path: 'vpcs[1].subnets[0]', code: 'PLAN_CHANGED' }),
      );
    });

    it("reports another plan's conflicts: the same transit IP address and port", async () => {
      const store = new MemoryStore();
      await provision(store, referencePlan());
      const other = referencePlan();
      other.name = 'copy';
      const result = await validatePlan(store, other, { steps });
      expect(result.valid).toBe(true); // new VPCs are new address spaces: nothing collides
      const sharing = {
        name: 'add-rule',
        transitIps: [{ name: 'tip', existing: (await store.list({ type: 'transit-ip' }))[0]?.id }],
        servers: [{ name: 'web', existing: (await store.list({ type: 'server' }))[1]?.id }],
        privateNatGateways: [
          {
            name: 'gw',
            existing: (await store.list({ type: 'private-nat-gateway' }))[0]?.id,
            dnatRules: [
              {
                transitIp: 'tip',
                protocol: 'tcp',
                transitPort: 80,
                internalPort: 80,
                target: { server: 'web' },
              },
            ],
          },
        ],
      };
      const conflict = await validatePlan(store, sharing, { steps });
      expect(conflict.errors).toEqual([
        expect.objectContaining({
          path: 'privateNatGateways[0].dnatRules[0].transitPort',
          code: 'DNAT_PORT_CONFLICT',
        }),
      ]);
      sharing.privateNatGateways[0]!.dnatRules[0]!.transitPort = 8080;
      expect((await validatePlan(store, sharing, { steps })).errors).toEqual([]);
    });

    it('GATEWAY_NOT_ACTIVE for a rule added to a frozen existing gateway', async () => {
      const store = new MemoryStore();
      const cloud = await provision(store, referencePlan());
      const gateway = (await store.list({ type: 'private-nat-gateway' }))[0]!;
      await cloud.freeze(gateway.id);
      const result = await validatePlan(
        store,
        {
          name: 'more',
          transitIps: [{ name: 'tip', existing: 'transit-ip-A' }],
          privateNatGateways: [
            {
              name: 'gw',
              existing: gateway.id,
              dnatRules: [
                {
                  transitIp: 'tip',
                  protocol: 'udp',
                  transitPort: 53,
                  internalPort: 53,
                  target: { ip: '10.0.0.53' },
                },
              ],
            },
          ],
        },
        { steps },
      );
      expect(result.errors).toEqual([
        expect.objectContaining({ path: 'privateNatGateways[0].dnatRules[0]', code: 'GATEWAY_NOT_ACTIVE' }),
      ]);
    });
  });
});
