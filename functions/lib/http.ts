/**
 * The middy stack every HTTP API handler shares (docs/http-api.md), the same behind API Gateway and behind the
 * local server, which builds real API Gateway proxy events:
 *
 * 1. `problemResponses` (first, so its `onError` runs last): anything thrown becomes an RFC 9457 problem
 *    with `Content-Type: application/problem+json`; unexpected errors are logged and answered with a
 *    generic 500 that carries no message or stack.
 * 2. `@middy/http-header-normalizer`: header names in lower case.
 * 3. `jsonBody`: a request body must be JSON (`application/json` or `application/*+json`, else 415),
 *    at most 256 KB or the route's own limit (`maxBodyBytes`, else 413) and well-formed (else 400); it
 *    replaces `event.body` with the value.
 * 4. The Powertools parser validates `{body, queryStringParameters, pathParameters}` with the route's zod
 *    schemas; a failure is a 422 listing every issue by path (`workflow`, `query.limit`).
 *
 * The handler function receives the parsed parts and returns `{status, body, headers?}`.
 */
import { parser } from '@aws-lambda-powertools/parser/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { z } from 'zod';
import {
  formatBytes,
  HttpProblemError,
  MAX_BODY_BYTES,
  PROBLEM_CONTENT_TYPE,
  problemOf,
} from '../../src/api/problem.ts';
import { logger } from './middleware.ts';

export interface HttpSchemas<B extends z.ZodType, Q extends z.ZodType, P extends z.ZodType> {
  /** The JSON body; routes without one ignore whatever body is sent. */
  body?: B;
  query?: Q;
  path?: P;
  /** The body limit when it is not 256 KB (`bodyLimitOf` of src/api/problem.ts). */
  maxBodyBytes?: number;
}

export interface HttpRequest<B, Q, P> {
  body: B;
  query: Q;
  path: P;
  headers: Readonly<Record<string, string | undefined>>;
  requestId: string;
}

export interface HttpResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** An API Gateway proxy event once `jsonBody` has parsed its body. */
type ParsedEvent = Omit<APIGatewayProxyEvent, 'body'> & { body: unknown; rawBody?: string | null };

const JSON_TYPE = /^application\/(?:[a-z0-9.+-]+\+)?json(?:\s*;.*)?$/i;

const RESPONSE_HEADERS = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
} as const;

/** Turns anything thrown into a problem response; never lets a stack trace or secret through. */
export function problemResponses(): MiddlewareObj<unknown, APIGatewayProxyResult> {
  return {
    onError: (request) => {
      const { problem, internal, headers } = problemOf(request.error);
      if (internal) logger.error('unhandled error in an API handler', request.error as Error);
      request.response = {
        statusCode: problem.status,
        headers: { ...RESPONSE_HEADERS, ...headers, 'Content-Type': PROBLEM_CONTENT_TYPE },
        body: JSON.stringify(problem),
      };
    },
  };
}

/**
 * Parses a JSON request body in place (the original text stays in `rawBody`). `accepts: false` routes
 * take no body: whatever is sent is dropped, as API Gateway would pass it unread.
 */
export function jsonBody(options: { accepts: boolean; maxBytes?: number }): MiddlewareObj<ParsedEvent> {
  const limit = options.maxBytes ?? MAX_BODY_BYTES;
  return {
    before: (request) => {
      const event = request.event;
      const text = event.body;
      event.rawBody = typeof text === 'string' ? text : null;
      if (!options.accepts || typeof text !== 'string' || text === '') {
        event.body = undefined;
        return;
      }
      const bytes = Buffer.byteLength(text, event.isBase64Encoded ? 'base64' : 'utf8');
      if (bytes > limit) {
        throw new HttpProblemError(
          413,
          'PAYLOAD_TOO_LARGE',
          `the body is ${bytes} bytes; the limit is ${limit} bytes (${formatBytes(limit)})`,
        );
      }
      const contentType = event.headers?.['content-type'];
      if (!contentType || !JSON_TYPE.test(contentType.trim())) {
        throw new HttpProblemError(
          415,
          'UNSUPPORTED_MEDIA_TYPE',
          `the body must be JSON (Content-Type: application/json), not ${contentType ? JSON.stringify(contentType) : 'untyped'}`,
          { headers: { 'Accept-Post': 'application/json' } },
        );
      }
      const decoded = event.isBase64Encoded ? Buffer.from(text, 'base64').toString('utf8') : text;
      try {
        event.body = JSON.parse(decoded);
      } catch (error) {
        throw new HttpProblemError(
          400,
          'MALFORMED_JSON',
          `the body is not valid JSON: ${(error as Error).message}`,
        );
      }
    },
  };
}

/** API Gateway sends `null` for absent query strings and path parameters; the schemas see `{}`. */
function emptyPartsAsObjects(): MiddlewareObj<ParsedEvent> {
  return {
    before: (request) => {
      request.event.queryStringParameters ??= {};
      request.event.pathParameters ??= {};
    },
  };
}

/**
 * An API handler.
 *
 * @example
 * export const handler = httpHandler({ path: z.object({ id: z.string() }) }, async ({ path }) =>
 *   ({ status: 200, body: await find(path.id) }));
 */
export function httpHandler<
  B extends z.ZodType = z.ZodUndefined,
  Q extends z.ZodType = z.ZodType<Record<string, string | undefined>>,
  P extends z.ZodType = z.ZodType<Record<string, string | undefined>>,
>(
  schemas: HttpSchemas<B, Q, P>,
  fn: (
    request: HttpRequest<z.output<B>, z.output<Q>, z.output<P>>,
    context: Context,
  ) => Promise<HttpResponse>,
) {
  const eventSchema = z.looseObject({
    body: schemas.body ?? z.unknown(),
    queryStringParameters: schemas.query ?? z.record(z.string(), z.string().optional()),
    pathParameters: schemas.path ?? z.record(z.string(), z.string().optional()),
  });
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(problemResponses())
    .use(httpHeaderNormalizer() as MiddlewareObj<APIGatewayProxyEvent>)
    .use(
      jsonBody({
        accepts: schemas.body !== undefined,
        ...(schemas.maxBodyBytes === undefined ? {} : { maxBytes: schemas.maxBodyBytes }),
      }) as unknown as MiddlewareObj<APIGatewayProxyEvent>,
    )
    .use(emptyPartsAsObjects() as unknown as MiddlewareObj<APIGatewayProxyEvent>)
    .use(parser({ schema: eventSchema }) as unknown as MiddlewareObj<APIGatewayProxyEvent>)
    .handler(async (event, context) => {
      const parsed = event as unknown as z.output<typeof eventSchema> & APIGatewayProxyEvent;
      const response = await fn(
        {
          body: parsed.body as z.output<B>,
          query: parsed.queryStringParameters as z.output<Q>,
          path: parsed.pathParameters as z.output<P>,
          headers: event.headers ?? {},
          requestId: event.requestContext?.requestId ?? context.awsRequestId,
        },
        context,
      );
      return jsonResponse(response);
    });
}

export function jsonResponse(response: HttpResponse): APIGatewayProxyResult {
  return {
    statusCode: response.status,
    headers: { ...RESPONSE_HEADERS, 'Content-Type': 'application/json', ...response.headers },
    body: response.body === undefined ? '' : JSON.stringify(response.body),
  };
}
