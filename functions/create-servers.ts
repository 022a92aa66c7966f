/** Provisioning step: creates the plan's servers (ECS), their security groups and applications, in plan order, idempotently under their client tokens. */
import { provisionStep } from './lib/steps.ts';

export const createHandler = provisionStep('servers');
export const handler = createHandler();
