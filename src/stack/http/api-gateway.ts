/**
 * The natflow HTTP API on the stack's port, served by the very handlers API Gateway invokes on AWS. Each
 * request becomes a real API Gateway proxy event (`@types/aws-lambda`'s `APIGatewayProxyEvent`: resource,
 * path and query parameters, headers, body, requestContext) and the handler's proxy result becomes the
 * response. Routes are the `http` events of serverless.yml's functions, so a new route needs no code
 * here. `GET /health` is open without the token.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { ApiDeps } from '../../../functions/api/lib/deps.ts';
import { bodyLimitOf } from '../../api/problem.ts';
import { LOCAL_ACCOUNT_ID, lambdaContext } from '../../aws/local.ts';
import { loadHandler } from '../handlers.ts';
import type { FunctionSpec, ServerlessConfig } from '../serverless-config.ts';
import { readBody } from './body.ts';
import { methodNotAllowed, normalisePath, type Protocol } from './router.ts';

export interface ApiGatewayOptions {
  config: ServerlessConfig;
  /**
   * What the API handlers are built with: the stack's store, clock, data plane, Step Functions client.
   * Without (transport tests), the API routes answer 500.
   */
  deps?: ApiDeps | undefined;
  /** The handler's deadline, as the function's timeout on Lambda (default 29 s). */
  timeoutMs?: number | undefined;
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

/** Claims the paths of serverless.yml's routes; a known path with another method is a 405. */
export function apiGatewayProtocol(options: ApiGatewayOptions): Protocol {
  const routes = apiRoutes(options.config);
  const modules = new Map<string, Promise<LambdaHandler>>();

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

  return {
    name: 'api-gateway',
    claims: ({ path }) => routes.some((route) => route.pattern.test(path)),
    open: ({ path, method }) => path === '/health' && (method === 'GET' || method === 'HEAD'),
    async serve({ req, res, url, path, method }) {
      const matches = routes.filter((route) => route.pattern.test(path));
      const route = matches.find((candidate) => candidate.method === method || candidate.method === 'ANY');
      if (!route) {
        throw methodNotAllowed(method, path, [...new Set(matches.map((m) => m.method))].join(', '));
      }
      // The route's own limit: 256 KB, or more where it takes more (POST /dnat/evaluate).
      const body = await readBody(req, bodyLimitOf(route.method, route.resource));
      const handler = await routeHandler(route.function);
      const event = toApiGatewayEvent(req, url, route, path, body);
      const context = lambdaContext({
        functionName: route.function.name,
        requestId: event.requestContext.requestId,
        timeoutMs: options.timeoutMs ?? 29_000,
        callbackWaitsForEmptyEventLoop: true,
      });
      writeProxyResult(res, await handler(event, context));
    },
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
