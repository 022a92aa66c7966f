/**
 * Load, the fast version (`npm run soak` runs 1,000): 50 generated plans (distinct names,
 * non-overlapping addresses) provisioned through the HTTP API against one stack, 10 at a time. All
 * SUCCEED; each plan owns exactly what it asked for; tearing every plan down leaves an empty store and no
 * handler in flight.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../../src/stack/stack.ts';
import { api, closed, countByType, generatedPlan, mapLimit, provisionAll } from './support.ts';

const COUNT = 50;
const CONCURRENCY = 10;

describe(`${COUNT} provisionings through the API, ${CONCURRENCY} at a time`, () => {
  let stack: Stack;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'natflow-load-'));
    stack = await startStack({ dataDir, port: 0, dataPlane: false });
  });

  afterAll(async () => {
    await stack?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('all SUCCEED with one set of resources per plan, and teardown leaves nothing', async () => {
    // Act
    const plans = Array.from({ length: COUNT }, (_, i) => generatedPlan(i, 'fast'));
    const result = await provisionAll(stack.url as string, plans, CONCURRENCY);
    await stack.idle();

    // Assess
    expect(result.failures).toEqual([]);
    expect(result.statuses).toEqual({ SUCCEEDED: COUNT });
    const resources = await stack.store.list();
    const perPlan = {
      vpc: 2,
      subnet: 2,
      server: 2,
      'security-group': 2,
      'transit-ip': 1,
      'private-nat-gateway': 1,
      'dnat-rule': 1,
    };
    const total = Object.fromEntries(Object.entries(perPlan).map(([type, n]) => [type, n * COUNT]));
    expect(countByType(resources)).toEqual(total);
    for (const plan of plans.slice(0, 5))
      expect(countByType(await stack.store.list({ plan: plan.name as string }))).toEqual(perPlan);
    console.info(
      `load (fast): ${COUNT} plans, ${CONCURRENCY} at a time: ${result.throughput} executions/s, p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms`,
    );

    // Act: tear every plan down
    const teardowns = await mapLimit(plans, CONCURRENCY, async (plan) => {
      const name = `down-${String(plan.name)}`;
      const answer = await api(stack.url as string, '/executions', {
        body: { workflow: 'teardown', input: { plan: plan.name }, name },
      });
      expect(answer.status).toBe(201);
      return (await closed(stack.url as string, name)).status;
    });
    await stack.idle();

    // Assess: nothing leaked
    expect(new Set(teardowns)).toEqual(new Set(['SUCCEEDED']));
    expect(await stack.store.list()).toEqual([]);
    expect(stack.tasks.inFlight()).toBe(0);
  });
});
