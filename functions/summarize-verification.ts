/**
 * SummarizeVerification: the verify workflow's document `{ok, plans: [{plan, cloud, ok, entries}]}`, one
 * row per verify entry; when any plan lost connectivity it also carries `cause`, the failure document
 * the workflow's Fail state ends VERIFICATION_FAILED with (docs/real-cloud.md#verification-output).
 */
import { z } from 'zod';
import { summarizeVerification } from '../src/workflow/verification.ts';
import type { Deps } from './lib/deps.ts';
import { lambdaHandler } from './lib/middleware.ts';

const InputSchema = z.object({
  plans: z.array(
    z
      .object({
        plan: z.string(),
        cloud: z.string().optional(),
        ok: z.boolean(),
        results: z.array(z.unknown()).optional(),
        entries: z.array(z.unknown()).optional(),
      })
      .loose(),
  ),
});

/** Pure: it needs none of the deps, but takes them as every handler does. */
export const createHandler = (_deps?: Deps) =>
  lambdaHandler(InputSchema, async ({ plans }) => summarizeVerification(plans));
export const handler = createHandler();
