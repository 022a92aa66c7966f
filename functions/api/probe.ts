/**
 * POST /probes `{from, to, protocol, port, mode?, plan?}` — the probe report (docs/probe.md): verdict, the
 * explanation code, the hops, and the live result when the local data plane runs (on AWS: analysis).
 * The body is checked against the API's contract (the one `ProbeRequest` schema the probe Lambda also
 * takes), then handed to the probe use-case, so the API, the Lambda and the CLI share one implementation.
 */
import { ProbeRequestSchema } from '../../src/api/schemas.ts';
import { probeResources } from '../../src/probe/run.ts';
import { type Deps, defaultDeps } from '../lib/deps.ts';
import { httpHandler } from '../lib/http.ts';

export const createHandler = (deps: Deps = defaultDeps()) =>
  httpHandler({ body: ProbeRequestSchema }, async ({ body }) => ({
    status: 200,
    body: await probeResources(await deps.store(), body, { live: deps.live }),
  }));
export const handler = createHandler();
