/**
 * natflow's rules for redriving and rolling back a provisioning, on top of Step Functions' own
 * (RedriveExecution's rules are the service's: not RUNNING, not SUCCEEDED, 14 days, history size).
 *
 * - A provisioning that ran with `onFailure: rollback` (the `provision` machine, with Catch → Rollback)
 *   and did not succeed has been rolled back: nothing is left to continue, so natflow refuses to redrive
 *   it (`EXECUTION_ROLLED_BACK`) and says what to do instead. Step Functions itself would redrive it
 *   from its Fail state, which fails again at once.
 * - A kept failure (`onFailure: keep`, the `provision-keep` machine) may be redriven until it is rolled
 *   back (`natflow executions rollback`); after that it is refused the same way.
 * - A kept failure is rolled back on request: a RUNNING one must be stopped first (a stopped kept
 *   provisioning is ABORTED and keeps its resources), a SUCCEEDED one is removed by `teardown`, and one
 *   that ran with `onFailure: rollback` has rolled back by itself — unless that rollback could not
 *   finish (its cause says INCOMPLETE, or the ledger still holds what it created): then a rollback on
 *   request resumes it (docs/real-cloud.md#failure).
 *
 * Pure: the callers read the execution, its history and the ledger, and pass what they found.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';

export type ProvisionMachine = 'provision' | 'provision-keep';

export interface ExecutionFacts {
  name: string;
  /** The machine it ran on; undefined for executions of other workflows. */
  machine: string | undefined;
  status: string;
}

/** A refusal: the code the CLI, the API and the console show, and the sentence that explains it. */
export interface Refusal {
  code: 'EXECUTION_ROLLED_BACK' | 'ROLLBACK_REFUSED';
  message: string;
}

const CLOSED_UNSUCCESSFULLY = new Set(['FAILED', 'ABORTED', 'TIMED_OUT']);

/** Why natflow refuses to redrive this execution, or undefined (Step Functions' rules still apply). */
export function redriveRefusalOf(execution: ExecutionFacts, rolledBack: boolean): Refusal | undefined {
  if (execution.machine === 'provision' && CLOSED_UNSUCCESSFULLY.has(execution.status)) {
    return {
      code: 'EXECUTION_ROLLED_BACK',
      message:
        `execution ${execution.name} ran with onFailure: rollback and was rolled back when it ended ` +
        `${execution.status}: nothing is left to continue. Provision the plan again; to redrive after a ` +
        'failure, provision with onFailure: keep (natflow provision --on-failure keep)',
    };
  }
  if (execution.machine === 'provision-keep' && rolledBack) {
    return {
      code: 'EXECUTION_ROLLED_BACK',
      message:
        `execution ${execution.name} was rolled back (natflow executions rollback): nothing is left to ` +
        'continue. Provision the plan again',
    };
  }
  return undefined;
}

/**
 * Why natflow refuses to roll this execution back on request, or undefined. `leftBehind`: its own
 * rollback left resources behind (a provisioning with `onFailure: rollback`), which a rollback on request
 * resumes.
 */
export function rollbackRefusalOf(execution: ExecutionFacts, leftBehind = false): Refusal | undefined {
  const refuse = (message: string): Refusal => ({ code: 'ROLLBACK_REFUSED', message });
  if (execution.machine === 'provision' && leftBehind && CLOSED_UNSUCCESSFULLY.has(execution.status))
    return undefined;
  if (execution.machine === 'provision') {
    return refuse(
      `execution ${execution.name} ran with onFailure: rollback: it rolls back by itself when it fails; ` +
        'a plan that succeeded is removed with natflow teardown PLAN',
    );
  }
  if (execution.machine !== 'provision-keep')
    return refuse(`execution ${execution.name} is not a provisioning: only a kept failure is rolled back`);
  if (execution.status === 'RUNNING')
    return refuse(`execution ${execution.name} is RUNNING: stop it first (it then keeps what it created)`);
  if (execution.status === 'SUCCEEDED') {
    return refuse(
      `execution ${execution.name} SUCCEEDED: its resources are the plan's now; remove them with ` +
        'natflow teardown PLAN',
    );
  }
  return undefined;
}

/**
 * Whether a kept failure was rolled back, read without a rollback execution to look at (the in-process
 * rollback): its ledger is empty although a step after ValidatePlan completed. An approximation: a kept
 * failure whose completed steps only resolved `existing` entries (created nothing) reads as rolled back
 * too, and is refused. Once the `rollback` state machine is deployed its execution is the record and
 * this is not used (functions/api/lib/rollback.ts).
 */
export function keptFailureRolledBack(ledgerSize: number, history: readonly HistoryEvent[]): boolean {
  if (ledgerSize > 0) return false;
  return history.some(
    (event) => event.type === 'TaskStateExited' && event.stateExitedEventDetails?.name !== 'ValidatePlan',
  );
}
