/**
 * Probe: `{from, to, protocol, port, mode?, plan?}` → the probe report (docs/probe.md). With the local
 * runtime's data plane it reconciles the sockets with the store first (so the model and the sockets
 * agree on what exists) and runs both modes; on AWS there is none, and the probe analyses. The request
 * is the API's `ProbeRequest`; the work is the shared use-case `probeResources`.
 */
import { ProbeRequestSchema } from '../src/api/schemas.ts';
import { probeResources } from '../src/probe/run.ts';
import { type Deps, defaultDeps } from './lib/deps.ts';
import { lambdaHandler } from './lib/middleware.ts';

export const createHandler = (deps: Deps = defaultDeps()) =>
  lambdaHandler(ProbeRequestSchema, async (request) =>
    probeResources(await deps.store(), request, { live: deps.live }),
  );
export const handler = createHandler();
