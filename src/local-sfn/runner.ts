/**
 * The runner behind the local Step Functions service (service.ts is its API façade): it runs executions
 * of compiled state machines (machine.ts) with `aws-local-stepfunctions`, calls the Task handlers,
 * records and publishes history events, and closes executions — exactly once, RUNNING to a closing
 * status, in the same transaction as the closing event (see service.ts for the invariants).
 *
 * What lives here: the execution lifecycle (start, redrive, stop, close, recover, wait), Task invocation
 * and in-flight tracking, history recording and listeners, the `onExecutionClosed` hooks. What does not:
 * the state machines, request validation, paging tokens and the API's output shapes (service.ts). The
 * service hands the runner what it needs — the executions' database, as `ExecutionLog`, and its
 * settings (`RunnerOptions`) — and the runner never reaches back into the service.
 */
import type { HistoryEvent, StopExecutionOutput } from '@aws-sdk/client-sfn';
import {
  ExecutionAbortedError,
  ExecutionTimeoutError,
  type RunOptions,
  StateMachine,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
import type { Clock } from '../net/clock.ts';
import { waitTimeOverridesOf } from './definition.ts';
import {
  ExecutionDoesNotExistError,
  ExecutionWaitTimeoutError,
  ServiceClosedError,
  ValidationError,
} from './errors.ts';
import { ExecutionClosedSignal, failureOf, taskFailureOf } from './failures.ts';
import { type HistoryEventBody, HistoryRecorder, nextMacrotask } from './history.ts';
import type { Machine } from './machine.ts';
import { type ArnScope, roleArnOf } from './names.ts';
import type { HistoryListener, SfnServiceOptions } from './options.ts';
import { claimOwnerMark, type OwnerMark, ownerIsAlive } from './owners.ts';
import type { ExecutionDatabase, ExecutionRecord, StoredExecution } from './persistence.ts';
import { type RestartPoint, redrive } from './redrive.ts';

const RESTART_CAUSE = 'natflow runtime restarted while the execution was running';

/** What the runner reads and writes of the executions' database (the service opens and closes it). */
export type ExecutionLog = Pick<
  ExecutionDatabase,
  | 'getExecution'
  | 'runningExecutions'
  | 'history'
  | 'lastEventId'
  | 'insertExecution'
  | 'appendEvent'
  | 'closeExecution'
  | 'reopenExecution'
>;

export interface RunnerOptions {
  db: ExecutionLog;
  scope: ArnScope;
  clock: Clock;
  /** Factor applied to Wait states, ≥ 0 (the service checks it; Retry pauses are scaled in the definition). */
  waitTimeScale: number;
  onExecutionClosed?: SfnServiceOptions['onExecutionClosed'];
}

interface ActiveRun {
  record: ExecutionRecord;
  machine: Machine;
  recorder: HistoryRecorder;
  /** Set once closed: no handler starts and no event is recorded after. */
  closed: boolean;
  lastEventId: number;
  abort: () => void;
  /** Resolves when the execution is closed and `onExecutionClosed` has settled. */
  done: Promise<void>;
  markDone: () => void;
}

export class ExecutionRunner {
  private readonly db: ExecutionLog;
  private readonly scope: ArnScope;
  private readonly clock: Clock;
  private readonly waitTimeScale: number;
  private readonly onExecutionClosed: SfnServiceOptions['onExecutionClosed'];
  private readonly active = new Map<string, ActiveRun>();
  private readonly inflight = new Map<string, Set<Promise<unknown>>>();
  private readonly hooks = new Set<Promise<void>>();
  private readonly listeners = new Set<HistoryListener>();
  /** This runner's mark on the executions it runs. */
  private readonly owner: OwnerMark = claimOwnerMark();
  private closed = false;

  constructor(options: RunnerOptions) {
    this.db = options.db;
    this.scope = options.scope;
    this.clock = options.clock;
    this.waitTimeScale = options.waitTimeScale;
    this.onExecutionClosed = options.onExecutionClosed;
  }

  /** Records a new execution (its ExecutionStarted event) and starts running it. */
  start(machine: Machine, record: ExecutionRecord, input: unknown, started: HistoryEvent): void {
    this.assertOpen();
    this.db.insertExecution(record, this.owner.mark, started);
    this.publish(record.executionArn, started);
    this.launch(machine, record, input);
  }

  /**
   * Redrives a closed execution (redrive.ts holds AWS's rules and where it continues): reopens it as
   * RUNNING with its ExecutionRedriven event and runs `machine` from the restart point.
   */
  redrive(stored: StoredExecution, machine: Machine): { redriveDate: Date } {
    const { executionArn } = stored;
    return redrive(
      { ...stored, redriveCount: stored.redriveCount ?? 0 },
      { states: machine.compiled.states, startAt: String(machine.compiled.engineDefinition.StartAt) },
      {
        now: () => this.clock.now(),
        history: () => this.db.history({ executionArn, reverse: false, limit: Number.MAX_SAFE_INTEGER }),
        reopen: (info, body) => {
          const id = this.db.lastEventId(executionArn) + 1;
          const event: HistoryEvent = { timestamp: info.date, id, previousEventId: id - 1, ...body };
          if (!this.db.reopenExecution(executionArn, this.owner.mark, info, event))
            throw new ValidationError(`Execution ${executionArn} was redriven meanwhile`);
          this.publish(executionArn, event);
        },
        launch: (from, redriveCount) => {
          const record: ExecutionRecord = {
            executionArn,
            stateMachineArn: stored.stateMachineArn,
            name: stored.name,
            status: 'RUNNING',
            input: stored.input,
            startDate: stored.startDate,
            redriveCount,
            redriveDate: new Date(this.clock.now()),
          };
          this.launch(machine, record, JSON.parse(from.input), from);
        },
      },
    );
  }

  /**
   * Stops a RUNNING execution: it becomes ABORTED with an ExecutionAborted event; its engine is aborted
   * and records nothing after. A closed execution is left as it is. Returns the stop date.
   */
  stop(stored: StoredExecution, options: { error?: string; cause?: string } = {}): StopExecutionOutput {
    this.assertOpen();
    const { executionArn } = stored;
    if (stored.status !== 'RUNNING') return { stopDate: stored.stopDate ?? stored.startDate };
    const details = { error: options.error, cause: options.cause };
    const run = this.active.get(executionArn);
    if (run !== undefined) {
      run.recorder.flushAndDetach();
      run.abort();
      const record = this.closeRun(
        run,
        { status: 'ABORTED', ...details },
        { type: 'ExecutionAborted', executionAbortedEventDetails: details },
      );
      return { stopDate: record.stopDate };
    }
    // Run by nobody in this service (its runner died, or another process runs it): close the row.
    const record = this.closeStored(
      stored,
      { status: 'ABORTED', ...details },
      { type: 'ExecutionAborted', executionAbortedEventDetails: details },
    );
    this.runHook(record);
    return { stopDate: record.stopDate };
  }

  /**
   * Resolves with the execution's description once it is closed and `onExecutionClosed` has settled.
   * Throws ExecutionWaitTimeout after `timeoutMs`. An execution another process runs is polled.
   */
  async waitForExecution(executionArn: string, timeoutMs?: number): Promise<StoredExecution> {
    this.assertOpen();
    this.executionOf(executionArn);
    const deadline = timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + timeoutMs;
    for (;;) {
      const run = this.active.get(executionArn);
      const stored = this.executionOf(executionArn);
      if (run === undefined && stored.status !== 'RUNNING') {
        await this.hooksSettled();
        return stored;
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new ExecutionWaitTimeoutError(`${executionArn} is still RUNNING after ${timeoutMs} ms`);
      }
      let timer: NodeJS.Timeout | undefined;
      const tick = new Promise<void>((resolve) => {
        // Poll an execution another process runs; otherwise wake at the deadline (timers cap at 2³¹−1 ms).
        timer = setTimeout(resolve, Math.min(remaining, run === undefined ? 50 : 2 ** 31 - 1));
      });
      await Promise.race([run?.done ?? tick, tick]);
      clearTimeout(timer);
      this.assertOpen();
    }
  }

  /** Live history events of every execution, in order per execution. Returns the unsubscribe function. */
  subscribe(listener: HistoryListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Resolves when every Task handler invoked for that execution has settled. */
  async inFlight(executionArn: string): Promise<void> {
    for (;;) {
      const pending = this.inflight.get(executionArn);
      if (pending === undefined || pending.size === 0) return;
      await Promise.allSettled([...pending]);
    }
  }

  /**
   * Closes as FAILED (`States.Runtime`) every execution found RUNNING whose runner is gone — the process
   * died or its service was closed — and returns them, so that the runtime can roll back what they created.
   */
  async recover(): Promise<ExecutionRecord[]> {
    this.assertOpen();
    const recovered: ExecutionRecord[] = [];
    for (const stored of this.db.runningExecutions()) {
      if (this.active.has(stored.executionArn) || ownerIsAlive(stored.owner)) continue;
      const details = { error: 'States.Runtime', cause: RESTART_CAUSE };
      recovered.push(
        this.closeStored(
          stored,
          { status: 'FAILED', ...details },
          { type: 'ExecutionFailed', executionFailedEventDetails: details },
        ),
      );
    }
    return recovered;
  }

  /**
   * Stops serving. Running executions are left RUNNING in the database, as if the process had died (the next
   * service's `recover()` closes them); their engines are aborted and their in-flight handlers awaited.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const run of this.active.values()) {
      run.closed = true;
      run.recorder.detach();
      run.abort();
      run.markDone();
    }
    this.active.clear();
    await Promise.allSettled([...this.inflight.values()].flatMap((pending) => [...pending]));
    await this.hooksSettled();
    this.listeners.clear();
    this.owner.release();
  }

  /** Resolves when every `onExecutionClosed` hook started so far has settled. */
  async hooksSettled(): Promise<void> {
    while (this.hooks.size > 0) await Promise.allSettled([...this.hooks]);
  }

  /** Throws ServiceClosed once the runner is closed. */
  assertOpen(): void {
    if (this.closed) throw new ServiceClosedError('the Step Functions service is closed');
  }

  /** Runs the engine for a new execution, or from `from` for a redriven one (redrive.ts). */
  private launch(machine: Machine, record: ExecutionRecord, input: unknown, from?: RestartPoint): void {
    let markDone = () => {};
    const done = new Promise<void>((resolve) => {
      markDone = resolve;
    });
    const run: ActiveRun = {
      record,
      machine,
      closed: false,
      lastEventId: from === undefined ? 1 : this.db.lastEventId(record.executionArn),
      abort: () => {},
      done,
      markDone,
      recorder: new HistoryRecorder({
        states: machine.compiled.states,
        tasks: machine.compiled.tasks,
        region: this.scope.region,
        record: (body) => this.append(run, body),
      }),
    };
    this.active.set(record.executionArn, run);

    const taskResourceLocalHandlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const stateName of machine.handlers.keys()) {
      taskResourceLocalHandlers[stateName] = (taskInput) => this.invokeTask(run, stateName, taskInput);
    }
    const compiled = machine.compiled;
    const options = {
      overrides: {
        taskResourceLocalHandlers,
        waitTimeOverrides: waitTimeOverridesOf(compiled.states, this.waitTimeScale, () => this.clock.now()),
      },
      context: {
        Execution: {
          Id: record.executionArn,
          Name: record.name,
          StartTime: record.startDate.toISOString(),
          RoleArn: roleArnOf(this.scope),
          RedriveCount: record.redriveCount ?? 0,
          ...(record.redriveDate ? { RedriveTime: record.redriveDate.toISOString() } : {}),
        },
        StateMachine: { Id: machine.arn, Name: machine.name },
      },
    } as RunOptions;

    let execution: ReturnType<StateMachine['run']>;
    try {
      // A redrive continues at its restart state: the same definition, another StartAt (not validated
      // again: only the entry point differs from the validated one).
      const engine =
        from === undefined
          ? machine.engine
          : new StateMachine(
              { ...compiled.engineDefinition, StartAt: from.stateName } as unknown as StateMachineDefinition,
              { validationOptions: { noValidate: true } },
            );
      execution = engine.run(input as Parameters<StateMachine['run']>[0], options);
    } catch (error) {
      this.closeRun(run, failureOf(error), undefined);
      return;
    }
    run.abort = execution.abort;
    const pumped = (async () => {
      for await (const event of execution.eventLogs) {
        if (run.closed) break;
        run.recorder.engine(event);
      }
    })();
    execution.result.then(
      async (output) => {
        await pumped;
        await run.recorder.idle();
        if (run.closed) return;
        const outputText = JSON.stringify(output ?? null);
        this.closeRun(
          run,
          { status: 'SUCCEEDED', output: outputText },
          {
            type: 'ExecutionSucceeded',
            executionSucceededEventDetails: { output: outputText, outputDetails: { truncated: false } },
          },
        );
      },
      async (error: unknown) => {
        if (error instanceof ExecutionAbortedError) return; // stopExecution or close() already closed it
        await pumped;
        await run.recorder.idle();
        if (run.closed) return;
        if (error instanceof ExecutionTimeoutError) {
          const details = { error: 'States.Timeout', cause: 'The execution exceeded its TimeoutSeconds' };
          this.closeRun(
            run,
            { status: 'TIMED_OUT', ...details },
            { type: 'ExecutionTimedOut', executionTimedOutEventDetails: details },
          );
          return;
        }
        this.closeRun(run, failureOf(error), undefined);
      },
    );
  }

  private async invokeTask(run: ActiveRun, stateName: string, input: unknown): Promise<unknown> {
    if (run.closed) throw new ExecutionClosedSignal('the execution is closed');
    const handler = run.machine.handlers.get(stateName);
    const task = run.machine.compiled.tasks.get(stateName);
    if (handler === undefined || task === undefined) throw new Error(`no handler bound to Task ${stateName}`);
    const payload = jsonClone(input);
    // Let the engine's events dispatched so far (this state's entry) reach the recorder first.
    await nextMacrotask();
    if (run.closed) throw new ExecutionClosedSignal('the execution is closed');
    run.recorder.task({ phase: 'scheduled', stateName, input: payload });
    run.recorder.task({ phase: 'started', stateName });
    const call = (async () =>
      handler(payload, {
        executionArn: run.record.executionArn,
        executionName: run.record.name,
        stateName,
        functionName: task.functionName,
      }))();
    this.track(run.record.executionArn, call);
    let output: unknown;
    try {
      output = jsonClone((await call) ?? null);
    } catch (error) {
      const failure = taskFailureOf(error);
      await nextMacrotask();
      run.recorder.task({ phase: 'failed', stateName, error: failure.name, cause: failure.message });
      throw failure;
    }
    await nextMacrotask();
    run.recorder.task({ phase: 'succeeded', stateName, output });
    return output;
  }

  private track(executionArn: string, call: Promise<unknown>): void {
    let pending = this.inflight.get(executionArn);
    if (pending === undefined) {
      pending = new Set();
      this.inflight.set(executionArn, pending);
    }
    pending.add(call);
    const settle = () => {
      pending.delete(call);
      if (pending.size === 0 && this.inflight.get(executionArn) === pending)
        this.inflight.delete(executionArn);
    };
    call.then(settle, settle);
  }

  /** Numbers, timestamps, persists and publishes one history event of a running execution. */
  private append(run: ActiveRun, body: HistoryEventBody): void {
    if (run.closed || this.closed) return;
    const id = run.lastEventId + 1;
    const event: HistoryEvent = {
      timestamp: new Date(this.clock.now()),
      id,
      previousEventId: id - 1,
      ...body,
    };
    this.db.appendEvent(run.record.executionArn, event);
    run.lastEventId = id;
    this.publish(run.record.executionArn, event);
  }

  /**
   * Closes an active execution: status, closing event (ExecutionFailed when `last` is undefined), row update,
   * then `onExecutionClosed`. Nothing of the run is recorded after.
   */
  private closeRun(
    run: ActiveRun,
    outcome: Pick<ExecutionRecord, 'status' | 'output' | 'error' | 'cause'>,
    last: HistoryEventBody | undefined,
  ): ExecutionRecord {
    run.closed = true;
    run.recorder.detach();
    this.active.delete(run.record.executionArn);
    const record = this.closeStored(
      { ...run.record, seq: 0, owner: undefined },
      outcome,
      last ?? {
        type: 'ExecutionFailed',
        executionFailedEventDetails: { error: outcome.error, cause: outcome.cause },
      },
      run.lastEventId,
    );
    run.record = record;
    const hook = this.runHook(record);
    hook.then(run.markDone, run.markDone);
    return record;
  }

  private closeStored(
    stored: StoredExecution,
    outcome: Pick<ExecutionRecord, 'status' | 'output' | 'error' | 'cause'>,
    last: HistoryEventBody,
    lastEventId = this.db.lastEventId(stored.executionArn),
  ): ExecutionRecord {
    const stopDate = new Date(this.clock.now());
    const record: ExecutionRecord = {
      executionArn: stored.executionArn,
      stateMachineArn: stored.stateMachineArn,
      name: stored.name,
      input: stored.input,
      startDate: stored.startDate,
      stopDate,
      status: outcome.status,
    };
    if (stored.redriveCount !== undefined) record.redriveCount = stored.redriveCount;
    if (stored.redriveDate !== undefined) record.redriveDate = stored.redriveDate;
    if (outcome.output !== undefined) record.output = outcome.output;
    if (outcome.error !== undefined) record.error = outcome.error;
    if (outcome.cause !== undefined) record.cause = outcome.cause;
    const id = lastEventId + 1;
    const event: HistoryEvent = { timestamp: stopDate, id, previousEventId: id - 1, ...last };
    this.db.closeExecution(record, event);
    this.publish(record.executionArn, event);
    return record;
  }

  private runHook(record: ExecutionRecord): Promise<void> {
    const hook = this.onExecutionClosed;
    if (hook === undefined) return Promise.resolve();
    const pending = (async () => {
      try {
        await hook(record);
      } catch (error) {
        process.emitWarning(
          `onExecutionClosed failed for ${record.executionArn}: ${error instanceof Error ? error.message : String(error)}`,
          { code: 'NATFLOW_SFN_HOOK' },
        );
      }
    })();
    this.hooks.add(pending);
    void pending.then(() => this.hooks.delete(pending));
    return pending;
  }

  private publish(executionArn: string, event: HistoryEvent): void {
    for (const listener of this.listeners) {
      try {
        listener({ executionArn, event });
      } catch (error) {
        process.emitWarning(
          `history listener failed: ${error instanceof Error ? error.message : String(error)}`,
          {
            code: 'NATFLOW_SFN_LISTENER',
          },
        );
      }
    }
  }

  /** The execution's row (its ARN checked by the service). */
  private executionOf(executionArn: string): StoredExecution {
    const stored = this.db.getExecution(executionArn);
    if (stored === undefined)
      throw new ExecutionDoesNotExistError(`Execution Does Not Exist: '${executionArn}'`);
    return stored;
  }
}

function jsonClone(value: unknown): unknown {
  return value === undefined ? null : JSON.parse(JSON.stringify(value));
}
