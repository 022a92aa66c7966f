/**
 * The `virtual` provider: natflow's own virtual cloud (docs/plan-format.md#resources), the control plane of `src/cloud/`
 * over natflow's store — a thin adapter, since the core already implements the cloud port there.
 * `NATFLOW_PROVISIONING_DELAY_MS` (gateways and rules stay PENDING this long) is read at each open, as
 * each invocation opens its own.
 */
import { ControlPlane } from '../../cloud/control-plane.ts';
import { systemClock } from '../../net/clock.ts';
import type { OpenOptions, Provider } from '../provider.ts';

export async function open(options: OpenOptions): Promise<Provider> {
  const env = options.env ?? process.env;
  return new ControlPlane({
    store: options.store,
    clock: options.clock ?? systemClock,
    provisioningDelayMs: options.provisioningDelayMs ?? Number(env.NATFLOW_PROVISIONING_DELAY_MS ?? 0),
  });
}
