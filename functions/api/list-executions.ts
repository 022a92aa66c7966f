/**
 * GET /executions?workflow=&status=&limit=&nextToken= — executions newest first, `{executions, nextToken?}`.
 *
 * With `workflow` verify or teardown, one ListExecutions call. Otherwise the state machines' lists (provision's
 * two: `provision` and `provision-keep`, for `onFailure: keep`) are merged by
 * start date: each page reads at least `limit` executions of every machine from its cursor, keeps the
 * newest `limit` of them all, and records per machine where its first unused execution is (the Step
 * Functions token of its page and its index there). The cursors travel in `nextToken` (base64url JSON), so a client pages through every execution
 * exactly once however they interleave.
 */
import { type ExecutionListItem, ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { HttpProblemError } from '../../src/api/problem.ts';
import { ListExecutionsQuerySchema } from '../../src/api/schemas.ts';
import { httpHandler } from '../lib/http.ts';
import { type ApiDeps, defaultApiDeps } from './lib/deps.ts';
import {
  dropUndefined,
  MACHINES,
  type Machine,
  machineArnsOf,
  machinesOf,
  onFailureOf,
  workflowOfMachine,
} from './lib/step-functions.ts';

/** Where a machine's listing continues: its page token (null: the first page) and items used of it. */
const CursorSchema = z.object({ token: z.string().nullable(), used: z.number().int().min(0) });
const MergedTokenSchema = z.partialRecord(z.enum(MACHINES), CursorSchema);
type Cursor = z.infer<typeof CursorSchema>;
/** An execution of a machine's view, with the page it came from and its index there. */
interface ViewItem {
  item: ExecutionListItem;
  token: string | null;
  index: number;
}

export const createHandler = (deps: ApiDeps = defaultApiDeps()) =>
  httpHandler({ query: ListExecutionsQuerySchema }, async ({ query }) => {
    const arns = machineArnsOf(deps.stateMachineArns());
    const list = (machine: Machine, token: string | null) =>
      deps.stepFunctions().send(
        new ListExecutionsCommand({
          stateMachineArn: arns[machine],
          maxResults: query.limit,
          ...(query.status ? { statusFilter: query.status } : {}),
          ...(token ? { nextToken: token } : {}),
        }),
      );

    const machines = machinesOf(query.workflow);
    if (machines.length === 1) {
      const [machine] = machines as [Machine];
      const page = await list(machine, query.nextToken ?? null);
      const executions = (page.executions ?? []).map((item) => summary(item, machine));
      return { status: 200, body: dropUndefined({ executions, nextToken: page.nextToken }) };
    }

    const cursors = query.nextToken ? decodeToken(query.nextToken) : startCursors(machines);
    const views = await Promise.all(
      machines.map(async (workflow) => {
        const cursor = cursors[workflow];
        const view: ViewItem[] = [];
        let more: string | undefined;
        if (cursor) {
          // Read on until the view holds `limit` executions (or the list ends): then the newest `limit`
          // of all views are the newest `limit` overall.
          let token = cursor.token;
          let skip = cursor.used;
          do {
            const page = await list(workflow, token);
            (page.executions ?? []).forEach((item, index) => {
              if (index >= skip) view.push({ item, token, index });
            });
            more = page.nextToken;
            token = page.nextToken ?? null;
            skip = 0;
          } while (view.length < query.limit && more);
        }
        return { workflow, view, more };
      }),
    );
    const merged = views
      .flatMap(({ workflow, view }) => view.map(({ item }) => ({ workflow, item })))
      .sort((a, b) => (b.item.startDate?.getTime() ?? 0) - (a.item.startDate?.getTime() ?? 0))
      .slice(0, query.limit);

    const nextCursors: Partial<Record<Machine, Cursor>> = {};
    for (const { workflow, view, more } of views) {
      const taken = merged.filter((entry) => entry.workflow === workflow).length;
      const next = view[taken];
      if (next) nextCursors[workflow] = { token: next.token, used: next.index };
      else if (more) nextCursors[workflow] = { token: more, used: 0 };
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
export const handler = createHandler();

function startCursors(machines: readonly Machine[]): Partial<Record<Machine, Cursor>> {
  return Object.fromEntries(machines.map((machine) => [machine, { token: null, used: 0 }]));
}

function decodeToken(token: string): Partial<Record<Machine, Cursor>> {
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

function summary(item: ExecutionListItem, machine: Machine) {
  return dropUndefined({
    executionArn: item.executionArn,
    stateMachineArn: item.stateMachineArn,
    workflow: workflowOfMachine(machine),
    onFailure: onFailureOf(machine),
    name: item.name,
    status: item.status,
    startDate: item.startDate?.toISOString(),
    stopDate: item.stopDate?.toISOString(),
    redriveCount: item.redriveCount || undefined,
    redriveDate: item.redriveDate?.toISOString(),
  });
}
