/** Emits one of natflow's out events (source `natflow`) on the bus. */
import { z } from 'zod';
import { type Deps, defaultDeps } from './lib/deps.ts';
import { lambdaHandler } from './lib/middleware.ts';

const InputSchema = z.object({
  detailType: z.enum([
    'ProvisioningSucceeded',
    'ProvisioningFailed',
    'ConnectivityVerified',
    'ConnectivityLost',
    'DriftDetected',
  ]),
  detail: z.record(z.string(), z.unknown()),
});

export const createHandler = (deps: Deps = defaultDeps()) =>
  lambdaHandler(InputSchema, async ({ detailType, detail }) => {
    await deps.publish(detailType, detail);
    return { published: detailType };
  });
export const handler = createHandler();
