/**
 * What the callers of the local Step Functions service hand it: its options, the Task handlers its
 * `resolveTask` returns, the state machines it serves and the listeners of its live history. Kept apart
 * from the service so that the files behind it (machine.ts, runner.ts) read these types without
 * importing the service back.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import type { Clock } from '../net/clock.ts';
import type { ExecutionRecord } from './persistence.ts';

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
  /**
   * Factor applied to Wait states and Retry pauses. Default 1: real time, as on AWS. A test knob only
   * (0 = no waiting, 0.01 = a hundred times faster, backoff kept): never the default of a stack that can
   * drive a real cloud (docs/real-cloud.md#time).
   */
  waitTimeScale?: number;
  /** Called once per execution closed by this service (not for those `recover()` returns). */
  onExecutionClosed?: (execution: ExecutionRecord) => Promise<void> | void;
  clock?: Clock;
}

export type HistoryListener = (event: { executionArn: string; event: HistoryEvent }) => void;
