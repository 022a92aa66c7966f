/**
 * The local HTTP server (DESIGN §8.2): the API on 127.0.0.1, served by the very handlers API Gateway
 * invokes on AWS. Each request becomes a real API Gateway proxy event (`@types/aws-lambda`'s
 * `APIGatewayProxyEvent`: resource, path and query parameters, headers, body, requestContext) and the
 * handler's proxy result becomes the response. Routes are the `http` events of serverless.yml's
 * functions, so a new route needs no code here.
 *
 * Beside the API, on the same port:
 * - the AWS JSON protocol of Step Functions (`X-Amz-Target: AWSStepFunctions.*`), handed to `sfn`, so
 *   the SDK clients of the handlers and the CLI point here as they would point at AWS;
 * - `X-Amz-Target: AWSEvents.PutEvents` and `POST /events` (PutEvents entries) into the local bus, and
 *   `GET /events` (newest first);
 * - `GET /dataplane`, the live data plane's map, and the console hook (`/console…`).
 *
 * Invariants: the server binds 127.0.0.1 whatever `listen` is given; a body over 256 KB is refused
 * (413) while it is read, never buffered whole; every error is a problem document, never a stack; with
 * a token, every route but `GET /health` needs `Authorization: Bearer <token>` (the handlers' own SDK
 * client sends it as `x-natflow-token`, since it signs `Authorization` itself).
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { z } from 'zod';
import type { ApiDeps } from '../../functions/api/lib/deps.ts';
import {
  HttpProblemError,
  MAX_BODY_BYTES,
  PROBLEM_CONTENT_TYPE,
  type Problem,
  problem,
  problemOf,
} from '../api/problem.ts';
import { LOCAL_ACCOUNT_ID, lambdaContext } from '../aws/local.ts';
import { issuesFromZod } from '../cloud/issues.ts';
import type { LocalEventBus } from '../local-bus/event-bus.ts';
import { loadHandler } from './handlers.ts';
import type { FunctionSpec, ServerlessConfig } from './serverless-config.ts';

export interface HttpServerOptions {
  config: ServerlessConfig;
  /**
   * What the API handlers are built with: the stack's store, clock, data plane, Step Functions client.
   * A server without (transport tests) answers its API routes 500.
   */
  deps?: ApiDeps;
  /** Serves AWS JSON protocol requests (`X-Amz-Target: AWSStepFunctions.*`). */
  sfn?: (req: IncomingMessage, res: ServerResponse) => void;
  bus: LocalEventBus;
  dataPlaneMap?: () => unknown;
  /** Returns true when it handled the request (`/console…`). */
  console?: (req: IncomingMessage, res: ServerResponse) => boolean;
  /** NATFLOW_TOKEN: when set, every route but /health needs `Authorization: Bearer <token>`. */
  token?: string;
  host?: '127.0.0.1';
  /** The handler's deadline, as the function's timeout on Lambda (default 29 s). */
  timeoutMs?: number;
  /** The local Huawei Cloud API (`/v1/…`, `/v1.1/…`, `/v3/…`, DESIGN §11): AK/SK, not the token. */
  huaweiCloud?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
}

export interface ApiRoute {
  method: string;
  /** The resource path template, `/executions/{id}`. */
  resource: string;
  function: FunctionSpec;
  pattern: RegExp;
  params: string[];
  /** Literal segments first: `/executions/stop` would win over `/executions/{id}`. */
  literalSegments: number;
}

type LambdaHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** The request context's caller identity of a local request: no IAM principal, only its address. */
export function callerIdentity(
  sourceIp: string,
  userAgent: string | null,
): APIGatewayProxyEvent['requestContext']['identity'] {
  return {
    accessKey: null,
    accountId: null,
    apiKey: null,
    apiKeyId: null,
    caller: null,
    clientCert: null,
    cognitoAuthenticationProvider: null,
    cognitoAuthenticationType: null,
    cognitoIdentityId: null,
    cognitoIdentityPoolId: null,
    principalOrgId: null,
    sourceIp,
    user: null,
    userAgent,
    userArn: null,
  };
}

