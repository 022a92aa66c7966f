/**
 * The HTTP face of the local Step Functions service: the AWS JSON 1.0 protocol, so that
 * `@aws-sdk/client-sfn` (or the AWS CLI) works against it with `endpoint` set and any credentials.
 *
 * Protocol: `POST /` with `X-Amz-Target: AWSStepFunctions.<Action>` and a JSON body; the response is JSON
 * with `Content-Type: application/x-amz-json-1.0`. Timestamps are epoch seconds (fractional), as AWS sends
 * them. Errors are `{"__type": "com.amazonaws.sfn#<Code>", "message": "…"}` with the code also in the
 * `x-amzn-ErrorType` header and HTTP 400 for client errors. Request signatures are not checked: the service
 * binds to loopback only.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SerializationError, SfnError, UnknownOperationError, ValidationError } from './errors.ts';
import type { SfnService } from './service.ts';

const CONTENT_TYPE = 'application/x-amz-json-1.0';
const TARGET_PREFIX = 'AWSStepFunctions.';
const ERROR_NAMESPACE = 'com.amazonaws.sfn';
/** Large enough for a 256 KiB input escaped in JSON, small enough to refuse abuse. */
const MAX_BODY_BYTES = 1024 * 1024;

type Body = Record<string, unknown>;
type Action = (service: SfnService, body: Body) => Promise<unknown>;

const ACTIONS: Readonly<Record<string, Action>> = {
  StartExecution: (service, body) =>
    service.startExecution({
      stateMachineArn: requiredString(body, 'stateMachineArn'),
      name: optionalString(body, 'name'),
      input: optionalString(body, 'input'),
    }),
  DescribeExecution: (service, body) => service.describeExecution(requiredString(body, 'executionArn')),
  GetExecutionHistory: (service, body) =>
    service.getExecutionHistory(requiredString(body, 'executionArn'), {
      maxResults: optionalNumber(body, 'maxResults'),
      nextToken: optionalString(body, 'nextToken'),
      reverseOrder: optionalBoolean(body, 'reverseOrder'),
      includeExecutionData: optionalBoolean(body, 'includeExecutionData'),
    }),
  ListExecutions: (service, body) =>
    service.listExecutions({
      stateMachineArn: optionalString(body, 'stateMachineArn'),
      statusFilter: optionalString(body, 'statusFilter'),
      maxResults: optionalNumber(body, 'maxResults'),
      nextToken: optionalString(body, 'nextToken'),
    }),
  StopExecution: (service, body) =>
    service.stopExecution(requiredString(body, 'executionArn'), {
      error: optionalString(body, 'error'),
      cause: optionalString(body, 'cause'),
    }),
  RedriveExecution: (service, body) =>
    service.redriveExecution(requiredString(body, 'executionArn'), {
      clientToken: optionalString(body, 'clientToken'),
    }),
  DescribeStateMachine: (service, body) =>
    service.describeStateMachine(requiredString(body, 'stateMachineArn')),
  ListStateMachines: (service, body) =>
    service.listStateMachines({
      maxResults: optionalNumber(body, 'maxResults'),
      nextToken: optionalString(body, 'nextToken'),
    }),
};

/** A request handler serving the Step Functions API at `/`, mountable in another HTTP server. */
export function createSfnHandler(service: SfnService): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void handle(service, req, res);
  };
}

/** Serves `service` on loopback. Port 0 (the default) picks a free port; `url` is where it listens. */
export async function startSfnServer(
  service: SfnService,
  opts: { port?: number; host?: '127.0.0.1' } = {},
): Promise<{ url: string; close(): Promise<void> }> {
  const host = opts.host ?? '127.0.0.1';
  const server = createServer(createSfnHandler(service));
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function handle(service: SfnService, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    if (req.method !== 'POST') {
      throw new UnknownOperationError(`${req.method} is not supported; the API is POST / with X-Amz-Target`);
    }
    const target = req.headers['x-amz-target'];
    const actionName =
      typeof target === 'string' && target.startsWith(TARGET_PREFIX)
        ? target.slice(TARGET_PREFIX.length)
        : '';
    const action = Object.hasOwn(ACTIONS, actionName) ? ACTIONS[actionName] : undefined;
    if (action === undefined)
      throw new UnknownOperationError(`Unknown operation ${JSON.stringify(target ?? '')}`);
    const body = await readBody(req);
    const result = await action(service, body);
    send(res, 200, result);
  } catch (error) {
    if (error instanceof SfnError) {
      send(
        res,
        error.httpStatus,
        { __type: `${ERROR_NAMESPACE}#${error.name}`, message: error.message },
        error.name,
      );
    } else {
      const message = error instanceof Error ? error.message : String(error);
      send(res, 500, { __type: `${ERROR_NAMESPACE}#InternalFailure`, message }, 'InternalFailure');
    }
  }
}

async function readBody(req: IncomingMessage): Promise<Body> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new ValidationError(`request body exceeds ${MAX_BODY_BYTES} bytes`);
    chunks.push(buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new SerializationError('the request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SerializationError('the request body must be a JSON object');
  }
  return parsed as Body;
}

function send(res: ServerResponse, status: number, body: unknown, errorType?: string): void {
  const text = JSON.stringify(toWire(body ?? {}));
  const headers: Record<string, string | number> = {
    'content-type': CONTENT_TYPE,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': crypto.randomUUID(),
  };
  if (errorType !== undefined) headers['x-amzn-errortype'] = errorType;
  res.writeHead(status, headers);
  res.end(text);
}

/** Dates as epoch seconds, `undefined` members dropped (JSON.stringify would call Date#toJSON first). */
function toWire(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map(toWire);
  if (typeof value === 'object' && value !== null) {
    const wire: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(value)) {
      if (member !== undefined) wire[key] = toWire(member);
    }
    return wire;
  }
  return value;
}

function requiredString(body: Body, key: string): string {
  const value = body[key];
  if (typeof value !== 'string') {
    throw new ValidationError(
      `1 validation error detected: Value at '${key}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

function optionalString(body: Body, key: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new SerializationError(`'${key}' must be a string`);
  return value;
}

function optionalNumber(body: Body, key: string): number | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number') throw new SerializationError(`'${key}' must be a number`);
  return value;
}

function optionalBoolean(body: Body, key: string): boolean | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new SerializationError(`'${key}' must be a boolean`);
  return value;
}
