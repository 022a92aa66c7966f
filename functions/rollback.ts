/**
 * Rollback: after a failed step (the provision workflow's Catch), or for a provisioning that ended
 * ABORTED or TIMED_OUT (the rollback workflow), waits until the execution's in-flight handlers have
 * settled (a failed Parallel branch does not stop its siblings), then deletes everything the execution
 * created, in reverse dependency order. Given the original error, it answers its code and a readable
 * cause for the Fail state.
 *
 * While a real cloud is still deleting (`wait: true`), it fails `Natflow.NotReady` naming what it waits
 * for, and the Task's Retry runs it again (docs/real-cloud.md#time); once the Retry gives up, the
 * workflow runs it with `giveUp: true`, which reports what was left in the cause. Without either flag it
 * answers one turn (`pending` while attempts remain: `attempt`).
 */
import { z } from 'zod';
import { notReady } from '../src/cloud/waiting.ts';
import { recordedCloud, selectCloud } from '../src/providers/registry.ts';
import { normalizeFailure } from '../src/workflow/failure.ts';
import { rollbackTurn } from '../src/workflow/rollback-step.ts';
import { type Deps, defaultDeps } from './lib/deps.ts';
import { lambdaHandler } from './lib/middleware.ts';
import { ExecutionSchema } from './lib/steps.ts';

const InputSchema = z.object({
  execution: ExecutionSchema,
  error: z.object({ Error: z.string(), Cause: z.string().optional() }).optional(),
  attempt: z.number().int().min(0).default(0),
  /** Fail Natflow.NotReady while deletions are still running (the Task's Retry waits). */
  wait: z.boolean().default(false),
  /** The last turn: whatever is left is reported, not waited for. */
  giveUp: z.boolean().default(false),
});

export const createHandler = (deps: Deps = defaultDeps()) =>
  lambdaHandler(InputSchema, async ({ execution, error, attempt, wait, giveUp }) => {
    await deps.settle(execution);
    const store = await deps.store();
    // The cloud holding what this execution created, as its ledger records it; one turn of the loop.
    const cloud = await deps.cloud(await recordedCloud(store, { execution }, selectCloud()));
    const turn = await rollbackTurn(cloud, store, execution, attempt);
    if (wait && !giveUp && turn.remaining.length > 0) {
      const left = await Promise.all(turn.remaining.map((id) => store.get(id)));
      throw notReady(
        left.flatMap((r) => (r ? [{ name: r.name, kind: r.type, status: 'DELETING', seconds: 0 }] : [])),
      );
    }
    const result = wait || giveUp ? { ...turn, pending: false } : turn;
    if (!error) return result;
    const failure = normalizeFailure(error.Error, error.Cause);
    const cause =
      !result.pending && result.remaining.length > 0
        ? `${failure.cause} (rollback gave up waiting for: ${result.remaining.join(', ')})`
        : failure.cause;
    return { ...failure, cause, ...result };
  });
export const handler = createHandler();
