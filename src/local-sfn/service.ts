/**
 * A local, Step Functions–compatible service: runs ASL (JSONPath) definitions in-process with
 * `aws-local-stepfunctions` and keeps AWS's execution model — names, statuses, history — in SQLite.
 *
 * Design and invariants:
 * - The database is the truth for everything a client reads (DescribeExecution, ListExecutions, history);
 *   an execution's row changes status exactly once, from RUNNING to its closing status, in the same
 *   transaction as its closing history event.
 * - Each Task state is bound, by state name, to the in-process handler that `resolveTask` returns for its
 *   `Resource`. The handler wrapper records LambdaFunctionScheduled/Started/Succeeded/Failed and converts a
 *   thrown error to what Lambda reports: its `name` is the errorType that `Retry`/`Catch` `ErrorEquals` match and
 *   that the execution's `error` carries; the cause is Lambda's `{"errorType","errorMessage","trace"}` JSON.
 * - Once an execution is closed (stopped, or the service closed) no handler is invoked for it any more and
 *   no event is recorded; handlers already running settle on their own, and `inFlight()` waits for them.
 * - An execution found RUNNING in the database whose runner is gone (its process died, or its service was
 *   closed) is closed as FAILED by `recover()`; one owned by another live process sharing the file is left
 *   alone.
 *
 * The file holds the API façade — the state machines, each action's request checks, paging tokens and
 * output shapes, as the AWS JSON protocol handler (server.ts) and the stack call them — and owns the
 * executions' database; the execution lifecycle runs in runner.ts (`ExecutionRunner`), which gets the
 * database and its settings from here and knows nothing of this façade.
 *
 * Local differences from AWS, by necessity: `$$.Execution.StartTime` is set by the engine when it starts
 * (within a millisecond of `startDate` under the system clock); Wait states and Retry pauses may be scaled
 * by `waitTimeScale` (default 1: real time, as on AWS), a scaled Retry keeping its backoff and jitter.
 */
import { randomUUID } from 'node:crypto';
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
import { type Clock, systemClock } from '../net/clock.ts';
import {
  ExecutionAlreadyExistsError,
  ExecutionDoesNotExistError,
  InvalidArnError,
  InvalidExecutionInputError,
  InvalidNameError,
  InvalidTokenError,
  StateMachineDoesNotExistError,
  ValidationError,
} from './errors.ts';
import { compileMachine, type Machine } from './machine.ts';
import {
  type ArnScope,
  executionArnOf,
  invalidNameReason,
  isStatesArn,
  LOCAL_ACCOUNT_ID,
  LOCAL_REGION,
  roleArnOf,
} from './names.ts';
import type { HistoryListener, SfnServiceOptions } from './options.ts';
import {
  EXECUTION_STATUSES,
  ExecutionDatabase,
  type ExecutionRecord,
  type ExecutionStatus,
  type PruneResult,
  type StoredExecution,
} from './persistence.ts';
import { redriveStatusOf } from './redrive.ts';
import { ExecutionRunner } from './runner.ts';

/** Executions input and output limit, as on AWS (256 KiB). */
const MAX_PAYLOAD_BYTES = 256 * 1024;
const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;

export class SfnService {
  private readonly db: ExecutionDatabase;
  private readonly scope: ArnScope;
  private readonly clock: Clock;
  private readonly machines = new Map<string, Machine>();
  private readonly runner: ExecutionRunner;
  /** RedriveExecution client tokens: `arn|token` → the redrive date it produced. */
  private readonly redriveTokens = new Map<string, Date>();
  private closed = false;

