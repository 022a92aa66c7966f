/**
 * One turn of the rollback loop (docs/workflows.md "Rollback waits in the workflow"): deletes what it can of an
 * execution's ledger and reports what is left. A resource another plan still references cannot go yet
 * (DEPENDENCY_VIOLATION), and a real cloud deletes asynchronously: the workflow waits and runs the step
 * again, at most `MAX_ROLLBACK_ATTEMPTS` times.
 *
 * A deletion that fails is not the rollback's end: the turn tries every resource, and the loop stops
 * asking for another turn once turns stall — nothing deleted and deletions failing, at once when the
 * cloud refused (wrong keys, a refusal no retry changes), after `MAX_STALLED_TURNS` when it was
 * unreachable or throttling. The last turn says how it ended (docs/real-cloud.md#failure): `COMPLETE`,
 * or `INCOMPLETE` with every resource left behind — still in the ledger, so `natflow executions
 * rollback ID` (a resumed rollback) or `natflow teardown PLAN` finds it.
 */
import type { Cloud } from '../cloud/cloud.ts';
import { isIntent } from '../cloud/intent.ts';
import type { Resource } from '../cloud/resources.ts';
import type { Store } from '../cloud/store.ts';
import { codeOfError, type LeftBehind, type RollbackOutcome } from '../codes/failure.ts';
import { withoutTraces } from '../net/errors.ts';
import { forgetEmptyPlans, rollbackPass } from './rollback.ts';

/**
 * With the workflows' 5 s Wait: five minutes before giving up on a deletion that is blocked (another
 * plan's resource) or still running on a real cloud (an ECS delete job, an ELB going away).
 */
export const MAX_ROLLBACK_ATTEMPTS = 60;

/** Turns in a row that delete nothing while deletions fail, before a cloud out of reach is given up on. */
export const MAX_STALLED_TURNS = 3;

/** Errors a later turn may not meet again: the cloud unreachable, throttling, or not ready yet. */
const PASSING = new Set(['Natflow.Transient', 'Natflow.NotReady', 'CLOUD_TIMEOUT']);

export interface RollbackTurn {
  deleted: string[];
  /** Resources of the execution still there after this turn. */
  remaining: string[];
  /** Run the step again (after a Wait): something is left and the loop has not given up. */
  pending: boolean;
  /** Turns taken so far, this one included. */
  attempt: number;
  /** Stalled turns in a row, this one included (see MAX_STALLED_TURNS). */
  stalls: number;
  /** Once the loop ends (`pending` false): how it ended, and what is left behind. */
  status?: RollbackOutcome['status'];
  leftBehind?: LeftBehind[];
}

export async function rollbackTurn(
  cloud: Cloud,
  store: Store,
  execution: string,
  previousAttempts = 0,
  previousStalls = 0,
  /** The last turn (the workflow gave up waiting): it says how the rollback ended, whatever is left. */
  last = false,
): Promise<RollbackTurn> {
  const { deleted, failed, blocked } = await rollbackPass(cloud, execution);
  await forgetEmptyPlans(store, execution);
  const left = await store.list({ execution });
  const remaining = left.map((r) => r.id);
  const attempt = previousAttempts + 1;
  const stalled = failed.length > 0 && deleted.length === 0;
  const stalls = stalled ? previousStalls + 1 : 0;
  const givenUp =
    stalled && (failed.some(({ error }) => !PASSING.has(error.name)) || stalls >= MAX_STALLED_TURNS);
  const pending = remaining.length > 0 && attempt < MAX_ROLLBACK_ATTEMPTS && !givenUp && !last;
  const turn: RollbackTurn = { deleted, remaining, attempt, stalls, pending };
  if (pending) return turn;
  // Why each one is still there: its deletion failed, or what it holds is still there.
  const errors = new Map<string, Error>(
    blocked.flatMap((error) => (typeof error.details?.id === 'string' ? [[error.details.id, error]] : [])),
  );
  for (const { id, error } of failed) errors.set(id, error);
  return {
    ...turn,
    status: remaining.length === 0 ? 'COMPLETE' : 'INCOMPLETE',
    leftBehind: left.map((resource) => leftBehindOf(resource, errors.get(resource.id))),
  };
}

/** A resource left behind as the cause document lists it (an intent has no id in the cloud to give). */
export function leftBehindOf(resource: Resource, error?: Error): LeftBehind {
  const intent = isIntent(resource);
  return {
    kind: resource.type,
    name: resource.name,
    ...(!intent && resource.externalId ? { externalId: resource.externalId } : {}),
    ...(!intent ? { cloudStatus: resource.status } : {}),
    ...(error ? { error: `${codeOfError(error.name)}: ${withoutTraces(error.message)}` } : {}),
  };
}
