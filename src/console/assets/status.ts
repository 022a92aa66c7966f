/**
 * What happened to each state of an execution, read from its history (AWS GetExecutionHistory events) and
 * its definition: the colour the graph gives each state, and the input, output, error and cause the
 * console shows when a state is clicked.
 *
 * Statuses:
 * - `not-started`: no event names the state;
 * - `running`: entered and neither exited nor failed;
 * - `succeeded`: its last entry exited normally;
 * - `failed`: it failed and nothing caught it here (the error went on to its container or the execution);
 * - `caught`: it failed and one of its Catch handlers took over (the execution recovered from it);
 * - `cancelled`: it was still open when the execution closed (a sibling branch failed, or a stop).
 *
 * Task events carry no state name. On AWS their `previousEventId` chain leads back to the state's
 * entered event; that chain is followed when it does. Otherwise (a history that numbers events in
 * sequence) a LambdaFunctionScheduled goes to the open Task state that calls the function its `resource`
 * names (a `lambda:invoke` integration's TaskScheduled: its parameters' FunctionName),
 * and a task's completion goes to the running task whose next sign of life (its exit, its retry, its
 * catch) comes first — what concurrent Parallel branches need.
 *
 * Pure (no DOM): Node tests import it; the console's server strips its types for the browser.
 */
import { type AslMachine, type AslState, functionOfResource, statesOf } from './graph.ts';

export type StateStatus = 'not-started' | 'running' | 'succeeded' | 'failed' | 'caught' | 'cancelled';

/** A history event as GetExecutionHistory returns it (timestamps as ISO text, epoch ms or Date). */
export interface HistoryEvent {
  id: number;
  previousEventId?: number;
  type: string;
  timestamp: string | number | Date;
  [details: string]: unknown;
}

export interface StateRun {
  name: string;
  type: string;
  status: StateStatus;
  /** How many times it was entered (loops, Map iterations, container retries). */
  entries: number;
  /** Task attempts that failed and were retried. */
  retries: number;
  /** The input and output of the last entry (parsed JSON). */
  input?: unknown;
  output?: unknown;
  /** A Task's result as its function returned it, before ResultSelector/ResultPath/OutputPath. */
  result?: unknown;
  /** The failure of the last entry, when there was one (a caught or retried one included). */
  error?: string;
  cause?: string;
  /** The state a Catch sent the execution on to. */
  caughtBy?: string;
  /** The last failure a Retry recovered from. */
  retriedError?: string;
  enteredAt?: number;
  exitedAt?: number;
  /** Ids of the events that name this state or were attributed to it. */
  eventIds: number[];
  /** What a running polling loop waits for: `waiting for ECS-B: BUILD, 42 s` (see `waitingOf`). */
  waiting?: string;
}

export interface ExecutionRun {
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';
  startedAt?: number;
  stoppedAt?: number;
  input?: unknown;
  output?: unknown;
  error?: string;
  cause?: string;
  /** Where the execution's error came from: the first state that failed with it, else its Fail state. */
  failedState?: string;
  states: Map<string, StateRun>;
  /** The state each event belongs to (by event id), for the history table. */
  stateOfEvent: Map<number, string>;
  /** RedriveExecution: how many times it was redriven, and the ids of the ExecutionRedriven events. */
  redriveCount: number;
  redriveEventIds: number[];
}

interface Tracker extends StateRun {
  open: number;
  scheduled: number;
  started: number;
  exits: number;
  failure?: { error: string; cause: string; eventId: number };
  lastEnteredId: number;
  catchTargets: Set<string>;
  functionName?: string;
  container?: string;
}

/**
 * Replays a history over a definition.
 *
 * @example
 *   const run = replayHistory(definition, events);
 *   run.states.get('AddDnatRule')?.status; // 'failed'
 */
