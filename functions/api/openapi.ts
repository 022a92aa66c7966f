/** GET /openapi.json — the OpenAPI 3.1 document generated from the API's zod schemas. */
import { buildOpenApi } from '../../src/api/openapi.ts';
import { httpHandler } from '../lib/http.ts';

let document: ReturnType<typeof buildOpenApi> | undefined;

export const handler = httpHandler({}, async () => {
  document ??= buildOpenApi();
  return { status: 200, body: document };
});
