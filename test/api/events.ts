/** API Gateway proxy events and Lambda contexts for calling the API handlers directly. */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { callerIdentity } from '../../src/stack/http/api-gateway.ts';

export interface EventOptions {
  method?: string;
  resource: string;
  path?: string;
  pathParameters?: Record<string, string>;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string | object;
}

export function apiEvent(options: EventOptions): APIGatewayProxyEvent {
  const body =
    options.body === undefined
      ? null
      : typeof options.body === 'string'
        ? options.body
        : JSON.stringify(options.body);
  const headers = {
    ...(body !== null && typeof options.body !== 'string' ? { 'Content-Type': 'application/json' } : {}),
    ...options.headers,
  };
  const method = options.method ?? 'GET';
  return {
    resource: options.resource,
    path: options.path ?? options.resource,
    httpMethod: method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: options.query ?? null,
    multiValueQueryStringParameters: null,
    pathParameters: options.pathParameters ?? null,
    stageVariables: null,
    body,
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'test',
      authorizer: undefined,
      protocol: 'HTTP/1.1',
      httpMethod: method,
      path: options.path ?? options.resource,
      stage: 'test',
      requestId: 'req-1',
      requestTimeEpoch: 0,
      resourceId: 'r',
      resourcePath: options.resource,
      identity: callerIdentity('127.0.0.1', 'vitest'),
    },
  };
}

export const context: Context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'natflow-test',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:natflow-test',
  memoryLimitInMB: '512',
  awsRequestId: 'req-1',
  logGroupName: '/aws/lambda/natflow-test',
  logStreamName: 'test',
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};

export interface Answer {
  status: number;
  headers: Record<string, string>;
  json: Record<string, unknown> & { errors?: { path: string; code: string; message: string }[] };
  text: string;
}

export type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

export async function call(handler: Handler, options: EventOptions): Promise<Answer> {
  const result = await handler(apiEvent(options), context);
  const headers = Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k, String(v)]));
  return {
    status: result.statusCode,
    headers,
    text: result.body,
    json: result.body ? (JSON.parse(result.body) as Answer['json']) : {},
  };
}
