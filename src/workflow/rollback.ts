/**
 * Rollback of a failed or stopped provisioning: deletes what the execution created (its ledger), in
 * reverse dependency order, and forgets the plan record it wrote when the plan has no resources left —
 * so a failure even after the last step leaves neither orphaned resources nor a plan that points at
 * nothing. Idempotent: running it again deletes nothing more.
 */
import type { ControlPlane } from '../cloud/control-plane.ts';
import type { Store } from '../cloud/store.ts';
import { rollbackExecution } from '../plan/interpreter.ts';

export async function rollbackProvisioning(
  cloud: ControlPlane,
  store: Store,
  execution: string,
): Promise<string[]> {
  const deleted = await rollbackExecution(cloud, execution);
  for (const record of await store.listPlans()) {
    if (record.execution !== execution) continue;
    if ((await store.list({ plan: record.name })).length > 0) continue;
    await store.transaction([`plan:${record.name}`], (tx) => tx.removePlan(record.name));
  }
  return deleted;
}
