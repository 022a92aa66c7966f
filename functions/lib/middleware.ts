/**
 * The middy stack every natflow Lambda shares: Powertools Logger with the Lambda context, the Powertools
 * parser (zod) on the event, and `codedErrors`, which turns a parse failure into the rule code
 * (`VALIDATION_FAILED`, or the most specific one) so Step Functions `Catch`, the API and the CLI see a
 * stable error name instead of `ParseError`, and `publicErrors`, which logs a failure with its trace and
 * lets it leave without one (docs/real-cloud.md#failure).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { ZodError, type z } from 'zod';
import { InvalidInputError, NotReadyError } from '../../src/cloud/errors.ts';
import { formatPath, issuesFromZod } from '../../src/cloud/issues.ts';
import { waitingDocument } from '../../src/cloud/waiting.ts';
import { wireMessageOf } from '../../src/codes/failure.ts';
import { NatflowError } from '../../src/net/errors.ts';

const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT'] as const;
type LogLevel = (typeof LOG_LEVELS)[number];
const requested = (process.env.NATFLOW_LOG_LEVEL ?? process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN').toUpperCase();
const logLevel: LogLevel = (LOG_LEVELS as readonly string[]).includes(requested)
  ? (requested as LogLevel)
  : 'WARN';

export const logger = new Logger({ serviceName: 'natflow', logLevel });

/** zod issues as natflow's (`src/cloud/issues.ts`: paths `a.b[0].c`, a rule code in `params.code` kept). */
export { formatPath, issuesFromZod };

/**
 * Maps the parser's ParseError to `InvalidInputError` with every issue. The Powertools parser puts the
 * zod issues in `cause` (an array, or a ZodError in other versions): both are read.
 */
export function codedErrors(): MiddlewareObj {
  return {
    onError: (request) => {
      const error = request.error;
      if (error?.name !== 'ParseError') return;
      const cause: unknown = error.cause;
      const issues = cause instanceof ZodError ? cause.issues : Array.isArray(cause) ? cause : undefined;
      if (issues) request.error = new InvalidInputError(issuesFromZod(issues));
    },
  };
}

/**
 * A step waiting for a resource (`Natflow.NotReady`) leaves the Lambda with what it waits for as its
 * message — the document of src/cloud/waiting.ts, `{code, message, waiting: {name, kind, status,
 * seconds}, alsoWaiting: […]}` — and no stack, so the execution history carries it as data the CLI and
 * the console read (docs/workflows.md#what-a-step-waits-for), and no source path. Its `onError` runs
 * after `publicErrors`' (middy runs them last-used first), on the message that one has cleaned.
 */
export function waitingErrors(): MiddlewareObj {
  return {
    onError: (request) => {
      const error = request.error;
      if (!(error instanceof NotReadyError)) return;
      const wire = new NotReadyError(JSON.stringify(waitingDocument(error)), {
        ...(error.details ? { details: { ...error.details } } : {}),
      });
      wire.stack = '';
      request.error = wire;
    },
  };
}

/**
 * What leaves a handler when it fails: Lambda reports `{errorType: name, errorMessage: message, trace:
 * stack lines}`, which become the Task's failure in the execution's history, its `Catch` input and,
 * uncaught, the execution's cause. The trace goes to the logs only (natflow's own faults at ERROR, a
 * coded error at DEBUG): the error leaves with its name, its message without traces (with what a cloud
 * answered, src/codes/failure.ts) and a stack of that one line.
 */
export function publicErrors(): MiddlewareObj {
  return {
    onError: (request) => {
      const error = request.error;
      if (!error) return;
      if (error instanceof NatflowError) logger.debug('the handler failed', error);
      else logger.error('the handler failed', error);
      const message = wireMessageOf(error);
      try {
        error.message = message;
        error.stack = `${error.name}: ${message}`;
      } catch {
        request.error = Object.assign(new Error(message), {
          name: error.name,
          stack: `${error.name}: ${message}`,
        });
      }
    },
  };
}

/**
 * A Lambda handler: `fn` receives the event parsed by `schema`.
 *
 * @example export const handler = lambdaHandler(z.object({ plan: PlanSchema }), async ({ plan }) => …);
 */
export function lambdaHandler<S extends z.ZodType, R>(
  schema: S,
  fn: (event: z.infer<S>, context: Context) => Promise<R>,
) {
  return middy<z.infer<S>, R>()
    .use(waitingErrors())
    .use(publicErrors())
    .use(codedErrors())
    .use(injectLambdaContext(logger))
    .use(parser({ schema }))
    .handler(fn);
}
