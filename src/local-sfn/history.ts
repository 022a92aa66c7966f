/**
 * Turns what the local engine reports into AWS Step Functions history events.
 *
 * Two sources feed one ordered stream per execution:
 * - the engine's event log (`aws-local-stepfunctions` `eventLogs`: StateEntered/Exited/Failed, Map
 *   iterations, …), delivered asynchronously through chains of promises — events from Parallel branches
 *   and Map iterations travel through one more async generator per level of nesting;
 * - the Task handler wrapper (LambdaFunctionScheduled/Started/Succeeded/Failed), which waits one macrotask
 *   before reporting, so that every engine event dispatched before the handler was called is already queued.
 *
 * Because nested events travel further, a Map or Parallel state's closing event (StateExited/StateFailed)
 * can be queued before the last events of its branches. Invariant kept here: a container's closing events
 * are recorded after every queued event of a state inside it. Before closing a container, the recorder
 * waits one macrotask (all promise chains of the engine settle within it) and moves the container's inner
 * events ahead of the closing event.
 *
 * Event mapping (AWS names): `<Type>StateEntered`/`<Type>StateExited` for every state; `MapStateStarted`
 * (`length`) and `ParallelStateStarted` after entering; `MapStateSucceeded`/`ParallelStateSucceeded` or
 * `…Failed` before leaving; `MapIterationStarted/Succeeded/Failed` ({name, index}). Every Task's Resource
 * is a Lambda function ARN (not the `arn:aws:states:::lambda:invoke` integration), which AWS records as
 * LambdaFunctionScheduled (`{resource: <function ARN>, input, inputDetails, timeoutInSeconds?}`),
 * LambdaFunctionStarted (no details), LambdaFunctionSucceeded (`{output, outputDetails}`),
 * LambdaFunctionFailed (`{error, cause}`; one per failed attempt: a Retry shows as LambdaFunctionFailed then
 * a new LambdaFunctionScheduled), LambdaFunctionTimedOut (`{error, cause}`), between the Task's
 * TaskStateEntered and TaskStateExited. Parallel branches have no events of their own on AWS, so the
 * engine's are dropped.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { isWithin, mapLengthOf, type StateInfo, type TaskInfo } from './definition.ts';

/** The structural shape of an `aws-local-stepfunctions` event log entry. */
export interface EngineEvent {
  type: string;
  timestamp: number;
  state?: { name: string; type: string; input?: unknown; output?: unknown };
  parentState?: { name: string; type: string };
  index?: number;
  Error?: string;
  Cause?: unknown;
}

/** What the Task handler wrapper reports. */
export type TaskReport =
  | { phase: 'scheduled'; stateName: string; input: unknown }
  | { phase: 'started'; stateName: string }
  | { phase: 'succeeded'; stateName: string; output: unknown }
  | { phase: 'failed'; stateName: string; error: string; cause: string };

/** A history event before the service numbers and timestamps it. */
export type HistoryEventBody = Omit<HistoryEvent, 'id' | 'previousEventId' | 'timestamp'>;

type Item = { kind: 'engine'; event: EngineEvent; settled?: boolean } | { kind: 'task'; report: TaskReport };

export interface RecorderOptions {
  states: ReadonlyMap<string, StateInfo>;
  tasks: ReadonlyMap<string, TaskInfo>;
  region: string;
  /** Receives each history event, in order. */
  record: (event: HistoryEventBody) => void;
}

export class HistoryRecorder {
  private buffer: Item[] = [];
  private draining = false;
  private detached = false;
  private readonly failedContainers = new Set<string>();
  private idleWaiters: (() => void)[] = [];

  private readonly options: RecorderOptions;

  constructor(options: RecorderOptions) {
    this.options = options;
  }

  engine(event: EngineEvent): void {
    this.enqueue({ kind: 'engine', event });
  }

  task(report: TaskReport): void {
    this.enqueue({ kind: 'task', report });
  }

