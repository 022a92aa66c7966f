/**
 * Scenario stores for the preview's tests: plans provisioned step by step through the control plane
 * (as the workflow does, with the plan record its last step writes), and the plans that then add to them.
 *
 * The base is the reference (docs/plan-format.md): VPC-A 192.168.0.0/16 with ECS-A and transit IP
 * 192.168.0.144; VPC-B 10.0.0.0/16 with ECS-B (HTTP 80, inbound tcp 80 from 10.0.0.0/16), ELB01 and the
 * private NAT gateway; one rule tcp 80 → ELB01:80.
 */
import { ControlPlane } from '../../src/cloud/control-plane.ts';
import { MemoryStore } from '../../src/cloud/memory-store.ts';
import type { Store } from '../../src/cloud/store.ts';
import { PlanSchema } from '../../src/plan/plan.ts';
import { applyStep, PROVISION_STEPS } from '../../src/workflow/steps/index.ts';
import { referencePlan } from '../cloud/plans.ts';

/** Provisions a plan document into the store and records it, as a SUCCEEDED provision execution does. */
export async function provision(store: Store, document: unknown, execution = `exec-${Math.random()}`) {
  const cloud = new ControlPlane({ store });
  const plan = PlanSchema.parse(document);
  for (const step of PROVISION_STEPS) await applyStep(cloud, plan, step, { execution });
  await store.transaction([`plan:${plan.name}`], (tx) =>
    tx.putPlan({ name: plan.name, document, execution, updatedAt: new Date().toISOString() }),
  );
  return cloud;
}

/** Everything a reader can see: to compare before and after a preview. */
export async function snapshot(store: Store) {
  return { resources: await store.list(), plans: await store.listPlans() };
}

/** A store holding the provisioned reference plan. */
export async function referenceStore(): Promise<{ store: MemoryStore; cloud: ControlPlane }> {
  const store = new MemoryStore();
  const cloud = await provision(store, referencePlan());
  return { store, cloud };
}

/**
 * A second plan that adds one DNAT rule to the reference's gateway and transit IP (by name, `existing:`)
 * — a server target, ECS-B, unless overridden.
 */
// biome-ignore lint/suspicious/noExplicitAny: tests reach into documents freely.
export function addRulePlan(rule: Record<string, unknown>, extra: Record<string, unknown> = {}): any {
  return {
    name: 'add-rule',
    vpcs: [{ name: 'VPC-B', existing: 'VPC-B' }],
    servers: [{ name: 'ECS-B', existing: 'ECS-B' }],
    transitIps: [{ name: 'transit-ip-A', existing: 'transit-ip-A' }],
    privateNatGateways: [
      {
        name: 'gw',
        existing: 'private_nat_gateway',
        dnatRules: [
          {
            transitIp: 'transit-ip-A',
            protocol: 'tcp',
            transitPort: 8080,
            internalPort: 80,
            target: { server: 'ECS-B' },
            ...rule,
          },
        ],
      },
    ],
    ...extra,
  };
}

/**
 * A plan of its own: VPC-C 192.168.0.0/16 (client-1, client-2 and transit IP 192.168.20.100 in
 * subnet-C01 192.168.20.0/24) and VPC-S 10.9.0.0/16 (`service` with the given apps and inbound rules,
 * and a gateway), one all-ports rule to `service`. Only port 80 is written in `verify`.
 */
// biome-ignore lint/suspicious/noExplicitAny: tests reach into documents freely.
export function allPortsPlan(apps: unknown[], inbound: unknown[]): any {
  return {
    name: 'all-ports',
    vpcs: [
      { name: 'VPC-C', cidr: '192.168.0.0/16', subnets: [{ name: 'subnet-C01', cidr: '192.168.20.0/24' }] },
      { name: 'VPC-S', cidr: '10.9.0.0/16', subnets: [{ name: 'subnet-S01', cidr: '10.9.0.0/24' }] },
    ],
    servers: [
      { name: 'client-1', subnet: 'subnet-C01' },
      { name: 'client-2', subnet: 'subnet-C01' },
      { name: 'service', subnet: 'subnet-S01', apps, inbound },
    ],
    transitIps: [{ name: 'tip-all', subnet: 'subnet-C01', ip: '192.168.20.100' }],
    privateNatGateways: [
      {
        name: 'gw-s',
        vpc: 'VPC-S',
        subnet: 'subnet-S01',
        dnatRules: [
          {
            name: 'all',
            transitIp: 'tip-all',
            portType: 'all',
            protocol: 'any',
            target: { server: 'service' },
          },
        ],
      },
    ],
    verify: [{ from: 'client-1', to: 'tip-all', protocol: 'tcp', port: 80 }],
  };
}
