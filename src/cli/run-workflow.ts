/**
 * Starts a workflow and, unless told not to wait, follows it state by state; prints the execution
 * document (JSON) or the progress lines and a summary (human). Shared by provision, teardown and up.
 */
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { EXIT_FAILED, EXIT_OK, type Output, printJson } from './io.ts';
import { describeExecution, ProgressRenderer } from './render.ts';
import { type ExecutionDocument, executionDocument, followExecution, type Session } from './session.ts';

export interface RunOptions {
  workflow: 'provision' | 'verify' | 'teardown';
  input: unknown;
  name: string;
  json: boolean;
  wait: boolean;
  io: Output;
  /** JSON lines instead of one document (`up --json`). */
  jsonLines?: boolean;
}

/** A default execution name: the plan's name and the time (names are unique per state machine). */
export function executionName(prefix: string, now = new Date()): string {
  return `${prefix}-${now.toISOString().replace(/[:.]/g, '-')}`.slice(0, 80);
}

export async function runWorkflow(
  session: Session,
  options: RunOptions,
): Promise<{ doc: ExecutionDocument; exitCode: number }> {
  const { io } = options;
  const started = await session.sfn.send(
    new StartExecutionCommand({
      stateMachineArn: await session.stateMachineArn(options.workflow),
      name: options.name,
      input: JSON.stringify(options.input),
    }),
  );
  const executionArn = started.executionArn as string;
  if (!options.wait) {
    const doc = executionDocument(await session.sfn.send(new DescribeExecutionCommand({ executionArn })));
    if (options.json) printJson(io, doc);
    else io.out(describeExecution(doc));
    return { doc, exitCode: EXIT_OK };
  }
  const renderer = new ProgressRenderer();
  const doc = await followExecution(session, executionArn, (event) => {
    if (options.jsonLines) io.out(JSON.stringify({ type: 'history', executionArn, event }));
    else if (!options.json) {
      const line = renderer.line(event);
      if (line) io.out(line);
    }
  });
  if (options.jsonLines) io.out(JSON.stringify({ type: 'execution', ...doc }));
  else if (options.json) printJson(io, doc);
  else io.out(describeExecution(doc));
  return { doc, exitCode: doc.status === 'SUCCEEDED' ? EXIT_OK : EXIT_FAILED };
}
