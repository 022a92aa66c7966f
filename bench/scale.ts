/**
 * Scale (docs/benchmarks.md `scale`): what one provisioning costs as the store grows.
 *
 * - 1,000 renamed copies of `examples/reference.plan.yaml` through the HTTP API of one in-process stack
 *   (data plane on, as `natflow up` runs it): `SERIAL` one after another (`serial_per_s`, and the median
 *   POST → closed latency of the first and last tenth: `p50_ms_first`, `p50_ms_last`), then the rest
 *   `IN_FLIGHT` at a time (`parallel_per_s`). Heap used before, after, and after closing the stack (each
 *   after a GC). CPU time per serial execution, first and last tenth, is reported beside the wall clock:
 *   the machine is shared, CPU time is what does not depend on the neighbours.
 * - 10,000 plans stored (140,000 resources: the reference plan's 14, cloned with new ids into a SQLite
 *   store): `validate_10k_ms`, a new plan's validation (its dry run); `analyze_10k_ms`, a probe in
 *   `--mode analyze` as the CLI runs it (its scope read from the store, then analysed). Medians of 5.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parse } from 'yaml';
import { constraintKeysOf } from '../src/cloud/constraints.ts';
import { type Resource, referencesOf } from '../src/cloud/resources.ts';
import type { Store } from '../src/cloud/store.ts';
import { validatePlan } from '../src/plan/validate.ts';
import { Topology } from '../src/probe/model.ts';
import { probe } from '../src/probe/probe.ts';
import { probeScope } from '../src/probe/scope.ts';
import { startStack } from '../src/stack/stack.ts';
import { openSqliteStore } from '../src/store/sqlite.ts';
import { steps } from '../src/workflow/steps/index.ts';
import type { BenchModule } from './index.ts';

const ROOT = join(import.meta.dirname, '..');
const PLANS = Number(process.env.NATFLOW_BENCH_SCALE_PLANS ?? 1000);
const SERIAL = Math.round(PLANS * 0.4);
const IN_FLIGHT = 50;
const STORED = Number(process.env.NATFLOW_BENCH_SCALE_STORED ?? 10_000);

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const round = (n: number) => Math.round(n * 10) / 10;
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}
async function heapMb(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((done) => setTimeout(done, 50));
  }
  return round(process.memoryUsage().heapUsed / 2 ** 20);
}

/** `fetch`, tried again (up to 3 times) when the connection itself fails under 50 clients. */
async function request(input: string, init?: RequestInit): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetch(input, init);
    } catch (error) {
      if (attempt >= 3) throw error;
      await new Promise((done) => setTimeout(done, 50 * attempt));
    }
  }
}

