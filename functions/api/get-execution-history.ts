/**
 * GET /executions/{id}/history?limit=&nextToken=&reverseOrder= — the execution's events, as
 * GetExecutionHistory returns them (timestamps as ISO strings), paged with `nextToken`.
 */
import { GetExecutionHistoryCommand } from '@aws-sdk/client-sfn';
import { ExecutionIdParamsSchema, HistoryQuerySchema } from '../../src/api/schemas.ts';
import { httpHandler } from '../lib/http.ts';
import { type ApiDeps, defaultApiDeps } from './lib/deps.ts';
import { describeExecution, dropUndefined } from './lib/step-functions.ts';

export const createHandler = (deps: ApiDeps = defaultApiDeps()) =>
  httpHandler({ path: ExecutionIdParamsSchema, query: HistoryQuerySchema }, async ({ path, query }) => {
    const { executionArn } = await describeExecution(deps, path.id);
    const page = await deps.stepFunctions().send(
      new GetExecutionHistoryCommand({
        executionArn,
        maxResults: query.limit,
        reverseOrder: query.reverseOrder,
        ...(query.nextToken ? { nextToken: query.nextToken } : {}),
      }),
    );
    const events = (page.events ?? []).map((event) =>
      dropUndefined({ ...event, timestamp: event.timestamp?.toISOString() }),
    );
    return { status: 200, body: dropUndefined({ events, nextToken: page.nextToken }) };
  });
export const handler = createHandler();
