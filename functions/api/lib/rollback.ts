/**
 * The seam between the API and a rollback on request: of a kept failure (`onFailure: keep`,
 * docs/workflows.md), or the resumption of a provisioning's rollback that could not finish
 * (docs/real-cloud.md#failure).
 *
 * A kept failure, two ways, chosen by whether the `rollback` state machine is deployed (its ARN in the
 * deps' `stateMachineArns().rollback`, from `NATFLOW_STATE_MACHINE_ARNS.rollback` on AWS) and the deps
 * do not ask for the rollback in the request (`keptRollbackInProcess`, the local stack's choice):
 * - with it: StartExecution of that machine, input `{executionArn, force: true}`, named after the kept execution
 *   (`rb-<hash>-<name>`), so a second request finds the same execution; its existence is the record that
 *   the kept failure was rolled back;
 * - without it: the rollback the runtime runs for a stopped provisioning, in process —
 *   `rollbackProvisioning` over the execution's ledger — then the live network (locally, the data plane)
 *   is resynced. Whether it was rolled back is then read from the ledger (src/workflow/kept.ts).
 *
 * A resumed rollback always runs on the rollback state machine, locally as on AWS: it waits, in the
 * workflow, for a real cloud's deletions, and ends FAILED with ROLLBACK_INCOMPLETE (what is still left
 * in its cause) when it cannot finish either. Each resumption is an execution of its own
 * (`rs-<hash>-<time>-<name>`).
 */
import { createHash } from 'node:crypto';
import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { HttpProblemError } from '../../../src/api/problem.ts';
import { DEFAULT_CLOUD, recordedCloud } from '../../../src/providers/registry.ts';
import { keptFailureRolledBack } from '../../../src/workflow/kept.ts';
import { rollbackProvisioning } from '../../../src/workflow/rollback.ts';
import type { ApiDeps } from './deps.ts';
import { executionPrefix } from './step-functions.ts';

export interface RollbackStarted {
  /** Ids deleted in process (empty when a rollback execution does the work). */
  deleted: string[];
  rollbackExecutionArn?: string;
}

/** The rollback execution's name for a kept execution: stable, at most 80 characters. */
export function rollbackExecutionName(executionArn: string, name: string): string {
  const hash = createHash('sha256').update(executionArn).digest('hex').slice(0, 8);
  return `rb-${hash}-${name}`.slice(0, 80);
}

/** A resumption's execution name: unique per request, at most 80 characters. */
export function resumeExecutionName(executionArn: string, name: string, now: number): string {
  const hash = createHash('sha256').update(executionArn).digest('hex').slice(0, 8);
  return `rs-${hash}-${now.toString(36)}-${name}`.slice(0, 80);
}

/** Resumes a provisioning's rollback that left resources behind, on the rollback state machine. */
export async function resumeRollback(
  deps: ApiDeps,
  executionArn: string,
  name: string,
): Promise<RollbackStarted> {
  const rollbackMachine = deps.stateMachineArns().rollback;
  if (rollbackMachine === undefined) {
    throw new HttpProblemError(
      409,
      'ROLLBACK_REFUSED',
      `execution ${name} left resources behind, but this stack has no rollback state machine to resume it: remove them with natflow teardown PLAN`,
    );
  }
  const started = await deps.stepFunctions().send(
    new StartExecutionCommand({
      stateMachineArn: rollbackMachine,
      name: resumeExecutionName(executionArn, name, deps.clock.now()),
      input: JSON.stringify({ executionArn, force: true }),
    }),
  );
  return { deleted: [], ...(started.executionArn ? { rollbackExecutionArn: started.executionArn } : {}) };
}

/** Whether a provisioning's own rollback left resources behind: its ledger still holds some. */
export async function leftBehind(deps: ApiDeps, executionArn: string): Promise<boolean> {
  return (await (await deps.store()).list({ execution: executionArn })).length > 0;
}

/** Rolls back a kept failure's resources (see above). */
export async function startRollback(
  deps: ApiDeps,
  executionArn: string,
  name: string,
): Promise<RollbackStarted> {
  const rollbackMachine = deps.keptRollbackInProcess ? undefined : deps.stateMachineArns().rollback;
  if (rollbackMachine !== undefined) {
    const started = await deps.stepFunctions().send(
      new StartExecutionCommand({
        stateMachineArn: rollbackMachine,
        name: rollbackExecutionName(executionArn, name),
        // The `rollback` machine's explicit form: `force` rolls back a kept execution too.
        input: JSON.stringify({ executionArn, force: true }),
      }),
    );
    return { deleted: [], ...(started.executionArn ? { rollbackExecutionArn: started.executionArn } : {}) };
  }
  const store = await deps.store();
  // The cloud holding the kept execution's resources, as its ledger records it.
  const holder = await recordedCloud(store, { execution: executionArn }, DEFAULT_CLOUD);
  const deleted = await rollbackProvisioning(await deps.cloud(holder), store, executionArn);
  await deps.live?.sync(await store.list());
  return { deleted };
}

/** Whether a kept failure was rolled back already. */
export async function wasRolledBack(deps: ApiDeps, executionArn: string, name: string): Promise<boolean> {
  const rollbackMachine = deps.keptRollbackInProcess ? undefined : deps.stateMachineArns().rollback;
  if (rollbackMachine !== undefined) {
    try {
      await deps.stepFunctions().send(
        new DescribeExecutionCommand({
          executionArn: `${executionPrefix(rollbackMachine)}:${rollbackExecutionName(executionArn, name)}`,
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ExecutionDoesNotExist || (error as Error).name === 'ExecutionDoesNotExist')
        return false;
      throw error;
    }
  }
  const ledger = await (await deps.store()).list({ execution: executionArn });
  if (ledger.length > 0) return false;
  return keptFailureRolledBack(0, await fullHistory(deps, executionArn));
}

async function fullHistory(deps: ApiDeps, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await deps.stepFunctions().send(
      new GetExecutionHistoryCommand({
        executionArn,
        maxResults: 1000,
        includeExecutionData: false,
        ...(nextToken ? { nextToken } : {}),
      }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}
