/**
 * Teardown, one phase at a time, so the teardown state machine shows each layer going away:
 * check → rules → transit (gateways, transit IPs) → load balancers (listeners, LBs, backend groups) →
 * servers (servers, security groups) → networks (subnets, VPCs).
 *
 * Only what the plan created is deleted (`existing:` references are left alone). The check phase refuses
 * with DEPENDENCY_VIOLATION, before anything is deleted, while a resource of another plan still
 * references one of this plan's — the same rule every cloud enforces for each delete (`Cloud.destroy`).
 *
 * A plan with nothing recorded — no plan record and no resource (resources a rollback left behind stay
 * recorded to their plan, so they count) — has nothing to tear down: the check phase answers
 * `nothing: true` and the state machine ends SUCCEEDED with `{plan, nothing: true}`, which is also what
 * the API answers instead of starting it, and what the CLI says (docs/workflows.md#teardown). Tearing
 * down an unknown plan, or one already torn down, is therefore not an error: teardown is idempotent.
 *
 * A cloud that deletes asynchronously answers `done: false`: that id is not in the phase's result and stays
 * in the ledger, and the plan record is kept until nothing of the plan is left, so running the phase again
 * (a Wait/Choice loop around it) continues the deletion. The virtual cloud deletes at once.
 */
import type { Cloud } from '../cloud/cloud.ts';
import { DependencyViolationError } from '../cloud/errors.ts';
import type { Resource, ResourceType } from '../cloud/resources.ts';
import type { Store, StoreReader } from '../cloud/store.ts';

export const TEARDOWN_PHASES = ['check', 'rules', 'transit', 'loadBalancers', 'servers', 'networks'] as const;
export type TeardownPhase = (typeof TEARDOWN_PHASES)[number];

/** The kinds each phase deletes, in the order it deletes them. */
export const PHASE_TYPES: Readonly<Record<TeardownPhase, readonly ResourceType[]>> = {
  check: [],
  rules: ['snat-rule', 'dnat-rule'],
  transit: ['private-nat-gateway', 'transit-ip'],
  loadBalancers: ['listener', 'load-balancer', 'backend-group'],
  servers: ['server', 'security-group'],
  networks: ['subnet', 'vpc'],
};

/** Whether nothing is recorded to `plan`: no plan record and no resource (left-behind ones included). */
export async function nothingRecorded(store: StoreReader, plan: string): Promise<boolean> {
  return !(await store.getPlan(plan)) && (await store.list({ plan })).length === 0;
}

/** Resources outside `plan` that reference one of the plan's resources. */
export async function externalDependents(
  store: Store,
  plan: string,
): Promise<{ resource: Resource; on: Resource }[]> {
  const owned = await store.list({ plan });
  const ownedIds = new Set(owned.map((r) => r.id));
  const found: { resource: Resource; on: Resource }[] = [];
  for (const resource of owned) {
    for (const referrer of await store.referrers(resource.id)) {
      if (!ownedIds.has(referrer.id)) found.push({ resource: referrer, on: resource });
    }
  }
  return found;
}

/**
 * The check phase: whether there is nothing to tear down; DEPENDENCY_VIOLATION while another plan's
 * resources depend on this plan's.
 */
export async function checkTeardown(store: Store, plan: string): Promise<{ nothing: boolean }> {
  if (await nothingRecorded(store, plan)) return { nothing: true };
  await teardownPhase(undefined, store, plan, 'check');
  return { nothing: false };
}

/**
 * Runs one teardown phase for a plan; returns the ids it deleted. Idempotent: a phase re-run after a
 * partial failure deletes what is left (and the check of a plan with nothing recorded finds no dependent).
 */
export async function teardownPhase(
  cloud: Cloud | undefined,
  store: Store,
  plan: string,
  phase: TeardownPhase,
): Promise<string[]> {
  if (phase === 'check') {
    const dependents = await externalDependents(store, plan);
    const first = dependents[0];
    if (first) {
      throw new DependencyViolationError(
        `plan ${plan} cannot be torn down: ${dependents
          .map(
            (d) =>
              `${d.resource.type} ${d.resource.name} (${d.resource.id}, plan ${d.resource.plan ?? '-'}) depends on ${d.on.type} ${d.on.name} (${d.on.id})`,
          )
          .join('; ')}`,
        { details: { dependents: dependents.map((d) => ({ id: d.resource.id, on: d.on.id })) } },
      );
    }
    return [];
  }
  if (!cloud) throw new Error(`the teardown phase ${phase} needs a cloud`);
  const deleted: string[] = [];
  for (const type of PHASE_TYPES[phase]) {
    const resources = (await store.list({ plan, type })).reverse();
    for (const resource of resources) {
      const { done } = await cloud.destroy(resource.id);
      if (done) deleted.push(resource.id);
    }
  }
  if (phase === 'networks' && (await store.list({ plan })).length === 0)
    await store.transaction([`plan:${plan}`], (tx) => tx.removePlan(plan));
  return deleted;
}
