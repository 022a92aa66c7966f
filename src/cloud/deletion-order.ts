/**
 * The order in which resources can be deleted: dependants before what they depend on. The rollback
 * (src/workflow/rollback.ts) deletes in this order, and the teardown preview
 * (src/plan/preview-destroy.ts) lists its rows in it; both reach it here, below the plan and the
 * workflows, since it is knowledge of the resource kinds alone.
 */
import { DEPENDENCY_ORDER, type Resource } from './resources.ts';

/**
 * Resources in the order they must be deleted: reverse dependency order, newest first within a type.
 *
 * @example deletionOrder([vpc, subnet, server]) // [server, subnet, vpc]
 */
export function deletionOrder(resources: readonly Resource[]): Resource[] {
  const rank = (r: Resource) => DEPENDENCY_ORDER.indexOf(r.type);
  return resources
    .map((resource, position) => ({ resource, position }))
    .sort((a, b) => rank(b.resource) - rank(a.resource) || b.position - a.position)
    .map(({ resource }) => resource);
}
