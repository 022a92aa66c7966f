/**
 * A stack starting over a data directory whose previous process died: the Step Functions service's
 * `recover()` closes the executions left RUNNING as FAILED; a provisioning among them has its ledger
 * rolled back here, on the cloud that holds it, so nothing is orphaned. The virtual cloud rolls back at
 * once (without any provisioning delay); a real one deletes asynchronously, in rounds.
 */
import type { Deps } from '../../functions/lib/deps.ts';
import type { Store } from '../cloud/store.ts';
import { can, DEFAULT_CLOUD, recordedCloud } from '../providers/registry.ts';
import { rollbackInProcess } from '../workflow/deletion-rounds.ts';
import { rollbackProvisioning } from '../workflow/rollback.ts';

export interface RecoveryOptions {
  store: Store;
  /** The stack's handler deps: the cloud a real provider's ledger is rolled back on. */
  deps: Pick<Deps, 'cloud'>;
  /** The workflow key (`provision`) of a state machine ARN of this stack. */
  workflowOf: (stateMachineArn: string) => string | undefined;
}

/** Rolls back the ledger of every recovered provisioning. */
export async function rollBackRecovered(
  recovered: readonly { executionArn: string; stateMachineArn: string }[],
  options: RecoveryOptions,
): Promise<void> {
  const { store } = options;
  for (const execution of recovered) {
    if (options.workflowOf(execution.stateMachineArn) !== 'provision') continue;
    const holder = await recordedCloud(store, { execution: execution.executionArn }, DEFAULT_CLOUD);
    const cloud = await options.deps.cloud(holder);
    if (can(holder, 'realCloud')) await rollbackInProcess(cloud, store, execution.executionArn);
    else await rollbackProvisioning(cloud, store, execution.executionArn);
  }
}
