/**
 * The table view's rows: every state an execution entered, as a tree (Parallel branches and Map
 * processors under their state), with when it started after the execution did, how long it took, and
 * its timeline — each attempt of a Task (a Retry shows as a failed attempt, the backoff pause, then the
 * next attempt), each entry of any other state, and the pause a redrive left between a failure and the
 * attempt that continued it.
 *
 * Built on `replayHistory`'s attribution of Task events to their states, so the table and the graph
 * never disagree. Pure (no DOM): Node tests import it.
 */
import { type AslMachine, functionOfResource, statesOf } from './graph.ts';
import { type ExecutionRun, type HistoryEvent, type StateStatus, timeOf } from './status.ts';

export type AttemptOutcome = 'succeeded' | 'failed' | 'running' | 'cancelled';

export interface Attempt {
  start: number;
  end?: number;
  outcome: AttemptOutcome;
  error?: string;
}

/** A pause between a failed attempt and the next: a Retry's backoff, or the wait for a redrive. */
export interface Gap {
  from: number;
  to: number;
  kind: 'backoff' | 'redrive';
}

export interface TimelineRow {
  name: string;
  type: string;
  status: StateStatus;
  /** The Lambda function a Task invokes. */
  resource?: string;
  /** The Parallel or Map state this one runs in. */
  parent?: string;
  depth: number;
  startedAfterMs?: number;
  durationMs?: number;
  attempts: Attempt[];
  gaps: Gap[];
  /** Failed attempts that a Retry (or a redrive) followed. */
  retries: number;
}

export interface Timeline {
  rows: TimelineRow[];
  /** The span the timeline column draws (epoch ms). */
  start: number;
  end: number;
}

/**
 * The table view of an execution.
 *
 * @example
 *   const { rows } = timelineOf(definition, events, replayHistory(definition, events), Date.now());
 *   rows.find((r) => r.name === 'AddDnatRule')?.attempts.map((a) => a.outcome); // ['failed', 'failed', 'succeeded']
 */
