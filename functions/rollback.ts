/**
 * Rollback: after a failed step, waits until the execution's in-flight handlers have settled (a failed
 * Parallel branch does not stop its siblings), then deletes everything the execution created, in
 * reverse dependency order. Returns the original error code and a readable cause for the Fail state.
 */
import { z } from 'zod';
import { normalizeFailure } from '../src/workflow/failure.ts';
import { rollbackProvisioning } from '../src/workflow/rollback.ts';
import { type Deps, defaultDeps } from './lib/deps.ts';
import { lambdaHandler } from './lib/middleware.ts';
import { ExecutionSchema } from './lib/steps.ts';

const InputSchema = z.object({
  execution: ExecutionSchema,
  error: z.object({ Error: z.string(), Cause: z.string().optional() }),
});

export const createHandler = (deps: Deps = defaultDeps()) =>
  lambdaHandler(InputSchema, async ({ execution, error }) => {
    await deps.settle(execution);
    const deleted = await rollbackProvisioning(await deps.cloud(), await deps.store(), execution);
    return { ...normalizeFailure(error.Error, error.Cause), deleted };
  });
export const handler = createHandler();
