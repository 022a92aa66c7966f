/**
 * PublishProvisioningSucceeded: records the plan document (the verify and teardown workflows take only
 * its name), builds the execution's output `{plan, resources, translation, verify}` and emits
 * ProvisioningSucceeded.
 */
import { z } from 'zod';
import { completeProvisioning } from '../src/workflow/outcome.ts';
import { type Deps, defaultDeps } from './lib/deps.ts';
import { lambdaHandler } from './lib/middleware.ts';
import { ExecutionSchema } from './lib/steps.ts';

/** The plan stays a document here: it is stored as the user wrote it (with pinned addresses). */
const InputSchema = z.object({
  plan: z.record(z.string(), z.unknown()),
  execution: ExecutionSchema,
  translation: z.array(z.unknown()),
  verify: z.array(z.unknown()),
});

export const createHandler = (deps: Deps = defaultDeps()) =>
  lambdaHandler(InputSchema, async ({ plan, execution, translation, verify }) => {
    const output = await completeProvisioning(await deps.store(), plan, {
      execution,
      translation,
      verify,
      now: deps.clock.now(),
    });
    await deps.publish('ProvisioningSucceeded', { executionArn: execution, ...output });
    return output;
  });
export const handler = createHandler();