/** The API routes of serverless.yml, most specific first. */
export function apiRoutes(config: ServerlessConfig): ApiRoute[] {
  const routes: ApiRoute[] = [];
  for (const fn of config.functions.values()) {
    for (const http of fn.http) {
      const resource = normalisePath(http.path);
      const params: string[] = [];
      let literalSegments = 0;
      const source = resource
        .split('/')
        .filter(Boolean)
        .map((segment) => {
          const param = /^\{([A-Za-z0-9_]+)(\+?)\}$/.exec(segment);
          if (!param) {
            literalSegments++;
            return escapeRegex(segment);
          }
          params.push(param[1] as string);
          return param[2] ? '(.+)' : '([^/]+)';
        })
        .join('/');
      routes.push({
        method: http.method.toUpperCase(),
        resource,
        function: fn,
        pattern: new RegExp(`^/${source}$`),
        params,
        literalSegments,
      });
    }
  }
  return routes.sort((a, b) => b.literalSegments - a.literalSegments);
}

export function createHttpServer(options: HttpServerOptions): Server {
  const host = options.host ?? '127.0.0.1';
  const routes = apiRoutes(options.config);
  const modules = new Map<string, Promise<LambdaHandler>>();
  const tokenDigest = options.token ? digest(options.token) : undefined;

  // The route table: each route's handler built once, with this server's deps.
  const routeHandler = (fn: FunctionSpec): Promise<LambdaHandler> => {
    let loaded = modules.get(fn.name);
    if (!loaded) {
      const deps = options.deps;
      loaded = deps
        ? loadHandler<LambdaHandler>(fn, deps)
        : Promise.reject(new Error(`no deps to build ${fn.handler} with: this server serves no API`));
      modules.set(fn.name, loaded);
      loaded.catch(() => modules.delete(fn.name));
    }
    return loaded;
  };

  const authorised = (req: IncomingMessage): boolean => {
    if (!tokenDigest) return true;
    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim();
    const local = req.headers['x-natflow-token'];
    const offered = bearer ?? (typeof local === 'string' ? local : undefined);
    return offered !== undefined && timingSafeEqual(digest(offered), tokenDigest);
  };

  const server = createServer(async (req, res) => {
    try {
      if (options.huaweiCloud && (await options.huaweiCloud(req, res))) return;
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const path = normalisePath(url.pathname);
      const method = (req.method ?? 'GET').toUpperCase();
      const target = req.headers['x-amz-target'];
      const isHealth = path === '/health' && (method === 'GET' || method === 'HEAD');
      // The console's page and assets hold no data: a browser must load them before it can ask for the
      // token, which the page then sends with every API call (x-natflow-token). Its API stays protected.
      const isConsoleShell =
        (method === 'GET' || method === 'HEAD') &&
        (path === '/console' || path.startsWith('/console/assets/'));

      if (!isHealth && !isConsoleShell && !authorised(req)) {
        throw new HttpProblemError(
          401,
          'UNAUTHORIZED',
          'this stack requires Authorization: Bearer <NATFLOW_TOKEN>',
          {
            headers: { 'WWW-Authenticate': 'Bearer realm="natflow"' },
          },
        );
      }
      if (typeof target === 'string' && target.startsWith('AWSStepFunctions.')) {
        if (!options.sfn)
          throw new HttpProblemError(404, 'NOT_FOUND', 'this server has no Step Functions endpoint');
        options.sfn(req, res);
        return;
      }
      if (typeof target === 'string' && target === 'AWSEvents.PutEvents') {
        const body = parseJsonBody(await readBody(req), undefined);
        const entries = PutEventsSchema.parse(body);
        const result = await options.bus.putEvents(entries.Entries);
        send(
          res,
          200,
          { FailedEntryCount: result.FailedEntryCount, Entries: result.Entries },
          'application/x-amz-json-1.1',
        );
        return;
      }
      if (options.console?.(req, res)) return;

      if (path === '/events' || path === '/dataplane') {
        await localRoute(path, method, req, res, url, options);
        return;
      }

      const matches = routes.filter((route) => route.pattern.test(path));
      if (matches.length === 0) throw new HttpProblemError(404, 'NOT_FOUND', `no route ${path}`);
      const route = matches.find((candidate) => candidate.method === method || candidate.method === 'ANY');
      if (!route) {
        const allow = [...new Set(matches.map((m) => m.method))].join(', ');
        throw new HttpProblemError(
          405,
          'METHOD_NOT_ALLOWED',
          `${method} is not allowed on ${path}; use ${allow}`,
          {
            headers: { Allow: allow },
          },
        );
      }
      const body = await readBody(req);
      const handler = await routeHandler(route.function);
      const event = toApiGatewayEvent(req, url, route, path, body);
      const context = lambdaContext({
        functionName: route.function.name,
        requestId: event.requestContext.requestId,
        timeoutMs: options.timeoutMs ?? 29_000,
        callbackWaitsForEmptyEventLoop: true,
      });
      const result = await handler(event, context);
      writeProxyResult(res, result);
    } catch (error) {
      if (error instanceof ClientGoneError) {
        res.destroy();
        return;
      }
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const { problem: document, headers } =
        error instanceof z.ZodError ? zodProblem(error) : problemOf(error);
      if (document.status >= 500)
        process.emitWarning(`natflow API: ${(error as Error)?.stack ?? String(error)}`);
      sendProblem(res, document, headers);
    }
  });

  // A request must arrive whole in bounded time: a stalled client cannot hold a connection for minutes.
  // Idle keep-alive connections stay open 65 s (DESIGN §13: at least 60 s, so an SDK client reusing one
  // never meets a socket closed under it); Node wants headersTimeout above keepAliveTimeout.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 66_000;

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

const PutEventsSchema = z.object({
  Entries: z
    .array(
      z.object({
        Source: z.string().min(1),
        DetailType: z.string().min(1),
        Detail: z.string(),
        EventBusName: z.string().optional(),
        Resources: z.array(z.string()).optional(),
      }),
    )
    .min(1)
    .max(10),
});

const EventsQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  detailType: z.string().optional(),
  source: z.string().optional(),
});

