/** GET /resources?type=&plan= — the virtual cloud's resources, `{resources: [...]}` in creation order. */
import { ListResourcesQuerySchema } from '../../src/api/schemas.ts';
import { type Deps, defaultDeps } from '../lib/deps.ts';
import { httpHandler } from '../lib/http.ts';

export const createHandler = (deps: Deps = defaultDeps()) =>
  httpHandler({ query: ListResourcesQuerySchema }, async ({ query }) => {
    const store = await deps.store();
    const resources = await store.list({
      ...(query.type ? { type: query.type } : {}),
      ...(query.plan ? { plan: query.plan } : {}),
    });
    return { status: 200, body: { resources } };
  });
export const handler = createHandler();
