/**
 * The control plane's rules under concurrency, on every adapter (docs/error-codes.md#rules-the-control-plane-enforces: "of two racing requests
 * for the same transit IP and port, exactly one wins, in both stores").
 *
 * Topology: VPC-A (192.168.0.0/16) holds the transit subnet and its transit IPs; VPC-B (10.0.0.0/16)
 * holds the gateways, a server and a load balancer. Racers are concurrent calls in one process: on
 * DynamoDB each call runs its own reads, guard claims and TransactWriteItems against moto, as separate
 * Lambdas would. Per rule: the unique port (a key), the gateway's quota and the transit IP's port type
 * (rules over a parent, held by its scope counter).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlPlane } from '../../src/cloud/control-plane.ts';
import { MemoryStore } from '../../src/cloud/memory-store.ts';
import type { Store } from '../../src/cloud/store.ts';
import { openDynamoStore } from '../../src/store/dynamodb.ts';
import { openSqliteStore } from '../../src/store/sqlite.ts';
import { createMotoTable, motoAvailable, motoClient } from '../helpers/moto.ts';

let scratch: string;
let opened = 0;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'natflow-cp-race-'));
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

const adapters: { name: string; open: () => Promise<{ store: Store; close(): Promise<void> }> }[] = [
  {
    name: 'MemoryStore',
    open: async () => {
      const store = new MemoryStore();
      return { store, close: () => store.close() };
    },
  },
  {
    name: 'SQLite',
    open: async () => {
      const store = openSqliteStore(join(scratch, `race-${++opened}.sqlite`));
      return { store, close: () => store.close() };
    },
  },
  ...(motoAvailable
    ? [
        {
          name: 'DynamoDB (moto)',
          open: async () => {
            const tableName = await createMotoTable('natflow-cp');
            const client = motoClient();
            // moto answers a request in 10–80 ms (DynamoDB: a few): racing commits get more time.
            const store = openDynamoStore({ tableName, client, maxWaitMs: 90_000 });
            return { store, close: async () => client.destroy() };
          },
        },
      ]
    : []),
];

async function seed(cloud: ControlPlane, gateways: number) {
  const vpcA = await cloud.createVpc({ name: 'VPC-A', cidr: '192.168.0.0/16' });
  const subnetA = await cloud.createSubnet({ name: 'subnet-A01', vpcId: vpcA.id, cidr: '192.168.0.0/24' });
  const vpcB = await cloud.createVpc({ name: 'VPC-B', cidr: '10.0.0.0/16' });
  const subnetB = await cloud.createSubnet({ name: 'subnet-B01', vpcId: vpcB.id, cidr: '10.0.0.0/24' });
  const server = await cloud.createServer({
    name: 'ECS-B',
    subnetId: subnetB.id,
    apps: [{ protocol: 'http', port: 80 }],
  });
  const lb = await cloud.createLoadBalancer({ name: 'ELB-B', frontendSubnetId: subnetB.id });
  const pairs: { gatewayId: string; transitIpId: string }[] = [];
  for (let i = 0; i < gateways; i++) {
    const tip = await cloud.createTransitIp({ name: `tip-${i}`, subnetId: subnetA.id });
    const gateway = await cloud.createGateway({ name: `gw-${i}`, subnetId: subnetB.id });
    await cloud.activate(gateway.id);
    pairs.push({ gatewayId: gateway.id, transitIpId: tip.id });
  }
  return { serverId: server.id, loadBalancerId: lb.id, pairs };
}

describe.each(adapters)('ControlPlane races on $name', ({ open }) => {
  it('creates exactly one of 20 concurrent DNAT rules for one transit IP and port; the rest DNAT_PORT_CONFLICT', async () => {
    const { store, close } = await open();
    try {
      // Prepare
      const cloud = new ControlPlane({ store });
      const { serverId, pairs } = await seed(cloud, 1);
      const { gatewayId, transitIpId } = pairs[0]!;
      // Act
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, n) =>
          cloud.createDnatRule({
            name: `racer-${n}`,
            gatewayId,
            transitIpId,
            protocol: 'tcp',
            transitPort: 80,
            internalPort: 80,
            target: { serverId },
          }),
        ),
      );
      // Assess
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(19);
      for (const error of lost) expect(error).toMatchObject({ name: 'DNAT_PORT_CONFLICT' });
      expect(await store.list({ type: 'dnat-rule' })).toHaveLength(1);
    } finally {
      await close();
    }
  });

  it('maps a load balancer once when rules on different gateways race for it; the rest LB_ALREADY_MAPPED', async () => {
    const { store, close } = await open();
    try {
      // Prepare: the racers share no gateway and no transit IP, so no scope serialises them.
      const cloud = new ControlPlane({ store });
      const { loadBalancerId, pairs } = await seed(cloud, 4);
      // Act
      const results = await Promise.allSettled(
        pairs.map(({ gatewayId, transitIpId }) =>
          cloud.createDnatRule({
            gatewayId,
            transitIpId,
            protocol: 'tcp',
            transitPort: 80,
            internalPort: 80,
            target: { loadBalancerId },
          }),
        ),
      );
      // Assess
      const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const error of lost) expect(error).toMatchObject({ name: 'LB_ALREADY_MAPPED' });
      expect(await store.list({ type: 'dnat-rule' })).toHaveLength(1);
    } finally {
      await close();
    }
  });

  it("lets one of 20 racing rules take the last rule a gateway's quota allows; the rest QUOTA_EXCEEDED", async () => {
    const { store, close } = await open();
    try {
      // Prepare: a Small gateway (20 rules) that already has 19.
      const cloud = new ControlPlane({ store });
      const { serverId, pairs } = await seed(cloud, 1);
      const { gatewayId, transitIpId } = pairs[0]!;
      const rule = (port: number) =>
        cloud.createDnatRule({
          gatewayId,
          transitIpId,
          protocol: 'tcp',
          transitPort: port,
          internalPort: 80,
          target: { serverId },
        });
      for (let port = 1; port <= 19; port++) await rule(port);
      // Act: 20 racers on 20 different ports — each passes every rule alone.
      const results = await Promise.allSettled(Array.from({ length: 20 }, (_, n) => rule(1000 + n)));
      // Assess
      const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(lost).toHaveLength(19);
      for (const error of lost) expect(error).toMatchObject({ name: 'QUOTA_EXCEEDED' });
      expect(await store.referrers(gatewayId)).toHaveLength(20);
    } finally {
      await close();
    }
  }, 120_000);

  it('never lets all-ports and specific-port rules share a transit IP when 20 racers mix them', async () => {
    const { store, close } = await open();
    try {
      // Prepare
      const cloud = new ControlPlane({ store });
      const { serverId, pairs } = await seed(cloud, 1);
      const { gatewayId, transitIpId } = pairs[0]!;
      // Act: even racers want all ports, odd ones a specific port each.
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, n) =>
          cloud.createDnatRule({
            gatewayId,
            transitIpId,
            target: { serverId },
            ...(n % 2 === 0
              ? { protocol: 'any' as const, transitPort: 0, internalPort: 0 }
              : { protocol: 'tcp' as const, transitPort: 1000 + n, internalPort: 80 }),
          }),
        ),
      );
      // Assess: one all-ports rule alone, or the ten specific ones; every loser names its rule.
      const stored = (await store.referrers(transitIpId)).filter((r) => r.type === 'dnat-rule');
      const types = new Set(
        stored.map((r) => (r.type === 'dnat-rule' && r.protocol === 'any' ? 'all' : 'specific')),
      );
      expect(types.size).toBe(1);
      const allWon = types.has('all');
      expect(stored).toHaveLength(allWon ? 1 : 10);
      for (const [n, result] of results.entries()) {
        const all = n % 2 === 0;
        if (result.status === 'fulfilled') {
          expect(all).toBe(allWon);
          continue;
        }
        // A losing all-ports racer meets the winner's key (0/any) first when an all-ports rule won.
        expect(result.reason).toMatchObject({
          name: all && allWon ? 'DNAT_PORT_CONFLICT' : 'PORT_TYPE_CONFLICT',
        });
      }
    } finally {
      await close();
    }
  }, 120_000);
});
