/**
 * `natflow evaluate` as a user runs it: a child process of bin/natflow.js on a data directory whose
 * SQLite store was seeded through the control plane (world.ts: the reference scenario in plan `ref`,
 * and a second gateway of the same name in plan `other`).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localStorePath } from '../../src/cli/local-store.ts';
import { openSqliteStore } from '../../src/store/sqlite.ts';
import { type ReferenceWorld, seedReference } from './world.ts';

const NODE = join(process.cwd(), 'node_modules/.bin/node');
const BIN = join(process.cwd(), 'bin/natflow.js');

let dataDir: string;
let world: ReferenceWorld;

function natflow(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      NODE,
      [BIN, 'evaluate', '--data-dir', dataDir, ...args],
      { timeout: 20_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'natflow-evaluate-'));
  const store = openSqliteStore(localStorePath(dataDir));
  world = await seedReference(store);
  await store.close();
});

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('Command: natflow evaluate', () => {
  it('prints the verdict and translation of each packet as JSON, replies included', async () => {
    // Act
    const { code, stdout } = await natflow(
      '--gateway',
      'private_nat_gateway',
      '--plan',
      'ref',
      '--json',
      'tcp 192.168.0.10:40000 > 192.168.0.144:80 [syn]',
      '--reply',
      `tcp ${world.serverIp}:80 > ${world.downlinkIp}:1024 [syn,ack]`,
      '--inbound',
      'tcp 192.168.0.10:40000 > 192.168.0.144:22',
      'udp 192.168.0.10:40000 > 192.168.0.99:53',
    );

    // Assess
    expect(code).toBe(0);
    const document = JSON.parse(stdout);
    expect(document.gateway).toBe(world.gatewayId);
    expect(document.results).toEqual([
      {
        verdict: 'TRANSLATED',
        rule: world.httpRuleId,
        translated: { src: `${world.downlinkIp}:1024`, dst: `${world.serverIp}:80` },
        session: { id: 1, state: 'SYN_SENT' },
      },
      {
        verdict: 'TRANSLATED',
        rule: world.httpRuleId,
        translated: { src: '192.168.0.144:80', dst: '192.168.0.10:40000' },
        session: { id: 1, state: 'SYN_RECEIVED' },
      },
      { verdict: 'NO_MATCHING_RULE' },
      { verdict: 'NOT_A_TRANSIT_IP' },
    ]);
  });

  it('exits 2 when a packet is malformed and still answers the others', async () => {
    const { code, stdout } = await natflow(
      '--gateway',
      world.gatewayId,
      '--json',
      'tcp 192.168.0.10:40000 > 192.168.0.144:80',
      'tcp 192.168.0.10:40000 > 192.168.0.144:99999',
      'icmp 192.168.0.10:1 > 192.168.0.144:80',
    );
    expect(code).toBe(2);
    const results = JSON.parse(stdout).results;
    expect(results.map((r: { verdict: string }) => r.verdict)).toEqual([
      'TRANSLATED',
      'INVALID_PACKET',
      'INVALID_PACKET',
    ]);
    expect(results[2].reason).toContain("protocol 'icmp'");
  });

  it('prints a readable table without --json', async () => {
    const { code, stdout } = await natflow(
      '--gateway',
      'private_nat_gateway',
      '--plan',
      'ref',
      'tcp 192.168.0.10:40000 > 192.168.0.144:80',
    );
    expect(code).toBe(0);
    expect(stdout).toContain('private_nat_gateway');
    expect(stdout).toMatch(
      new RegExp(
        `tcp 192\\.168\\.0\\.10:40000 > 192\\.168\\.0\\.144:80\\s+TRANSLATED\\s+→ ${world.downlinkIp}:1024 > ${world.serverIp}:80`,
      ),
    );
  });

  it.each([
    {
      name: 'an unknown gateway',
      args: ['--gateway', 'nope', 'tcp 1.2.3.4:5 > 192.168.0.144:80'],
      message: 'NOT_FOUND',
    },
    {
      name: 'a name two plans use',
      args: ['--gateway', 'private_nat_gateway', 'tcp 1.2.3.4:5 > 192.168.0.144:80'],
      message: 'AMBIGUOUS_NAME',
    },
    { name: 'no --gateway', args: ['tcp 1.2.3.4:5 > 192.168.0.144:80'], message: '--gateway is required' },
    { name: 'no packet', args: ['--gateway', 'private_nat_gateway'], message: 'no packet' },
    {
      name: 'an unknown flag',
      args: ['--gateway', 'g', '--verbose', 'tcp 1.2.3.4:5 > 6.7.8.9:80'],
      message: 'verbose',
    },
  ])('exits 2 for $name', async ({ args, message }) => {
    const { code, stderr } = await natflow(...args);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });
});
