/** Provisioning step: creates the plan's VPCs and subnets, in plan order, idempotently under their client tokens. */
import { provisionStep } from './lib/steps.ts';

export const createHandler = provisionStep('networks');
export const handler = createHandler();
