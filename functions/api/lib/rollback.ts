/**
 * The seam between the API and the rollback of a kept failure (`onFailure: keep`, DESIGN §7).
 *
 * Two ways, chosen by whether the `rollback` state machine is deployed (its ARN in
 * `NATFLOW_STATE_MACHINE_ARNS.rollback`):
 * - with it: StartExecution of that machine, input `{execution: ARN}`, named after the kept execution
 *   (`rb-<hash>-<name>`), so a second request finds the same execution; its existence is the record that
 *   the kept failure was rolled back;
 * - without it (today): the rollback the runtime runs for a stopped provisioning, in process —
 *   `rollbackProvisioning` over the execution's ledger — then the local data plane is resynced. Whether it
 *   was rolled back is read from the ledger (src/workflow/kept.ts).
 */
import { createHash } from 'node:crypto';
import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  type HistoryEvent,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { keptFailureRolledBack } from '../../../src/workflow/kept.ts';
import { rollbackProvisioning } from '../../../src/workflow/rollback.ts';
import { getDataPlane, getStore } from '../../lib/deps.ts';
import { controlPlane } from '../../lib/steps.ts';
import { executionPrefix, sfnClient, stateMachineArns } from './step-functions.ts';

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

/** Rolls back a kept failure's resources (see above). */
export async function startRollback(executionArn: string, name: string): Promise<RollbackStarted> {
  const rollbackMachine = stateMachineArns().rollback;
  if (rollbackMachine !== undefined) {
    const started = await sfnClient().send(
      new StartExecutionCommand({
        stateMachineArn: rollbackMachine,
        name: rollbackExecutionName(executionArn, name),
        input: JSON.stringify({ execution: executionArn }),
      }),
    );
    return { deleted: [], ...(started.executionArn ? { rollbackExecutionArn: started.executionArn } : {}) };
  }
  const store = await getStore();
  const deleted = await rollbackProvisioning(await controlPlane(), store, executionArn);
  await getDataPlane()?.sync(await store.list());
  return { deleted };
}

/** Whether a kept failure was rolled back already. */
export async function wasRolledBack(
  executionArn: string,
  name: string,
  history: () => Promise<HistoryEvent[]>,
): Promise<boolean> {
  const rollbackMachine = stateMachineArns().rollback;
  if (rollbackMachine !== undefined) {
    try {
      await sfnClient().send(
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
  const ledger = await (await getStore()).list({ execution: executionArn });
  return keptFailureRolledBack(ledger.length, await history());
}
