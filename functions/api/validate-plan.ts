/**
 * POST /plans/validate — the plan's shape and every control-plane rule as a dry run against the current
 * cloud: 200 `{valid: true, errors: [], summary}`, or 422 listing every problem by path.
 */
import { z } from 'zod';
import { InvalidPlanProblem } from '../../src/api/problem.ts';
import { validatePlan } from '../../src/plan/validate.ts';
import { steps } from '../../src/workflow/steps/index.ts';
import { type Deps, defaultDeps } from '../lib/deps.ts';
import { httpHandler } from '../lib/http.ts';
import { dryRunSource } from '../lib/steps.ts';

export const createHandler = (deps: Deps = defaultDeps()) =>
  httpHandler({ body: z.unknown() }, async ({ body }) => {
    const result = await validatePlan(await dryRunSource(deps, body), body, { steps });
    if (!result.valid)
      throw new InvalidPlanProblem(result.errors, `the plan is invalid (${result.errors.length} problems)`);
    return { status: 200, body: { valid: true, errors: [], summary: result.summary } };
  });
export const handler = createHandler();
