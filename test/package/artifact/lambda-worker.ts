/**
 * One warm Lambda container of a packaged function, in a worker thread: its own `process.env` (the
 * function's environment from the template, plus the endpoint and the credentials the test gives it),
 * its bundled handler module imported once from the extracted zip, invoked once per message as the
 * Node.js runtime invokes it (an event and a context; a thrown error answered as `{errorType,
 * errorMessage}`). Loaded by Node itself (types stripped), not by vitest.
 */
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';

interface Setup {
  bundle: string;
  exportName: string;
  functionName: string;
  timeoutMs: number;
}

interface Invoke {
  id: number;
  event: unknown;
}

const setup = workerData as Setup;
const loaded = import(pathToFileURL(setup.bundle).href).then((module: Record<string, unknown>) => {
  const handler = module[setup.exportName];
  if (typeof handler !== 'function') throw new Error(`${setup.bundle} exports no ${setup.exportName}`);
  return handler as (event: unknown, context: unknown) => Promise<unknown>;
});

function context() {
  const deadline = Date.now() + setup.timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: setup.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${setup.functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${setup.functionName}`,
    logStreamName: 'artifact-test',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

parentPort?.on('message', async ({ id, event }: Invoke) => {
  try {
    const handler = await loaded;
    const result = await handler(event, context());
    parentPort?.postMessage({ id, ok: true, result: result === undefined ? null : result });
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    parentPort?.postMessage({ id, ok: false, errorType: e.name || 'Error', errorMessage: e.message });
  }
});
