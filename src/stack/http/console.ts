/**
 * The console on the stack's port (`/console…`: its page, assets, JSON routes and live feed). Its page
 * and assets hold no data: a browser must load them before it can ask for the token, which the page
 * then sends with every call (`x-natflow-token`), so they are open; its API and feed are not.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpProblemError } from '../../api/problem.ts';
import type { Protocol } from './router.ts';

export function consoleProtocol(handle: (req: IncomingMessage, res: ServerResponse) => boolean): Protocol {
  return {
    name: 'console',
    claims: ({ path }) => path === '/console' || path.startsWith('/console/'),
    open: ({ path, method }) =>
      (method === 'GET' || method === 'HEAD') && (path === '/console' || path.startsWith('/console/assets/')),
    serve({ req, res, path }) {
      if (!handle(req, res)) throw new HttpProblemError(404, 'NOT_FOUND', `no route ${path}`);
    },
  };
}
