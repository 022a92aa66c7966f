/** Emits one of natflow's out events (source `natflow`) on the bus. */
import { z } from 'zod';
import { publishEvent } from './lib/deps.ts';
import { lambdaHandler } from './lib/middleware.ts';

const InputSchema = z.object({
  detailType: z.enum([
    'ProvisioningSucceeded',
    'ProvisioningFailed',
    'ConnectivityVerified',
    'ConnectivityLost',
  ]),
  detail: z.record(z.string(), z.unknown()),
});

export const handler = lambdaHandler(InputSchema, async ({ detailType, detail }) => {
  await publishEvent(detailType, detail);
  return { published: detailType };
});
