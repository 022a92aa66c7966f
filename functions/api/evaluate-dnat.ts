/**
 * POST /dnat/evaluate `{gateway, plan?, packets}` — the packets, in order, through the gateway's DNAT
 * rules against a fresh session table (docs/dnat-engine.md): `{gateway, gatewayName, results}`. A malformed packet
 * is answered INVALID_PACKET in its place; an unknown gateway is 404.
 */
import { EvaluateRequestSchema } from '../../src/api/schemas.ts';
import { evaluateRequest } from '../../src/dnat/api.ts';
import { type Deps, defaultDeps } from '../lib/deps.ts';
import { httpHandler } from '../lib/http.ts';

export const createHandler = (deps: Deps = defaultDeps()) =>
  httpHandler({ body: EvaluateRequestSchema }, async ({ body }) => ({
    status: 200,
    body: await evaluateRequest(await deps.store(), body, { clock: deps.clock }),
  }));
export const handler = createHandler();