  constructor(options: SfnServiceOptions) {
    this.scope = { region: options.region ?? LOCAL_REGION, accountId: options.accountId ?? LOCAL_ACCOUNT_ID };
    this.clock = options.clock ?? systemClock;
    const waitTimeScale = options.waitTimeScale ?? 1;
    if (!(waitTimeScale >= 0)) throw new RangeError(`waitTimeScale must be ≥ 0 (got ${waitTimeScale})`);
    this.db = new ExecutionDatabase(options.db);
    try {
      const creationDate = new Date(this.clock.now());
      for (const spec of options.stateMachines) {
        const machine = compileMachine(spec, options.resolveTask, {
          scope: this.scope,
          db: this.db,
          clock: this.clock,
          creationDate,
          validate: options.validate ?? true,
          retryScale: waitTimeScale,
        });
        if (this.machines.has(machine.arn)) throw new Error(`state machine ${spec.name} is declared twice`);
        this.machines.set(machine.arn, machine);
      }
    } catch (error) {
      this.db.close();
      throw error;
    }
    this.runner = new ExecutionRunner({
      db: this.db,
      scope: this.scope,
      clock: this.clock,
      waitTimeScale,
      onExecutionClosed: options.onExecutionClosed,
    });
  }

  /** StartExecution: AWS's name rules, and the same execution back for the same name and input while RUNNING. */
  async startExecution(input: {
    stateMachineArn: string;
    name?: string;
    input?: string;
  }): Promise<{ executionArn: string; startDate: Date }> {
    this.runner.assertOpen();
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
    this.runner.start(machine, record, parsedInput, started);
    return { executionArn, startDate };
  }

  async describeExecution(executionArn: string): Promise<DescribeExecutionOutput> {
    this.runner.assertOpen();
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
    const runner = this.runner;
    runner.assertOpen();
    this.executionOf(executionArn);
    // What runs after an execution closes (the runtime's onExecutionClosed) finishes before it runs again.
    await runner.hooksSettled();
    runner.assertOpen();
    const stored = this.executionOf(executionArn);
    const token = options.clientToken === undefined ? undefined : `${executionArn}|${options.clientToken}`;
    const earlier = token === undefined ? undefined : this.redriveTokens.get(token);
    if (
      earlier !== undefined &&
      stored.status === 'RUNNING' &&
      stored.redriveDate?.getTime() === earlier.getTime()
    )
      return { redriveDate: earlier };
    const result = runner.redrive(stored, this.machineOf(stored.stateMachineArn));
    if (token !== undefined) this.redriveTokens.set(token, result.redriveDate);
    return result;
  }

  /** DescribeExecution's answer, with the redrive fields (redriveStatus is computed now). */
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

