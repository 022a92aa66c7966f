/**
 * POST /probes `{from, to, protocol, port, mode?, plan?}` — the probe report (DESIGN §5): verdict, the
 * explanation code, the hops, and the live result when the local data plane runs (on AWS: analysis).
 * The body is checked here against the API's contract, then handed to the probe function itself, so
 * the API, the Lambda and the CLI share one implementation.
 */
import { ProbeRequestSchema } from '../../src/api/schemas.ts';
import { httpHandler } from '../lib/http.ts';
import { handler as probe } from '../probe.ts';

export const handler = httpHandler({ body: ProbeRequestSchema }, async ({ body }, context) => ({
  status: 200,
  body: await probe(body, context),
}));
