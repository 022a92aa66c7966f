/**
 * POST /executions/{id}/rollback — removes a kept failure's resources (`onFailure: keep`): 200
 * `{executionArn, deleted, rollbackExecutionArn?}`. Idempotent: a second rollback deletes nothing more.
 * Refused with 409 `ROLLBACK_REFUSED` for anything but a kept provisioning that did not succeed (a
 * RUNNING one is stopped first; a SUCCEEDED one is removed by teardown).
 */
import { HttpProblemError } from '../../src/api/problem.ts';
import { ExecutionIdParamsSchema } from '../../src/api/schemas.ts';
import { rollbackRefusalOf } from '../../src/workflow/kept.ts';
import { httpHandler } from '../lib/http.ts';
import { type ApiDeps, defaultApiDeps } from './lib/deps.ts';
import { startRollback } from './lib/rollback.ts';
import { describeExecution, machineOfArn } from './lib/step-functions.ts';

export const createHandler = (deps: ApiDeps = defaultApiDeps()) =>
  httpHandler({ path: ExecutionIdParamsSchema }, async ({ path }) => {
    const execution = await describeExecution(deps, path.id);
    const executionArn = execution.executionArn ?? '';
    const name = execution.name ?? executionArn;
    const refusal = rollbackRefusalOf({
      name,
      machine: machineOfArn(executionArn, deps.stateMachineArns()),
      status: execution.status ?? '',
    });
    if (refusal) throw new HttpProblemError(409, refusal.code, refusal.message);
    const started = await startRollback(deps, executionArn, name);
    return { status: 200, body: { executionArn, ...started } };
  });
export const handler = createHandler();
