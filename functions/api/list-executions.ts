/**
 * GET /executions?workflow=&status=&limit=&nextToken=&q=&plan= — executions newest first,
 * `{executions, nextToken?, scanned?}`.
 *
 * With `workflow` verify or teardown, one ListExecutions call. Otherwise the state machines' lists (provision's
 * two: `provision` and `provision-keep`, for `onFailure: keep`) are merged by
 * start date: each page reads at least `limit` executions of every machine from its cursor, keeps the
 * newest `limit` of them all, and records per machine where its first unused execution is (the Step
 * Functions token of its page and its index there). The cursors travel in `nextToken` (base64url JSON), so a client pages through every execution
 * exactly once however they interleave.
 *
 * A search (`q`, `plan`) reads the newest `SEARCH_WINDOW` executions from the cursors (merged the same
 * way), describes each to read its input (Step Functions' list carries none), and answers those that
 * match, at most `limit`; its `nextToken` continues after the last execution it read (after the last
 * match it answered, when it found more than `limit`), and `scanned` says how many it read. So a search
 * costs a bounded number of ListExecutions pages and DescribeExecution calls per request however many
 * executions the account holds (docs/http-api.md).
 */
import { DescribeExecutionCommand, type ExecutionListItem, ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { HttpProblemError } from '../../src/api/problem.ts';
import { ListExecutionsQuerySchema } from '../../src/api/schemas.ts';
import { planOfExecutionName } from '../../src/workflow/workflows.ts';
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

/** How many executions a search reads per request, newest first (docs/http-api.md). */
export const SEARCH_WINDOW = 200;
/** DescribeExecution calls a search keeps in flight. */
const DESCRIBE_CONCURRENCY = 8;

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
    if (machines.length === 1 && query.q === undefined && query.plan === undefined) {
      const [machine] = machines as [Machine];
      const page = await list(machine, query.nextToken ?? null);
      const executions = (page.executions ?? []).map((item) => summary(item, machine));
      return { status: 200, body: dropUndefined({ executions, nextToken: page.nextToken }) };
    }

    const search = query.q !== undefined || query.plan !== undefined;
    const cursors = query.nextToken ? decodeToken(query.nextToken) : startCursors(machines);
    const views = await Promise.all(
      machines.map(async (workflow) => {
        const cursor = cursors[workflow];
        const view: ViewItem[] = [];
        let more: string | undefined;
        const wanted = search ? SEARCH_WINDOW : query.limit;
        if (cursor) {
          // Read on until the view holds `wanted` executions (or the list ends): then the newest `wanted`
          // of all views are the newest `wanted` overall.
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
          } while (view.length < wanted && more);
        }
        return { workflow, view, more };
      }),
    );
    const read = views
      .flatMap(({ workflow, view }) => view.map(({ item }) => ({ workflow, item })))
      .sort((a, b) => (b.item.startDate?.getTime() ?? 0) - (a.item.startDate?.getTime() ?? 0))
      .slice(0, search ? SEARCH_WINDOW : query.limit);

    // A search keeps the matches; the page then ends after the `limit`-th match (or the whole window).
    let taken = read;
    let found: { workflow: Machine; item: ExecutionListItem; plan?: string | undefined }[] = read;
    if (search) {
      const described = await describeAll(read.map((entry) => entry.item));
      found = [];
      let end = read.length;
      for (const [index, entry] of read.entries()) {
        const input = described[index];
        const plan =
          planOfInput(input) ?? planOfName(entry.item.name ?? '', workflowOfMachine(entry.workflow));
        if (!matches(query, entry.item.name ?? '', plan, input)) continue;
        found.push({ ...entry, plan });
        if (found.length === query.limit) {
          end = index + 1;
          break;
        }
      }
      taken = read.slice(0, end);
    }

    const nextCursors: Partial<Record<Machine, Cursor>> = {};
    for (const { workflow, view, more } of views) {
      const used = taken.filter((entry) => entry.workflow === workflow).length;
      const next = view[used];
      if (next) nextCursors[workflow] = { token: next.token, used: next.index };
      else if (more) nextCursors[workflow] = { token: more, used: 0 };
    }
    const more = Object.keys(nextCursors).length > 0;
    return {
      status: 200,
      body: dropUndefined({
        executions: found.map((entry) =>
          summary(entry.item, entry.workflow, 'plan' in entry ? entry.plan : undefined),
        ),
        nextToken: more ? Buffer.from(JSON.stringify(nextCursors)).toString('base64url') : undefined,
        scanned: search ? taken.length : undefined,
      }),
    };

    /** Each execution's input (its text), at most DESCRIBE_CONCURRENCY calls at a time. */
    async function describeAll(items: ExecutionListItem[]): Promise<(string | undefined)[]> {
      const inputs: (string | undefined)[] = new Array(items.length);
      let next = 0;
      const worker = async () => {
        while (next < items.length) {
          const index = next++;
          const arn = items[index]?.executionArn;
          if (!arn) continue;
          const described = await deps
            .stepFunctions()
            .send(new DescribeExecutionCommand({ executionArn: arn }));
          inputs[index] = described.input;
        }
      };
      await Promise.all(Array.from({ length: Math.min(DESCRIBE_CONCURRENCY, items.length) }, worker));
      return inputs;
    }
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

/** The plan a generated name carries (the one format, src/workflow/workflows.ts). */
export const planOfName = planOfExecutionName;

/** The plan an execution's input names: a provisioning's plan `name`, a verify or teardown's `plan`. */
function planOfInput(input: string | undefined): string | undefined {
  if (!input) return undefined;
  try {
    const value = JSON.parse(input) as unknown;
    if (!value || typeof value !== 'object') return undefined;
    const { plan, name } = value as { plan?: unknown; name?: unknown };
    if (typeof plan === 'string') return plan;
    return typeof name === 'string' ? name : undefined;
  } catch {
    return undefined;
  }
}

/** A search's test: the plan filter, and `q` in the name, the plan or the input's text (any case). */
function matches(
  query: { q?: string | undefined; plan?: string | undefined },
  name: string,
  plan: string | undefined,
  input: string | undefined,
): boolean {
  if (query.plan !== undefined && plan !== query.plan) return false;
  if (query.q === undefined) return true;
  const needle = query.q.toLowerCase();
  return [name, plan ?? '', input ?? ''].some((text) => text.toLowerCase().includes(needle));
}

function summary(item: ExecutionListItem, machine: Machine, plan?: string) {
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
    plan: plan ?? planOfName(item.name ?? '', workflowOfMachine(machine)),
  });
}
