/**
 * Rollback: after a failed step, waits until the execution's in-flight handlers have settled (a failed
 * Parallel branch does not stop its siblings), then deletes everything the execution created, in
 * reverse dependency order. Returns the original error code and a readable cause for the Fail state.
 */
import { z } from 'zod';
import { recordedCloud, selectCloud } from '../src/providers/index.ts';
import { deletionBoundMs, rollbackRound } from '../src/workflow/deletion-rounds.ts';
import { normalizeFailure } from '../src/workflow/failure.ts';
import { getClock, getStore, settleExecution } from './lib/deps.ts';
import { lambdaHandler } from './lib/middleware.ts';
import { cloudFor, ExecutionSchema } from './lib/steps.ts';

const InputSchema = z.object({
  execution: ExecutionSchema,
  error: z.object({ Error: z.string(), Cause: z.string().optional() }),
  /** `$$.Execution.StartTime`: the bound of the rollback's own wait for real deletions. */
  startedAt: z.string().optional(),
});

export const handler = lambdaHandler(InputSchema, async ({ execution, error, startedAt }) => {
  await settleExecution(execution);
  const store = await getStore();
  // The cloud that holds what this execution created, as its ledger records it.
  const cloud = await cloudFor(await recordedCloud(store, { execution }, selectCloud()));
  const round = await rollbackRound(cloud, store, execution, {
    startedAt,
    now: getClock().now(),
    boundMs: deletionBoundMs(),
  });
  const failure = normalizeFailure(error.Error, error.Cause);
  const cause = round.leftover
    ? `${failure.cause} (rollback gave up waiting for: ${round.leftover.join(', ')})`
    : failure.cause;
  return { ...failure, cause, deleted: round.deleted, pending: round.pending };
});
