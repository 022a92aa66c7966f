/**
 * Rollback of a failed or stopped provisioning: deletes what the execution created (its ledger), in
 * reverse dependency order, and forgets the plan record it wrote when the plan has no resources left —
 * so a failure even after the last step leaves neither orphaned resources nor a plan that points at
 * nothing. Idempotent: running it again deletes nothing more.
 *
 * Deletions go through the cloud port (`Cloud.destroy`). A cloud that deletes asynchronously answers
 * `done: false`: the resource stays in the ledger, is not in the returned ids, and the next run of the
 * rollback (the state machine's Wait/Choice loop, repeating while `cloud.list({ execution })` is not
 * empty) continues it. The virtual cloud deletes at once.
 *
 * A deletion that fails (the cloud unreachable, the keys refused) does not stop the others: a pass
 * tries every resource once and reports each failure beside the resource (`rollbackPass`), so the
 * workflow can say what it left behind and why (docs/real-cloud.md#failure).
 */
import type { Cloud } from '../cloud/cloud.ts';
import { deletionOrder } from '../cloud/deletion-order.ts';
import { DependencyViolationError, type NatflowError, NotFoundError } from '../cloud/errors.ts';
import type { Store } from '../cloud/store.ts';

/** One pass over an execution's ledger. */
export interface RollbackPass {
  /** Ids whose deletion finished. */
  deleted: string[];
  /** Still referenced by another execution's resources (DEPENDENCY_VIOLATION): the loop waits for them. */
  blocked: NatflowError[];
  /** Deletions that failed, with their error (the resource stays in the ledger). */
  failed: { id: string; error: Error }[];
}

/**
 * Tries to delete each resource an execution created, once, in reverse dependency order; never throws
 * for one resource. What is already gone is skipped.
 */
export async function rollbackPass(cloud: Cloud, execution: string): Promise<RollbackPass> {
  const pass: RollbackPass = { deleted: [], blocked: [], failed: [] };
  for (const resource of deletionOrder(await cloud.list({ execution }))) {
    try {
      const { done } = await cloud.destroy(resource.id);
      if (done) pass.deleted.push(resource.id);
    } catch (error) {
      if (error instanceof NotFoundError) continue;
      if (error instanceof DependencyViolationError) pass.blocked.push(error);
      else
        pass.failed.push({
          id: resource.id,
          error: error instanceof Error ? error : new Error(String(error)),
        });
    }
  }
  return pass;
}

/**
 * Deletes what one execution created, in reverse dependency order (the workflow's Rollback).
 * Idempotent: what is already gone is skipped. Returns the ids whose deletion finished. Throws the first
 * failed deletion's error once every resource was tried; when another execution's resources still depend
 * on some of them, deletes everything else and then throws DEPENDENCY_VIOLATION.
 */
export async function rollbackExecution(cloud: Cloud, execution: string): Promise<string[]> {
  const { deleted, blocked, failed } = await rollbackPass(cloud, execution);
  if (failed[0]) throw failed[0].error;
  if (blocked.length > 0) {
    throw new DependencyViolationError(
      `rollback of ${execution} deleted ${deleted.length} resources but ${blocked.length} are still referenced: ${blocked.map((e) => e.message).join('; ')}`,
      { details: { deleted, blocked: blocked.map((e) => e.details?.id) } },
    );
  }
  return deleted;
}

/** Forgets the plan records an execution wrote whose plans have no resources left. */
export async function forgetEmptyPlans(store: Store, execution: string): Promise<void> {
  for (const record of await store.listPlans()) {
    if (record.execution !== execution) continue;
    if ((await store.list({ plan: record.name })).length > 0) continue;
    await store.transaction([`plan:${record.name}`], (tx) => tx.removePlan(record.name));
  }
}

export async function rollbackProvisioning(cloud: Cloud, store: Store, execution: string): Promise<string[]> {
  const deleted = await rollbackExecution(cloud, execution);
  await forgetEmptyPlans(store, execution);
  return deleted;
}
