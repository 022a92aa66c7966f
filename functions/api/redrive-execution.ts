/**
 * POST /executions/{id}/redrive — RedriveExecution: a kept failure (`onFailure: keep`) continues from the
 * state where it failed, under the same ARN. 200 `{executionArn, status: RUNNING, redriveDate}`.
 *
 * Refused with 409: `EXECUTION_ROLLED_BACK` when the provisioning was rolled back (it ran with
 * `onFailure: rollback`, or a kept failure was rolled back on request: nothing is left to continue);
 * `EXECUTION_NOT_REDRIVABLE` with Step Functions' reason otherwise (RUNNING, SUCCEEDED, past 14 days,
 * history too long).
 */
import { RedriveExecutionCommand } from '@aws-sdk/client-sfn';
import { HttpProblemError } from '../../src/api/problem.ts';
import { ExecutionIdParamsSchema } from '../../src/api/schemas.ts';
import { redriveRefusalOf } from '../../src/workflow/kept.ts';
import { httpHandler } from '../lib/http.ts';
import { type ApiDeps, defaultApiDeps } from './lib/deps.ts';
import { wasRolledBack } from './lib/rollback.ts';
import { describeExecution, machineOfArn } from './lib/step-functions.ts';

export const createHandler = (deps: ApiDeps = defaultApiDeps()) =>
  httpHandler({ path: ExecutionIdParamsSchema }, async ({ path }) => {
    const execution = await describeExecution(deps, path.id);
    const executionArn = execution.executionArn ?? '';
    const name = execution.name ?? executionArn;
    const machine = machineOfArn(executionArn, deps.stateMachineArns());
    const closedUnsuccessfully = execution.status !== 'RUNNING' && execution.status !== 'SUCCEEDED';
    const rolledBack =
      machine === 'provision-keep' && closedUnsuccessfully && (await wasRolledBack(deps, executionArn, name));
    const refusal = redriveRefusalOf({ name, machine, status: execution.status ?? '' }, rolledBack);
    if (refusal) throw new HttpProblemError(409, refusal.code, refusal.message);
    const redriven = await deps.stepFunctions().send(new RedriveExecutionCommand({ executionArn }));
    return {
      status: 200,
      body: {
        executionArn,
        status: 'RUNNING',
        redriveDate: (redriven.redriveDate ?? new Date(deps.clock.now())).toISOString(),
      },
    };
  });
export const handler = createHandler();
