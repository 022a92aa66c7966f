/**
 * Rollback and teardown as rounds of the workflow's Wait/Choice loop (docs/workflows.md, docs/clouds.md): a real cloud
 * deletes asynchronously (`Cloud.destroy` answers `done: false` while it still deletes), so each round
 * deletes what it can in reverse dependency order and reports how many resources are still pending; the
 * state machine waits and runs the round again until none is. The virtual cloud deletes at once: one
 * round, `pending: 0`.
 *
 * Bound: `boundMs` after the execution started (its `$$.Execution.StartTime`), a teardown phase still
 * pending fails with CLOUD_TIMEOUT naming what is left; a rollback stops waiting and reports what is
 * left in its cause instead (the execution still fails with its original error, never hides it).
 */
import type { Cloud } from '../cloud/cloud.ts';
import { CloudTimeoutError } from '../cloud/errors.ts';
import type { Store } from '../cloud/store.ts';
import { notReady } from '../cloud/waiting.ts';
import { rollbackProvisioning } from './rollback.ts';
import { checkTeardown, PHASE_TYPES, type TeardownPhase, teardownPhase } from './teardown.ts';

export interface RoundOptions {
  /** The execution's start (ISO), from `$$.Execution.StartTime`; absent: no bound. */
  startedAt?: string | undefined;
  now: number;
  boundMs: number;
  /** Fail Natflow.NotReady while deletions are pending (the workflow's Retry waits). */
  wait?: boolean;
}

/** The polling bound of the environment: HUAWEICLOUD_POLL_INTERVAL_SECONDS × _POLL_MAX_ATTEMPTS (600 s). */
export function deletionBoundMs(env: Readonly<Record<string, string | undefined>> = process.env): number {
  const interval = Number(env.HUAWEICLOUD_POLL_INTERVAL_SECONDS ?? 5);
  const attempts = Number(env.HUAWEICLOUD_POLL_MAX_ATTEMPTS ?? 120);
  const ms = interval * attempts * 1000;
  return Number.isFinite(ms) && ms > 0 ? ms : 600_000;
}

function overdue(options: RoundOptions): boolean {
  if (!options.startedAt) return false;
  const started = Date.parse(options.startedAt);
  return Number.isFinite(started) && options.now - started > options.boundMs;
}

/** One round of a rollback: `{deleted, pending, leftover}` (`leftover` only once the bound has passed). */
export async function rollbackRound(
  cloud: Cloud,
  store: Store,
  execution: string,
  options: RoundOptions,
): Promise<{ deleted: string[]; pending: number; leftover?: string[] }> {
  const deleted = await rollbackProvisioning(cloud, store, execution);
  const left = await cloud.list({ execution });
  if (left.length === 0) return { deleted, pending: 0 };
  if (overdue(options))
    return { deleted, pending: 0, leftover: left.map((r) => `${r.type} ${r.name} (${r.id})`) };
  return { deleted, pending: left.length };
}

/** The check round of a teardown: it needs no cloud, so a plan with nothing recorded opens none. */
export async function checkRound(
  store: Store,
  plan: string,
): Promise<{ phase: 'check'; deleted: string[]; pending: number; nothing: boolean }> {
  return { phase: 'check', deleted: [], pending: 0, ...(await checkTeardown(store, plan)) };
}

/**
 * One round of a teardown phase: `{phase, deleted, pending}`; CLOUD_TIMEOUT past the bound. The check
 * phase adds `nothing`: true when nothing is recorded to the plan (the state machine then ends there).
 * With `wait`, a round that leaves deletions pending fails `Natflow.NotReady` naming them instead (the
 * teardown workflow's Retry runs it again: docs/real-cloud.md#time).
 */
export async function teardownRound(
  cloud: Cloud,
  store: Store,
  plan: string,
  phase: TeardownPhase,
  options: RoundOptions,
): Promise<{ phase: TeardownPhase; deleted: string[]; pending: number; nothing?: boolean }> {
  if (phase === 'check') return checkRound(store, plan);
  const deleted = await teardownPhase(cloud, store, plan, phase);
  const left = [];
  for (const type of PHASE_TYPES[phase]) left.push(...(await store.list({ plan, type })));
  if (left.length > 0 && overdue(options)) {
    throw new CloudTimeoutError(
      `teardown of ${plan}: ${left.length} resources are still being deleted after ${Math.round(options.boundMs / 1000)} s: ${left
        .map((r) => `${r.type} ${r.name} (${r.id})`)
        .join(', ')}`,
      { details: { plan, phase, pending: left.map((r) => r.id) } },
    );
  }
  if (options.wait && left.length > 0) {
    // How long the teardown has been at it (natflow records no deletion time of its own).
    const started = options.startedAt ? Date.parse(options.startedAt) : Number.NaN;
    const seconds = Number.isFinite(started) ? Math.max(0, Math.floor((options.now - started) / 1000)) : 0;
    throw notReady(left.map((r) => ({ name: r.name, kind: r.type, status: 'DELETING', seconds })));
  }
  return { phase, deleted, pending: left.length };
}

/**
 * The local runtime's own rollback of a stopped or recovered provisioning (no state machine runs it):
 * the rounds in process, `pauseMs` apart, until the ledger of the execution is empty or `rounds` ran.
 * Not for Lambdas (they never wait): there the state machine's loop repeats the round.
 */
export async function rollbackInProcess(
  cloud: Cloud,
  store: Store,
  execution: string,
  options: { rounds?: number; pauseMs?: number } = {},
): Promise<void> {
  const rounds = options.rounds ?? 60;
  for (let round = 0; round < rounds; round++) {
    const { pending } = await rollbackRound(cloud, store, execution, { now: Date.now(), boundMs: Infinity });
    if (pending === 0) return;
    await new Promise((done) => setTimeout(done, options.pauseMs ?? 1000));
  }
}
