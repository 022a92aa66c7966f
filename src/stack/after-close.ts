/**
 * What the local stack does when one of its executions closes, in this order:
 * 1. As on AWS, the Step Functions "Execution Status Change" event goes on the bus, whose rules
 *    (serverless.yml) start the rollback workflow for a provisioning that ended ABORTED or TIMED_OUT.
 *    What the event started is this close's follow-up work, handed to `track` (so `idle()` waits for it;
 *    waiting for it here would wait for this very hook).
 * 2. A provisioning or teardown syncs the data plane with its plan's scope; a rollback (no plan in its
 *    input), all of it.
 * 3. The execution's Task handlers are settled, and its draining mark forgotten.
 */
import type { Store } from '../cloud/store.ts';
import type { LocalEventBus } from '../local-bus/index.ts';
import { type DataPlane, syncDataPlane } from '../local-dataplane/index.ts';
import { statusChangeEntry } from './status-change.ts';
import type { TaskBinder } from './tasks.ts';

/** The workflows whose close may have changed what the data plane realises. */
const SYNCING = new Set(['provision', 'provision-keep', 'teardown', 'rollback']);

export interface AfterCloseOptions {
  bus: Pick<LocalEventBus, 'putEvents'>;
  /** Resolves when the execution `executionArn` has closed. */
  waitForExecution: (executionArn: string) => Promise<unknown>;
  /** The workflow key (`provision`) of a state machine ARN of this stack. */
  workflowOf: (stateMachineArn: string) => string | undefined;
  dataPlane: DataPlane | undefined;
  store: Store;
  tasks: Pick<TaskBinder, 'settle' | 'forget'>;
  /** Keeps follow-up work for `idle()`. */
  track: (work: Promise<void>) => Promise<void>;
}

/** The closed execution's fields read here (the Step Functions service's record has them all). */
type ClosedExecution = Parameters<typeof statusChangeEntry>[0];

export function afterClose(options: AfterCloseOptions): (execution: ClosedExecution) => Promise<void> {
  return async (execution) => {
    const put = await options.bus.putEvents([statusChangeEntry(execution)]);
    for (const started of put.Started) {
      const arn = (started.result as { executionArn?: unknown } | undefined)?.executionArn;
      if (typeof arn === 'string') void options.track(options.waitForExecution(arn).then(ignore, stillOpen));
      else if (started.error)
        process.emitWarning(`natflow: rule ${started.rule} did not start: ${started.error}`);
    }
    const workflow = options.workflowOf(execution.stateMachineArn);
    if (options.dataPlane && workflow !== undefined && SYNCING.has(workflow))
      await syncDataPlane(options.dataPlane, options.store, execution.input);
    await options.tasks.settle(execution.executionArn);
    options.tasks.forget(execution.executionArn);
  };
}

const ignore = (): void => {};

/**
 * The stack closed while the started workflow ran: it stops waiting (the workflow resumes when the data
 * directory is opened again, as every RUNNING execution does). Any other failure to wait is a warning.
 */
function stillOpen(error: unknown): void {
  if (error instanceof Error && error.name === 'ServiceUnavailable') return;
  process.emitWarning(`natflow: waiting for a started workflow failed: ${String(error)}`);
}