  /** Resolves once every queued event has been recorded. */
  idle(): Promise<void> {
    if (!this.draining && this.buffer.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Records every queued event now, in queue order, and stops recording anything after. */
  flushAndDetach(): void {
    const pending = this.buffer;
    this.buffer = [];
    for (const item of pending) this.translate(item);
    this.detach();
  }

  /** Stops recording: queued and later events are dropped. */
  detach(): void {
    this.detached = true;
    this.buffer = [];
    this.wakeIdle();
  }

  private enqueue(item: Item): void {
    if (this.detached) return;
    this.buffer.push(item);
    if (!this.draining) void this.drain();
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (!this.detached && this.buffer.length > 0) {
        const head = this.buffer[0]!;
        const container = head.kind === 'engine' && !head.settled ? closedContainerOf(head.event) : undefined;
        if (container !== undefined && head.kind === 'engine') {
          await nextMacrotask();
          head.settled = true;
          this.moveInnerEventsAhead(head, container);
          continue;
        }
        this.buffer.shift();
        this.translate(head);
      }
    } finally {
      this.draining = false;
      this.wakeIdle();
    }
  }

  /** Puts the queued events of states inside `container` before its closing event `closing`. */
  private moveInnerEventsAhead(closing: Item, container: string): void {
    const at = this.buffer.indexOf(closing);
    if (at < 0) return;
    const inner: Item[] = [];
    const rest: Item[] = [];
    let scanning = true;
    for (const item of this.buffer.slice(at + 1)) {
      const own = item.kind === 'engine' && item.event.state?.name === container;
      // The container entered again (a Retry): what follows belongs to the next attempt.
      if (own && (item.event.type === 'StateEntered' || item.event.type === 'StateRetried')) scanning = false;
      const name = stateNameOf(item);
      if (scanning && !own && name !== undefined && isWithin(this.options.states, name, container)) {
        inner.push(item);
      } else {
        rest.push(item);
      }
    }
    this.buffer = [...this.buffer.slice(0, at), ...inner, closing, ...rest];
  }

  private translate(item: Item): void {
    if (this.detached) return;
    for (const body of item.kind === 'task' ? this.fromTask(item.report) : this.fromEngine(item.event)) {
      this.options.record(body);
    }
  }

  private fromTask(report: TaskReport): HistoryEventBody[] {
    switch (report.phase) {
      case 'scheduled': {
        const task = this.options.tasks.get(report.stateName);
        const timeout = this.options.states.get(report.stateName)?.definition.TimeoutSeconds;
        return [
          {
            type: 'LambdaFunctionScheduled',
            lambdaFunctionScheduledEventDetails: {
              resource: task?.functionArn,
              input: JSON.stringify(report.input ?? null),
              inputDetails: { truncated: false },
              ...(typeof timeout === 'number' ? { timeoutInSeconds: timeout } : {}),
            },
          },
        ];
      }
      case 'started':
        return [{ type: 'LambdaFunctionStarted' }];
      case 'succeeded':
        return [
          {
            type: 'LambdaFunctionSucceeded',
            lambdaFunctionSucceededEventDetails: {
              output: JSON.stringify(report.output ?? null),
              outputDetails: { truncated: false },
            },
          },
        ];
      case 'failed':
        return [
          {
            type: 'LambdaFunctionFailed',
            lambdaFunctionFailedEventDetails: { error: report.error, cause: report.cause },
          },
        ];
    }
  }

  private fromEngine(event: EngineEvent): HistoryEventBody[] {
    const state = event.state;
    switch (event.type) {
      case 'StateEntered': {
        if (state === undefined) return [];
        this.failedContainers.delete(state.name);
        const entered: HistoryEventBody = {
          type: `${state.type}StateEntered` as HistoryEvent['type'],
          stateEnteredEventDetails: {
            name: state.name,
            input: JSON.stringify(state.input ?? null),
            inputDetails: { truncated: false },
          },
        };
        if (state.type === 'Parallel') return [entered, { type: 'ParallelStateStarted' }];
        if (state.type === 'Map') {
          const info = this.options.states.get(state.name);
          const length = info === undefined ? undefined : mapLengthOf(info, state.input);
          return [
            entered,
            { type: 'MapStateStarted', mapStateStartedEventDetails: length === undefined ? {} : { length } },
          ];
        }
        return [entered];
      }
      case 'StateExited': {
        if (state === undefined) return [];
        const exited: HistoryEventBody = {
          type: `${state.type}StateExited` as HistoryEvent['type'],
          stateExitedEventDetails: {
            name: state.name,
            output: JSON.stringify(state.output ?? null),
            outputDetails: { truncated: false },
          },
        };
        if ((state.type === 'Map' || state.type === 'Parallel') && !this.failedContainers.has(state.name)) {
          return [{ type: `${state.type}StateSucceeded` as HistoryEvent['type'] }, exited];
        }
        return [exited];
      }
      case 'StateFailed': {
        if (state === undefined) return [];
        if (state.type === 'Map' || state.type === 'Parallel') {
          this.failedContainers.add(state.name);
          return [{ type: `${state.type}StateFailed` as HistoryEvent['type'] }];
        }
        if (state.type === 'Task' && event.Error === 'States.Timeout') {
          return [
            {
              type: 'LambdaFunctionTimedOut',
              lambdaFunctionTimedOutEventDetails: {
                error: 'States.Timeout',
                cause: causeText(event.Cause),
              },
            },
          ];
        }
        return [];
      }
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed': {
        const details = { name: event.parentState?.name, index: event.index };
        const key =
          event.type === 'MapIterationStarted'
            ? 'mapIterationStartedEventDetails'
            : event.type === 'MapIterationSucceeded'
              ? 'mapIterationSucceededEventDetails'
              : 'mapIterationFailedEventDetails';
        return [{ type: event.type, [key]: details }];
      }
      default:
        // ExecutionStarted/Succeeded/Failed/Aborted/Timeout are recorded by the service from the run's
        // outcome; ParallelBranch*, StateRetried and StateCaught have no AWS counterpart.
        return [];
    }
  }

  private wakeIdle(): void {
    if (this.draining && !this.detached) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}

function closedContainerOf(event: EngineEvent): string | undefined {
  if (event.type !== 'StateExited' && event.type !== 'StateFailed') return undefined;
  const type = event.state?.type;
  return type === 'Map' || type === 'Parallel' ? event.state?.name : undefined;
}

function stateNameOf(item: Item): string | undefined {
  if (item.kind === 'task') return item.report.stateName;
  return item.event.state?.name ?? item.event.parentState?.name;
}

function causeText(cause: unknown): string | undefined {
  if (cause === undefined || cause === null) return undefined;
  if (typeof cause === 'string') return cause;
  if (cause instanceof Error) return cause.message;
  return JSON.stringify(cause);
}

/** Resolves after every pending promise chain has run (setImmediate runs after the microtask queue). */
export function nextMacrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
