/**
 * CheckGatewaysActive / CheckRulesActive: the product creates gateways and rules PENDING and activates
 * them later; the workflow polls this with a Wait state until `ready`.
 */
import { z } from 'zod';
import { checkActivation } from '../src/workflow/activation.ts';
import { type Deps, defaultDeps } from './lib/deps.ts';
import { lambdaHandler } from './lib/middleware.ts';
import { StepInputSchema } from './lib/steps.ts';

const InputSchema = StepInputSchema.extend({ step: z.enum(['activateGateways', 'activateRules']) });

export const createHandler = (deps: Deps = defaultDeps()) =>
  lambdaHandler(InputSchema, async ({ plan, execution, step }) => {
    return checkActivation(await deps.cloud(), plan, step, {
      execution,
      now: deps.clock.now(),
      timeoutMs: Number(process.env.NATFLOW_ACTIVATION_TIMEOUT_MS ?? 600_000),
    });
  });
export const handler = createHandler();
