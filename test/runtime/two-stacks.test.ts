/**
 * Two local stacks in one process, each on its own data directory: every handler is built with its own
 * stack's deps (store, cloud, clock, bus, Step Functions client), so neither sees the other's resources,
 * plans, executions or events — through the workflows, the HTTP API and the stores alike — and starting
 * them writes nothing into `process.env`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, openHarness, REFERENCE, variant } from '../workflows/harness.ts';

let a: Harness;
let b: Harness;
let envBefore: Record<string, string | undefined>;
let envAfterStart: Record<string, string | undefined>;

async function getJson(h: Harness, path: string): Promise<Record<string, unknown>> {
  const response = await fetch(new URL(path, h.stack.url));
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

beforeAll(async () => {
  envBefore = { ...process.env };
  a = await openHarness({ port: 0 });
  b = await openHarness({ port: 0 });
  envAfterStart = { ...process.env };
});

afterAll(async () => {
  await a?.close();
  await b?.close();
});

describe('two stacks in one process', () => {
  it('start on two data directories without writing process.env', () => {
    expect(a.dataDir).not.toBe(b.dataDir);
    expect(a.stack.url).not.toBe(b.stack.url);
    expect(envAfterStart).toEqual(envBefore);
  });

  it('provision in one stack leaves the other empty, in its store and behind its API', async () => {
    // Act
    const run = await a.run('provision', REFERENCE);

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    const inA = await a.resources('app-a-to-elb01');
    expect(inA.length).toBeGreaterThan(10);
    expect(await b.resources()).toEqual([]);
    expect(await b.stack.store.listPlans()).toEqual([]);

    const listedA = (await getJson(a, '/resources')).resources as { id: string }[];
    const listedB = (await getJson(b, '/resources')).resources as unknown[];
    expect(listedA.map((r) => r.id).sort()).toEqual(inA.map((r) => r.id).sort());
    expect(listedB).toEqual([]);

    const executionsA = (await getJson(a, '/executions')).executions as { executionArn: string }[];
    const executionsB = (await getJson(b, '/executions')).executions as unknown[];
    expect(executionsA.map((e) => e.executionArn)).toContain(run.executionArn);
    expect(executionsB).toEqual([]);

    // The out event went to A's bus only.
    const published = (bus: Harness) => bus.stack.bus.list({ detailType: 'ProvisioningSucceeded' });
    expect(published(a)).toHaveLength(1);
    expect(published(b)).toEqual([]);
  });

  it('each stack provisions the same plan into its own cloud: same names, ids of its own', async () => {
    // Act: the same addresses and names in B, which would conflict if B saw A's resources
    const run = await b.run('provision', REFERENCE);

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    const inA = await a.resources('app-a-to-elb01');
    const inB = await b.resources('app-a-to-elb01');
    expect(inB.map((r) => r.name).sort()).toEqual(inA.map((r) => r.name).sort());
    const idsA = new Set(inA.map((r) => r.id));
    expect(inB.filter((r) => idsA.has(r.id))).toEqual([]);
  });

  it("a teardown in one stack deletes only that stack's resources", async () => {
    // Prepare
    await a.run('provision', variant('only-in-a'));
    const inBBefore = await b.resources();

    // Act
    const run = await a.run('teardown', { plan: 'app-a-to-elb01' });

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(await a.resources('app-a-to-elb01')).toEqual([]);
    expect((await a.resources('only-in-a')).length).toBeGreaterThan(0);
    expect(await b.resources()).toEqual(inBBefore);
    expect(await b.resources('only-in-a')).toEqual([]);
  });
});
