/**
 * The workflow's side of asynchronous readiness (docs/real-cloud.md#time): what a provisioning created
 * may still be settling in the cloud (a server booting, a gateway or a rule INACTIVE; on the virtual
 * cloud a gateway or rule within its provisioning delay, `provisioningDelayMs`, 0 by default, so locally
 * everything is ACTIVE on the first check).
 *
 * `activateResources` (the provision workflow's CheckResourcesActive) reads again whatever the plan
 * created that is not ready yet and fails `Natflow.NotReady` naming it while anything is not: the Task's
 * Retry polls it, 1 s backing off ×1.5 to 10 s, at most 8 history events a poll. Deadlines are the
 * cloud's: a real cloud's provider fails CLOUD_TIMEOUT past its per-kind deadline; a gateway or rule the
 * virtual cloud keeps PENDING past `timeoutMs` fails GATEWAY_NOT_ACTIVE. The two steps a dry run replays
 * (`activateGateways`, `activateRules`) answer `{ready, pending}` instead.
 */
import type { Cloud } from '../cloud/cloud.ts';
import { GatewayNotActiveError } from '../cloud/errors.ts';
import type { Plan } from '../plan/plan.ts';
import { applyStep } from './steps/index.ts';

export async function checkActivation(
  cloud: Cloud,
  plan: Plan,
  step: 'activateGateways' | 'activateRules' | 'activateResources',
  options: { execution: string; now: number | (() => number); timeoutMs: number },
): Promise<{ ready: boolean; pending: string[] }> {
  const now = typeof options.now === 'function' ? options.now : () => options.now as number;
  if (step === 'activateResources') {
    // Throws Natflow.NotReady (what it waits for) while anything is not ready.
    await applyStep(cloud, plan, step, {
      execution: options.execution,
      now,
      activationTimeoutMs: options.timeoutMs,
    });
    return { ready: true, pending: [] };
  }
  const { pending = [] } = await applyStep(cloud, plan, step, { execution: options.execution });
  for (const id of pending) {
    const resource = await cloud.get(id);
    if (!resource) continue;
    const age = now() - Date.parse(resource.createdAt);
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
