/**
 * GET /resources/{id}?plan= — one resource by id, or by name when the name is unique (within `plan`
 * when given); a name several resources share is a 422 AMBIGUOUS_NAME listing their ids.
 */
import { ResourceIdParamsSchema, ResourceQuerySchema } from '../../src/api/schemas.ts';
import { shownResource } from '../../src/cloud/intent.ts';
import { resolveResource } from '../../src/cloud/resolve.ts';
import { RESOURCE_TYPES } from '../../src/cloud/resources.ts';
import { type Deps, defaultDeps } from '../lib/deps.ts';
import { httpHandler } from '../lib/http.ts';

export const createHandler = (deps: Deps = defaultDeps()) =>
  httpHandler({ path: ResourceIdParamsSchema, query: ResourceQuerySchema }, async ({ path, query }) => {
    const store = await deps.store();
    const id = decodeURIComponentSafe(path.id);
    // An intent a real cloud never confirmed is PENDING with no externalId (docs/real-cloud.md#failure).
    return { status: 200, body: shownResource(await resolveResource(store, RESOURCE_TYPES, id, query.plan)) };
  });
export const handler = createHandler();

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