export function replayHistory(definition: AslMachine, events: readonly HistoryEvent[]): ExecutionRun {
  const index = statesOf(definition);
  const trackers = new Map<string, Tracker>();
  for (const [name, { state, container }] of index) trackers.set(name, newTracker(name, state, container));
  const sorted = [...events].sort((a, b) => a.id - b.id);
  const byId = new Map(sorted.map((e) => [e.id, e]));
  const stateOfEvent = new Map<number, string>();
  const run: ExecutionRun = {
    status: 'RUNNING',
    states: new Map(),
    stateOfEvent,
    redriveCount: 0,
    redriveEventIds: [],
  };

  const tracker = (name: string | undefined): Tracker | undefined => {
    if (name === undefined) return undefined;
    let found = trackers.get(name);
    if (!found) {
      // A state the definition does not have (the machine was updated): track it anyway.
      found = newTracker(name, { Type: 'Task' }, undefined);
      trackers.set(name, found);
    }
    return found;
  };
  const attribute = (event: HistoryEvent, t: Tracker | undefined) => {
    if (!t) return;
    t.eventIds.push(event.id);
    stateOfEvent.set(event.id, t.name);
  };
  // A history numbered in sequence (previousEventId = id - 1 throughout) says nothing through its chain.
  const chainsMeanSomething = sorted.some(
    (e) => e.id > 1 && e.previousEventId !== undefined && e.previousEventId !== e.id - 1,
  );
  /** Scheduled tasks not started yet, oldest first. */
  const awaitingStart: Tracker[] = [];
  /** Follows previousEventId when it leads to an event of the expected kinds. */
  const chained = (event: HistoryEvent, expected: string[]): Tracker | undefined => {
    if (!chainsMeanSomething) return undefined;
    const previous = event.previousEventId === undefined ? undefined : byId.get(event.previousEventId);
    if (!previous || !expected.includes(previous.type)) return undefined;
    const owner = stateOfEvent.get(previous.id);
    return owner === undefined ? undefined : trackers.get(owner);
  };

  sorted.forEach((event, position) => {
    const at = timeOf(event.timestamp);
    const type = event.type;
    if (type === 'ExecutionStarted') {
      run.startedAt = at;
      run.input = parseJson(detail(event, 'executionStartedEventDetails')?.input);
      return;
    }
    if (type === 'ExecutionRedriven') {
      // The execution runs again from where it stopped: it is open, and every state the failure left
      // open (the failed Task, its Parallel, a Fail state) is closed, so that entering it again starts
      // afresh; a state that is not entered again keeps what it showed.
      run.status = 'RUNNING';
      delete run.stoppedAt;
      delete run.error;
      delete run.cause;
      run.redriveCount += 1;
      run.redriveEventIds.push(event.id);
      for (const t of trackers.values()) {
        t.open = 0;
        t.scheduled = 0;
        t.started = 0;
      }
      awaitingStart.length = 0;
      return;
    }
    if (type === 'ExecutionSucceeded') {
      run.status = 'SUCCEEDED';
      run.stoppedAt = at;
      run.output = parseJson(detail(event, 'executionSucceededEventDetails')?.output);
      return;
    }
    if (type === 'ExecutionFailed' || type === 'ExecutionAborted' || type === 'ExecutionTimedOut') {
      run.status =
        type === 'ExecutionFailed' ? 'FAILED' : type === 'ExecutionAborted' ? 'ABORTED' : 'TIMED_OUT';
      run.stoppedAt = at;
      const d =
        detail(event, 'executionFailedEventDetails') ??
        detail(event, 'executionAbortedEventDetails') ??
        detail(event, 'executionTimedOutEventDetails');
      if (typeof d?.error === 'string') run.error = d.error;
      if (typeof d?.cause === 'string') run.cause = d.cause;
      return;
    }
    if (type.endsWith('StateEntered')) {
      const name = detail(event, 'stateEnteredEventDetails')?.name;
      const t = tracker(typeof name === 'string' ? name : undefined);
      if (!t) return;
      attribute(event, t);
      // A Catch handler starting: every failed state that catches into it recovered.
      for (const other of trackers.values()) {
        if (other.failure && other.caughtBy === undefined && other.catchTargets.has(t.name)) {
          other.caughtBy = t.name;
          other.open = 0;
        }
      }
      if (t.open === 0) {
        t.failure = undefined;
        t.caughtBy = undefined;
        delete t.error;
        delete t.cause;
      }
      t.open += 1;
      t.entries += 1;
      t.lastEnteredId = event.id;
      t.input = parseJson(detail(event, 'stateEnteredEventDetails')?.input);
      t.enteredAt ??= at;
      return;
    }
    if (type.endsWith('StateExited')) {
      const name = detail(event, 'stateExitedEventDetails')?.name;
      const t = tracker(typeof name === 'string' ? name : undefined);
      if (!t) return;
      attribute(event, t);
      t.open = Math.max(0, t.open - 1);
      t.exits += 1;
      t.output = parseJson(detail(event, 'stateExitedEventDetails')?.output);
      t.exitedAt = at;
      // Exiting after a failure: the state's own Catch took the failure.
      if (t.failure && t.caughtBy === undefined) t.caughtBy = t.catchTargets.values().next().value ?? t.name;
      return;
    }
    const phase = taskPhaseOf(event);
    if (phase === 'scheduled') {
      const fn = scheduledFunctionOf(event);
      const t =
        chained(event, ['TaskStateEntered', ...FAILED_TYPES]) ??
        pick(
          [...trackers.values()]
            .filter(
              (c) =>
                c.type === 'Task' &&
                c.open > c.scheduled + c.started &&
                (fn === undefined || c.functionName === fn),
            )
            .sort((a, b) => a.lastEnteredId - b.lastEnteredId),
        );
      if (!t) return;
      attribute(event, t);
      if (t.failure) {
        // A Retry: the failure is behind it.
        t.retries += 1;
        t.retriedError = t.failure.error;
        t.failure = undefined;
        delete t.error;
        delete t.cause;
      }
      t.scheduled += 1;
      awaitingStart.push(t);
      return;
    }
    if (phase === 'started') {
      const t = chained(event, SCHEDULED_TYPES) ?? awaitingStart.find((c) => c.scheduled > 0);
      if (!t) return;
      awaitingStart.splice(awaitingStart.indexOf(t), 1);
      attribute(event, t);
      t.scheduled = Math.max(0, t.scheduled - 1);
      t.started += 1;
      return;
    }
    if (phase === 'succeeded' || phase === 'failed') {
      const failed = phase === 'failed';
      const candidates = [...trackers.values()].filter((c) => c.started > 0);
      const t =
        chained(event, STARTED_TYPES) ??
        (candidates.length <= 1 ? candidates[0] : byLookahead(sorted, position, candidates, failed));
      if (!t) return;
      attribute(event, t);
      t.started = Math.max(0, t.started - 1);
      const d = detail(event, DETAILS_KEY[type] ?? '');
      if (!failed) t.result = parseJson(d?.output);
      if (failed) fail(t, String(d?.error ?? 'States.TaskFailed'), String(d?.cause ?? ''), event.id);
      return;
    }
    if (type === 'ParallelStateFailed' || type === 'MapStateFailed') {
      const kind = type === 'ParallelStateFailed' ? 'Parallel' : 'Map';
      const t = pick(
        [...trackers.values()]
          .filter((c) => c.type === kind && c.open > 0)
          .sort((a, b) => b.lastEnteredId - a.lastEnteredId),
      );
      if (!t) return;
      attribute(event, t);
      // The container fails with the latest failure inside it.
      let inner: Tracker['failure'];
      for (const other of trackers.values()) {
        if (
          other.failure &&
          isInside(index, other.name, t.name) &&
          (!inner || other.failure.eventId > inner.eventId)
        )
          inner = other.failure;
      }
      fail(t, inner?.error ?? 'States.BranchFailed', inner?.cause ?? '', event.id);
      return;
    }
    if (type.startsWith('MapIteration') || type === 'MapStateStarted' || type === 'ParallelStateStarted') {
      const name = (
        detail(event, 'mapIterationStartedEventDetails') ??
        detail(event, 'mapIterationSucceededEventDetails') ??
        detail(event, 'mapIterationFailedEventDetails')
      )?.name;
      const t =
        typeof name === 'string'
          ? trackers.get(name)
          : pick(
              [...trackers.values()]
                .filter(
                  (c) => c.type === (type === 'ParallelStateStarted' ? 'Parallel' : 'Map') && c.open > 0,
                )
                .sort((a, b) => b.lastEnteredId - a.lastEnteredId),
            );
      attribute(event, t);
      return;
    }
    if (type === 'MapStateSucceeded' || type === 'ParallelStateSucceeded') {
      const kind = type === 'MapStateSucceeded' ? 'Map' : 'Parallel';
      attribute(
        event,
        pick(
          [...trackers.values()]
            .filter((c) => c.type === kind && c.open > 0)
            .sort((a, b) => b.lastEnteredId - a.lastEnteredId),
        ),
      );
    }
  });

  const closed = run.status !== 'RUNNING';
  for (const t of trackers.values()) {
    let status: StateStatus;
    if (t.failure && t.caughtBy !== undefined) status = 'caught';
    else if (t.failure) status = 'failed';
    else if (t.open > 0 && closed) {
      if (t.type === 'Fail' && run.status === 'FAILED') {
        status = 'failed';
        t.error = run.error ?? '';
        t.cause = run.cause ?? '';
      } else status = 'cancelled';
    } else if (t.open > 0) status = 'running';
    else if (t.exits > 0) status = 'succeeded';
    else if (t.entries > 0 && t.type === 'Succeed') status = 'succeeded';
    else if (t.entries > 0 && t.type === 'Fail') status = closed ? 'failed' : 'running';
    else status = 'not-started';
    t.status = status;
    run.states.set(t.name, toRun(t));
  }
  if (run.status === 'FAILED' || run.status === 'TIMED_OUT')
    run.failedState = failedStateOf(run, trackers, index);
  // What a polling step last reported waiting for, shown on it and on the loop's running Wait state.
  const waiting = run.status === 'RUNNING' ? waitingOf(sorted, stateOfEvent) : undefined;
  if (waiting) {
    const reporter = run.states.get(waiting.state);
    if (reporter?.status === 'running') reporter.waiting = waiting.text;
    for (const state of run.states.values())
      if (state.status === 'running' && state.type === 'Wait') state.waiting = waiting.text;
  }
  return run;
}

