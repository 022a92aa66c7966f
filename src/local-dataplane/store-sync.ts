/**
 * The data-plane sync after a provisioning or teardown closes: the plan's scope only (its connected part
 * of the store, read by indexed queries: `src/probe/scope.ts`), so the cost of one execution does not grow
 * with the store. Writers the stack does not see (a CLI provisioning on the same data directory, a
 * freeze) are caught by a full sync at most every `FULL_SYNC_EVERY_MS`, and whenever the plan of an
 * execution cannot be told from its input.
 */
import type { Store } from '../cloud/store.ts';
import { inScopeOf, planScope } from '../probe/scope.ts';
import type { DataPlane } from './data-plane.ts';

export const FULL_SYNC_EVERY_MS = 10_000;

const lastFull = new WeakMap<DataPlane, number>();

/** The plan an execution's input names: teardown's `{plan: NAME}`, or a provisioned plan document's `name`. */
export function planOfInput(input: string): string | undefined {
  try {
    const value = JSON.parse(input) as Record<string, unknown> | null;
    if (!value || typeof value !== 'object') return undefined;
    const name = typeof value.plan === 'string' ? value.plan : value.name;
    return typeof name === 'string' && name.length > 0 ? name : undefined;
  } catch {
    return undefined;
  }
}

export async function syncDataPlane(
  dataPlane: DataPlane,
  store: Store,
  executionInput: string,
): Promise<void> {
  const plan = planOfInput(executionInput);
  const now = Date.now();
  if (plan === undefined || now - (lastFull.get(dataPlane) ?? 0) >= FULL_SYNC_EVERY_MS) {
    lastFull.set(dataPlane, now);
    await dataPlane.syncFrom(() => store.list());
    return;
  }
  await dataPlane.syncScopeFrom(async () => {
    const scope = await planScope(store, plan);
    return { resources: scope, inScope: inScopeOf(plan, scope) };
  });
}
