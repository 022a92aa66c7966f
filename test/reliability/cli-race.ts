/**
 * The concurrent-CLI race, shared by `test/reliability/cli-race.test.ts` (3 rounds) and
 * `npm run soak -- --only cli-race` (10): 20 `natflow provision` processes started at once on one data
 * directory with no stack running, 20 distinct plans each adding a DNAT rule on one shared transit IP and
 * port. Each must end SUCCEEDED (exit 0) or with the plan's own rule code — DNAT_PORT_CONFLICT in the
 * workflow (exit 1) or from its validation (exit 2) — never INTERNAL, never a connection to a stack that
 * is gone. No vitest import: the soak loads it too.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StoreReader } from '../../src/cloud/store.ts';
import { openSqliteStore } from '../../src/store/sqlite.ts';
import {
  type ChildResult,
  contenderPlan,
  natflow,
  SHARED_PLAN,
  type SharedIds,
  sharedIdsOf,
} from './support.ts';

export const RACERS = 20;

export interface RaceOutcome {
  round: number;
  /** Per process: exit code and the code it reported (`SUCCEEDED`, `DNAT_PORT_CONFLICT`, …). */
  runs: { code: number | null; outcome: string }[];
  winners: number;
  /** Outcomes other than SUCCEEDED (exit 0) and DNAT_PORT_CONFLICT (exit 1 or 2). */
  unexpected: { code: number | null; outcome: string; stderr: string }[];
  /** DNAT rules on the shared transit IP's port after the round. */
  rules: number;
  /** Resources the losers of the round left behind. */
  leftByLosers: number;
  /** Whether `stack.json` exists after the round (no `natflow up` runs: it must not). */
  stackFile: boolean;
  ms: number;
}

/** Provisions the shared transit IP and gateway with one CLI run; returns their ids. */
export async function prepareRace(dataDir: string): Promise<SharedIds> {
  const file = join(dataDir, 'shared.plan.json');
  writeFileSync(file, JSON.stringify(SHARED_PLAN));
  const shared = await natflow(['provision', file, '--json', '--data-dir', dataDir], {}, 120_000);
  if (shared.code !== 0)
    throw new Error(`the shared plan did not provision: ${shared.stdout}${shared.stderr}`);
  return withStore(dataDir, async (store) => sharedIdsOf(await store.list({ plan: SHARED_PLAN.name })));
}

async function withStore<T>(dataDir: string, fn: (store: StoreReader) => Promise<T>): Promise<T> {
  const store = openSqliteStore(join(dataDir, 'natflow.sqlite'));
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** What a `natflow provision --json` run reported: the execution's status or error, or the first validation code. */
export function outcomeOf(run: ChildResult): string {
  try {
    const doc = JSON.parse(run.stdout) as {
      status?: string;
      error?: string | { code?: string };
      errors?: { code: string }[];
    };
    if (typeof doc.error === 'object') return doc.error.code ?? 'UNKNOWN';
    if (doc.status === 'SUCCEEDED') return 'SUCCEEDED';
    return doc.error ?? doc.errors?.[0]?.code ?? doc.status ?? 'UNKNOWN';
  } catch {
    return `unparsable output (exit ${run.code}): ${(run.stdout + run.stderr).slice(0, 200)}`;
  }
}

/** One round: RACERS processes at once, each its own plan, all on transit port 9000 + round. */
export async function raceRound(dataDir: string, ids: SharedIds, round: number): Promise<RaceOutcome> {
  const port = 9000 + round;
  const files = Array.from({ length: RACERS }, (_, i) => {
    // contenderPlan's server takes 10.0.0.(20+i): shift it by 20 a round so rounds never share one.
    const plan = contenderPlan(i + 20 * (round - 1), ids, `cli-r${round}`) as Record<string, unknown>;
    const text = JSON.stringify(plan).replaceAll('8080', String(port));
    const file = join(dataDir, `cli-r${round}-${i + 20 * (round - 1)}.plan.json`);
    writeFileSync(file, text);
    return file;
  });
  const started = performance.now();
  const runs = await Promise.all(
    files.map((file) => natflow(['provision', file, '--json', '--data-dir', dataDir], {}, 180_000)),
  );
  const ms = Math.round(performance.now() - started);
  const outcomes = runs.map((run) => ({ code: run.code, outcome: outcomeOf(run), stderr: run.stderr }));
  const expected = (o: { code: number | null; outcome: string }) =>
    (o.code === 0 && o.outcome === 'SUCCEEDED') ||
    ((o.code === 1 || o.code === 2) && o.outcome === 'DNAT_PORT_CONFLICT');
  const winnerPlans = new Set(
    outcomes.flatMap((o, i) => (o.code === 0 ? [`cli-r${round}-${i + 20 * (round - 1)}`] : [])),
  );
  const { rules, leftByLosers } = await withStore(dataDir, async (store) => {
    const all = await store.list();
    return {
      rules: all.filter((r) => r.type === 'dnat-rule' && r.transitPort === port).length,
      leftByLosers: all.filter((r) => r.plan?.startsWith(`cli-r${round}-`) && !winnerPlans.has(r.plan))
        .length,
    };
  });
  const { existsSync } = await import('node:fs');
  return {
    round,
    runs: outcomes.map(({ code, outcome }) => ({ code, outcome })),
    winners: outcomes.filter((o) => o.code === 0).length,
    unexpected: outcomes.filter((o) => !expected(o)),
    rules,
    leftByLosers,
    stackFile: existsSync(join(dataDir, 'stack.json')),
    ms,
  };
}
