/**
 * The reference topology built through the control plane, for tests: VPC-A 192.168.0.0/16 (subnet-A01
 * 192.168.0.0/24: ECS-A, transit IP 192.168.0.144) and VPC-B 10.0.0.0/16 (subnet-B01 10.0.0.0/24:
 * ECS-B serving HTTP 80, ELB01, the private NAT gateway, ACTIVE). Ids are deterministic (`vpc-0001`).
 */
import { ControlPlane } from '../../src/cloud/control-plane.ts';
import { MemoryStore } from '../../src/cloud/memory-store.ts';
import { ID_PREFIX, type ResourceType } from '../../src/cloud/resources.ts';
import { ManualClock } from '../../src/net/clock.ts';

export const T0 = Date.parse('2026-01-01T00:00:00.000Z');

export function newCloud(options: { store?: MemoryStore; provisioningDelayMs?: number } = {}) {
  const store = options.store ?? new MemoryStore();
  const clock = new ManualClock(T0);
  let n = 0;
  const cloud = new ControlPlane({
    store,
    clock,
    newId: (type: ResourceType) => `${ID_PREFIX[type]}-${String(++n).padStart(4, '0')}`,
    ...(options.provisioningDelayMs === undefined
      ? {}
      : { provisioningDelayMs: options.provisioningDelayMs }),
  });
  return { store, clock, cloud };
}

export async function referenceWorld() {
  const { store, clock, cloud } = newCloud();
  const vpcA = await cloud.createVpc({ name: 'VPC-A', cidr: '192.168.0.0/16' });
  const subnetA = await cloud.createSubnet({ name: 'subnet-A01', vpcId: vpcA.id, cidr: '192.168.0.0/24' });
  const vpcB = await cloud.createVpc({ name: 'VPC-B', cidr: '10.0.0.0/16' });
  const subnetB = await cloud.createSubnet({ name: 'subnet-B01', vpcId: vpcB.id, cidr: '10.0.0.0/24' });
  const ecsA = await cloud.createServer({ name: 'ECS-A', subnetId: subnetA.id });
  const ecsB = await cloud.createServer({
    name: 'ECS-B',
    subnetId: subnetB.id,
    apps: [{ protocol: 'http', port: 80 }],
  });
  const group = await cloud.createBackendGroup({
    name: 'backend-server-group-B',
    protocol: 'HTTP',
    members: [{ serverId: ecsB.id, port: 80 }],
  });
  const elb = await cloud.createLoadBalancer({ name: 'ELB01', vpcId: vpcB.id, frontendSubnetId: subnetB.id });
  const listener = await cloud.createListener({
    loadBalancerId: elb.id,
    protocol: 'HTTP',
    port: 80,
    backendGroupId: group.id,
  });
  const tip = await cloud.createTransitIp({
    name: 'transit-ip-A',
    subnetId: subnetA.id,
    ip: '192.168.0.144',
  });
  const gateway = await cloud.createGateway({
    name: 'private_nat_gateway',
    vpcId: vpcB.id,
    subnetId: subnetB.id,
  });
  await cloud.activate(gateway.id);
  return {
    store,
    clock,
    cloud,
    vpcA,
    subnetA,
    vpcB,
    subnetB,
    ecsA,
    ecsB,
    group,
    elb,
    listener,
    tip,
    gateway,
  };
}

/** Resolves to the error a promise rejects with (fails the test when it resolves). */
export async function errorOf(
  promise: Promise<unknown>,
): Promise<Error & { path?: string; details?: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection, but the call succeeded');
}
