/**
 * RedriveExecution on the local Step Functions service: AWS's rules, and where a redrive continues.
 *
 * Rules (AWS, STANDARD workflows — the only type this service runs): an execution may be redriven when it
 * is not RUNNING and not SUCCEEDED (so FAILED, ABORTED or TIMED_OUT), it closed less than 14 days ago (the
 * redrivable period starts when it stops), it was started less than a year ago (the maximum open time),
 * and its history holds fewer than 24,999 events (room for `ExecutionRedriven` and one more). Otherwise
 * `ExecutionNotRedrivable`, with the `redriveStatusReason` text AWS uses.
 *
 * A redrive keeps the execution's ARN, input and history: the row goes back to RUNNING, `redriveCount`
 * grows by one, `redriveDate` is set, an `ExecutionRedriven` event ({redriveCount}) is appended, and the
 * engine continues at the **top-level state that was open when the execution closed**, with the input
 * that state was entered with (the successful states before it are not run again). Local difference from
 * AWS, by necessity of the engine: when that state is a Parallel or Map, it runs again whole, every branch
 * or iteration — AWS reruns only the failed branches and iterations. natflow's provisioning Tasks are
 * idempotent (client tokens), so the result is the same; the history shows the succeeded branches' Tasks
 * once more. With no open top-level state (an execution stopped between states), it starts again at
 * `StartAt` with the execution's input.
 *
 * The runner calls `redrive` with a few hooks (its database, its engine), so this module holds the rules
 * and the restart point only, and stays the same whichever way the service is split.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import type { StateInfo } from './definition.ts';
import { SfnError } from './errors.ts';
import type { HistoryEventBody } from './history.ts';

/** The redrivable period: 14 days after the execution stopped. */
export const REDRIVABLE_PERIOD_MS = 14 * 24 * 3600 * 1000;
/** The maximum open time of a STANDARD execution: one year. */
export const MAX_EXECUTION_TIME_MS = 365 * 24 * 3600 * 1000;
/** A history must hold fewer events than this to be redriven (AWS: "less than 24,999 events"). */
export const REDRIVE_HISTORY_LIMIT = 24_999;

export class ExecutionNotRedrivableError extends SfnError {
  override name = 'ExecutionNotRedrivable';
}

export type RedriveStatus = 'REDRIVABLE' | 'NOT_REDRIVABLE';

export interface RedriveFacts {
  status: string;
  startDate: Date;
  stopDate?: Date | undefined;
  /** Events in the history now. */
  historyEvents: number;
}

/** Why the execution cannot be redriven now (AWS's `redriveStatusReason`), or undefined when it can. */
export function redriveRefusal(facts: RedriveFacts, now: number): string | undefined {
  if (facts.status === 'RUNNING') return 'Execution is RUNNING and cannot be redriven';
  if (facts.status === 'SUCCEEDED') return 'Execution is SUCCEEDED and cannot be redriven';
  if (now - facts.startDate.getTime() > MAX_EXECUTION_TIME_MS)
    return 'Execution has exceeded the max execution time';
  if (facts.stopDate !== undefined && now - facts.stopDate.getTime() > REDRIVABLE_PERIOD_MS)
    return 'Execution redrivable period exceeded';
  if (facts.historyEvents >= REDRIVE_HISTORY_LIMIT) return 'Execution history event limit exceeded';
  return undefined;
}

/** DescribeExecution's redrive fields. */
export function redriveStatusOf(
  facts: RedriveFacts,
  now: number,
): { redriveStatus: RedriveStatus; redriveStatusReason?: string } {
  const reason = redriveRefusal(facts, now);
  return reason === undefined
    ? { redriveStatus: 'REDRIVABLE' }
    : { redriveStatus: 'NOT_REDRIVABLE', redriveStatusReason: reason };
}

export interface RestartPoint {
  /** The top-level state the engine starts at. */
  stateName: string;
  /** Its input, as JSON text. */
  input: string;
}

/**
 * Where a redrive continues: the last top-level state entered and not exited in `events` (the whole
 * history, oldest first), with the input it was entered with; `StartAt` and the execution's input when
 * none is open.
 */
export function restartPointOf(
  events: readonly HistoryEvent[],
  states: ReadonlyMap<string, StateInfo>,
  startAt: string,
  executionInput: string,
): RestartPoint {
  let open: RestartPoint | undefined;
  for (const event of events) {
    const type = event.type ?? '';
    if (type === 'ExecutionRedriven') {
      // A redrive that is under way or closed again: only what happened since counts.
      open = undefined;
      continue;
    }
    if (type.endsWith('StateEntered')) {
      const name = event.stateEnteredEventDetails?.name;
      if (name === undefined || states.get(name)?.container !== undefined) continue;
      open = { stateName: name, input: event.stateEnteredEventDetails?.input ?? executionInput };
    } else if (type.endsWith('StateExited')) {
      const name = event.stateExitedEventDetails?.name;
      if (name !== undefined && open?.stateName === name) open = undefined;
    }
  }
  return open ?? { stateName: startAt, input: executionInput };
}

/** What `redrive` needs from the runner. */
export interface RedriveHooks {
  now(): number;
  /** The execution's whole history, oldest first. */
  history(): HistoryEvent[];
  /**
   * Reopens the closed execution as RUNNING with its new redrive count and date, appending `event`
   * (ExecutionRedriven) in the same transaction.
   */
  reopen(redrive: { count: number; date: Date }, event: HistoryEventBody): void;
  /** Runs the engine from `from`; the execution's events follow ExecutionRedriven. */
  launch(from: RestartPoint, redriveCount: number): void;
}

export interface RedrivableExecution {
  executionArn: string;
  status: string;
  input: string;
  startDate: Date;
  stopDate?: Date | undefined;
  redriveCount: number;
}

/**
 * RedriveExecution: checks AWS's rules, reopens the execution and continues it from its restart point.
 * Throws `ExecutionNotRedrivable` (with AWS's reason) when it may not be redriven.
 */
export function redrive(
  execution: RedrivableExecution,
  definition: { states: ReadonlyMap<string, StateInfo>; startAt: string },
  hooks: RedriveHooks,
): { redriveDate: Date } {
  const events = hooks.history();
  const now = hooks.now();
  const reason = redriveRefusal({ ...execution, historyEvents: events.length }, now);
  if (reason !== undefined) {
    throw new ExecutionNotRedrivableError(`Execution Not Redrivable: '${execution.executionArn}': ${reason}`);
  }
  const from = restartPointOf(events, definition.states, definition.startAt, execution.input);
  const count = execution.redriveCount + 1;
  const date = new Date(now);
  hooks.reopen(
    { count, date },
    { type: 'ExecutionRedriven', executionRedrivenEventDetails: { redriveCount: count } },
  );
  hooks.launch(from, count);
  return { redriveDate: date };
}
