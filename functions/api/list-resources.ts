/**
 * GET /resources?type=&plan= — the resources natflow manages, `{resources: [...]}` in creation order; an
 * intent a real cloud never confirmed is PENDING with no externalId (docs/real-cloud.md#failure).
 */
import { ListResourcesQuerySchema } from '../../src/api/schemas.ts';
import { shownResources } from '../../src/cloud/intent.ts';
import { type Deps, defaultDeps } from '../lib/deps.ts';
import { httpHandler } from '../lib/http.ts';

export const createHandler = (deps: Deps = defaultDeps()) =>
  httpHandler({ query: ListResourcesQuerySchema }, async ({ query }) => {
    const store = await deps.store();
    const resources = await store.list({
      ...(query.type ? { type: query.type } : {}),
      ...(query.plan ? { plan: query.plan } : {}),
    });
    return { status: 200, body: { resources: shownResources(resources) } };
  });
export const handler = createHandler();
