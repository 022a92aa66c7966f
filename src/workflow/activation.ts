/**
 * The virtual cloud's asynchronous activation, as the workflow's polling loop sees it: gateways and
 * rules are created PENDING; once a resource's provisioning delay has passed it becomes ACTIVE. With the
 * default delay of 0 everything is ACTIVE on the first check, so the local Wait state never runs.
 */
import type { ControlPlane } from '../cloud/control-plane.ts';
import { GatewayNotActiveError } from '../cloud/errors.ts';
import type { ResourceType } from '../cloud/resources.ts';
import type { StoreReader } from '../cloud/store.ts';

const KINDS: Readonly<Record<'gateways' | 'rules', readonly ResourceType[]>> = {
  gateways: ['private-nat-gateway'],
  rules: ['dnat-rule', 'snat-rule'],
};

export interface ActivationOptions {
  now: number;
  /** How long a resource stays PENDING after it is created. */
  delayMs: number;
  /** How long the workflow waits before giving up (GATEWAY_NOT_ACTIVE). */
  timeoutMs: number;
}

/** Activates the plan's PENDING resources of a kind whose delay has passed; `ready` when none is left. */
export async function activatePending(
  cloud: ControlPlane,
  store: StoreReader,
  plan: string,
  kind: 'gateways' | 'rules',
  options: ActivationOptions,
): Promise<{ ready: boolean; pending: string[]; activated: string[] }> {
  const pending: string[] = [];
  const activated: string[] = [];
  for (const type of KINDS[kind]) {
    for (const resource of await store.list({ plan, type })) {
      if (resource.status !== 'PENDING') continue;
      const age = options.now - Date.parse(resource.createdAt);
      if (age >= options.delayMs) {
        await cloud.activate(resource.id);
        activated.push(resource.id);
      } else if (age > options.timeoutMs) {
        throw new GatewayNotActiveError(
          `${resource.type} ${resource.name} (${resource.id}) is still PENDING after ${age} ms`,
        );
      } else {
        pending.push(resource.id);
      }
    }
  }
  return { ready: pending.length === 0, pending, activated };
}
