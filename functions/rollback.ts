/**
 * Rollback: after a failed step (the provision workflow's Catch), or for a provisioning that ended
 * ABORTED or TIMED_OUT (the rollback workflow), waits until the execution's in-flight handlers have
 * settled (a failed Parallel branch does not stop its siblings), then deletes everything the execution
 * created, in reverse dependency order. Reports whether deletions are still pending (the workflows
 * repeat it after a Wait) and, given the original error, its code and a readable cause for the Fail state.
 */
import { z } from 'zod';
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
});

export const createHandler = (deps: Deps = defaultDeps()) =>
  lambdaHandler(InputSchema, async ({ execution, error, attempt }) => {
    await deps.settle(execution);
    const store = await deps.store();
    // The cloud holding what this execution created, as its ledger records it; one turn of the loop.
    const cloud = await deps.cloud(await recordedCloud(store, { execution }, selectCloud()));
    const turn = await rollbackTurn(cloud, store, execution, attempt);
    if (!error) return turn;
    const failure = normalizeFailure(error.Error, error.Cause);
    const cause =
      !turn.pending && turn.remaining.length > 0
        ? `${failure.cause} (rollback gave up waiting for: ${turn.remaining.join(', ')})`
        : failure.cause;
    return { ...failure, cause, ...turn };
  });
export const handler = createHandler();
