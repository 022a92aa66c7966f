/** ListPlansToVerify: the plan named in the input (NOT_FOUND if it was never provisioned), or every plan. */
import { z } from 'zod';
import { NotFoundError } from '../src/cloud/errors.ts';
import { type Deps, defaultDeps } from './lib/deps.ts';
import { lambdaHandler } from './lib/middleware.ts';

const InputSchema = z.object({ input: z.object({ plan: z.string().min(1).optional() }).loose() });

export const createHandler = (deps: Deps = defaultDeps()) =>
  lambdaHandler(InputSchema, async ({ input }) => {
    const store = await deps.store();
    if (input.plan === undefined) return { plans: (await store.listPlans()).map((p) => p.name) };
    if (!(await store.getPlan(input.plan))) {
      throw new NotFoundError(`no plan named ${input.plan} has been provisioned`, { path: 'plan' });
    }
    return { plans: [input.plan] };
  });
export const handler = createHandler();