async function post(url: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await request(`${url}/executions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

async function closed(
  url: string,
  name: string,
): Promise<{ status: string; error?: string; cause?: { message?: string } }> {
  for (;;) {
    const response = await request(`${url}/executions/${encodeURIComponent(name)}`);
    // `cause` is the failure document (docs/real-cloud.md#failure).
    const doc = (await response.json()) as { status: string; error?: string; cause?: { message?: string } };
    if (doc.status !== 'RUNNING') return doc;
    await new Promise((done) => setTimeout(done, 20));
  }
}

interface Run {
  ms: number;
  cpuMs: number;
  /** `SUCCEEDED`, or the status, error and cause. */
  outcome: string;
}

/** Provisions one plan through the API and waits for it: wall ms, CPU ms of this process, outcome. */
async function provisionOne(url: string, plan: Record<string, unknown>): Promise<Run> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const name = `${String(plan.name)}-x`;
  const started = await post(url, { workflow: 'provision', input: plan, name });
  if (started.status !== 201)
    throw new Error(`POST /executions ${started.status}: ${JSON.stringify(started.json)}`);
  const done = await closed(url, name);
  const cpu = process.cpuUsage(cpu0);
  const outcome =
    done.status === 'SUCCEEDED' ? 'SUCCEEDED' : `${done.status} ${done.error}: ${done.cause?.message ?? ''}`;
  return { ms: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000, outcome };
}

/** `STORED` clones of a plan's resources (new ids, tokens, plan names) in a fresh SQLite store. */
async function seeded(
  template: readonly Resource[],
  document: Record<string, unknown>,
  file: string,
): Promise<Store> {
  const store = openSqliteStore(file);
  const texts = template.map((r) => JSON.stringify(r));
  const ids = template.map((r) => r.id);
  const BATCH = 500;
  for (let from = 0; from < STORED; from += BATCH) {
    await store.transaction([], async (tx) => {
      for (let i = from; i < Math.min(STORED, from + BATCH); i++) {
        const plan = `seed-${i}`;
        for (const text of texts) {
          let copy = text;
          for (const id of ids) copy = copy.replaceAll(`"${id}"`, `"${id}s${i}"`);
          const r = JSON.parse(copy) as Resource;
          r.plan = plan;
          r.execution = `seed-${i}`;
          if (r.clientToken) r.clientToken = `${r.clientToken}s${i}`;
          if (r.externalId) r.externalId = randomUUID();
          await tx.insert(r, { keys: constraintKeysOf(r), refs: referencesOf(r) });
        }
        await tx.putPlan({
          name: plan,
          document: { ...document, name: plan },
          execution: `seed-${i}`,
          updatedAt: new Date(0).toISOString(),
        });
      }
    });
  }
  return store;
}

const bench: BenchModule = {
  name: 'scale',
  async run({ log }) {
    const reference = parse(readFileSync(join(ROOT, 'examples/reference.plan.yaml'), 'utf8')) as Record<
      string,
      unknown
    >;
    const planNamed = (name: string) => ({ ...reference, name });
    const dataDir = mkdtempSync(join(tmpdir(), 'natflow-bench-scale-'));
    const result: Record<string, number> = { plans: PLANS };
    let template: Resource[] = [];
    try {
      const stack = await startStack({ dataDir, port: 0 });
      const url = stack.url as string;
      log(`scale: stack at ${url}`);
      try {
        const warm = await provisionOne(url, planNamed('scale-warm')); // modules loaded, statements prepared
        if (warm.outcome !== 'SUCCEEDED') throw new Error(`the warm-up plan: ${warm.outcome}`);
        const before = await heapMb();
        log(`scale: ${SERIAL} plans one after another …`);
        const serial: Run[] = [];
        const parallel: Run[] = [];
        const t0 = performance.now();
        for (let i = 0; i < SERIAL; i++) serial.push(await provisionOne(url, planNamed(`scale-${i}`)));
        const serialS = (performance.now() - t0) / 1000;
        log(`scale: ${PLANS - SERIAL} more, ${IN_FLIGHT} in flight …`);
        let next = SERIAL;
        const t1 = performance.now();
        await Promise.all(
          Array.from({ length: IN_FLIGHT }, async () => {
            for (let i = next++; i < PLANS; i = next++)
              parallel.push(await provisionOne(url, planNamed(`scale-${i}`)));
          }),
        );
        const parallelS = (performance.now() - t1) / 1000;
        await stack.idle();
        const after = await heapMb();
        const tenth = Math.max(1, Math.floor(SERIAL / 10));
        const failed = (runs: Run[]) => runs.filter((r) => r.outcome !== 'SUCCEEDED');
        for (const run of [...failed(serial), ...failed(parallel)].slice(0, 3))
          log(`scale: failed: ${run.outcome}`);
        template = await stack.store.list({ plan: 'scale-0' });
        Object.assign(result, {
          serial_plans: SERIAL,
          serial_per_s: round(SERIAL / serialS),
          parallel_per_s: round((PLANS - SERIAL) / parallelS),
          p50_ms_first: round(median(serial.slice(0, tenth).map((r) => r.ms))),
          p50_ms_last: round(median(serial.slice(-tenth).map((r) => r.ms))),
          cpu_ms_first: round(median(serial.slice(0, tenth).map((r) => r.cpuMs))),
          cpu_ms_last: round(median(serial.slice(-tenth).map((r) => r.cpuMs))),
          serial_failed: failed(serial).length,
          parallel_failed: failed(parallel).length,
          resources: (await stack.store.list()).length,
          loopback_addresses: stack.dataPlane?.loopbackAddresses ?? 0,
          heap_mb_before: before,
          heap_mb_after: after,
        });
      } finally {
        await stack.close();
      }
      result.heap_mb_after_close = await heapMb();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }

    log(`scale: seeding ${STORED.toLocaleString('en-US')} plans (${template.length} resources each) …`);
    const seedDir = mkdtempSync(join(tmpdir(), 'natflow-bench-scale10k-'));
    const t2 = performance.now();
    const store = await seeded(template, reference, join(seedDir, 'natflow.sqlite'));
    log(`scale: seeded in ${round((performance.now() - t2) / 1000)} s`);
    try {
      const validate: number[] = [];
      const analyze: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        const validation = await validatePlan(store, planNamed(`new-${i}`), { steps });
        validate.push(performance.now() - t);
        if (!validation.valid)
          throw new Error(`the new plan is invalid: ${JSON.stringify(validation.errors)}`);
        const request = {
          from: 'ECS-A',
          to: 'transit-ip-A',
          protocol: 'http' as const,
          port: 80,
          mode: 'analyze' as const,
          plan: `seed-${(i * 1999) % STORED}`,
        };
        const t3 = performance.now();
        const report = await probe(Topology.from(await probeScope(store, request)), request);
        analyze.push(performance.now() - t3);
        if (report.verdict !== 'REACHABLE') throw new Error(`probe: ${report.verdict} ${report.code ?? ''}`);
      }
      Object.assign(result, {
        stored_plans: STORED,
        stored_resources: STORED * template.length,
        validate_10k_ms: round(median(validate)),
        analyze_10k_ms: round(median(analyze)),
      });
    } finally {
      await store.close();
      rmSync(seedDir, { recursive: true, force: true });
    }
    return { scale: result };
  },
};

export default bench;