export function timelineOf(
  definition: AslMachine,
  events: readonly HistoryEvent[],
  run: ExecutionRun,
  now: number,
): Timeline {
  const index = statesOf(definition);
  const sorted = [...events].sort((a, b) => a.id - b.id);
  const start = run.startedAt ?? timeOf(sorted[0]?.timestamp);
  const end = run.status === 'RUNNING' ? now : (run.stoppedAt ?? timeOf(sorted.at(-1)?.timestamp));
  const redrives = sorted.filter((e) => e.type === 'ExecutionRedriven').map((e) => timeOf(e.timestamp));
  const byId = new Map(sorted.map((e) => [e.id, e]));

  const rows = new Map<string, TimelineRow & { first: number }>();
  for (const [name, state] of run.states) {
    if (state.entries === 0) continue;
    const info = index.get(name);
    const attempts: Attempt[] = [];
    let open: Attempt | undefined;
    const close = (at: number, outcome: AttemptOutcome, error?: string) => {
      if (!open) return;
      open.end = at;
      open.outcome = outcome;
      if (error !== undefined) open.error = error;
      open = undefined;
    };
    for (const id of state.eventIds) {
      const event = byId.get(id);
      if (!event) continue;
      const at = timeOf(event.timestamp);
      const type = event.type;
      if (state.type === 'Task') {
        // A Lambda-ARN Task's events (LambdaFunction…), or a lambda:invoke integration's (Task…).
        if (type === 'LambdaFunctionScheduled' || type === 'TaskScheduled') {
          close(at, 'cancelled');
          open = { start: at, outcome: 'running' };
          attempts.push(open);
        } else if (type === 'LambdaFunctionSucceeded' || type === 'TaskSucceeded') close(at, 'succeeded');
        else if (
          type === 'LambdaFunctionFailed' ||
          type === 'LambdaFunctionTimedOut' ||
          type === 'TaskFailed' ||
          type === 'TaskTimedOut'
        ) {
          const details = (event.lambdaFunctionFailedEventDetails ??
            event.lambdaFunctionTimedOutEventDetails ??
            event.taskFailedEventDetails ??
            event.taskTimedOutEventDetails) as { error?: string } | undefined;
          close(at, 'failed', details?.error ?? 'States.TaskFailed');
        }
      } else if (type.endsWith('StateEntered')) {
        close(at, 'cancelled');
        open = { start: at, outcome: 'running' };
        attempts.push(open);
      } else if (type.endsWith('StateExited')) close(at, 'succeeded');
      else if (type.endsWith('StateFailed')) close(at, 'failed', state.error);
    }
    // Still open: running while the execution runs, otherwise it was cut short.
    if (open) {
      const last = open as Attempt;
      if (run.status === 'RUNNING') last.outcome = 'running';
      else if (state.status === 'failed') {
        last.outcome = 'failed';
        last.end = run.stoppedAt ?? end;
        if (state.error !== undefined) last.error = state.error;
      } else {
        last.outcome = 'cancelled';
        last.end = run.stoppedAt ?? end;
      }
    }
    const gaps: Gap[] = [];
    for (let i = 1; i < attempts.length; i++) {
      const previous = attempts[i - 1] as Attempt;
      const next = attempts[i] as Attempt;
      if (previous.outcome !== 'failed' || previous.end === undefined) continue;
      const from = previous.end;
      const kind = redrives.some((at) => at >= from && at <= next.start) ? 'redrive' : 'backoff';
      gaps.push({ from, to: next.start, kind });
    }
    const first = attempts[0]?.start ?? state.enteredAt ?? start;
    const lastEnd = attempts.at(-1)?.end;
    const row: TimelineRow & { first: number } = {
      name,
      type: state.type,
      status: state.status,
      depth: 0,
      attempts,
      gaps,
      retries: attempts.filter((a, i) => a.outcome === 'failed' && i < attempts.length - 1).length,
      first,
      startedAfterMs: Math.max(0, first - start),
    };
    const resource = state.type === 'Task' ? functionOfResource(info?.state.Resource) : undefined;
    if (resource !== undefined) row.resource = resource;
    if (info?.container !== undefined) row.parent = info.container;
    const stop = lastEnd ?? (run.status === 'RUNNING' ? now : end);
    row.durationMs = Math.max(0, stop - first);
    rows.set(name, row);
  }

  // Tree order: each state after its container, siblings by when they first started.
  const children = new Map<string | undefined, (TimelineRow & { first: number })[]>();
  for (const row of rows.values()) {
    const parent = row.parent !== undefined && rows.has(row.parent) ? row.parent : undefined;
    const list = children.get(parent) ?? [];
    list.push(row);
    children.set(parent, list);
  }
  const ordered: TimelineRow[] = [];
  const visit = (parent: string | undefined, depth: number) => {
    for (const row of (children.get(parent) ?? []).sort((a, b) => a.first - b.first)) {
      const { first: _first, ...clean } = row;
      clean.depth = depth;
      ordered.push(clean);
      visit(row.name, depth + 1);
    }
  };
  visit(undefined, 0);
  return { rows: ordered, start, end: Math.max(end, start + 1) };
}

/**
 * The rows a status filter keeps: those with the status, and their containers (so the tree still
 * reads); every row for `''`.
 */
export function filterRows(rows: readonly TimelineRow[], status: string): TimelineRow[] {
  if (status === '') return [...rows];
  const keep = new Set<string>();
  const byName = new Map(rows.map((r) => [r.name, r]));
  for (const row of rows) {
    if (row.status !== status) continue;
    let current: TimelineRow | undefined = row;
    while (current && !keep.has(current.name)) {
      keep.add(current.name);
      current = current.parent === undefined ? undefined : byName.get(current.parent);
    }
  }
  return rows.filter((row) => keep.has(row.name));
}
