/**
 * EvaluateTranslation: runs the DNAT engine on one representative packet per DNAT rule of the plan
 * (a client of the transit VPC to the transit IP and port) and its reply, and records the translation
 * the gateway will apply — the evidence behind "no return route is needed".
 */
import { z } from 'zod';
import { expectedTranslations } from '../src/workflow/translation.ts';
import { type Deps, defaultDeps } from './lib/deps.ts';
import { lambdaHandler } from './lib/middleware.ts';
import { StepInputSchema } from './lib/steps.ts';

export const createHandler = (deps: Deps = defaultDeps()) =>
  lambdaHandler(StepInputSchema.extend({ step: z.string().optional() }), async ({ plan }) => {
    return expectedTranslations(await deps.store(), plan.name);
  });
export const handler = createHandler();
