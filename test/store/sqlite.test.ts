/**
 * The SQLite adapter: the store contract on a file and in memory, durability across connections, and
 * the cross-process race of docs/error-codes.md#rules-the-control-plane-enforces — two processes create the same DNAT transit port on one file
 * at the same moment, and exactly one wins (the other gets DNAT_PORT_CONFLICT).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ControlPlane } from '../../src/cloud/control-plane.ts';
import { openSqliteStore } from '../../src/store/sqlite.ts';
import { storeContract } from './contract.ts';

const scratch = mkdtempSync(join(tmpdir(), 'natflow-sqlite-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let fileCounter = 0;
const freshFile = () => join(scratch, `db-${++fileCounter}`, 'natflow.sqlite');

storeContract('SQLite (file)', async () => {
  const store = openSqliteStore(freshFile());
  return { store, close: () => store.close() };
});

storeContract('SQLite (:memory:)', async () => {
  const store = openSqliteStore(':memory:');
  return { store, close: () => store.close() };
});

/** The race's topology: VPC-A holds the transit IP, VPC-B the gateway and the target server. */
async function seedTopology(file: string) {
  const store = openSqliteStore(file);
  const cloud = new ControlPlane({ store });
  const vpcA = await cloud.createVpc({ name: 'VPC-A', cidr: '192.168.0.0/16' });
  const subnetA = await cloud.createSubnet({ name: 'subnet-A01', vpcId: vpcA.id, cidr: '192.168.0.0/24' });
  const vpcB = await cloud.createVpc({ name: 'VPC-B', cidr: '10.0.0.0/16' });
  const subnetB = await cloud.createSubnet({ name: 'subnet-B01', vpcId: vpcB.id, cidr: '10.0.0.0/24' });
  const server = await cloud.createServer({
    name: 'ECS-B',
    subnetId: subnetB.id,
    apps: [{ protocol: 'http', port: 80 }],
  });
  const tip = await cloud.createTransitIp({
    name: 'transit-ip-A',
    subnetId: subnetA.id,
    ip: '192.168.0.144',
  });
  const gateway = await cloud.createGateway({ name: 'gw', subnetId: subnetB.id });
  await cloud.activate(gateway.id);
  await store.close();
  return { gatewayId: gateway.id, transitIpId: tip.id, serverId: server.id };
}

function runRacer(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('node_modules/.bin/node', ['test/store/fixtures/race-dnat.ts', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('openSqliteStore', () => {
  it('creates the directory and keeps what was written for the next connection', async () => {
    // Prepare
    const file = freshFile();
    expect(existsSync(file)).toBe(false);
    const first = openSqliteStore(file);
    const cloud = new ControlPlane({ store: first });
    const vpc = await cloud.createVpc(
      { name: 'VPC-A', cidr: '192.168.0.0/16' },
      { plan: 'p', clientToken: 'p:vpc:VPC-A' },
    );
    await first.close();
    // Act
    const second = openSqliteStore(file);
    // Assess
    expect(await second.get(vpc.id)).toEqual(vpc);
    expect((await second.getByKey('token:p:vpc:VPC-A'))?.id).toBe(vpc.id);
    await second.close();
  });

  it('rejects transactions after close', async () => {
    const store = openSqliteStore(':memory:');
    await store.close();
    await expect(store.transaction([], async () => 1)).rejects.toThrow('closed');
  });

  it('lets exactly one of two processes create the same DNAT transit port', async () => {
    // Prepare
    const file = freshFile();
    const { gatewayId, transitIpId, serverId } = await seedTopology(file);
    const startAt = String(Date.now() + 1500);
    // Act: both racers wait for the same instant, then create tcp 80 on the same transit IP.
    const results = await Promise.all(
      ['rule-one', 'rule-two'].map((name) =>
        runRacer([file, gatewayId, transitIpId, serverId, name, startAt]),
      ),
    );
    // Assess
    const outcomes = results.map((r) => {
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout.trim()) as { ok: boolean; id?: string; code?: string };
    });
    expect(outcomes.filter((o) => o.ok)).toHaveLength(1);
    expect(outcomes.filter((o) => !o.ok).map((o) => o.code)).toEqual(['DNAT_PORT_CONFLICT']);
    const store = openSqliteStore(file);
    const rules = await store.list({ type: 'dnat-rule' });
    expect(rules.map((r) => r.id)).toEqual([outcomes.find((o) => o.ok)?.id]);
    await store.close();
  });
});
