/**
 * The shapes the provision, verify and teardown state machines pass to their Task states, and the
 * factory behind the one-line provisioning step handlers. A step's input is `{plan, execution, pinned}`
 * (the plan document with its automatic addresses pinned, see src/workflow/pin.ts): every step re-reads
 * what earlier steps created by client token, so no ids travel through the state.
 */
import { z } from 'zod';
import type { DryRunSource } from '../../src/cloud/dry-run.ts';
import { PlanSchema } from '../../src/plan/plan.ts';
import { type CloudName, can, selectCloud } from '../../src/providers/registry.ts';
import { applyPinnedStep } from '../../src/workflow/pin.ts';
import type { ProvisionStep } from '../../src/workflow/steps/index.ts';
import { type Deps, defaultDeps } from './deps.ts';
import { lambdaHandler } from './middleware.ts';

/** `$$.Execution.Id`: the execution's ARN, the rollback ledger's key. */
export const ExecutionSchema = z.string().min(1);

export const PinsSchema = z.array(z.object({ entry: z.string(), field: z.string() })).default([]);

export const StepInputSchema = z.object({
  plan: PlanSchema,
  execution: ExecutionSchema,
  step: z.string().optional(),
  pinned: PinsSchema,
});

/** A creating step keeps the document as written: a pin it has to give up goes back to `auto`. */
const CreateStepInputSchema = z.object({
  plan: z.record(z.string(), z.unknown()),
  execution: ExecutionSchema,
  step: z.string().optional(),
  pinned: PinsSchema,
});

/** The cloud a plan's steps drive: its `cloud:` (the CLI writes --cloud there), else NATFLOW_CLOUD. */
export function planCloud(plan: unknown): CloudName {
  return selectCloud({ plan });
}

/**
 * What a plan's dry run reads: the store (when the cloud is natflow's store: the virtual cloud's
 * ledger), or the provider of the real cloud the plan names (natflow's model of that account, refreshed
 * first).
 */
export async function dryRunSource(deps: Deps, plan: unknown): Promise<DryRunSource> {
  const cloud = planCloud(plan);
  return can(cloud, 'realCloud') ? deps.cloud(cloud) : deps.store();
}

/**
 * How long a gateway or rule may stay PENDING on a cloud without deadlines of its own (the virtual
 * cloud's provisioning delay) before GATEWAY_NOT_ACTIVE: `NATFLOW_ACTIVATION_TIMEOUT_MS`, default 10 min.
 */
export function activationTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const ms = Number(env.NATFLOW_ACTIVATION_TIMEOUT_MS ?? 600_000);
  return Number.isFinite(ms) && ms > 0 ? ms : 600_000;
}

/**
 * The factory of a handler that creates the entries of a provisioning step, idempotently; the handler
 * returns `{resources}`. Given more than one step, the input's `step` picks among them (the first by
 * default): one function serving two Task states. While an entry waits for a parent still being
 * provisioned, the handler fails `Natflow.NotReady` naming it, after creating every entry it could.
 */
export function provisionStep(...steps: [ProvisionStep, ...ProvisionStep[]]) {
  return (deps: Deps = defaultDeps()) =>
    lambdaHandler(CreateStepInputSchema, async ({ plan, execution, pinned, step }) => {
      const chosen = steps.find((s) => s === step) ?? steps[0];
      return applyPinnedStep(await deps.cloud(planCloud(plan)), plan, pinned, chosen, {
        execution,
        now: () => deps.clock.now(),
        activationTimeoutMs: activationTimeoutMs(),
      });
    });
}
