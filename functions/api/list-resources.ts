/** GET /resources?type=&plan= — the virtual cloud's resources, `{resources: [...]}` in creation order. */
import { ListResourcesQuerySchema } from '../../src/api/schemas.ts';
import { getStore } from '../lib/deps.ts';
import { httpHandler } from '../lib/http.ts';

export const handler = httpHandler({ query: ListResourcesQuerySchema }, async ({ query }) => {
  const store = await getStore();
  const resources = await store.list({
    ...(query.type ? { type: query.type } : {}),
    ...(query.plan ? { plan: query.plan } : {}),
  });
  return { status: 200, body: { resources } };
});