/** A wait report: `{name, kind?, status, seconds}` (what a polling step says it waits for). */
interface WaitingReport {
  name: string;
  kind?: string;
  status?: string;
  seconds?: number;
}

function findWaiting(value: unknown, depth = 0): WaitingReport | null | undefined {
  if (!value || typeof value !== 'object' || depth > 4) return undefined;
  const record = value as Record<string, unknown>;
  if ('waiting' in record) {
    const w = record.waiting;
    if (w && typeof w === 'object' && typeof (w as { name?: unknown }).name === 'string')
      return w as WaitingReport;
    if (Array.isArray(w) && w[0] && typeof w[0] === 'object') return w[0] as WaitingReport;
    return null; // reported, and waiting for nothing
  }
  for (const inner of Object.values(record)) {
    const found = findWaiting(inner, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * What an event's details report of a wait: a step's output (or result) carrying `waiting`, or the
 * `cause` of a failed attempt — a `Natflow.NotReady` whose cause is the waiting document
 * `{code, message, waiting, alsoWaiting?}`, or Lambda's `{errorType, errorMessage, trace}` whose
 * `errorMessage` is that document (docs/workflows.md#what-a-step-waits-for).
 */
function reportOf(details: Record<string, unknown>): WaitingReport | null | undefined {
  if ('output' in details) return findWaiting(parseJson(details.output));
  if (typeof details.cause !== 'string') return undefined;
  const cause = parseJson(details.cause);
  if (
    cause &&
    typeof cause === 'object' &&
    typeof (cause as { errorMessage?: unknown }).errorMessage === 'string'
  )
    return findWaiting(parseJson((cause as { errorMessage: string }).errorMessage));
  return findWaiting(cause);
}

/**
 * The last wait a polling step reported in the history — the waiting document of its last
 * `Natflow.NotReady` attempt, or an output carrying `waiting: {name, kind, status, seconds}` — as text
 * and the state that reported it; undefined once that step succeeds or reports waiting for nothing.
 *
 * @example
 *   waitingOf(events, stateOfEvent)?.text; // 'waiting for ECS-B: BUILD, 42 s'
 */
export function waitingOf(
  events: readonly HistoryEvent[],
  stateOfEvent: ReadonlyMap<number, string>,
): { text: string; state: string } | undefined {
  let last: { text: string; state: string } | undefined;
  for (const event of events) {
    const details = Object.values(event).find(
      (v): v is Record<string, unknown> =>
        typeof v === 'object' && v !== null && ('output' in v || 'cause' in v),
    );
    if (!details) continue;
    const state = stateOfEvent.get(event.id) ?? '';
    const report = reportOf(details);
    if (report === undefined) {
      // The step went on: a success of the state that waited ends its wait.
      if ('output' in details && last?.state === state) last = undefined;
      continue;
    }
    if (report === null) {
      if (last?.state === state) last = undefined;
      continue;
    }
    const seconds = typeof report.seconds === 'number' ? `, ${Math.round(report.seconds)} s` : '';
    last = {
      text: `waiting for ${report.name}${report.status ? `: ${report.status}` : ''}${seconds}`,
      state,
    };
  }
  return last;
}

/** The state to point at for a failed execution's error. */
function failedStateOf(
  run: ExecutionRun,
  trackers: Map<string, Tracker>,
  index: ReturnType<typeof statesOf>,
): string | undefined {
  const failures = [...trackers.values()]
    .filter((t) => t.failure !== undefined)
    .sort((a, b) => (a.failure?.eventId ?? 0) - (b.failure?.eventId ?? 0));
  // The earliest state whose failure is the execution's error, preferring the innermost (not a container
  // that only passed a branch's failure on).
  const same = failures.filter((t) => t.failure?.error === run.error);
  const innermost = same.filter((t) => !same.some((o) => o !== t && isInside(index, o.name, t.name)));
  const origin = innermost[0] ?? same[0];
  if (origin) return origin.name;
  const fail = [...trackers.values()].find((t) => t.type === 'Fail' && t.entries > 0);
  if (fail) return fail.name;
  return failures.at(-1)?.name;
}

function fail(t: Tracker, error: string, cause: string, eventId: number): void {
  t.failure = { error, cause, eventId };
  t.caughtBy = undefined;
  t.error = error;
  t.cause = cause;
}

/**
 * Which of several running tasks a completion belongs to: the one whose next sign of life comes first —
 * its exit for a success; its retry (a LambdaFunctionScheduled of its function) or its Catch handler's entry for a
 * failure, else one that never shows up again.
 */
function byLookahead(
  events: readonly HistoryEvent[],
  position: number,
  candidates: Tracker[],
  failed: boolean,
): Tracker | undefined {
  const first = new Map<Tracker, { at: number; kind: 'exit' | 'retry' | 'catch' }>();
  for (let i = position + 1; i < events.length && first.size < candidates.length; i++) {
    const e = events[i]!;
    const entered = e.type.endsWith('StateEntered') ? detail(e, 'stateEnteredEventDetails')?.name : undefined;
    const exited = e.type.endsWith('StateExited') ? detail(e, 'stateExitedEventDetails')?.name : undefined;
    const fn = taskPhaseOf(e) === 'scheduled' ? scheduledFunctionOf(e) : undefined;
    for (const c of candidates) {
      if (first.has(c)) continue;
      if (exited === c.name) first.set(c, { at: i, kind: 'exit' });
      else if (fn !== undefined && fn === c.functionName) first.set(c, { at: i, kind: 'retry' });
      else if (typeof entered === 'string' && c.catchTargets.has(entered))
        first.set(c, { at: i, kind: 'catch' });
    }
  }
  const ordered = [...first.entries()].sort((a, b) => a[1].at - b[1].at);
  if (!failed)
    return ordered.find(([, sign]) => sign.kind === 'exit')?.[0] ?? ordered[0]?.[0] ?? candidates[0];
  return (
    ordered.find(([, sign]) => sign.kind !== 'exit')?.[0] ??
    candidates.find((c) => !first.has(c)) ??
    ordered[0]?.[0] ??
    candidates[0]
  );
}

function isInside(index: ReturnType<typeof statesOf>, name: string, container: string): boolean {
  let current = index.get(name)?.container;
  while (current !== undefined) {
    if (current === container) return true;
    current = index.get(current)?.container;
  }
  return false;
}

function newTracker(name: string, state: AslState, container: string | undefined): Tracker {
  const fn = state.Type === 'Task' ? functionOfResource(state.Resource) : undefined;
  return {
    name,
    type: state.Type,
    status: 'not-started',
    entries: 0,
    retries: 0,
    eventIds: [],
    open: 0,
    scheduled: 0,
    started: 0,
    exits: 0,
    lastEnteredId: 0,
    catchTargets: new Set((state.Catch ?? []).map((c) => c.Next)),
    ...(fn !== undefined ? { functionName: fn } : {}),
    ...(container !== undefined ? { container } : {}),
  };
}

function toRun(t: Tracker): StateRun {
  const run: StateRun = {
    name: t.name,
    type: t.type,
    status: t.status,
    entries: t.entries,
    retries: t.retries,
    eventIds: t.eventIds,
  };
  if (t.input !== undefined) run.input = t.input;
  if (t.output !== undefined) run.output = t.output;
  if (t.result !== undefined) run.result = t.result;
  if (t.error !== undefined) run.error = t.error;
  if (t.cause !== undefined) run.cause = t.cause;
  if (t.caughtBy !== undefined) run.caughtBy = t.caughtBy;
  if (t.retriedError !== undefined) run.retriedError = t.retriedError;
  if (t.enteredAt !== undefined) run.enteredAt = t.enteredAt;
  if (t.exitedAt !== undefined) run.exitedAt = t.exitedAt;
  return run;
}

function pick<T>(candidates: T[]): T | undefined {
  return candidates[0];
}

/**
 * A Task's history events: AWS records a Task whose Resource is a Lambda function ARN (natflow's) as
 * LambdaFunction…; a `lambda:invoke` integration as Task…. Both are read.
 */
const SCHEDULED_TYPES = ['LambdaFunctionScheduled', 'TaskScheduled'];
const STARTED_TYPES = ['LambdaFunctionStarted', 'TaskStarted'];
const FAILED_TYPES = ['LambdaFunctionFailed', 'LambdaFunctionTimedOut', 'TaskFailed', 'TaskTimedOut'];
const SUCCEEDED_TYPES = ['LambdaFunctionSucceeded', 'TaskSucceeded'];
const DETAILS_KEY: Readonly<Record<string, string>> = {
  LambdaFunctionScheduled: 'lambdaFunctionScheduledEventDetails',
  LambdaFunctionSucceeded: 'lambdaFunctionSucceededEventDetails',
  LambdaFunctionFailed: 'lambdaFunctionFailedEventDetails',
  LambdaFunctionTimedOut: 'lambdaFunctionTimedOutEventDetails',
  TaskScheduled: 'taskScheduledEventDetails',
  TaskSucceeded: 'taskSucceededEventDetails',
  TaskFailed: 'taskFailedEventDetails',
  TaskTimedOut: 'taskTimedOutEventDetails',
};

function taskPhaseOf(event: HistoryEvent): 'scheduled' | 'started' | 'succeeded' | 'failed' | undefined {
  if (SCHEDULED_TYPES.includes(event.type)) return 'scheduled';
  if (STARTED_TYPES.includes(event.type)) return 'started';
  if (SUCCEEDED_TYPES.includes(event.type)) return 'succeeded';
  if (FAILED_TYPES.includes(event.type)) return 'failed';
  return undefined;
}

/** The function a scheduled event calls: its `resource` (a function ARN), or the integration's FunctionName. */
function scheduledFunctionOf(event: HistoryEvent): string | undefined {
  if (event.type === 'LambdaFunctionScheduled') {
    const resource = detail(event, 'lambdaFunctionScheduledEventDetails')?.resource;
    return typeof resource === 'string' ? functionOfResource(resource) : undefined;
  }
  const params = parseJson(detail(event, 'taskScheduledEventDetails')?.parameters) as
    | { FunctionName?: unknown }
    | undefined;
  return typeof params?.FunctionName === 'string' ? functionOfResource(params.FunctionName) : undefined;
}

function detail(event: HistoryEvent, key: string): Record<string, unknown> | undefined {
  const value = event[key];
  return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
}

/** Epoch milliseconds of a history timestamp (ISO text, epoch seconds or ms, or a Date). */
export function timeOf(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number') return value < 1e11 ? value * 1000 : value;
  if (typeof value === 'string') {
    const parsed = Date.parse(value);
    if (!Number.isNaN(parsed)) return parsed;
    const numeric = Number(value);
    if (!Number.isNaN(numeric)) return timeOf(numeric);
  }
  return Number.NaN;
}

/** JSON text → value; anything that is not JSON text is returned as it is. */
export function parseJson(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/** The state a history event names or was attributed to, for the history table's "state" column. */
export function stateNameOf(run: ExecutionRun, event: HistoryEvent): string | undefined {
  return run.stateOfEvent.get(event.id);
}

/** What a cloud answered and what a rollback left behind, as a failure document carries them. */
export interface CauseExtras {
  cloud?: string;
  leftBehind?: string[];
}

/**
 * A cause as a person reads it: its message first. Three shapes: the failure document an execution's
 * cause is (docs/real-cloud.md#failure) — `{code, message, cloud?, rollback?}`, an object from the API
 * or its JSON text from the history — whose cloud answer and left-behind resources come along; a Lambda
 * failure's JSON text `{errorType, errorMessage, trace}`, whose trace (frames, when a handler left any)
 * is for a second look; any other cause is its own message.
 */
export function readCause(
  cause: string | Record<string, unknown> | undefined,
): { message: string; type?: string; trace?: string[] } & CauseExtras {
  if (!cause) return { message: '' };
  const parsed = typeof cause === 'string' ? parseJson(cause) : cause;
  if (parsed && typeof parsed === 'object' && typeof (parsed as { code?: unknown }).code === 'string') {
    const document = parsed as {
      code: string;
      message?: unknown;
      cloud?: { code?: string; message?: string; requestId?: string };
      rollback?: { status?: string; leftBehind?: { kind?: string; name?: string; externalId?: string }[] };
    };
    if (typeof document.message === 'string') {
      const cloud = document.cloud;
      const left = document.rollback?.status === 'INCOMPLETE' ? (document.rollback.leftBehind ?? []) : [];
      return {
        message: document.message,
        type: document.code,
        ...(cloud?.message
          ? {
              cloud: `${cloud.code ? `${cloud.code} ` : ''}${cloud.message}${cloud.requestId ? ` (request ${cloud.requestId})` : ''}`,
            }
          : {}),
        ...(left.length > 0
          ? {
              leftBehind: left.map(
                (r) => `${r.kind} ${r.name} ${r.externalId ?? '(never confirmed by the cloud)'}`,
              ),
            }
          : {}),
      };
    }
  }
  if (
    parsed &&
    typeof parsed === 'object' &&
    typeof (parsed as { errorMessage?: unknown }).errorMessage === 'string'
  ) {
    const { errorMessage, errorType, trace } = parsed as {
      errorMessage: string;
      errorType?: unknown;
      trace?: unknown;
    };
    const message = readErrorMessage(errorMessage);
    // natflow's handlers leave one line, `type: message`, and no frame: nothing more to show.
    const frames = Array.isArray(trace)
      ? trace.map(String).filter((line) => line !== `${String(errorType)}: ${errorMessage}`)
      : [];
    return {
      message: message.message,
      ...(typeof errorType === 'string' ? { type: errorType } : {}),
      ...(frames.length > 0 ? { trace: frames } : {}),
      ...(message.cloud ? { cloud: message.cloud } : {}),
    };
  }
  return { message: typeof cause === 'string' ? cause : JSON.stringify(cause) };
}

/** A Lambda `errorMessage` that carries what the cloud answered is JSON `{message, cloud}`. */
function readErrorMessage(text: string): { message: string; cloud?: string } {
  const parsed = text.startsWith('{') ? parseJson(text) : undefined;
  if (parsed && typeof parsed === 'object' && typeof (parsed as { message?: unknown }).message === 'string') {
    const { message, cloud } = parsed as { message: string; cloud?: { code?: string; message?: string } };
    return {
      message,
      ...(cloud?.message ? { cloud: `${cloud.code ? `${cloud.code} ` : ''}${cloud.message}` } : {}),
    };
  }
  return { message: text };
}
