/**
 * Rollback: after a failed step, waits until the execution's in-flight handlers have settled (a failed
 * Parallel branch does not stop its siblings), then deletes everything the execution created, in
 * reverse dependency order. Returns the original error code and a readable cause for the Fail state.
 */
import { z } from 'zod';
import { recordedCloud, selectCloud } from '../src/providers/select.ts';
import { deletionBoundMs, rollbackRound } from '../src/workflow/deletion-rounds.ts';
import { normalizeFailure } from '../src/workflow/failure.ts';
import { type Deps, defaultDeps } from './lib/deps.ts';
import { lambdaHandler } from './lib/middleware.ts';
import { ExecutionSchema } from './lib/steps.ts';

const InputSchema = z.object({
  execution: ExecutionSchema,
  error: z.object({ Error: z.string(), Cause: z.string().optional() }),
  /** `$$.Execution.StartTime`: the bound of the rollback's own wait for real deletions. */
  startedAt: z.string().optional(),
});

export const createHandler = (deps: Deps = defaultDeps()) =>
  lambdaHandler(InputSchema, async ({ execution, error, startedAt }) => {
    await deps.settle(execution);
    const store = await deps.store();
    // The cloud holding what this execution created, as its ledger records it; one round of the loop.
    const cloud = await deps.cloud(await recordedCloud(store, { execution }, selectCloud()));
    const round = await rollbackRound(cloud, store, execution, {
      startedAt,
      now: deps.clock.now(),
      boundMs: deletionBoundMs(),
    });
    const failure = normalizeFailure(error.Error, error.Cause);
    const cause = round.leftover
      ? `${failure.cause} (rollback gave up waiting for: ${round.leftover.join(', ')})`
      : failure.cause;
    return { ...failure, cause, deleted: round.deleted, pending: round.pending };
  });
export const handler = createHandler();