  async getExecutionHistory(
    executionArn: string,
    options: {
      maxResults?: number;
      nextToken?: string;
      reverseOrder?: boolean;
      includeExecutionData?: boolean;
    } = {},
  ): Promise<GetExecutionHistoryOutput> {
    this.runner.assertOpen();
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
    this.runner.assertOpen();
    if (query.stateMachineArn !== undefined) this.machineOf(query.stateMachineArn);
    const status = query.statusFilter;
    if (status !== undefined && !(STATUS_FILTERS as readonly string[]).includes(status)) {
      throw new ValidationError(
        `1 validation error detected: Value '${status}' at 'statusFilter' failed to satisfy constraint: ` +
          `Member must satisfy enum value set: [${STATUS_FILTERS.join(', ')}]`,
      );
    }
    const limit = pageSizeOf(query.maxResults);
    // A local redrive runs at once: no execution ever waits in PENDING_REDRIVE here.
    if (status === 'PENDING_REDRIVE') return { executions: [] };
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

  async describeStateMachine(stateMachineArn: string): Promise<DescribeStateMachineOutput> {
    this.runner.assertOpen();
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

  /** ListStateMachines in the order they were created, `maxResults` (1–1000, default 100) a page. */
  async listStateMachines(
    query: { maxResults?: number | undefined; nextToken?: string | undefined } = {},
  ): Promise<ListStateMachinesOutput> {
    this.runner.assertOpen();
    const limit = pageSizeOf(query.maxResults);
    let from = 0;
    if (query.nextToken !== undefined) {
      const token = decodeToken(query.nextToken);
      if (token.k !== 'machines' || !Number.isInteger(token.from)) {
        throw new InvalidTokenError('Invalid Token: the token does not belong to this request');
      }
      from = Number(token.from);
    }
    const machines = [...this.machines.values()];
    const page = machines.slice(from, from + limit);
    const output: ListStateMachinesOutput = {
      stateMachines: page.map((machine) => ({
        stateMachineArn: machine.arn,
        name: machine.name,
        type: 'STANDARD',
        creationDate: machine.creationDate,
      })),
    };
    if (machines.length > from + limit) output.nextToken = encodeToken({ k: 'machines', from: from + limit });
    return output;
  }

  /**
   * StopExecution: a RUNNING execution becomes ABORTED with an ExecutionAborted event; its engine is aborted
   * and records nothing after. Stopping a closed execution changes nothing and returns its stop date.
   */
  async stopExecution(
    executionArn: string,
    options: { error?: string | undefined; cause?: string | undefined } = {},
  ): Promise<StopExecutionOutput> {
    // StopExecution's limits: error 0–256 characters, cause 0–32,768.
    for (const [field, max] of [
      ['error', 256],
      ['cause', 32_768],
    ] as const) {
      const value = options[field];
      if (value !== undefined && value.length > max) {
        throw new ValidationError(
          `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must have length less than or equal to ${max}`,
        );
      }
    }
    this.runner.assertOpen();
    return this.runner.stop(this.executionOf(executionArn), options);
  }

  /**
   * Resolves with the execution's description once it is closed and `onExecutionClosed` has settled.
   * Throws ExecutionWaitTimeout after `timeoutMs`. An execution another process runs is polled.
   */
  async waitForExecution(executionArn: string, timeoutMs?: number): Promise<DescribeExecutionOutput> {
    this.runner.assertOpen();
    this.executionOf(executionArn);
    const closed = await this.runner.waitForExecution(executionArn, timeoutMs);
    return this.describeStored(this.executionOf(closed.executionArn));
  }

  /** Live history events of every execution, in order per execution. Returns the unsubscribe function. */
  subscribe(listener: HistoryListener): () => void {
    return this.runner.subscribe(listener);
  }

  /** Resolves when every Task handler invoked for that execution has settled. */
  inFlight(executionArn: string): Promise<void> {
    return this.runner.inFlight(executionArn);
  }

  /**
   * Deletes executions with their histories, as a retention policy chooses: `select` sees every stored
   * execution, newest first, and answers the ARNs to delete. A RUNNING execution is never deleted, whatever
   * it answers (one may start or be redriven meanwhile). The file gives the freed space back.
   */
  async pruneExecutions(
    select: (executions: readonly ExecutionRecord[]) => Promise<readonly string[]> | readonly string[],
  ): Promise<PruneResult> {
    this.runner.assertOpen();
    const chosen = await select(this.db.allExecutions());
    this.runner.assertOpen();
    return this.db.deleteClosed(chosen);
  }

  /** How many executions are stored, and when the oldest closed one closed: what tells a prune is due. */
  executionCount(): { count: number; oldestStopDate: Date | undefined } {
    this.runner.assertOpen();
    const { count, oldestStopMs } = this.db.retentionFacts();
    return { count, oldestStopDate: oldestStopMs === undefined ? undefined : new Date(oldestStopMs) };
  }

  /**
   * Closes as FAILED (`States.Runtime`) every execution found RUNNING whose runner is gone — the process
   * died or its service was closed — and returns them, so that the runtime can roll back what they created.
   */
  recover(): Promise<ExecutionRecord[]> {
    return this.runner.recover();
  }

  /**
   * Stops serving. Running executions are left RUNNING in the database, as if the process had died (the next
   * service's `recover()` closes them); their engines are aborted and their in-flight handlers awaited.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.runner.close();
    this.db.close();
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

/** ListExecutions' statusFilter values: the statuses, and PENDING_REDRIVE (a redrive not yet running). */
const STATUS_FILTERS = [...EXECUTION_STATUSES, 'PENDING_REDRIVE'] as const;

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
