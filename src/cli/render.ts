/**
 * Human output: an execution's progress as its states start and finish, and the documents commands
 * print. One line per meaningful history event, indented by nesting (Parallel branches, Map iterations):
 *
 *     ▸ CreateNetworks
 *     … waiting for VPC-A: CREATING, 2 s
 *     ✓ CreateNetworks                       4 ms
 *     ✗ AddDnatRule   DNAT_PORT_CONFLICT: transit IP transit-ip-A already maps tcp/80
 *     ↻ AddDnatRule   retrying after Natflow.Transient
 *
 * A step waiting for the cloud fails `Natflow.NotReady` with what it waits for in its cause
 * (src/cloud/waiting.ts): that is a `waiting for …` line per resource (`waitingOfEvent` for `--json`),
 * not a failure, and its retry prints nothing.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { describeWaiting, type Waiting, waitingOfCause } from '../cloud/waiting.ts';
import type { ExecutionDocument } from './session.ts';

const COLOR = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: number, text: string) => (COLOR ? `\u001b[${code}m${text}\u001b[0m` : text);
export const green = (text: string) => paint(32, text);
export const red = (text: string) => paint(31, text);
export const yellow = (text: string) => paint(33, text);
export const dim = (text: string) => paint(2, text);
export const bold = (text: string) => paint(1, text);

/** Turns history events into progress lines; keeps what it needs across events (entry times, depth). */
export class ProgressRenderer {
  private readonly entered = new Map<string, number>();
  private readonly failedTasks = new Map<string, number>();
  private readonly failedNow = new Set<string>();
  private depth = 0;
  private lastTaskState = '';
  /** Retries of waits still to come (their LambdaFunctionScheduled prints nothing). */
  private waits = 0;

  line(event: HistoryEvent): string | undefined {
    const time = event.timestamp ? new Date(event.timestamp).getTime() : Date.now();
    const type = event.type ?? '';
    const pad = '  '.repeat(this.depth);
    if (type.endsWith('StateEntered')) {
      const name = event.stateEnteredEventDetails?.name ?? '?';
      this.entered.set(name, time);
      if (type === 'TaskStateEntered') this.lastTaskState = name;
      if (type === 'ParallelStateEntered' || type === 'MapStateEntered') {
        this.depth++;
        return `${pad}${bold('▸')} ${name} ${dim(type === 'ParallelStateEntered' ? '(parallel)' : '(map)')}`;
      }
      if (type === 'ChoiceStateEntered' || type === 'PassStateEntered' || type === 'SucceedStateEntered')
        return undefined;
      return `${pad}${bold('▸')} ${name}`;
    }
    if (type.endsWith('StateExited')) {
      const name = event.stateExitedEventDetails?.name ?? '?';
      if (type === 'ParallelStateExited' || type === 'MapStateExited')
        this.depth = Math.max(0, this.depth - 1);
      if (type === 'ChoiceStateExited' || type === 'PassStateExited' || type === 'SucceedStateExited')
        return undefined;
      const started = this.entered.get(name);
      const ms = started === undefined ? '' : dim(`${time - started} ms`);
      return `${'  '.repeat(this.depth)}${green('✓')} ${name.padEnd(32)} ${ms}`;
    }
    if (type === 'LambdaFunctionFailed' || type === 'TaskFailed') {
      const details = event.lambdaFunctionFailedEventDetails ?? event.taskFailedEventDetails;
      const waiting = waitingOfEvent(event);
      if (waiting.length > 0) {
        this.waits++;
        return waiting
          .map((w) => `${pad}${yellow('…')} ${dim('waiting for')} ${describeWaiting(w)}`)
          .join('\n');
      }
      const count = (this.failedTasks.get(this.lastTaskState) ?? 0) + 1;
      this.failedTasks.set(this.lastTaskState, count);
      this.failedNow.add(this.lastTaskState);
      return `${pad}${red('✗')} ${this.lastTaskState.padEnd(32)} ${red(details?.error ?? 'failed')}: ${shorten(messageOf(details?.cause))}`;
    }
    if ((type === 'LambdaFunctionScheduled' || type === 'TaskScheduled') && this.waits > 0) {
      this.waits--;
      return undefined;
    }
    if (
      (type === 'LambdaFunctionScheduled' || type === 'TaskScheduled') &&
      this.failedNow.delete(this.lastTaskState)
    ) {
      return `${pad}${yellow('↻')} ${this.lastTaskState.padEnd(32)} ${dim(`retry ${this.failedTasks.get(this.lastTaskState) ?? 1}`)}`;
    }
    if (type === 'ExecutionSucceeded') return `${green('●')} ${bold('SUCCEEDED')}`;
    if (type === 'ExecutionFailed') {
      const details = event.executionFailedEventDetails;
      return `${red('●')} ${bold('FAILED')} ${red(details?.error ?? '')}: ${details?.cause ?? ''}`;
    }
    if (type === 'ExecutionAborted') return `${yellow('●')} ${bold('ABORTED')}`;
    if (type === 'ExecutionStarted') return dim('execution started');
    return undefined;
  }
}

/**
 * What a history event says a step waits for: a `Natflow.NotReady` failure's cause (none for any other
 * event). `watch --json` and `up --json` print each as a `{"waiting": {name, kind, status, seconds}}` line.
 */
export function waitingOfEvent(event: HistoryEvent): Waiting[] {
  const details = event.lambdaFunctionFailedEventDetails ?? event.taskFailedEventDetails;
  if (details?.error !== 'Natflow.NotReady') return [];
  return waitingOfCause(details.cause);
}

/** A Lambda failure's cause is `{"errorType","errorMessage","trace"}`; show the message. */
function messageOf(cause: string | undefined): string {
  if (!cause) return '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return innerMessage(parsed.errorMessage);
  } catch {
    // a plain message already
  }
  return cause;
}

/** A message that is itself a document (`{code, message, …}`): its message. */
function innerMessage(text: string): string {
  if (!text.startsWith('{')) return text;
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // not a document
  }
  return text;
}

function shorten(text: string, max = 160): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A one-line-per-field summary of an execution document. */
export function describeExecution(doc: ExecutionDocument): string {
  const status =
    doc.status === 'SUCCEEDED'
      ? green(doc.status)
      : doc.status === 'RUNNING'
        ? yellow(doc.status)
        : red(doc.status);
  const lines = [
    `${bold(doc.workflow || 'execution')} ${doc.name}  ${status}${doc.durationMs !== undefined ? dim(`  ${doc.durationMs} ms`) : ''}`,
    dim(doc.executionArn),
  ];
  if (doc.error) lines.push(`${red(doc.error)}: ${doc.cause ?? ''}`);
  return lines.join('\n');
}

/** A plain text table: columns padded to their widest cell. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const format = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [bold(format(headers)), ...rows.map(format)].join('\n');
}
