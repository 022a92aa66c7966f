/**
 * Races: many callers want the same (transit IP, protocol, transit port). Exactly one DNAT
 * rule is created; every other caller ends with DNAT_PORT_CONFLICT — refused up front (409, nothing
 * started) when the winner was already in the store at validation, or FAILED after a rollback that
 * leaves nothing of its own behind. Through the HTTP API against one stack, and between two OS processes
 * (`natflow provision` children sharing a data directory, without a running stack).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../../src/stack/stack.ts';
import { openSqliteStore } from '../../src/store/sqlite.ts';
import {
  api,
  closed,
  contenderPlan,
  natflow,
  SHARED_PLAN,
  type SharedIds,
  sharedIdsOf,
  snapshot,
} from './support.ts';

const CONTENDERS = 20;

describe('20 concurrent provisionings through the API want the same transit IP and port', () => {
  let stack: Stack;
  let dataDir: string;
  let ids: SharedIds;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'natflow-race-'));
    stack = await startStack({ dataDir, port: 0, dataPlane: false });
    const started = await api(stack.url as string, '/executions', {
      body: { workflow: 'provision', input: SHARED_PLAN, name: 'shared' },
    });
    expect(started.status).toBe(201);
    expect((await closed(stack.url as string, 'shared')).status).toBe('SUCCEEDED');
    ids = sharedIdsOf(await stack.store.list({ plan: SHARED_PLAN.name }));
  });

  afterAll(async () => {
    await stack?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates exactly one DNAT rule; the other 19 fail with DNAT_PORT_CONFLICT and leave nothing', async () => {
    // Prepare
    const url = stack.url as string;
    const before = await snapshot(stack.store);
    const plans = Array.from({ length: CONTENDERS }, (_, i) => contenderPlan(i, ids));

    // Act: all requests in flight at once
    const answers = await Promise.all(
      plans.map((plan, i) =>
        api(url, '/executions', { body: { workflow: 'provision', input: plan, name: `race-${i}` } }),
      ),
    );
    const outcomes = await Promise.all(
      answers.map(async (answer, i) =>
        answer.status === 201
          ? { i, started: true, ...(await closed(url, `race-${i}`)) }
          : { i, started: false, status: `HTTP ${answer.status}`, error: answer.json?.code as string },
      ),
    );
    await stack.idle();

    // Assess: one winner, and it owns the only rule on the port
    const winners = outcomes.filter((o) => o.status === 'SUCCEEDED');
    expect(winners).toHaveLength(1);
    const winner = `race-${winners[0]?.i}`;
    const rules = (await stack.store.list({ type: 'dnat-rule' })).filter(
      (r) => r.type === 'dnat-rule' && r.transitIpId === ids.transitIp && r.transitPort === 8080,
    );
    expect(rules).toHaveLength(1);
    expect(rules[0]?.plan).toBe(winner);

    // Assess: every loser failed on the port, by that code, and left no resource of its own
    const losers = outcomes.filter((o) => o.status !== 'SUCCEEDED');
    expect(losers).toHaveLength(CONTENDERS - 1);
    for (const loser of losers) {
      expect(loser.error, JSON.stringify(loser)).toBe('DNAT_PORT_CONFLICT');
      if (!loser.started) expect(loser.status).toBe('HTTP 409');
      else expect(loser.status).toBe('FAILED');
      expect(await stack.store.list({ plan: `race-${loser.i}` })).toEqual([]);
    }
    // Nothing but the winner's server and rule was added to the store.
    const after = JSON.parse(await snapshot(stack.store)) as { id: string; type: string; plan?: string }[];
    const beforeIds = new Set((JSON.parse(before) as { id: string }[]).map((r) => r.id));
    const added = after.filter((r) => !beforeIds.has(r.id));
    expect(new Set(added.map((r) => r.plan))).toEqual(new Set([winner]));
    expect(added.map((r) => r.type)).toEqual(expect.arrayContaining(['server', 'dnat-rule']));
    expect(stack.tasks.inFlight()).toBe(0);
    console.info(
      `race: ${outcomes.filter((o) => o.started).length} started, ${losers.filter((o) => !o.started).length} refused at validation, ${losers.filter((o) => o.started).length} FAILED after rollback`,
    );
  });
});

describe('two OS processes race the same way on one data directory', () => {
  let dataDir: string;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'natflow-race-cli-'));
  });

  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('one `natflow provision` wins the port, the other exits 1 (or 2) with DNAT_PORT_CONFLICT', async () => {
    // Prepare: the shared transit IP and gateway, by a first CLI run
    const sharedFile = join(dataDir, 'shared.plan.json');
    writeFileSync(sharedFile, JSON.stringify(SHARED_PLAN));
    const shared = await natflow(['provision', sharedFile, '--json', '--data-dir', dataDir], {
      NATFLOW_DATA_DIR: dataDir,
    });
    expect(shared.code, shared.stderr).toBe(0);
    const store = openSqliteStore(join(dataDir, 'natflow.sqlite'));
    const ids = sharedIdsOf(await store.list({ plan: SHARED_PLAN.name }));
    await store.close();
    const files = [0, 1].map((i) => {
      const file = join(dataDir, `cli-${i}.plan.json`);
      writeFileSync(file, JSON.stringify(contenderPlan(i, ids, 'cli')));
      return file;
    });

    // Act: both processes at once, no stack running
    const runs = await Promise.all(
      files.map((file) =>
        natflow(['provision', file, '--json', '--data-dir', dataDir], { NATFLOW_DATA_DIR: dataDir }),
      ),
    );

    // Assess
    const docs = runs.map(
      (run) => JSON.parse(run.stdout) as { status?: string; error?: string; errors?: { code: string }[] },
    );
    const winners = runs.filter((run) => run.code === 0);
    expect(winners, runs.map((r) => r.stderr).join('\n')).toHaveLength(1);
    const loser = docs[runs.findIndex((run) => run.code !== 0)];
    const loserCode = loser?.error ?? loser?.errors?.[0]?.code;
    expect(loserCode).toBe('DNAT_PORT_CONFLICT');
    console.info(`race (2 processes): exit codes ${runs.map((r) => r.code).join(', ')}; loser ${loserCode}`);
    expect(runs.map((r) => r.code).sort()).toSatisfy(
      (codes: number[]) => codes[0] === 0 && (codes[1] === 1 || codes[1] === 2),
    );
    const after = openSqliteStore(join(dataDir, 'natflow.sqlite'));
    try {
      const rules = await after.list({ type: 'dnat-rule' });
      expect(rules).toHaveLength(1);
      const loserPlan = `cli-${runs.findIndex((run) => run.code !== 0)}`;
      expect(await after.list({ plan: loserPlan })).toEqual([]);
    } finally {
      await after.close();
    }
  });
});

describe('concurrent plans that take automatic addresses in one existing subnet', () => {
  let stack: Stack;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'natflow-race-auto-'));
    stack = await startStack({ dataDir, port: 0, dataPlane: false });
    await api(stack.url as string, '/executions', {
      body: { workflow: 'provision', input: SHARED_PLAN, name: 'shared' },
    });
    expect((await closed(stack.url as string, 'shared')).status).toBe('SUCCEEDED');
  });

  afterAll(async () => {
    await stack?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  // Pinned automatic addresses are preferences (src/workflow/pin.ts): five plans started together see
  // the same snapshot and pin the same lowest free address, yet each ends with an address of its own.
  it('all succeed, each with its own address (no IP_IN_USE for an address nobody asked for)', async () => {
    // Prepare
    const url = stack.url as string;
    const ids = sharedIdsOf(await stack.store.list({ plan: SHARED_PLAN.name }));
    const plans = Array.from({ length: 5 }, (_, i) => ({
      name: `auto-${i}`,
      vpcs: [{ name: 'VPC-B', existing: ids.vpcB, subnets: [{ name: 'subnet-B01', existing: ids.subnetB }] }],
      servers: [{ name: `server-${i}`, subnet: 'subnet-B01' }],
    }));

    // Act
    const answers = await Promise.all(
      plans.map((plan, i) =>
        api(url, '/executions', { body: { workflow: 'provision', input: plan, name: `auto-${i}` } }),
      ),
    );
    const outcomes = await Promise.all(
      answers.map(async (answer, i) =>
        answer.status === 201 ? await closed(url, `auto-${i}`) : { status: `HTTP ${answer.status}` },
      ),
    );

    // Assess
    expect(outcomes.map((o) => `${o.status}${'error' in o && o.error ? ` ${o.error}` : ''}`)).toEqual(
      Array(5).fill('SUCCEEDED'),
    );
    const addresses = (await stack.store.list({ type: 'server' })).map((s) =>
      s.type === 'server' ? s.ip : '',
    );
    expect(new Set(addresses).size).toBe(addresses.length);
  });
});
