/** Provisioning step: creates the plan's SNAT rules (created PENDING), in plan order, idempotently under their client tokens. */
import { provisionStep } from './lib/steps.ts';

export const createHandler = provisionStep('snatRules');
export const handler = createHandler();
