/**
 * A local, Step Functions–compatible service: runs ASL (JSONPath) definitions in-process with
 * `aws-local-stepfunctions` and keeps AWS's execution model — names, statuses, history — in SQLite.
 *
 * Design and invariants:
 * - The database is the truth for everything a client reads (DescribeExecution, ListExecutions, history);
 *   an execution's row changes status exactly once, from RUNNING to its closing status, in the same
 *   transaction as its closing history event.
 * - Each Task state is bound, by state name, to the in-process handler that `resolveTask` returns for its
 *   `Resource`. The handler wrapper records TaskScheduled/Started/Succeeded/Failed and converts a thrown
 *   error to what Lambda reports: its `name` is the errorType that `Retry`/`Catch` `ErrorEquals` match and
 *   that the execution's `error` carries; the cause is Lambda's `{"errorType","errorMessage","trace"}` JSON.
 * - Once an execution is closed (stopped, or the service closed) no handler is invoked for it any more and
 *   no event is recorded; handlers already running settle on their own, and `inFlight()` waits for them.
 * - An execution found RUNNING in the database whose runner is gone (its process died, or its service was
 *   closed) is closed as FAILED by `recover()`; one owned by another live process sharing the file is left
 *   alone.
 *
 * Local differences from AWS, by necessity: `$$.Execution.StartTime` is set by the engine when it starts
 * (within a millisecond of `startDate` under the system clock); Wait states and Retry pauses are scaled by
 * `waitTimeScale`, and a scaled Retry uses its first interval for every attempt (no backoff, no jitter).
 */
