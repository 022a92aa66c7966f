/** Provisioning step: creates the plan's dedicated load balancers and their listeners, in plan order, idempotently under their client tokens. */
import { provisionStep } from './lib/steps.ts';

export const createHandler = provisionStep('loadBalancers');
export const handler = createHandler();
