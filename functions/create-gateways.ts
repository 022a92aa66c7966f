/** Provisioning step: creates the plan's private NAT gateways (created PENDING), in plan order, idempotently under their client tokens. */
import { provisionStep } from './lib/steps.ts';

export const createHandler = provisionStep('gateways');
export const handler = createHandler();
