/**
 * VerifyConnectivity: probes every `verify` entry of a plan — hop-by-hop analysis, and a live request
 * through the local data plane when there is one (on AWS: analysis only). In the provision workflow a
 * failed entry fails the step with VERIFICATION_FAILED (then rollback); in the verify workflow it emits
 * ConnectivityVerified or ConnectivityLost and reports.
 */
import { z } from 'zod';
import { PlanSchema } from '../src/plan/plan.ts';
import { verifyPlan } from '../src/workflow/verification.ts';
import { type Deps, defaultDeps } from './lib/deps.ts';
import { lambdaHandler } from './lib/middleware.ts';
import { ExecutionSchema } from './lib/steps.ts';

const InputSchema = z.union([
  z.object({
    plan: PlanSchema,
    execution: ExecutionSchema,
    failOnMismatch: z.boolean().default(true),
    emit: z.boolean().default(false),
  }),
  z.object({
    planName: z.string(),
    execution: ExecutionSchema,
    failOnMismatch: z.boolean().default(false),
    emit: z.boolean().default(true),
  }),
]);

export const createHandler = (deps: Deps = defaultDeps()) =>
  lambdaHandler(InputSchema, async (input) => {
    return verifyPlan(await deps.store(), 'plan' in input ? input.plan : input.planName, {
      dataPlane: deps.live,
      failOnMismatch: input.failOnMismatch,
      publish: input.emit ? deps.publish : undefined,
      execution: input.execution,
    });
  });
export const handler = createHandler();
