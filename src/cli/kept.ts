/**
 * `natflow executions redrive ID` and `natflow executions rollback ID` (a kept failure, or a rollback
 * that left resources behind, resumed: docs/real-cloud.md#failure): both go through the stack's HTTP
 * API (`POST /executions/{id}/redrive|rollback`, served where its Step Functions endpoint is), so the
 * CLI, the API and the console apply the same rules and refuse with the same codes
 * (`EXECUTION_ROLLED_BACK`, `EXECUTION_NOT_REDRIVABLE`, `ROLLBACK_REFUSED`: exit 2).
 */
import { DescribeExecutionCommand, GetExecutionHistoryCommand } from '@aws-sdk/client-sfn';
import { NatflowError } from '../net/errors.ts';
import { CLOUD_SETTINGS_HEADER, settingsHeader } from '../stack/cloud-settings.ts';
import { EXIT_FAILED, EXIT_OK, type Output, printJson } from './io.ts';
import { describeExecution, dim, ProgressRenderer } from './render.ts';
import { executionDocument, followExecution, type Session } from './session.ts';
import { unauthorized } from './token.ts';

/** A refusal or error the API answered with a problem document; its name is the problem's code. */
export class ApiProblemError extends NatflowError {
  constructor(code: string, message: string, status: number) {
    super(message, { details: { status } });
    this.name = code;
  }
}

function settingsHeaders(env: NodeJS.ProcessEnv): Record<string, string> {
  const header = settingsHeader(env);
  return header ? { [CLOUD_SETTINGS_HEADER]: header } : {};
}

async function post(
  session: Session,
  executionArn: string,
  action: 'redrive' | 'rollback',
  env: NodeJS.ProcessEnv,
): Promise<Record<string, unknown>> {
  const response = await fetch(
    new URL(`/executions/${encodeURIComponent(executionArn)}/${action}`, session.url),
    {
      method: 'POST',
      headers: {
        Accept: 'application/json',
        // The session's token (--token, NATFLOW_TOKEN; none for its own embedded stack).
        ...(session.token ? { Authorization: `Bearer ${session.token}` } : {}),
        // The command's cloud settings, for the redrive or rollback the stack runs (cloud-settings.ts).
        ...settingsHeaders(env),
      },
    },
  );
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    body = { detail: text.slice(0, 200) };
  }
  if (response.status === 401) throw unauthorized(session.url, session.token);
  if (!response.ok) {
    throw new ApiProblemError(
      typeof body.code === 'string' ? body.code : `HTTP_${response.status}`,
      typeof body.detail === 'string' ? body.detail : `${action} answered HTTP ${response.status}`,
      response.status,
    );
  }
  return body;
}

/** Redrives, then (unless `wait` is false) follows the execution from its ExecutionRedriven event on. */
export async function redriveCommand(
  session: Session,
  executionArn: string,
  options: { json: boolean; wait: boolean; io: Output; env: NodeJS.ProcessEnv },
): Promise<number> {
  const { io } = options;
  const last = await session.sfn.send(
    new GetExecutionHistoryCommand({ executionArn, maxResults: 1, reverseOrder: true }),
  );
  const seen = last.events?.[0]?.id ?? 0;
  await post(session, executionArn, 'redrive', options.env);
  if (!options.wait) {
    const doc = executionDocument(await session.sfn.send(new DescribeExecutionCommand({ executionArn })));
    if (options.json) printJson(io, doc);
    else io.out(describeExecution(doc));
    return EXIT_OK;
  }
  const renderer = new ProgressRenderer();
  const doc = await followExecution(session, executionArn, (event) => {
    if (options.json || (event.id ?? 0) <= seen) return;
    const line = event.type === 'ExecutionRedriven' ? 'redriven' : renderer.line(event);
    if (line) io.out(line);
  });
  if (options.json) printJson(io, doc);
  else io.out(describeExecution(doc));
  return doc.status === 'SUCCEEDED' ? EXIT_OK : EXIT_FAILED;
}

/**
 * Rolls back a kept failure, or resumes a provisioning's rollback that left resources behind. When the
 * stack answers with a rollback execution (a resumption, or a kept failure where the rollback machine
 * does the work), follows it to its end and prints how it ended: exit 0 when nothing is left, 1 when
 * the rollback is still INCOMPLETE (what is left and the command that resumes it are printed).
 */
export async function rollbackCommand(
  session: Session,
  executionArn: string,
  options: { json: boolean; io: Output; env: NodeJS.ProcessEnv },
): Promise<number> {
  const { io } = options;
  const result = await post(session, executionArn, 'rollback', options.env);
  const started = typeof result.rollbackExecutionArn === 'string' ? result.rollbackExecutionArn : undefined;
  if (!started) {
    if (options.json) printJson(io, result);
    else {
      const deleted = Array.isArray(result.deleted) ? result.deleted : [];
      io.out(
        `rolled back ${deleted.length} resource${deleted.length === 1 ? '' : 's'}${deleted.length > 0 ? `: ${deleted.join(' ')}` : ''}`,
      );
    }
    return EXIT_OK;
  }
  if (!options.json) io.out(dim(`rollback started: ${started}`));
  const renderer = new ProgressRenderer();
  const run = await followExecution(session, started, (event) => {
    if (options.json) return;
    const line = renderer.line(event);
    if (line) io.out(line);
  });
  const output = run.output as { rollback?: { deleted?: unknown } } | undefined;
  const deleted = Array.isArray(output?.rollback?.deleted) ? output.rollback.deleted : [];
  const outcome = run.cause?.rollback ?? { status: 'COMPLETE', leftBehind: [] };
  if (options.json) printJson(io, { ...result, deleted, rollback: outcome, rollbackExecution: run });
  else if (run.status === 'SUCCEEDED')
    io.out(`rolled back: nothing ${executionArn.split(':').pop()} created is left`);
  else io.out(describeExecution(run));
  return run.status === 'SUCCEEDED' ? EXIT_OK : EXIT_FAILED;
}
