/**
 * ValidatePlan: the whole plan is checked before anything is created — shape, names and every
 * control-plane rule as a dry run against the current cloud. An invalid plan fails the execution with
 * the first problem's code and every problem in the cause. A valid plan comes back with its automatic
 * addresses pinned (the dry run's assignments), so the parallel steps that follow assign them
 * deterministically. The state carries the plan *document*; each step parses it again.
 */
import { z } from 'zod';
import { InvalidInputError } from '../src/cloud/errors.ts';
import { validatePlan } from '../src/plan/validate.ts';
import { pinAddresses } from '../src/workflow/pin.ts';
import { steps } from '../src/workflow/steps/index.ts';
import { type Deps, defaultDeps } from './lib/deps.ts';
import { lambdaHandler } from './lib/middleware.ts';
import { dryRunSource, ExecutionSchema } from './lib/steps.ts';

const InputSchema = z.object({ plan: z.unknown(), execution: ExecutionSchema });

export const createHandler = (deps: Deps = defaultDeps()) =>
  lambdaHandler(InputSchema, async ({ plan, execution }) => {
    // The dry run reads the plan's cloud (a real one: natflow's model of it, refreshed first).
    const result = await validatePlan(await dryRunSource(deps, plan), plan, { steps });
    if (!result.valid || !result.plan) {
      throw new InvalidInputError(
        result.errors,
        `invalid plan: ${result.errors.map((e) => `${e.path}: ${e.code}: ${e.message}`).join('; ')}`,
      );
    }
    const { document, pinned } = pinAddresses(plan, result.summary?.addresses ?? {});
    return { plan: document, execution, pinned };
  });
export const handler = createHandler();
