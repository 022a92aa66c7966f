/**
 * GET /health — liveness: answers without touching the store or Step Functions. A local stack adds its
 * instance id (the one its `stack.json` records), so a CLI can tell it from anything else at that address.
 */
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
      ...(deps.instance === undefined ? {} : { instance: deps.instance }),
    },
  }));
export const handler = createHandler();