import { createHash, randomUUID } from 'node:crypto';
import type {
  DescribeExecutionOutput,
  DescribeStateMachineOutput,
  ExecutionListItem,
  GetExecutionHistoryOutput,
  HistoryEvent,
  ListExecutionsOutput,
  ListStateMachinesOutput,
  StopExecutionOutput,
} from '@aws-sdk/client-sfn';
import {
  ExecutionAbortedError,
  ExecutionError,
  ExecutionTimeoutError,
  type RunOptions,
  StateMachine,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
import { type Clock, systemClock } from '../../net/clock.ts';
import {
  type CompiledDefinition,
  compileDefinition,
  retryIntervalOverridesOf,
  waitTimeOverridesOf,
} from './definition.ts';
import {
  ExecutionAlreadyExistsError,
  ExecutionDoesNotExistError,
  ExecutionWaitTimeoutError,
  InvalidArnError,
  InvalidExecutionInputError,
  InvalidNameError,
  InvalidTokenError,
  ServiceClosedError,
  StateMachineDoesNotExistError,
  ValidationError,
} from './errors.ts';
import { type HistoryEventBody, HistoryRecorder, nextMacrotask } from './history.ts';
import {
  type ArnScope,
  executionArnOf,
  invalidNameReason,
  isStatesArn,
  LOCAL_ACCOUNT_ID,
  LOCAL_REGION,
  roleArnOf,
  stateMachineArnOf,
} from './names.ts';
import {
  EXECUTION_STATUSES,
  ExecutionDatabase,
  type ExecutionRecord,
  type ExecutionStatus,
  type StoredExecution,
} from './persistence.ts';
import { type RestartPoint, redrive, redriveStatusOf } from './redrive.ts';

export type { ExecutionRecord, ExecutionStatus } from './persistence.ts';

export type TaskHandler = (
  input: unknown,
  context: { executionArn: string; executionName: string; stateName: string; functionName: string },
) => Promise<unknown>;

/** A state machine: its name and its ASL object as in `statemachines/*.asl.json`. */
export interface StateMachineSpec {
  name: string;
  definition: object;
}

export interface SfnServiceOptions {
  /** SQLite file for executions and history (`':memory:'` for a throwaway service). */
  db: string;
  stateMachines: StateMachineSpec[];
  /** Maps a Task `Resource` (`{"Fn::GetAtt": ["fn", "Arn"]}` or an ARN string) to its in-process handler. */
  resolveTask: (resource: unknown, stateName: string) => TaskHandler;
  region?: string;
  accountId?: string;
  /**
   * Validate each definition with the engine's asl-validator (default true). It costs 70–170 ms a
   * definition, paid once per definition and database (the digest is remembered); pass false when the
   * definitions are validated elsewhere (natflow's test suite runs asl-validator on every file).
   */
  validate?: boolean;
  /** Factor applied to Wait states and Retry pauses (0 = no waiting). Default 1. */
  waitTimeScale?: number;
  /** Called once per execution closed by this service (not for those `recover()` returns). */
  onExecutionClosed?: (execution: ExecutionRecord) => Promise<void> | void;
  clock?: Clock;
}

export type HistoryListener = (event: { executionArn: string; event: HistoryEvent }) => void;

/** Executions input and output limit, as on AWS (256 KiB). */
const MAX_PAYLOAD_BYTES = 256 * 1024;
const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;
const RESTART_CAUSE = 'natflow runtime restarted while the execution was running';
const FAIL_STATE_DEFAULT_NAME = 'FailStateError';
const FAIL_STATE_DEFAULT_MESSAGE = 'Execution failed because of a Fail state';

/** Digests of definitions this process has validated (see `compile`). */
const validatedDefinitions = new Set<string>();
/** Part of the validation digest: a different engine may validate differently. */
const ENGINE_VALIDATION_KEY = 'aws-local-stepfunctions@3 checkArn checkPaths';

/** Services alive in this process, to tell an orphaned RUNNING row from one a sibling service runs. */
const liveServices = new Set<string>();

interface Machine {
  arn: string;
  name: string;
  spec: StateMachineSpec;
  compiled: CompiledDefinition;
  engine: StateMachine;
  handlers: ReadonlyMap<string, TaskHandler>;
  creationDate: Date;
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

/** Thrown into the engine when it reaches a Task after its execution was closed: neither retried nor caught. */
class ExecutionClosedSignal extends Error {
  override name = 'States.Runtime';
  get isRetryable(): boolean {
    return false;
  }
  get isCatchable(): boolean {
    return false;
  }
}

/** What a failed Lambda invocation reports: `name` is the errorType, `message` Lambda's JSON cause. */
class TaskFailure extends Error {
  constructor(errorType: string, cause: string) {
    super(cause);
    this.name = errorType;
  }
}

export class SfnService {
  private readonly db: ExecutionDatabase;
  private readonly scope: ArnScope;
  private readonly clock: Clock;
  private readonly waitTimeScale: number;
  private readonly onExecutionClosed: SfnServiceOptions['onExecutionClosed'];
  private readonly machines = new Map<string, Machine>();
  private readonly active = new Map<string, ActiveRun>();
  private readonly inflight = new Map<string, Set<Promise<unknown>>>();
  private readonly hooks = new Set<Promise<void>>();
  private readonly listeners = new Set<HistoryListener>();
  private readonly instanceId = randomUUID();
  /** RedriveExecution client tokens: `arn|token` → the redrive date it produced. */
  private readonly redriveTokens = new Map<string, Date>();
  private closed = false;

  constructor(options: SfnServiceOptions) {
    this.scope = { region: options.region ?? LOCAL_REGION, accountId: options.accountId ?? LOCAL_ACCOUNT_ID };
    this.clock = options.clock ?? systemClock;
    this.waitTimeScale = options.waitTimeScale ?? 1;
    if (!(this.waitTimeScale >= 0))
      throw new RangeError(`waitTimeScale must be ≥ 0 (got ${this.waitTimeScale})`);
    this.onExecutionClosed = options.onExecutionClosed;
    this.db = new ExecutionDatabase(options.db);
    try {
      const creationDate = new Date(this.clock.now());
      for (const spec of options.stateMachines) {
        const machine = this.compile(spec, options.resolveTask, creationDate, options.validate ?? true);
        if (this.machines.has(machine.arn)) throw new Error(`state machine ${spec.name} is declared twice`);
        this.machines.set(machine.arn, machine);
      }
    } catch (error) {
      this.db.close();
      throw error;
    }
    liveServices.add(this.instanceId);
  }

  /** StartExecution: AWS's name rules, and the same execution back for the same name and input while RUNNING. */
  async startExecution(input: {
    stateMachineArn: string;
    name?: string;
    input?: string;
  }): Promise<{ executionArn: string; startDate: Date }> {
    this.assertOpen();
    const machine = this.machineOf(input.stateMachineArn);
    const name = input.name ?? randomUUID();
    const nameProblem = invalidNameReason(name);
    if (nameProblem !== undefined) throw new InvalidNameError(`Invalid Name: '${name}': ${nameProblem}`);
    const inputText = input.input ?? '{}';
    const parsedInput = parseInput(inputText);

    const executionArn = executionArnOf(this.scope, machine.name, name);
    const existing = this.db.getExecution(executionArn);
    if (existing !== undefined) {
      if (existing.status === 'RUNNING' && existing.input === inputText) {
        return { executionArn, startDate: existing.startDate };
      }
      throw new ExecutionAlreadyExistsError(`Execution Already Exists: '${executionArn}'`);
    }

    const startDate = new Date(this.clock.now());
    const record: ExecutionRecord = {
      executionArn,
      stateMachineArn: machine.arn,
      name,
      status: 'RUNNING',
      input: inputText,
      startDate,
    };
    const started: HistoryEvent = {
      id: 1,
      previousEventId: 0,
      timestamp: startDate,
      type: 'ExecutionStarted',
      executionStartedEventDetails: {
        input: inputText,
        inputDetails: { truncated: false },
        roleArn: roleArnOf(this.scope),
      },
    };
    this.db.insertExecution(record, this.owner(), started);
    this.publish(executionArn, started);
    this.launch(machine, record, parsedInput);
    return { executionArn, startDate };
  }

  async describeExecution(executionArn: string): Promise<DescribeExecutionOutput> {
    this.assertOpen();
    return this.describeStored(this.executionOf(executionArn));
  }

  /**
   * RedriveExecution (AWS's rules, see redrive.ts): a FAILED, ABORTED or TIMED_OUT execution continues
   * from the state where it stopped, under the same ARN. The same `clientToken` again while that redrive
   * runs returns the same `redriveDate`.
   */
  async redriveExecution(
    executionArn: string,
    options: { clientToken?: string } = {},
  ): Promise<{ redriveDate: Date }> {
    this.assertOpen();
    this.executionOf(executionArn);
    // What runs after an execution closes (the runtime's onExecutionClosed) finishes before it runs again.
    await this.hooksSettled();
    this.assertOpen();
    const stored = this.executionOf(executionArn);
    const token = options.clientToken;
    if (token !== undefined && stored.status === 'RUNNING') {
      const earlier = this.redriveTokens.get(`${executionArn}|${token}`);
      if (earlier !== undefined && stored.redriveDate?.getTime() === earlier.getTime())
        return { redriveDate: earlier };
    }
    const machine = this.machineOf(stored.stateMachineArn);
    const startAt = String(machine.compiled.engineDefinition.StartAt);
    const result = redrive(
      { ...stored, redriveCount: stored.redriveCount ?? 0 },
      { states: machine.compiled.states, startAt },
      {
        now: () => this.clock.now(),
        history: () => this.db.history({ executionArn, reverse: false, limit: Number.MAX_SAFE_INTEGER }),
        reopen: (redriveInfo, body) => {
          const id = this.db.lastEventId(executionArn) + 1;
          const event: HistoryEvent = { timestamp: redriveInfo.date, id, previousEventId: id - 1, ...body };
          if (!this.db.reopenExecution(executionArn, this.owner(), redriveInfo, event)) {
            throw new ValidationError(`Execution ${executionArn} was redriven meanwhile`);
          }
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
    if (token !== undefined) this.redriveTokens.set(`${executionArn}|${token}`, result.redriveDate);
    return result;
  }

  async getExecutionHistory(
    executionArn: string,
    options: {
      maxResults?: number;
      nextToken?: string;
      reverseOrder?: boolean;
      includeExecutionData?: boolean;
    } = {},
  ): Promise<GetExecutionHistoryOutput> {
    this.assertOpen();
    this.executionOf(executionArn);
    const limit = pageSizeOf(options.maxResults);
    const reverse = options.reverseOrder === true;
    let afterId: number | undefined;
    if (options.nextToken !== undefined) {
      const token = decodeToken(options.nextToken);
      if (token.k !== 'history' || token.arn !== executionArn || token.reverse !== reverse) {
        throw new InvalidTokenError('Invalid Token: the token does not belong to this request');
      }
      afterId = Number(token.after);
    }
    const rows = this.db.history({ executionArn, reverse, afterId, limit: limit + 1 });
    const events = rows.slice(0, limit);
    const withData = options.includeExecutionData !== false;
    const output: GetExecutionHistoryOutput = { events: withData ? events : events.map(withoutData) };
    if (rows.length > limit) {
      output.nextToken = encodeToken({
        k: 'history',
        arn: executionArn,
        reverse,
        after: events.at(-1)?.id ?? 0,
      });
    }
    return output;
  }

  /** ListExecutions, newest first; without `stateMachineArn`, the executions of every state machine. */
  async listExecutions(
    query: { stateMachineArn?: string; statusFilter?: string; maxResults?: number; nextToken?: string } = {},
  ): Promise<ListExecutionsOutput> {
    this.assertOpen();
    if (query.stateMachineArn !== undefined) this.machineOf(query.stateMachineArn);
    const status = query.statusFilter;
    if (status !== undefined && !(EXECUTION_STATUSES as readonly string[]).includes(status)) {
      throw new ValidationError(
        `1 validation error detected: Value '${status}' at 'statusFilter' failed to satisfy constraint: ` +
          `Member must satisfy enum value set: [${EXECUTION_STATUSES.join(', ')}]`,
      );
    }
    const limit = pageSizeOf(query.maxResults);
    let beforeSeq: number | undefined;
    if (query.nextToken !== undefined) {
      const token = decodeToken(query.nextToken);
      if (
        token.k !== 'executions' ||
        token.machine !== (query.stateMachineArn ?? '') ||
        token.status !== (status ?? '')
      ) {
        throw new InvalidTokenError('Invalid Token: the token does not belong to this request');
      }
      beforeSeq = Number(token.before);
    }
    const rows = this.db.listExecutions({
      stateMachineArn: query.stateMachineArn,
      status: status as ExecutionStatus | undefined,
      beforeSeq,
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    const output: ListExecutionsOutput = { executions: page.map(listItem) };
    if (rows.length > limit) {
      output.nextToken = encodeToken({
        k: 'executions',
        machine: query.stateMachineArn ?? '',
        status: status ?? '',
        before: page.at(-1)?.seq ?? 0,
      });
    }
    return output;
  }

  /**
   * StopExecution: a RUNNING execution becomes ABORTED with an ExecutionAborted event; its engine is aborted
   * and records nothing after. Stopping a closed execution changes nothing and returns its stop date.
   */
  async stopExecution(
    executionArn: string,
    options: { error?: string; cause?: string } = {},
  ): Promise<StopExecutionOutput> {
    this.assertOpen();
    const stored = this.executionOf(executionArn);
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

  async describeStateMachine(stateMachineArn: string): Promise<DescribeStateMachineOutput> {
    this.assertOpen();
    const machine = this.machineOf(stateMachineArn);
    return {
      stateMachineArn: machine.arn,
      name: machine.name,
      status: 'ACTIVE',
      definition: JSON.stringify(machine.compiled.engineDefinition),
      roleArn: roleArnOf(this.scope),
      type: 'STANDARD',
      creationDate: machine.creationDate,
      loggingConfiguration: { level: 'OFF', includeExecutionData: false },
      tracingConfiguration: { enabled: false },
    };
  }

  async listStateMachines(): Promise<ListStateMachinesOutput> {
    this.assertOpen();
    return {
      stateMachines: [...this.machines.values()].map((machine) => ({
        stateMachineArn: machine.arn,
        name: machine.name,
        type: 'STANDARD',
        creationDate: machine.creationDate,
      })),
    };
  }

  /**
   * Resolves with the execution's description once it is closed and `onExecutionClosed` has settled.
   * Throws ExecutionWaitTimeout after `timeoutMs`. An execution another process runs is polled.
   */
  async waitForExecution(executionArn: string, timeoutMs?: number): Promise<DescribeExecutionOutput> {
    this.assertOpen();
    this.executionOf(executionArn);
    const deadline = timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + timeoutMs;
    for (;;) {
      const run = this.active.get(executionArn);
      const stored = this.executionOf(executionArn);
      if (run === undefined && stored.status !== 'RUNNING') {
        await this.hooksSettled();
        return this.describeStored(this.executionOf(executionArn));
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
    this.db.close();
    liveServices.delete(this.instanceId);
  }

  // ---------------------------------------------------------------------------------------------------

  private owner(): string {
    return `${process.pid}:${this.instanceId}`;
  }

  private describeStored(stored: StoredExecution): DescribeExecutionOutput {
    const output = describe(stored);
    output.redriveCount = stored.redriveCount ?? 0;
    if (stored.redriveDate !== undefined) output.redriveDate = stored.redriveDate;
    const status = redriveStatusOf(
      { ...stored, historyEvents: this.db.historyLength(stored.executionArn) },
      this.clock.now(),
    );
    output.redriveStatus = status.redriveStatus;
    if (status.redriveStatusReason !== undefined) output.redriveStatusReason = status.redriveStatusReason;
    return output;
  }

  private compile(
    spec: StateMachineSpec,
    resolveTask: SfnServiceOptions['resolveTask'],
    creationDate: Date,
    validate: boolean,
  ): Machine {
    const compiled = compileDefinition(spec.definition, this.scope);
    const definition = compiled.engineDefinition as unknown as StateMachineDefinition;
    // The engine validates with asl-validator, which compiles its schemas on every call (70–170 ms a
    // definition). A definition is validated once, then remembered by digest in-process and in the database.
    const digest = createHash('sha256')
      .update(ENGINE_VALIDATION_KEY)
      .update(JSON.stringify(definition))
      .digest('hex');
    if (validate && !validatedDefinitions.has(digest) && !this.db.isValidated(digest)) {
      try {
        // The validator annotates the states it checks (QueryLanguage), hence the copy.
        new StateMachine(structuredClone(definition), {
          validationOptions: { checkArn: true, checkPaths: true },
        });
      } catch (error) {
        throw new Error(
          `state machine ${spec.name}: ${error instanceof Error ? error.message : String(error)}`,
          {
            cause: error,
          },
        );
      }
      this.db.markValidated(digest, this.clock.now());
      validatedDefinitions.add(digest);
    }
    const engine = new StateMachine(definition, { validationOptions: { noValidate: true } });
    const handlers = new Map<string, TaskHandler>();
    for (const task of compiled.tasks.values()) {
      handlers.set(task.stateName, resolveTask(task.resource, task.stateName));
    }
    return {
      arn: stateMachineArnOf(this.scope, spec.name),
      name: spec.name,
      spec,
      compiled,
      engine,
      handlers,
      creationDate,
    };
  }

  /** Runs the engine for a new execution, or from `from` for a redriven one. */
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
        retryIntervalOverrides: retryIntervalOverridesOf(compiled.states, this.waitTimeScale),
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

  private async hooksSettled(): Promise<void> {
    while (this.hooks.size > 0) await Promise.allSettled([...this.hooks]);
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

  private machineOf(stateMachineArn: unknown): Machine {
    if (!isStatesArn(stateMachineArn, 'stateMachine')) {
      throw new InvalidArnError(`Invalid Arn: '${String(stateMachineArn)}'`);
    }
    const machine = this.machines.get(stateMachineArn);
    if (machine === undefined)
      throw new StateMachineDoesNotExistError(`State Machine Does Not Exist: '${stateMachineArn}'`);
    return machine;
  }

  private executionOf(executionArn: unknown): StoredExecution {
    if (!isStatesArn(executionArn, 'execution'))
      throw new InvalidArnError(`Invalid Arn: '${String(executionArn)}'`);
    const stored = this.db.getExecution(executionArn);
    if (stored === undefined)
      throw new ExecutionDoesNotExistError(`Execution Does Not Exist: '${executionArn}'`);
    return stored;
  }

  private assertOpen(): void {
    if (this.closed) throw new ServiceClosedError('the Step Functions service is closed');
  }
}

function describe(stored: ExecutionRecord): DescribeExecutionOutput {
  const output: DescribeExecutionOutput = {
    executionArn: stored.executionArn,
    stateMachineArn: stored.stateMachineArn,
    name: stored.name,
    status: stored.status,
    startDate: stored.startDate,
    input: stored.input,
    inputDetails: { included: true },
  };
  if (stored.stopDate !== undefined) output.stopDate = stored.stopDate;
  if (stored.output !== undefined) {
    output.output = stored.output;
    output.outputDetails = { included: true };
  }
  if (stored.error !== undefined) output.error = stored.error;
  if (stored.cause !== undefined) output.cause = stored.cause;
  return output;
}

function listItem(stored: ExecutionRecord): ExecutionListItem {
  const item: ExecutionListItem = {
    executionArn: stored.executionArn,
    stateMachineArn: stored.stateMachineArn,
    name: stored.name,
    status: stored.status,
    startDate: stored.startDate,
    redriveCount: stored.redriveCount ?? 0,
  };
  if (stored.stopDate !== undefined) item.stopDate = stored.stopDate;
  if (stored.redriveDate !== undefined) item.redriveDate = stored.redriveDate;
  return item;
}

/** The error and cause of a failed run, as AWS reports them (a Fail state without Error has none). */
function failureOf(error: unknown): { status: 'FAILED'; error?: string; cause?: string } {
  const inner = error instanceof ExecutionError && error.cause instanceof Error ? error.cause : error;
  if (!(inner instanceof Error)) return { status: 'FAILED', error: 'States.Runtime', cause: String(inner) };
  const outcome: { status: 'FAILED'; error?: string; cause?: string } = { status: 'FAILED' };
  if (inner.name !== FAIL_STATE_DEFAULT_NAME) outcome.error = inner.name;
  if (inner.message !== FAIL_STATE_DEFAULT_MESSAGE) outcome.cause = inner.message;
  return outcome;
}

/** A handler's failure as Lambda's Node.js runtime reports it. */
function taskFailureOf(error: unknown): TaskFailure {
  if (error instanceof Error) {
    const errorType = error.name || 'Error';
    const trace = (error.stack ?? '').split('\n').filter((line) => line.length > 0);
    return new TaskFailure(errorType, JSON.stringify({ errorType, errorMessage: error.message, trace }));
  }
  const errorType = typeof error;
  return new TaskFailure(errorType, JSON.stringify({ errorType, errorMessage: String(error), trace: [] }));
}

/** The `errorType` and `errorMessage` of a Task failure's cause (Lambda's JSON), if it is one. */
export function parseTaskFailureCause(
  cause: string | undefined,
): { errorType: string; errorMessage: string } | undefined {
  if (cause === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(cause);
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { errorType, errorMessage } = parsed as Record<string, unknown>;
    if (typeof errorType !== 'string' || typeof errorMessage !== 'string') return undefined;
    return { errorType, errorMessage };
  } catch {
    return undefined;
  }
}

function parseInput(text: string): unknown {
  if (Buffer.byteLength(text, 'utf8') > MAX_PAYLOAD_BYTES) {
    throw new InvalidExecutionInputError(
      `Invalid Execution Input: the input exceeds ${MAX_PAYLOAD_BYTES} bytes`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidExecutionInputError(
      `Invalid Execution Input: ${error instanceof Error ? error.message : 'not JSON'}`,
    );
  }
}

function jsonClone(value: unknown): unknown {
  return value === undefined ? null : JSON.parse(JSON.stringify(value));
}

function pageSizeOf(maxResults: number | undefined): number {
  if (maxResults === undefined || maxResults === 0) return DEFAULT_PAGE;
  if (!Number.isInteger(maxResults) || maxResults < 0 || maxResults > MAX_PAGE) {
    throw new ValidationError(
      `1 validation error detected: Value '${maxResults}' at 'maxResults' failed to satisfy constraint: ` +
        `Member must have value between 0 and ${MAX_PAGE}`,
    );
  }
  return maxResults;
}

function encodeToken(token: Record<string, string | number | boolean>): string {
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

function decodeToken(text: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new InvalidTokenError(`Invalid Token: '${text}'`);
}

function withoutData(event: HistoryEvent): HistoryEvent {
  const copy: Record<string, unknown> = { ...event };
  for (const [key, value] of Object.entries(copy)) {
    if (key.endsWith('EventDetails') && typeof value === 'object' && value !== null) {
      const { input: _input, output: _output, ...rest } = value as Record<string, unknown>;
      copy[key] = rest;
    }
  }
  return copy as unknown as HistoryEvent;
}

function ownerIsAlive(owner: string | undefined): boolean {
  if (owner === undefined) return false;
  const [pidText, instance] = owner.split(':');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return instance !== undefined && liveServices.has(instance);
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