async function localRoute(
  path: string,
  method: string,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  options: HttpServerOptions,
): Promise<void> {
  if (path === '/events' && method === 'POST') {
    const body = parseJsonBody(await readBody(req), req.headers['content-type']);
    const parsed = PutEventsSchema.parse(body);
    const result = await options.bus.putEvents(parsed.Entries);
    send(res, 200, result);
    return;
  }
  if (path === '/events' && method === 'GET') {
    const query = EventsQuerySchema.parse(Object.fromEntries(url.searchParams));
    send(res, 200, {
      events: options.bus.list({
        ...(query.limit ? { limit: query.limit } : {}),
        ...(query.detailType ? { detailType: query.detailType } : {}),
        ...(query.source ? { source: query.source } : {}),
      }),
    });
    return;
  }
  if (path === '/dataplane' && method === 'GET') {
    if (!options.dataPlaneMap) throw new HttpProblemError(404, 'NOT_FOUND', 'this stack runs no data plane');
    send(res, 200, options.dataPlaneMap());
    return;
  }
  const allow = path === '/events' ? 'GET, POST' : 'GET';
  throw new HttpProblemError(405, 'METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}; use ${allow}`, {
    headers: { Allow: allow },
  });
}

/** Reads the body, refusing (413) as soon as it passes 256 KB; the rest is drained, then cut off. */
export function readBody(req: IncomingMessage): Promise<string | null> {
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  return new Promise((resolve, reject) => {
    // Over the limit, answer 413 at once (with Connection: close) instead of reading an endless body.
    if (declared > MAX_BODY_BYTES) {
      reject(tooLargeError(declared));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      reject(error);
    };
    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        chunks.length = 0;
        fail(tooLargeError(size));
      } else chunks.push(chunk);
    });
    req.on('error', () => fail(new ClientGoneError()));
    req.on('aborted', () => fail(new ClientGoneError()));
    req.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(size === 0 ? null : Buffer.concat(chunks).toString('utf8'));
    });
  });
}

/** The client went away in the middle of its request: there is no one to answer. */
export class ClientGoneError extends Error {
  override name = 'ClientGone';
}

