/**
 * The shapes the provision, verify and teardown state machines pass to their Task states, and the
 * factory behind the one-line provisioning step handlers. A step's input is `{plan, execution}`:
 * every step re-reads what earlier steps created by client token, so no ids travel through the state.
 */
import { z } from 'zod';
import { ControlPlane } from '../../src/cloud/control-plane.ts';
import { PlanSchema } from '../../src/cloud/plan.ts';
import { applyStep, type ProvisionStep } from '../../src/cloud/provisioner.ts';
import { getClock, getStore } from './deps.ts';
import { lambdaHandler } from './middleware.ts';

/** `$$.Execution.Id`: the execution's ARN, the rollback ledger's key. */
export const ExecutionSchema = z.string().min(1);

export const StepInputSchema = z.object({
  plan: PlanSchema,
  execution: ExecutionSchema,
  step: z.string().optional(),
});

export async function controlPlane(): Promise<ControlPlane> {
  return new ControlPlane({
    store: await getStore(),
    clock: getClock(),
    provisioningDelayMs: Number(process.env.NATFLOW_PROVISIONING_DELAY_MS ?? 0),
  });
}

/** A handler that creates the entries of one provisioning step, idempotently; returns `{resources}`. */
export function provisionStep(step: ProvisionStep) {
  return lambdaHandler(StepInputSchema, async ({ plan, execution }) => {
    return applyStep(await controlPlane(), plan, step, { execution });
  });
}
