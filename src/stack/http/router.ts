/**
 * The local stack's one HTTP server (docs/http-api.md): several protocols on one port, each in a file of its
 * own beside this one (`index.ts` lists them in order). The router only dispatches: it parses a request
 * once, hands it to the first protocol that claims it, and keeps the invariants every protocol shares.
 *
 * Invariants: the server binds 127.0.0.1 whatever `listen` is given; with a token, every request but
 * those a protocol serves `open` (GET /health, the console's page, the Huawei API with its own AK/SK)
 * needs `Authorization: Bearer <token>` (the handlers' own SDK client sends it as `x-natflow-token`,
 * since it signs `Authorization` itself) — checked before anything else, so an unknown route without
 * the token is a 401 too; every error is a problem document, never a stack; a request must arrive whole
 * in bounded time.
 *
 * Caps (docs/http-api.md#caps): at most `maxStreams` event streams (a protocol says which requests are
 * streams) and `maxRequests` other requests in flight at once; past either, 503 `OVERLOADED` with
 * `Retry-After`, at once, before any work. `GET /health` is never refused (liveness must answer under
 * load), nor a request of the stack's own clients (`x-natflow-internal` carrying `internalKey`): an API
 * handler calls Step Functions on this very server while its own request is in flight, so counting that
 * call could deadlock the stack at its cap.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpProblemError } from '../../api/problem.ts';
import { ClientGoneError } from './body.ts';
import { problemOfError, sendProblem } from './reply.ts';

/** A request as the router hands it to a protocol, parsed once. */
export interface RoutedRequest {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** The path with one leading slash and no trailing one: `/executions/x`. */
  path: string;
  /** Upper case: `GET`. */
  method: string;
  /** `X-Amz-Target`, the operation of an AWS JSON protocol request, when sent. */
  target: string | undefined;
}

/** One protocol served on the stack's port. */
export interface Protocol {
  name: string;
  /** Whether the request is this protocol's: the first protocol that claims a request serves it. */
  claims(request: RoutedRequest): boolean;
  /** Whether it serves this request without the stack's token (default: never). */
  open?(request: RoutedRequest): boolean;
  /** Whether the request opens a long-lived event stream (counted against `maxStreams`). */
  stream?(request: RoutedRequest): boolean;
  /** Answers the request; what it throws is answered as a problem document. */
  serve(request: RoutedRequest): Promise<void> | void;
}

/** How many of each kind a stack serves at once (src/stack/limits.ts has the defaults). */
export interface RouterCaps {
  maxStreams: number;
  maxRequests: number;
}

export interface RouterOptions {
  /** In order: the first that claims a request serves it. */
  protocols: readonly Protocol[];
  /** NATFLOW_TOKEN: when set, every request no protocol serves `open` needs it. */
  token?: string | undefined;
  /** Caps on streams and requests in flight (none when not given). */
  caps?: RouterCaps | undefined;
  /** The secret the stack's own clients send as `x-natflow-internal`: their requests are not counted. */
  internalKey?: string | undefined;
  host?: '127.0.0.1';
}

/** Seconds a refused client is asked to wait: a stream's slot frees when a tab closes, a request's at once. */
const RETRY_AFTER_STREAM_S = 5;
const RETRY_AFTER_REQUEST_S = 1;

