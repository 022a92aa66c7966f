/**
 * The token a CLI command sends to a stack started with `NATFLOW_TOKEN` (docs/cli.md#the-token): `--token`,
 * else `NATFLOW_TOKEN`. Every client the CLI builds sends it — the Step Functions client of a session (as
 * `x-natflow-token`, since the SDK signs `Authorization` itself), the HTTP API client of `--endpoint`, and
 * the CLI's own calls to a running stack's routes (as `Authorization: Bearer`) — and a stack that refuses
 * it becomes one clear error, `UNAUTHORIZED` (exit 2), never an internal one.
 */
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { ErrorCode } from '../codes/codes.ts';
import { NatflowError } from '../net/errors.ts';

/** The token to send: `--token`, else `NATFLOW_TOKEN`; none when both are empty. */
export function tokenOf(flag: string | undefined, env: Readonly<Record<string, string | undefined>>) {
  const token = flag ?? env.NATFLOW_TOKEN;
  return token === undefined || token.trim() === '' ? undefined : token.trim();
}

/** A stack refused the CLI's token, or wanted one it did not have. */
export class UnauthorizedError extends NatflowError {
  override name: ErrorCode = 'UNAUTHORIZED';
}

/** The stack at `url` refused a request (401): says whether the token was missing or wrong. */
export function unauthorized(url: string, token: string | undefined): UnauthorizedError {
  return new UnauthorizedError(
    token === undefined
      ? `the stack at ${url} requires a token: set NATFLOW_TOKEN or pass --token`
      : `the stack at ${url} refused the token given (--token or NATFLOW_TOKEN): it is not that stack's NATFLOW_TOKEN`,
    { details: { status: 401 } },
  );
}

/** The stack at `url` is at its cap of requests in flight (503 OVERLOADED). */
export class OverloadedError extends NatflowError {
  override name: ErrorCode = 'OVERLOADED';
}

/** The HTTP status an SDK error carries (`$metadata.httpStatusCode`), if any. */
function statusOf(error: unknown): number | undefined {
  const status = (error as { $metadata?: { httpStatusCode?: unknown } })?.$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

/**
 * Makes a Step Functions client pointed at a local stack send `token` (as `x-natflow-token`) and turn the
 * stack's refusals into natflow's errors: 401 → `UNAUTHORIZED`, 503 `OVERLOADED` → `OVERLOADED`.
 */
export function withToken(client: SFNClient, url: string, token: string | undefined): SFNClient {
  if (token !== undefined) {
    client.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { headers?: Record<string, string> };
        if (request.headers) request.headers['x-natflow-token'] = token;
        return next(args);
      },
      { step: 'build', name: 'natflowToken' },
    );
  }
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        const status = statusOf(error);
        if (status === 401) throw unauthorized(url, token);
        if (status === 503 && (error as Error).name === 'OVERLOADED')
          throw new OverloadedError(`the stack at ${url} is at its cap of requests in flight: try again`, {
            details: { status },
          });
        throw error;
      }
    },
    { step: 'initialize', name: 'natflowRefusals' },
  );
  return client;
}
