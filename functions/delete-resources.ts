/**
 * Teardown steps: one phase per state (check, rules, transit, loadBalancers, servers, networks), each
 * deleting the plan's resources of its kinds in reverse dependency order.
 */
import { z } from 'zod';
import { TEARDOWN_PHASES, teardownPhase } from '../src/workflow/teardown.ts';
import { type Deps, defaultDeps } from './lib/deps.ts';
import { lambdaHandler } from './lib/middleware.ts';
import { ExecutionSchema } from './lib/steps.ts';

const InputSchema = z.object({
  plan: z.string().min(1),
  execution: ExecutionSchema,
  phase: z.enum(TEARDOWN_PHASES),
});

export const createHandler = (deps: Deps = defaultDeps()) =>
  lambdaHandler(InputSchema, async ({ plan, phase }) => {
    return { phase, deleted: await teardownPhase(await deps.cloud(), await deps.store(), plan, phase) };
  });
export const handler = createHandler();