export function createRouter(options: RouterOptions): Server {
  const host = options.host ?? '127.0.0.1';
  const tokenDigest = options.token ? digest(options.token) : undefined;
  const internalDigest = options.internalKey ? digest(options.internalKey) : undefined;
  const caps = options.caps;
  const open = { streams: 0, requests: 0 };

  const authorised = (req: IncomingMessage): boolean => {
    if (!tokenDigest) return true;
    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim();
    const local = req.headers['x-natflow-token'];
    const offered = bearer ?? (typeof local === 'string' ? local : undefined);
    return offered !== undefined && timingSafeEqual(digest(offered), tokenDigest);
  };

  const exempt = ({ req, path, method }: RoutedRequest): boolean => {
    if (path === '/health' && (method === 'GET' || method === 'HEAD')) return true;
    const internal = req.headers['x-natflow-internal'];
    return (
      internalDigest !== undefined &&
      typeof internal === 'string' &&
      timingSafeEqual(digest(internal), internalDigest)
    );
  };

  // Counts the request in until its response closes, or refuses it when its kind is at its cap.
  const admit = (kind: 'streams' | 'requests', res: ServerResponse): void => {
    const cap = kind === 'streams' ? caps?.maxStreams : caps?.maxRequests;
    if (cap !== undefined && open[kind] >= cap) {
      const what =
        kind === 'streams'
          ? `event stream${cap === 1 ? '' : 's'}`
          : `request${cap === 1 ? '' : 's'} in flight`;
      throw new HttpProblemError(
        503,
        'OVERLOADED',
        `this stack serves at most ${cap} ${what} at once; try again shortly`,
        {
          headers: {
            'Retry-After': String(kind === 'streams' ? RETRY_AFTER_STREAM_S : RETRY_AFTER_REQUEST_S),
          },
        },
      );
    }
    open[kind]++;
    res.once('close', () => {
      open[kind]--;
    });
  };

  const server = createServer(async (req, res) => {
    try {
      const request = routedRequest(req, res);
      const protocol = options.protocols.find((candidate) => candidate.claims(request));
      if (!protocol?.open?.(request) && !authorised(req)) {
        throw new HttpProblemError(
          401,
          'UNAUTHORIZED',
          'this stack requires Authorization: Bearer <NATFLOW_TOKEN>',
          { headers: { 'WWW-Authenticate': 'Bearer realm="natflow"' } },
        );
      }
      if (!protocol) throw new HttpProblemError(404, 'NOT_FOUND', `no route ${request.path}`);
      if (caps && !exempt(request)) admit(protocol.stream?.(request) === true ? 'streams' : 'requests', res);
      await protocol.serve(request);
    } catch (error) {
      if (error instanceof ClientGoneError || res.headersSent) {
        res.destroy();
        return;
      }
      const { problem, headers } = problemOfError(error);
      // natflow's own fault is logged; a deliberate refusal (503 OVERLOADED) is not.
      if (problem.status >= 500 && !(error instanceof HttpProblemError))
        process.emitWarning(`natflow API: ${(error as Error)?.stack ?? String(error)}`);
      sendProblem(res, problem, headers);
    }
  });

  // A request must arrive whole in bounded time: a stalled client cannot hold a connection for minutes.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  // Idle keep-alive connections stay open 65 s (at least 60 s, docs/huaweicloud-api.md#keep-alive), so
  // an SDK client reusing a pooled one after a pause never meets a socket closed under it. Node (18+)
  // applies the two bounds above to a request being received, never to an idle connection between
  // requests, so they stay short.
  server.keepAliveTimeout = 65_000;

  // Bind loopback whatever the caller passes: the stack is unauthenticated by default.
  const listen = server.listen.bind(server) as (...args: unknown[]) => Server;
  server.listen = ((...args: unknown[]) => {
    const callback = args.find((arg) => typeof arg === 'function');
    const first = args[0];
    if (first && typeof first === 'object')
      return listen({ ...(first as object), host }, ...(callback ? [callback] : []));
    return listen(first ?? 0, host, ...(callback ? [callback] : []));
  }) as typeof server.listen;
  server.on('listening', () => {
    const address = server.address() as AddressInfo | null;
    if (address && address.address !== host) {
      server.close();
      throw new Error(`natflow's HTTP server must bind ${host}, not ${address.address}`);
    }
  });
  return server;
}

function routedRequest(req: IncomingMessage, res: ServerResponse): RoutedRequest {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const target = req.headers['x-amz-target'];
  return {
    req,
    res,
    url,
    path: normalisePath(url.pathname),
    method: (req.method ?? 'GET').toUpperCase(),
    target: typeof target === 'string' ? target : undefined,
  };
}

/** `//a/b/` → `/a/b`; `/` stays. */
export function normalisePath(path: string): string {
  const trimmed = `/${path.replace(/^\/+/, '')}`;
  return trimmed.length > 1 ? trimmed.replace(/\/+$/, '') : trimmed;
}

/** The 405 of a path a protocol knows, naming the methods it allows. */
export function methodNotAllowed(method: string, path: string, allow: string): HttpProblemError {
  return new HttpProblemError(
    405,
    'METHOD_NOT_ALLOWED',
    `${method} is not allowed on ${path}; use ${allow}`,
    {
      headers: { Allow: allow },
    },
  );
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
