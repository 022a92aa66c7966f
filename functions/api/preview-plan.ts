/**
 * POST /plans/preview `{plan}` or `{destroy: NAME}` (docs/preview.md) — what provisioning the plan (or tearing
 * it down) would do, read only: 200 with the preview (conflicts included: they are its content), 422
 * when the document cannot be previewed (not a plan), 404 when there is no such plan to destroy.
 * `topology: true` adds the resources the paths go through (the console draws the paths on them).
 */
import { InvalidPlanProblem } from '../../src/api/problem.ts';
import { PreviewRequestSchema } from '../../src/api/schemas.ts';
import { NotFoundError } from '../../src/cloud/errors.ts';
import { previewDestroy, previewPlan } from '../../src/plan/preview.ts';
import { steps } from '../../src/workflow/steps/index.ts';
import { type Deps, defaultDeps } from '../lib/deps.ts';
import { httpHandler } from '../lib/http.ts';
import { dryRunSource } from '../lib/steps.ts';

export const createHandler = (deps: Deps = defaultDeps()) =>
  httpHandler({ body: PreviewRequestSchema }, async ({ body }) => {
    const options = { topology: body.topology === true };
    // A plan's preview reads its cloud (a real one: the account read back, its drift included).
    const result =
      'destroy' in body
        ? await previewDestroy(await deps.store(), body.destroy, options)
        : await previewPlan(await dryRunSource(deps, body.plan), body.plan, { ...options, steps });
    if (result.previewable) return { status: 200, body: result.preview };
    const first = result.errors[0];
    if ('destroy' in body && first?.code === 'NOT_FOUND')
      throw new NotFoundError(first.message, { path: first.path });
    throw new InvalidPlanProblem(
      result.errors,
      `the plan cannot be previewed (${result.errors.length} problems)`,
    );
  });
export const handler = createHandler();
