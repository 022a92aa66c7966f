/**
 * Provisioning steps `loadBalancers` (CreateLoadBalancer: the plan's dedicated load balancers) and
 * `listeners` (CreateListeners: their listeners), the input's `step` choosing; in plan order,
 * idempotently under their client tokens.
 */
import { provisionStep } from './lib/steps.ts';

export const createHandler = provisionStep('loadBalancers', 'listeners');
export const handler = createHandler();
