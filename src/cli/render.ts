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
import { type FailureDocument, failureDocumentOf } from '../codes/failure.ts';
import { can, isCloudName } from '../providers/registry.ts';
import type { VerificationRow } from '../workflow/verification.ts';
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
      return `${pad}${red('✗')} ${this.lastTaskState.padEnd(32)} ${red(details?.error ?? 'failed')}: ${shorten(messageOf(details?.error, details?.cause))}`;
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
    // The cause is told once, by the summary that follows (describeExecution).
    if (type === 'ExecutionFailed')
      return `${red('●')} ${bold('FAILED')} ${red(event.executionFailedEventDetails?.error ?? '')}`;
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

/** A Task failure's cause (Lambda's `{"errorType","errorMessage","trace"}`) as its message. */
function messageOf(error: string | undefined, cause: string | undefined): string {
  if (!cause) return '';
  return failureDocumentOf(error, cause).message;
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
  if (doc.error || doc.cause) lines.push(...describeFailure(doc));
  const verification = verificationOf(doc);
  if (verification.rows.length > 0) lines.push('', ...describeVerification(verification.rows));
  return lines.join('\n');
}

/**
 * A failure as docs/real-cloud.md#failure tells it: the step's error, what the cloud answered, and
 * what a rollback left behind with the commands that finish the job.
 */
export function describeFailure(doc: ExecutionDocument): string[] {
  const cause: FailureDocument = doc.cause ?? { code: doc.error ?? 'FAILED', message: doc.error ?? '' };
  const lines = [`${red(cause.code)}: ${cause.message}`];
  if (cause.cloud) {
    const { code, message, requestId } = cause.cloud;
    lines.push(
      dim(
        `  the cloud answered: ${code ? `${code} ` : ''}${message}${requestId ? ` (request ${requestId})` : ''}`,
      ),
    );
  }
  const rollback = cause.rollback;
  if (!rollback) return lines;
  if (rollback.status === 'COMPLETE') {
    lines.push(dim('  rolled back: nothing this execution created is left'));
    return lines;
  }
  const plan = planOf(doc);
  lines.push(
    `${yellow('rollback INCOMPLETE')}: ${rollback.leftBehind.length} resource${rollback.leftBehind.length === 1 ? '' : 's'} left behind${plan ? `, still recorded to plan ${plan}` : ''}:`,
  );
  lines.push(
    indent(
      table(
        ['KIND', 'NAME', 'EXTERNAL ID', 'STATUS', 'LAST ERROR'],
        rollback.leftBehind.map((r) => [
          r.kind,
          r.name,
          r.externalId ?? '(never confirmed by the cloud)',
          r.cloudStatus ?? '',
          r.error ?? '',
        ]),
      ),
    ),
  );
  lines.push(`finish the rollback:  ${bold(`natflow executions rollback ${resumeIdOf(doc)}`)}`);
  if (plan) lines.push(`or remove the plan's resources:  ${bold(`natflow teardown ${plan}`)}`);
  return lines;
}

/** The rows an execution reports, with the plan and cloud of each (a provisioning's or a verification's). */
export function verificationOf(doc: ExecutionDocument): {
  rows: (VerificationRow & { plan: string; cloud: string })[];
} {
  const output = doc.output as Record<string, unknown> | undefined;
  const fromSummary = (summary: unknown) => {
    const plans = (summary as { plans?: unknown } | undefined)?.plans;
    if (!Array.isArray(plans)) return [];
    return plans.flatMap((p: { plan?: unknown; cloud?: unknown; entries?: unknown }) =>
      Array.isArray(p.entries)
        ? (p.entries as VerificationRow[]).map((row) => ({
            ...row,
            plan: String(p.plan ?? ''),
            cloud: String(p.cloud ?? 'virtual'),
          }))
        : [],
    );
  };
  if (doc.workflow === 'verify') return { rows: fromSummary(output ?? (doc.cause?.verification as unknown)) };
  if (doc.workflow === 'provision' && output && Array.isArray(output.verify)) {
    const plan = String(output.plan ?? planOf(doc) ?? '');
    const cloud = cloudOf(doc);
    return {
      rows: (output.verify as unknown[])
        .filter((row): row is VerificationRow => typeof row === 'object' && row !== null && 'verdict' in row)
        .map((row) => ({ ...row, plan, cloud })),
    };
  }
  return { rows: [] };
}

/**
 * Verification rows as a table — plan, path, expected, found (verdict and code), mode — and, for a real
 * cloud, the sentence that natflow sent no packet into it (docs/real-cloud.md#verification-output).
 */
export function describeVerification(
  rows: readonly (VerificationRow & { plan: string; cloud: string })[],
): string[] {
  const lines = [
    bold('verification'),
    table(
      ['PLAN', 'PATH', 'EXPECTED', 'FOUND', 'MODE'],
      rows.map((row) => [
        row.plan,
        `${row.from} → ${row.to}:${row.port}/${row.protocol}`,
        `${row.expect}${row.expectCode ? ` (${row.expectCode})` : ''}`,
        `${row.ok ? '✓' : '✗'} ${row.verdict}${row.code ? ` (${row.code})` : ''}`,
        row.mode,
      ]),
    ),
  ];
  for (const cloud of new Set(rows.map((r) => r.cloud))) {
    if (isCloudName(cloud) && can(cloud, 'realCloud'))
      lines.push(
        dim(
          `${cloud}: natflow sent no packet into a real VPC — every entry was verified by analysis of the model freshly read from the cloud`,
        ),
      );
  }
  return lines;
}

/**
 * `natflow verify --json`: the verification document `{ok, plans: [{plan, cloud, ok, entries}]}`
 * (docs/real-cloud.md#verification-output) beside the execution's own fields.
 */
export function verificationDocument(doc: ExecutionDocument): Record<string, unknown> {
  const summary = (doc.output ?? doc.cause?.verification) as { ok?: unknown; plans?: unknown } | undefined;
  return {
    ok: doc.status === 'SUCCEEDED' && summary?.ok !== false,
    plans: Array.isArray(summary?.plans) ? summary.plans : [],
    ...doc,
  };
}

/** The plan an execution provisioned (its input is the plan) or tore down. */
function planOf(doc: ExecutionDocument): string | undefined {
  const input = doc.input as { name?: unknown; plan?: unknown } | undefined;
  if (typeof input?.name === 'string') return input.name;
  return typeof input?.plan === 'string' ? input.plan : undefined;
}

/** The cloud a provisioning drove (the CLI writes `--cloud` into the plan it starts). */
function cloudOf(doc: ExecutionDocument): string {
  const cloud = (doc.input as { cloud?: unknown } | undefined)?.cloud;
  return typeof cloud === 'string' ? cloud : 'virtual';
}

/**
 * What `natflow executions rollback` takes to resume: the provisioning's name (a rollback execution's
 * input names the provisioning it rolls back).
 */
function resumeIdOf(doc: ExecutionDocument): string {
  const target = (doc.input as { executionArn?: unknown } | undefined)?.executionArn;
  if (doc.workflow === 'rollback' && typeof target === 'string') return target.split(':').pop() ?? target;
  return doc.name || doc.executionArn;
}

function indent(text: string, by = '  '): string {
  return text
    .split('\n')
    .map((line) => `${by}${line}`)
    .join('\n');
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
