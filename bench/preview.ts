/**
 * Preview speed (docs/benchmarks.md `preview`, docs/preview.md): milliseconds for `previewPlan` of the reference plan, warm,
 * against the CLI's own store (SQLite in a data directory), the median of 50 runs after 50 warm-up runs.
 *
 * - `reference_ms`: the store holds nothing else (the first `natflow plan` of a checkout). Goal < 50 ms.
 * - `store_1k_ms`: the store holds 1,000 other provisioned plans (reference-shaped, 14 resources each:
 *   14,000 resources and 1,000 plan records). Goal < 2 × `reference_ms`.
 * `store_1k_resources` reports the store's size, `store_1k_fill_s` what filling it took (not timed).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlPlane } from '../src/cloud/control-plane.ts';
import type { Store } from '../src/cloud/store.ts';
import { PlanSchema, parsePlanText } from '../src/plan/plan.ts';
import { previewPlan } from '../src/plan/preview.ts';
import { openSqliteStore } from '../src/store/sqlite.ts';
import { applyStep, PROVISION_STEPS, steps } from '../src/workflow/steps/index.ts';
import type { BenchModule } from './index.ts';

const ROOT = join(import.meta.dirname, '..');
const PLANS = 1_000;
const WARMUP = 50;
const RUNS = 50;

const round = (ms: number) => Math.round(ms * 100) / 100;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function timePreview(store: Store, document: unknown): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const started = performance.now();
    const result = await previewPlan(store, document, { steps });
    const elapsed = performance.now() - started;
    if (
      !result.previewable ||
      result.preview.summary.create !== 14 ||
      result.preview.reachability.opened.length !== 1
    )
      throw new Error(
        `the reference preview is not 14 creates and one opened path: ${JSON.stringify(result)}`,
      );
    if (i >= WARMUP) times.push(elapsed);
  }
  return median(times);
}

/** Provisions `count` reference-shaped plans (`bench-0` …) into the store, as the workflow's steps do. */
async function fill(store: Store, reference: Record<string, unknown>, count: number): Promise<void> {
  const cloud = new ControlPlane({ store });
  for (let i = 0; i < count; i++) {
    const document = { ...structuredClone(reference), name: `bench-${i}` };
    const plan = PlanSchema.parse(document);
    for (const step of PROVISION_STEPS) await applyStep(cloud, plan, step, { execution: `bench-exec-${i}` });
    await store.transaction([`plan:${plan.name}`], (tx) =>
      tx.putPlan({
        name: plan.name,
        document,
        execution: `bench-exec-${i}`,
        updatedAt: new Date().toISOString(),
      }),
    );
  }
}

const bench: BenchModule = {
  name: 'preview',
  async run({ log }) {
    const reference = parsePlanText(
      readFileSync(join(ROOT, 'examples/reference.plan.yaml'), 'utf8'),
    ) as Record<string, unknown>;
    const dir = mkdtempSync(join(tmpdir(), 'natflow-bench-preview-'));
    try {
      const store = openSqliteStore(join(dir, 'natflow.sqlite'));
      try {
        const referenceMs = await timePreview(store, reference);
        log(`preview: reference ${round(referenceMs)} ms; filling the store with ${PLANS} plans …`);
        const started = performance.now();
        await fill(store, reference, PLANS);
        const fillS = (performance.now() - started) / 1000;
        const resources = (await store.list()).length;
        const store1kMs = await timePreview(store, reference);
        return {
          preview: {
            reference_ms: round(referenceMs),
            store_1k_ms: round(store1kMs),
            store_1k_resources: resources,
            store_1k_fill_s: Math.round(fillS * 10) / 10,
          },
        };
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default bench;
