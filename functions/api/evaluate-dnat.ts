/**
 * POST /dnat/evaluate `{gateway, plan?, packets}` — the packets, in order, through the gateway's DNAT
 * rules against a fresh session table (docs/dnat-engine.md): `{gateway, gatewayName, results}`. A malformed packet
 * is answered INVALID_PACKET in its place; an unknown gateway is 404. Its body may be 2 MB (10,000
 * packets, `bodyLimitOf`), not 256 KB.
 */
import { bodyLimitOf } from '../../src/api/problem.ts';
import { EvaluateRequestSchema } from '../../src/api/schemas.ts';
import { evaluateRequest } from '../../src/dnat/api.ts';
import { type Deps, defaultDeps } from '../lib/deps.ts';
import { httpHandler } from '../lib/http.ts';

export const createHandler = (deps: Deps = defaultDeps()) =>
  httpHandler(
    { body: EvaluateRequestSchema, maxBodyBytes: bodyLimitOf('POST', '/dnat/evaluate') },
    async ({ body }) => ({
      status: 200,
      body: await evaluateRequest(await deps.store(), body, { clock: deps.clock }),
    }),
  );
export const handler = createHandler();
