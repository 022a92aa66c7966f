/**
 * GET /plans — what has been provisioned, plan by plan: `{plans: [{plan, cloud, resources, lastExecution?,
 * lastVerification?}]}` (src/workflow/plan-list.ts), the plans and resources from the table, the
 * executions from Step Functions (at most `PLAN_LIST_SCAN_LIMIT` read, newest first).
 */
import { listPlans, PLAN_LIST_SCAN_LIMIT } from '../../src/workflow/plan-list.ts';
import { httpHandler } from '../lib/http.ts';
import { type ApiDeps, defaultApiDeps } from './lib/deps.ts';
import { recentExecutions } from './lib/recent-executions.ts';
import { machineArnsOf } from './lib/step-functions.ts';

export const createHandler = (deps: ApiDeps = defaultApiDeps()) =>
  httpHandler({}, async () => {
    const recent = recentExecutions(
      deps.stepFunctions(),
      machineArnsOf(deps.stateMachineArns()),
      PLAN_LIST_SCAN_LIMIT,
    );
    return { status: 200, body: await listPlans(await deps.store(), recent) };
  });
export const handler = createHandler();
