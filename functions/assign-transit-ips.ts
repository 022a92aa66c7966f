/** Provisioning step: creates the plan's transit IP addresses, in plan order, idempotently under their client tokens. */
import { provisionStep } from './lib/steps.ts';

export const createHandler = provisionStep('transitIps');
export const handler = createHandler();