function tooLargeError(bytes: number): HttpProblemError {
  return new HttpProblemError(
    413,
    'PAYLOAD_TOO_LARGE',
    `the body is ${bytes} bytes or more; the limit is ${MAX_BODY_BYTES} bytes (256 KB)`,
    { headers: { Connection: 'close' } },
  );
}

/** A JSON body of a local route (the API routes parse theirs in the handler's middleware). */
function parseJsonBody(text: string | null, contentType: string | undefined): unknown {
  if (text === null) return undefined;
  if (
    contentType !== undefined &&
    !/^application\/(?:[a-z0-9.+-]+\+)?json\b|^application\/x-amz-json-1\.[01]\b/i.test(contentType)
  ) {
    throw new HttpProblemError(
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      'the body must be JSON (Content-Type: application/json)',
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HttpProblemError(
      400,
      'MALFORMED_JSON',
      `the body is not valid JSON: ${(error as Error).message}`,
    );
  }
}

/** The API Gateway REST API proxy event of a request, as the Lambda behind the route receives it. */
export function toApiGatewayEvent(
  req: IncomingMessage,
  url: URL,
  route: ApiRoute,
  path: string,
  body: string | null,
): APIGatewayProxyEvent {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] as string;
    const value = req.rawHeaders[i + 1] as string;
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
    multiValueHeaders[name] = [...(multiValueHeaders[name] ?? []), value];
  }
  const query: Record<string, string> = {};
  const multiValueQuery: Record<string, string[]> = {};
  for (const [key, value] of url.searchParams) {
    query[key] = value;
    multiValueQuery[key] = [...(multiValueQuery[key] ?? []), value];
  }
  const match = route.pattern.exec(path);
  const pathParameters: Record<string, string> = {};
  route.params.forEach((name, index) => {
    pathParameters[name] = decodeSafe(match?.[index + 1] ?? '');
  });
  const now = Date.now();
  const requestId = randomUUID();
  const method = (req.method ?? 'GET').toUpperCase();
  return {
    resource: route.resource,
    path,
    httpMethod: method,
    headers,
    multiValueHeaders,
    queryStringParameters: Object.keys(query).length > 0 ? query : null,
    multiValueQueryStringParameters: Object.keys(multiValueQuery).length > 0 ? multiValueQuery : null,
    pathParameters: route.params.length > 0 ? pathParameters : null,
    stageVariables: null,
    body,
    isBase64Encoded: false,
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: 'local',
      authorizer: undefined,
      protocol: `HTTP/${req.httpVersion}`,
      httpMethod: method,
      path: `/local${path}`,
      stage: 'local',
      requestId,
      requestTimeEpoch: now,
      resourceId: 'local',
      resourcePath: route.resource,
      identity: callerIdentity(req.socket.remoteAddress ?? '127.0.0.1', req.headers['user-agent'] ?? null),
    },
  };
}

function writeProxyResult(res: ServerResponse, result: APIGatewayProxyResult): void {
  const headers: Record<string, string | number | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {}))
    headers[name] = values.map(String);
  const body = result.isBase64Encoded
    ? Buffer.from(result.body, 'base64')
    : Buffer.from(result.body ?? '', 'utf8');
  res.writeHead(result.statusCode, { ...headers, 'Content-Length': body.length });
  res.end(body);
}

function send(res: ServerResponse, status: number, body: unknown, contentType = 'application/json'): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(text);
}

function sendProblem(res: ServerResponse, document: Problem, headers: Record<string, string>): void {
  const text = JSON.stringify(document);
  res.writeHead(document.status, {
    ...headers,
    'Content-Type': PROBLEM_CONTENT_TYPE,
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    // A refused body may still be arriving: do not keep the connection for another request.
    ...(document.status === 413 ? { Connection: 'close' } : {}),
  });
  res.end(text);
}

function zodProblem(error: z.ZodError): { problem: Problem; headers: Record<string, string> } {
  return { problem: problem(422, issuesFromZod(error.issues)), headers: {} };
}

function normalisePath(path: string): string {
  const trimmed = `/${path.replace(/^\/+/, '')}`;
  return trimmed.length > 1 ? trimmed.replace(/\/+$/, '') : trimmed;
}

function decodeSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
