/**
 * POST /executions/{id}/rollback — removes a kept failure's resources (`onFailure: keep`), or resumes a
 * provisioning's rollback that left resources behind (docs/real-cloud.md#failure): 200 `{executionArn,
 * deleted, rollbackExecutionArn?}`. Idempotent: a second rollback deletes nothing more. Refused with 409
 * `ROLLBACK_REFUSED` for anything else (a RUNNING one is stopped first; a SUCCEEDED one is removed by
 * teardown; one that rolled back completely has nothing left).
 */
import { HttpProblemError } from '../../src/api/problem.ts';
import { ExecutionIdParamsSchema } from '../../src/api/schemas.ts';
import { rollbackRefusalOf } from '../../src/workflow/kept.ts';
import { httpHandler } from '../lib/http.ts';
import { type ApiDeps, defaultApiDeps } from './lib/deps.ts';
import { leftBehind, resumeRollback, startRollback } from './lib/rollback.ts';
import { describeExecution, machineOfArn } from './lib/step-functions.ts';

export const createHandler = (deps: ApiDeps = defaultApiDeps()) =>
  httpHandler({ path: ExecutionIdParamsSchema }, async ({ path }) => {
    const execution = await describeExecution(deps, path.id);
    const executionArn = execution.executionArn ?? '';
    const name = execution.name ?? executionArn;
    const machine = machineOfArn(executionArn, deps.stateMachineArns());
    // A provisioning whose own rollback could not finish: its ledger still holds what it created.
    const resume = machine === 'provision' && (await leftBehind(deps, executionArn));
    const refusal = rollbackRefusalOf({ name, machine, status: execution.status ?? '' }, resume);
    if (refusal) throw new HttpProblemError(409, refusal.code, refusal.message);
    const started = resume
      ? await resumeRollback(deps, executionArn, name)
      : await startRollback(deps, executionArn, name);
    return { status: 200, body: { executionArn, ...started } };
  });
export const handler = createHandler();
