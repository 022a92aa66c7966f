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
 */
import type { Cloud } from '../cloud/cloud.ts';
import { deletionOrder } from '../cloud/deletion-order.ts';
import { DependencyViolationError, type NatflowError, NotFoundError } from '../cloud/errors.ts';
import type { Store } from '../cloud/store.ts';

/**
 * Deletes what one execution created, in reverse dependency order (the workflow's Rollback).
 * Idempotent: what is already gone is skipped. Returns the ids whose deletion finished. When another
 * execution's resources still depend on some of them, deletes everything else and then throws
 * DEPENDENCY_VIOLATION.
 */
export async function rollbackExecution(cloud: Cloud, execution: string): Promise<string[]> {
  const deleted: string[] = [];
  const blocked: NatflowError[] = [];
  for (const resource of deletionOrder(await cloud.list({ execution }))) {
    try {
      const { done } = await cloud.destroy(resource.id);
      if (done) deleted.push(resource.id);
    } catch (error) {
      if (error instanceof NotFoundError) continue;
      if (error instanceof DependencyViolationError) {
        blocked.push(error);
        continue;
      }
      throw error;
    }
  }
  if (blocked.length > 0) {
    throw new DependencyViolationError(
      `rollback of ${execution} deleted ${deleted.length} resources but ${blocked.length} are still referenced: ${blocked.map((e) => e.message).join('; ')}`,
      { details: { deleted, blocked: blocked.map((e) => e.details?.id) } },
    );
  }
  return deleted;
}

export async function rollbackProvisioning(cloud: Cloud, store: Store, execution: string): Promise<string[]> {
  const deleted = await rollbackExecution(cloud, execution);
  for (const record of await store.listPlans()) {
    if (record.execution !== execution) continue;
    if ((await store.list({ plan: record.name })).length > 0) continue;
    await store.transaction([`plan:${record.name}`], (tx) => tx.removePlan(record.name));
  }
  return deleted;
}
