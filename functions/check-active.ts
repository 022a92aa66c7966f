/**
 * CheckGatewaysActive / CheckRulesActive: the product creates gateways and rules PENDING and activates
 * them later; the workflow polls this with a Wait state until `ready`. The virtual cloud activates a
 * resource once its provisioning delay (NATFLOW_PROVISIONING_DELAY_MS, 0 by default) has passed.
 */
import { z } from 'zod';
import { activatePending } from '../src/workflow/activation.ts';
import { getClock, getStore } from './lib/deps.ts';
import { lambdaHandler } from './lib/middleware.ts';
import { controlPlane, ExecutionSchema, StepInputSchema } from './lib/steps.ts';

const InputSchema = StepInputSchema.extend({
  execution: ExecutionSchema,
  step: z.enum(['activateGateways', 'activateRules']),
});

export const handler = lambdaHandler(InputSchema, async ({ plan, step }) => {
  return activatePending(
    await controlPlane(),
    await getStore(),
    plan.name,
    step === 'activateGateways' ? 'gateways' : 'rules',
    {
      now: getClock().now(),
      delayMs: Number(process.env.NATFLOW_PROVISIONING_DELAY_MS ?? 0),
      timeoutMs: Number(process.env.NATFLOW_ACTIVATION_TIMEOUT_MS ?? 600_000),
    },
  );
});
