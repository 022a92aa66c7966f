/** SummarizeVerification: the verify workflow fails with VERIFICATION_FAILED when any plan lost connectivity. */
import { z } from 'zod';
import { summarizeVerification } from '../src/workflow/verification.ts';
import type { Deps } from './lib/deps.ts';
import { lambdaHandler } from './lib/middleware.ts';

const InputSchema = z.object({
  plans: z.array(z.object({ plan: z.string(), ok: z.boolean(), results: z.array(z.unknown()) }).loose()),
});

/** Pure: it needs none of the deps, but takes them as every handler does. */
export const createHandler = (_deps?: Deps) =>
  lambdaHandler(InputSchema, async ({ plans }) => summarizeVerification(plans));
export const handler = createHandler();
