/**
 * Rollback: after a failed step (the provision workflow's Catch), for a provisioning that ended ABORTED
 * or TIMED_OUT, or to resume a rollback that could not finish (the rollback workflow), waits until the
 * execution's in-flight handlers have settled (a failed Parallel branch does not stop its siblings),
 * then deletes what the execution created, in reverse dependency order.
 *
 * While a real cloud is still deleting (`wait: true`), it fails `Natflow.NotReady` naming what it waits
 * for, and the Task's Retry runs it again (docs/real-cloud.md#time); a turn that deletes nothing while
 * deletions fail (the cloud out of reach) fails `Natflow.Transient` instead, whose Retry gives it as
 * many turns as `MAX_STALLED_TURNS`. Once a Retry gives up, the workflow runs it with `giveUp: true`:
 * the last turn, which says how the rollback ended. Without either flag it answers one turn (`pending`
 * while attempts remain: `attempt`, `stalls`).
 *
 * Given the original error, it writes the failure document the Fail state ends with
 * (docs/real-cloud.md#failure): `error` the step's code, `cause` `{code, message, cloud?, rollback}`. A
 * rollback that cannot finish is told there, in `rollback`, and never replaces the step's error. Without
 * one (the rollback workflow), an incomplete rollback's `cause` is the same document with the code
 * ROLLBACK_INCOMPLETE.
 */
import { z } from 'zod';
import { TransientError } from '../src/cloud/errors.ts';
import { notReady } from '../src/cloud/waiting.ts';
import { causeText, codeOfError, type FailureDocument, failureDocumentOf } from '../src/codes/failure.ts';
import { recordedCloud, selectCloud } from '../src/providers/registry.ts';
import { leftBehindOf, type RollbackTurn, rollbackTurn } from '../src/workflow/rollback-step.ts';
import { type Deps, defaultDeps } from './lib/deps.ts';
import { lambdaHandler, logger } from './lib/middleware.ts';
import { ExecutionSchema } from './lib/steps.ts';

const InputSchema = z.object({
  execution: ExecutionSchema,
  error: z.object({ Error: z.string(), Cause: z.string().optional() }).optional(),
  attempt: z.number().int().min(0).default(0),
  stalls: z.number().int().min(0).default(0),
  /** Fail Natflow.NotReady while deletions are still running (the Task's Retry waits). */
  wait: z.boolean().default(false),
  /** The last turn: whatever is left is reported, not waited for. */
  giveUp: z.boolean().default(false),
});

export const createHandler = (deps: Deps = defaultDeps()) =>
  lambdaHandler(InputSchema, async ({ execution, error, attempt, stalls, wait, giveUp }) => {
    await deps.settle(execution);
    const store = await deps.store();
    let turn: RollbackTurn;
    try {
      // The cloud holding what this execution created, as its ledger records it; one turn of the loop.
      const cloud = await deps.cloud(await recordedCloud(store, { execution }, selectCloud()));
      turn = await rollbackTurn(cloud, store, execution, attempt, stalls, giveUp);
    } catch (thrown) {
      // Not even a turn (the cloud could not be opened): the rollback ends here, telling what is left.
      logger.error('the rollback could not run', thrown as Error);
      const reason = thrown instanceof Error ? thrown : new Error(String(thrown));
      const left = await store.list({ execution });
      turn = {
        deleted: [],
        remaining: left.map((r) => r.id),
        attempt: attempt + 1,
        stalls: stalls + 1,
        pending: false,
        status: left.length === 0 ? 'COMPLETE' : 'INCOMPLETE',
        leftBehind: left.map((r) => leftBehindOf(r, reason)),
      };
    }
    if (wait && !giveUp && turn.pending) {
      if (turn.stalls > 0)
        throw new TransientError(
          `the rollback of ${execution} deleted nothing this turn while deletions failed: ${turn.remaining.length} resource(s) left`,
        );
      const left = await Promise.all(turn.remaining.map((id) => store.get(id)));
      throw notReady(
        left.flatMap((r) => (r ? [{ name: r.name, kind: r.type, status: 'DELETING', seconds: 0 }] : [])),
      );
    }
    const outcome =
      turn.status && turn.leftBehind ? { status: turn.status, leftBehind: turn.leftBehind } : undefined;
    if (error) {
      const failure: FailureDocument = {
        ...failureDocumentOf(error.Error, error.Cause),
        ...(outcome ? { rollback: outcome } : {}),
      };
      return { ...turn, error: codeOfError(error.Error), cause: causeText(failure) };
    }
    if (outcome?.status !== 'INCOMPLETE') return turn;
    const incomplete: FailureDocument = {
      code: 'ROLLBACK_INCOMPLETE',
      message: `the rollback of ${execution} left ${outcome.leftBehind.length} resource(s) behind`,
      rollback: outcome,
    };
    return { ...turn, error: incomplete.code, cause: causeText(incomplete) };
  });
export const handler = createHandler();
