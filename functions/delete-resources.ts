/**
 * Teardown steps: one phase per state (check, rules, transit, loadBalancers, servers, networks), each
 * deleting the plan's resources of its kinds in reverse dependency order. The check answers `nothing:
 * true` for a plan with nothing recorded, and the state machine ends SUCCEEDED there.
 */
import { z } from 'zod';
import { recordedCloud, selectCloud } from '../src/providers/registry.ts';
import { checkRound, deletionBoundMs, teardownRound } from '../src/workflow/deletion-rounds.ts';
import { TEARDOWN_PHASES } from '../src/workflow/teardown.ts';
import { type Deps, defaultDeps } from './lib/deps.ts';
import { lambdaHandler } from './lib/middleware.ts';
import { ExecutionSchema } from './lib/steps.ts';

const InputSchema = z.object({
  plan: z.string().min(1),
  execution: ExecutionSchema,
  phase: z.enum(TEARDOWN_PHASES),
  /** `$$.Execution.StartTime`: the bound of the phase's wait for real deletions. */
  startedAt: z.string().optional(),
});

export const createHandler = (deps: Deps = defaultDeps()) =>
  lambdaHandler(InputSchema, async ({ plan, phase, startedAt }) => {
    const store = await deps.store();
    // The check needs no cloud: a plan with nothing recorded ends there (`nothing: true`).
    if (phase === 'check') return checkRound(store, plan);
    // The cloud the plan was provisioned into (its record and resources say), not the environment's.
    const cloud = await deps.cloud(await recordedCloud(store, { plan }, selectCloud()));
    return teardownRound(cloud, store, plan, phase, {
      startedAt,
      now: deps.clock.now(),
      boundMs: deletionBoundMs(),
      // While the cloud still deletes, the Task fails Natflow.NotReady and its Retry runs it again.
      wait: true,
    });
  });
export const handler = createHandler();
