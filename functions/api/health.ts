/** GET /health — liveness: answers without touching the store or Step Functions. */
import { type Deps, defaultDeps } from '../lib/deps.ts';
import { httpHandler } from '../lib/http.ts';

const VERSION = process.env.NATFLOW_VERSION ?? '0.1.0';

export const createHandler = (deps: Deps = defaultDeps()) =>
  httpHandler({}, async () => ({
    status: 200,
    body: {
      status: 'ok',
      service: 'natflow',
      version: VERSION,
      time: new Date(deps.clock.now()).toISOString(),
    },
  }));
export const handler = createHandler();
