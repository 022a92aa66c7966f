/**
 * POST /executions/{id}/stop `{error?, cause?}` — StopExecution. A provisioning that is stopped is rolled
 * back (its ledger), as when it fails. Stopping an execution that has already closed is a no-op that
 * reports its status.
 */
import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import { ExecutionIdParamsSchema, StopExecutionRequestSchema } from '../../src/api/schemas.ts';
import { httpHandler } from '../lib/http.ts';
import { type ApiDeps, defaultApiDeps } from './lib/deps.ts';
import { describeExecution } from './lib/step-functions.ts';

export const createHandler = (deps: ApiDeps = defaultApiDeps()) =>
  httpHandler({ path: ExecutionIdParamsSchema, body: StopExecutionRequestSchema }, async ({ path, body }) => {
    const execution = await describeExecution(deps, path.id);
    if (execution.status !== 'RUNNING') {
      return {
        status: 200,
        body: {
          executionArn: execution.executionArn,
          status: execution.status,
          stopDate: (execution.stopDate ?? new Date(deps.clock.now())).toISOString(),
        },
      };
    }
    const stopped = await deps.stepFunctions().send(
      new StopExecutionCommand({
        executionArn: execution.executionArn,
        ...(body?.error ? { error: body.error } : {}),
        ...(body?.cause ? { cause: body.cause } : {}),
      }),
    );
    return {
      status: 200,
      body: {
        executionArn: execution.executionArn,
        status: 'ABORTED',
        stopDate: (stopped.stopDate ?? new Date(deps.clock.now())).toISOString(),
      },
    };
  });
export const handler = createHandler();
