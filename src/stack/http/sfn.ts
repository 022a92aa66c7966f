/**
 * Step Functions on the stack's port: the AWS JSON protocol (`X-Amz-Target: AWSStepFunctions.*`), so the
 * SDK clients of the handlers and the CLI point here as they would point at AWS. The local engine's own
 * request handler (local-sfn's `createSfnHandler`) answers; this file only mounts it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Protocol } from './router.ts';

export function sfnProtocol(handle: (req: IncomingMessage, res: ServerResponse) => void): Protocol {
  return {
    name: 'sfn',
    claims: ({ target }) => target?.startsWith('AWSStepFunctions.') === true,
    serve: ({ req, res }) => handle(req, res),
  };
}
