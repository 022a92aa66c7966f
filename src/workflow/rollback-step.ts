/**
 * One turn of the rollback loop (docs/workflows.md "Rollback waits in the workflow"): deletes what it can of an
 * execution's ledger and reports what is left. A resource another plan still references cannot go yet
 * (DEPENDENCY_VIOLATION); the workflow waits and runs the step again, at most `MAX_ROLLBACK_ATTEMPTS`
 * times, after which `pending` is false and `remaining` lists what was left.
 */
import type { Cloud } from '../cloud/cloud.ts';
import { DependencyViolationError } from '../cloud/errors.ts';
import type { Store } from '../cloud/store.ts';
import { rollbackProvisioning } from './rollback.ts';

/**
 * With the workflows' 5 s Wait: five minutes before giving up on a deletion that is blocked (another
 * plan's resource) or still running on a real cloud (an ECS delete job, an ELB going away).
 */
export const MAX_ROLLBACK_ATTEMPTS = 60;

export interface RollbackTurn {
  deleted: string[];
  /** Resources of the execution still there after this turn. */
  remaining: string[];
  /** Run the step again (after a Wait): something is left and attempts remain. */
  pending: boolean;
  /** Turns taken so far, this one included. */
  attempt: number;
}

export async function rollbackTurn(
  cloud: Cloud,
  store: Store,
  execution: string,
  previousAttempts = 0,
): Promise<RollbackTurn> {
  let deleted: string[];
  try {
    deleted = await rollbackProvisioning(cloud, store, execution);
  } catch (error) {
    if (!(error instanceof DependencyViolationError)) throw error;
    const details = error.details as { deleted?: unknown } | undefined;
    deleted = Array.isArray(details?.deleted) ? details.deleted.map(String) : [];
  }
  const remaining = (await store.list({ execution })).map((r) => r.id);
  const attempt = previousAttempts + 1;
  return { deleted, remaining, attempt, pending: remaining.length > 0 && attempt < MAX_ROLLBACK_ATTEMPTS };
}
