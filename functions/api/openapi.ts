/** GET /openapi.json — the OpenAPI 3.1 document generated from the API's zod schemas. */
import { buildOpenApi } from '../../src/api/openapi.ts';
import type { Deps } from '../lib/deps.ts';
import { httpHandler } from '../lib/http.ts';

let document: ReturnType<typeof buildOpenApi> | undefined;

/** The document depends on no deps; the factory takes them as every handler's does. */
export const createHandler = (_deps?: Deps) =>
  httpHandler({}, async () => {
    document ??= buildOpenApi();
    return { status: 200, body: document };
  });
export const handler = createHandler();
