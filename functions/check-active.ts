/**
 * CheckResourcesActive: waits until everything the plan created is ready — the Task fails
 * `Natflow.NotReady` naming what it waits for, and its Retry runs it again (docs/real-cloud.md#time).
 * `activateGateways` / `activateRules` answer `{ready, pending}` (the steps a dry run replays).
 */
import { z } from 'zod';
import { checkActivation } from '../src/workflow/activation.ts';
import { type Deps, defaultDeps } from './lib/deps.ts';
import { lambdaHandler } from './lib/middleware.ts';
import { activationTimeoutMs, planCloud, StepInputSchema } from './lib/steps.ts';

const InputSchema = StepInputSchema.extend({
  step: z.enum(['activateResources', 'activateGateways', 'activateRules']),
});

export const createHandler = (deps: Deps = defaultDeps()) =>
  lambdaHandler(InputSchema, async ({ plan, execution, step }) => {
    return checkActivation(await deps.cloud(planCloud(plan)), plan, step, {
      execution,
      now: () => deps.clock.now(),
      timeoutMs: activationTimeoutMs(),
    });
  });
export const handler = createHandler();
