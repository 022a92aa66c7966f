/**
 * GET /executions?workflow=&status=&limit=&nextToken= — executions newest first, `{executions, nextToken?}`.
 *
 * With `workflow`, one ListExecutions call. Without it, the three state machines' lists are merged by
 * start date: each page asks every machine for `limit` executions from its cursor, keeps the newest
 * `limit` of them all, and records per machine its Step Functions token and how many of that page were
 * used. The cursors travel in `nextToken` (base64url JSON), so a client pages through every execution
 * exactly once however they interleave.
 */
import { type ExecutionListItem, ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { HttpProblemError } from '../../src/api/problem.ts';
import { ListExecutionsQuerySchema } from '../../src/api/schemas.ts';
import { httpHandler } from '../lib/http.ts';
import {
  dropUndefined,
  sfnClient,
  stateMachineArns,
  WORKFLOWS,
  type Workflow,
} from './lib/step-functions.ts';

/** Where a machine's listing continues: its page token (null: the first page) and items used of it. */
const CursorSchema = z.object({ token: z.string().nullable(), used: z.number().int().min(0) });
const MergedTokenSchema = z.partialRecord(z.enum(WORKFLOWS), CursorSchema);
type Cursor = z.infer<typeof CursorSchema>;

export const handler = httpHandler({ query: ListExecutionsQuerySchema }, async ({ query }) => {
  const arns = stateMachineArns();
  const list = (workflow: Workflow, token: string | null) =>
    sfnClient().send(
      new ListExecutionsCommand({
        stateMachineArn: arns[workflow],
        maxResults: query.limit,
        ...(query.status ? { statusFilter: query.status } : {}),
        ...(token ? { nextToken: token } : {}),
      }),
    );

  if (query.workflow) {
    const page = await list(query.workflow, query.nextToken ?? null);
    const executions = (page.executions ?? []).map((item) => summary(item, query.workflow as Workflow));
    return { status: 200, body: dropUndefined({ executions, nextToken: page.nextToken }) };
  }

  const cursors = query.nextToken ? decodeToken(query.nextToken) : startCursors();
  const pages = await Promise.all(
    WORKFLOWS.map(async (workflow) => {
      const cursor = cursors[workflow];
      if (!cursor) return { workflow, items: [] as ExecutionListItem[], next: undefined, cursor };
      const page = await list(workflow, cursor.token);
      return { workflow, items: (page.executions ?? []).slice(cursor.used), next: page.nextToken, cursor };
    }),
  );
  const merged = pages
    .flatMap((page) => page.items.map((item) => ({ workflow: page.workflow, item })))
    .sort((a, b) => (b.item.startDate?.getTime() ?? 0) - (a.item.startDate?.getTime() ?? 0))
    .slice(0, query.limit);

  const nextCursors: Partial<Record<Workflow, Cursor>> = {};
  for (const page of pages) {
    if (!page.cursor) continue;
    const taken = merged.filter((entry) => entry.workflow === page.workflow).length;
    if (taken < page.items.length)
      nextCursors[page.workflow] = { token: page.cursor.token, used: page.cursor.used + taken };
    else if (page.next) nextCursors[page.workflow] = { token: page.next, used: 0 };
  }
  const more = Object.keys(nextCursors).length > 0;
  return {
    status: 200,
    body: dropUndefined({
      executions: merged.map((entry) => summary(entry.item, entry.workflow)),
      nextToken: more ? Buffer.from(JSON.stringify(nextCursors)).toString('base64url') : undefined,
    }),
  };
});

function startCursors(): Partial<Record<Workflow, Cursor>> {
  return Object.fromEntries(WORKFLOWS.map((workflow) => [workflow, { token: null, used: 0 }]));
}

function decodeToken(token: string): Partial<Record<Workflow, Cursor>> {
  try {
    return MergedTokenSchema.parse(JSON.parse(Buffer.from(token, 'base64url').toString('utf8')));
  } catch {
    throw new HttpProblemError(422, 'VALIDATION_FAILED', 'nextToken is not a token this API returned', {
      issues: [
        { path: 'query.nextToken', code: 'VALIDATION_FAILED', message: 'not a token this API returned' },
      ],
    });
  }
}

function summary(item: ExecutionListItem, workflow: Workflow) {
  return dropUndefined({
    executionArn: item.executionArn,
    stateMachineArn: item.stateMachineArn,
    workflow,
    name: item.name,
    status: item.status,
    startDate: item.startDate?.toISOString(),
    stopDate: item.stopDate?.toISOString(),
  });
}
