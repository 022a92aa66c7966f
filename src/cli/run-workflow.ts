/**
 * Starts a workflow and, unless told not to wait, follows it state by state; prints the execution
 * document (JSON) or the progress lines and a summary (human). Shared by provision, teardown and up.
 */
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { executionNameFor, machineFor, type Workflow } from '../workflow/workflows.ts';
import { dataDirOf, EXIT_FAILED, EXIT_OK, type Output, printJson } from './io.ts';
import { isNothing, nothingLine } from './nothing.ts';
import { describeExecution, ProgressRenderer, verificationDocument, waitingOfEvent } from './render.ts';
import {
  type ExecutionDocument,
  executionDocument,
  followExecution,
  openSession,
  type Session,
} from './session.ts';
import { tokenOf } from './token.ts';

export interface RunOptions {
  workflow: Workflow;
  input: unknown;
  name: string;
  json: boolean;
  wait: boolean;
  io: Output;
  /** JSON lines instead of one document (`up --json`). */
  jsonLines?: boolean;
}

/**
 * A new execution's name when none is given: the API's format (`executionNameFor`,
 * `PLAN-YYYYMMDDTHHMMSSZ-XXXX`), so executions started by the CLI and by the API read alike.
 */
export function executionName(workflow: Workflow, input: unknown, now = Date.now()): string {
  return executionNameFor(workflow, input, now);
}

export async function runWorkflow(
  session: Session,
  options: RunOptions,
): Promise<{ doc: ExecutionDocument; exitCode: number }> {
  const { io } = options;
  const started = await session.sfn.send(
    new StartExecutionCommand({
      stateMachineArn: await session.stateMachineArn(machineFor(options.workflow, options.input)),
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
    if (options.jsonLines) {
      io.out(JSON.stringify({ type: 'history', executionArn, event }));
      for (const waiting of waitingOfEvent(event)) io.out(JSON.stringify({ waiting }));
    } else if (options.json) {
      // stdout stays one document: what a step waits for goes to stderr (docs/cli.md).
      for (const waiting of waitingOfEvent(event)) io.err(JSON.stringify({ waiting }));
    } else {
      const line = renderer.line(event);
      if (line) io.out(line);
    }
  });
  if (options.jsonLines) io.out(JSON.stringify({ type: 'execution', ...doc }));
  else if (options.json) printJson(io, options.workflow === 'verify' ? verificationDocument(doc) : doc);
  else io.out(describeExecution(doc));
  // A teardown started on a plan with nothing recorded ends at once, and says so.
  if (!options.json && !options.jsonLines && isNothing(doc.output)) io.out(nothingLine(doc.output.plan));
  return { doc, exitCode: doc.status === 'SUCCEEDED' ? EXIT_OK : EXIT_FAILED };
}

/** The flags every workflow command shares. */
export interface WorkflowFlags {
  json: boolean;
  'no-wait': boolean;
  'data-dir'?: string | undefined;
  endpoint?: string | undefined;
  token?: string | undefined;
}

/**
 * A workflow command's whole run: opens a session (a running stack, `--endpoint`, or an embedded one),
 * runs the workflow, closes the session; returns the exit code.
 */
export async function runWorkflowCommand(
  flags: WorkflowFlags,
  context: { io: Output; env: NodeJS.ProcessEnv },
  run: { workflow: RunOptions['workflow']; input: unknown; name?: string | undefined; dataPlane?: boolean },
): Promise<number> {
  const session = await openSession({
    dataDir: dataDirOf(flags['data-dir'], context.env),
    endpoint: flags.endpoint,
    env: context.env,
    token: tokenOf(flags.token, context.env),
    warn: context.io.err,
    ...(run.dataPlane === undefined ? {} : { dataPlane: run.dataPlane }),
  });
  try {
    const { exitCode } = await runWorkflow(session, {
      workflow: run.workflow,
      input: run.input,
      name: run.name ?? executionName(run.workflow, run.input),
      json: flags.json,
      wait: !flags['no-wait'],
      io: context.io,
    });
    return exitCode;
  } finally {
    await session.close();
  }
}
