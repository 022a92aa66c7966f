/**
 * GET /executions/{id} — DescribeExecution: status, input and output as JSON values, error, cause and
 * dates. `{id}` is the URL-encoded execution ARN or the execution's name (looked up in the three
 * workflows' state machines).
 */
import { ExecutionIdParamsSchema } from '../../src/api/schemas.ts';
import { httpHandler } from '../lib/http.ts';
import { type ApiDeps, defaultApiDeps } from './lib/deps.ts';
import { describeExecution, executionDocument } from './lib/step-functions.ts';

export const createHandler = (deps: ApiDeps = defaultApiDeps()) =>
  httpHandler({ path: ExecutionIdParamsSchema }, async ({ path }) => ({
    status: 200,
    body: executionDocument(await describeExecution(deps, path.id), deps.stateMachineArns()),
  }));
export const handler = createHandler();
