/** Provisioning step: creates the plan's DNAT rules (created PENDING), in plan order, idempotently under their client tokens. */
import { provisionStep } from './lib/steps.ts';

export const createHandler = provisionStep('dnatRules');
export const handler = createHandler();
