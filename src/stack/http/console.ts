/**
 * The console on the stack's port (`/console…`: its page, assets, JSON routes and live feed). Its page
 * and assets hold no data: a browser must load them before it can ask for the token, which the page
 * then sends with every call (`x-natflow-token`), so they are open; its API and feed are not. Its live
 * feed is an event stream, counted against the stack's cap on streams.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpProblemError } from '../../api/problem.ts';
import type { Protocol } from './router.ts';

/** The console's live feed (src/console/live.ts): server-sent events. */
const LIVE_FEED = '/console/api/live';

export function consoleProtocol(handle: (req: IncomingMessage, res: ServerResponse) => boolean): Protocol {
  return {
    name: 'console',
    claims: ({ path }) => path === '/console' || path.startsWith('/console/'),
    open: ({ path, method }) =>
      (method === 'GET' || method === 'HEAD') && (path === '/console' || path.startsWith('/console/assets/')),
    stream: ({ path, method }) => path === LIVE_FEED && method === 'GET',
    serve({ req, res, path }) {
      if (!handle(req, res)) throw new HttpProblemError(404, 'NOT_FOUND', `no route ${path}`);
    },
  };
}
