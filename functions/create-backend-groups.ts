/** Provisioning step: creates the plan's backend server groups and their members, in plan order, idempotently under their client tokens. */
import { provisionStep } from './lib/steps.ts';

export const createHandler = provisionStep('backendGroups');
export const handler = createHandler();
