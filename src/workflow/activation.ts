/**
 * The workflow's side of asynchronous activation: gateways and rules are created PENDING and the
 * cloud reports them ready (`Cloud.refresh`; the virtual cloud once its provisioning delay has passed,
 * `provisioningDelayMs`, 0 by default, so locally everything is ACTIVE on the first check and the Wait
 * state never runs). The provision workflow polls this with a Wait state until `ready`; a resource still
 * PENDING after `timeoutMs` fails the execution with GATEWAY_NOT_ACTIVE instead of polling forever.
 */
import type { Cloud } from '../cloud/cloud.ts';
import { GatewayNotActiveError } from '../cloud/errors.ts';
import type { Plan } from '../plan/plan.ts';
import { applyStep } from './steps/index.ts';

export async function checkActivation(
  cloud: Cloud,
  plan: Plan,
  step: 'activateGateways' | 'activateRules',
  options: { execution: string; now: number; timeoutMs: number },
): Promise<{ ready: boolean; pending: string[] }> {
  const { pending = [] } = await applyStep(cloud, plan, step, { execution: options.execution });
  for (const id of pending) {
    const resource = await cloud.get(id);
    if (!resource) continue;
    const age = options.now - Date.parse(resource.createdAt);
    if (age > options.timeoutMs) {
      throw new GatewayNotActiveError(
        `${resource.type} ${resource.name} (${id}) is still ${resource.status} after ${age} ms`,
        {
          details: { id, status: resource.status },
        },
      );
    }
  }
  return { ready: pending.length === 0, pending };
}
