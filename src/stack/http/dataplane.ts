/** `GET /dataplane`: the live data plane's map (which loopback address stands for which virtual one). */
import { HttpProblemError } from '../../api/problem.ts';
import { sendJson } from './reply.ts';
import { methodNotAllowed, type Protocol } from './router.ts';

export function dataPlaneProtocol(map: (() => unknown) | undefined): Protocol {
  return {
    name: 'dataplane',
    claims: ({ path }) => path === '/dataplane',
    serve({ res, path, method }) {
      if (method !== 'GET') throw methodNotAllowed(method, path, 'GET');
      if (!map) throw new HttpProblemError(404, 'NOT_FOUND', 'this stack runs no data plane');
      sendJson(res, 200, map());
    },
  };
}
