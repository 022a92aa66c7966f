/**
 * VerifyConnectivity: probes every `verify` entry of a plan — hop-by-hop analysis, and a live request
 * through the local data plane when there is one (on AWS: analysis only). In the provision workflow a
 * failed entry fails the step with VERIFICATION_FAILED (then rollback); in the verify workflow it emits
 * ConnectivityVerified or ConnectivityLost and reports.
 */
import { z } from 'zod';
import { PlanSchema } from '../src/plan/plan.ts';
import { recordedCloud, selectCloud } from '../src/providers/registry.ts';
import { verifyOnCloud } from '../src/workflow/cloud-verification.ts';
import { type Deps, defaultDeps } from './lib/deps.ts';
import { lambdaHandler } from './lib/middleware.ts';
import { ExecutionSchema, planCloud } from './lib/steps.ts';

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
    const store = await deps.store();
    const name = 'plan' in input ? input.plan.name : input.planName;
    const fallback = 'plan' in input ? planCloud(input.plan) : selectCloud();
    // On a real cloud: analysis of the model freshly read from it, said in each result.
    const cloud = await deps.cloud(await recordedCloud(store, { plan: name }, fallback));
    return verifyOnCloud(cloud, store, 'plan' in input ? input.plan : input.planName, {
      dataPlane: deps.live,
      failOnMismatch: input.failOnMismatch,
      publish: input.emit ? deps.publish : undefined,
      execution: input.execution,
    });
  });
export const handler = createHandler();
