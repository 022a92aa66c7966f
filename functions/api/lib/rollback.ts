/**
 * The seam between the API and the rollback of a kept failure (`onFailure: keep`, docs/workflows.md).
 *
 * Two ways, chosen by whether the `rollback` state machine is deployed (its ARN in the deps'
 * `stateMachineArns().rollback`, from `NATFLOW_STATE_MACHINE_ARNS.rollback` on AWS):
 * - with it: StartExecution of that machine, input `{executionArn, force: true}`, named after the kept execution
 *   (`rb-<hash>-<name>`), so a second request finds the same execution; its existence is the record that
 *   the kept failure was rolled back;
 * - without it (today): the rollback the runtime runs for a stopped provisioning, in process —
 *   `rollbackProvisioning` over the execution's ledger — then the live network (locally, the data plane)
 *   is resynced. Whether it was rolled back is then read from the ledger (src/workflow/kept.ts).
 */
import { createHash } from 'node:crypto';
import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
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

/** Rolls back a kept failure's resources (see above). */
export async function startRollback(
  deps: ApiDeps,
  executionArn: string,
  name: string,
): Promise<RollbackStarted> {
  const rollbackMachine = deps.stateMachineArns().rollback;
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
  const rollbackMachine = deps.stateMachineArns().rollback;
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
