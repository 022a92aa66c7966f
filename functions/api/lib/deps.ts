/**
 * The deps of the API handlers that reach Step Functions: every handler's `Deps` (functions/lib/deps.ts)
 * plus the Step Functions client and the state machines' ARNs. Kept apart so that only those handlers'
 * bundles carry the Step Functions client.
 *
 *     export const createHandler = (deps: ApiDeps = defaultApiDeps()) => httpHandler(…);
 *     export const handler = createHandler();
 */
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { Workflow } from '../../../src/workflow/workflows.ts';
import { type Deps, type DepsParts, defaultDeps, depsOf } from '../../lib/deps.ts';
import { type StepFunctionsDeps, sfnClientFromEnv, stateMachineArnsFromEnv } from './step-functions.ts';

export interface ApiDeps extends Deps, StepFunctionsDeps {}

/** Step Functions as the environment describes it, the client built on first use. */
export function stepFunctionsFromEnv(env: NodeJS.ProcessEnv): StepFunctionsDeps {
  let client: SFNClient | undefined;
  return {
    stepFunctions: () => {
      client ??= sfnClientFromEnv(env);
      return client;
    },
    stateMachineArns: () => stateMachineArnsFromEnv(env),
  };
}

let defaults: ApiDeps | undefined;

/** The container's deps (`defaultDeps()`) with Step Functions from `process.env`, built once. */
export function defaultApiDeps(): ApiDeps {
  defaults ??= { ...defaultDeps(), ...stepFunctionsFromEnv(process.env) };
  return defaults;
}

/** API deps over a store already open and a given Step Functions (the local runtime, tests). */
export function apiDepsOf(
  parts: DepsParts & {
    stepFunctions: () => SFNClient;
    stateMachineArns: () => Record<Workflow, string> & { rollback?: string };
    keptRollbackInProcess?: boolean;
  },
): ApiDeps {
  return {
    ...depsOf(parts),
    stepFunctions: parts.stepFunctions,
    stateMachineArns: parts.stateMachineArns,
    ...(parts.keptRollbackInProcess ? { keptRollbackInProcess: true } : {}),
  };
}
