/**
 * Test harness for the local Step Functions service: the service on a loopback port, the real
 * `@aws-sdk/client-sfn` pointed at it with placeholder credentials, and fake Task handlers by function name.
 */
import { readFileSync } from 'node:fs';
import { SFNClient } from '@aws-sdk/client-sfn';
import { functionNameOf } from '../../src/local-sfn/definition.ts';
import {
  type ExecutionRecord,
  SfnService,
  type SfnServiceOptions,
  startSfnServer,
  type TaskHandler,
} from '../../src/local-sfn/index.ts';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';

export function loadAsl(name: string): object {
  const text = readFileSync(new URL(`../fixtures/asl/${name}.asl.json`, import.meta.url), 'utf8');
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null) throw new Error(`${name} is not an ASL object`);
  return parsed;
}

export const MACHINES = [
  'sfn-linear',
  'sfn-retry-catch',
  'sfn-fanout',
  'sfn-single-task',
  'sfn-timeout',
] as const;

export function machineArn(name: string): string {
  return `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${name}`;
}

export function functionArn(name: string): string {
  return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
}

export interface Harness {
  service: SfnService;
  client: SFNClient;
  url: string;
  handlers: Record<string, TaskHandler>;
  closed: ExecutionRecord[];
  close(): Promise<void>;
}

export async function startHarness(
  options: Partial<Omit<SfnServiceOptions, 'resolveTask' | 'stateMachines'>> & {
    handlers?: Record<string, TaskHandler>;
  } = {},
): Promise<Harness> {
  const handlers: Record<string, TaskHandler> = { ...options.handlers };
  const closed: ExecutionRecord[] = [];
  const service = new SfnService({
    db: options.db ?? ':memory:',
    waitTimeScale: options.waitTimeScale ?? 0,
    clock: options.clock,
    stateMachines: MACHINES.map((name) => ({ name, definition: loadAsl(name) })),
    resolveTask: (resource) => {
      const functionName = functionNameOf(resource);
      if (functionName === undefined) throw new Error(`no function in ${JSON.stringify(resource)}`);
      return async (input, context) => {
        const handler = handlers[functionName];
        if (handler === undefined) throw new Error(`the test gave no handler for ${functionName}`);
        return handler(input, context);
      };
    },
    onExecutionClosed: async (record) => {
      closed.push(record);
      await options.onExecutionClosed?.(record);
    },
  });
  const server = await startSfnServer(service, { port: 0 });
  const client = new SFNClient({
    endpoint: server.url,
    region: REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  let isClosed = false;
  return {
    service,
    client,
    url: server.url,
    handlers,
    closed,
    async close() {
      if (isClosed) return;
      isClosed = true;
      client.destroy();
      await server.close();
      await service.close();
    },
  };
}

/** A promise the test settles by hand. */
export function deferred<T = void>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
} {
  let resolve: (value: T) => void = () => {};
  let reject: (error: unknown) => void = () => {};
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** An error whose `name` is `code`, as natflow's typed errors are. */
export function codedError(code: string, message: string): Error {
  const error = new Error(message);
  error.name = code;
  return error;
}
