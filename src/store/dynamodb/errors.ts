/**
 * How DynamoDB's answers become the errors the store port promises:
 * - passing faults (throttling, exhausted capacity, 5xx, network) → `TransientError`
 *   (`Natflow.Transient`, which the workflows retry); the SDK has already retried them by then;
 * - refused credentials (on AWS `UnrecognizedClientException` is an invalid security token) →
 *   `StoreAuthFailedError` (`STORE_AUTH_FAILED`): an error of this call, never a sign that the service
 *   lacks an operation, and never retried;
 * - anything else passes through unchanged.
 */
import { NatflowError, TransientError } from '../../cloud/errors.ts';

/** DynamoDB refused the caller's credentials or signature, or IAM denied the action. */
export class StoreAuthFailedError extends NatflowError {
  override name = 'STORE_AUTH_FAILED';
}

export function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

export function isConditionalFailure(error: unknown): boolean {
  return errorName(error) === 'ConditionalCheckFailedException';
}

const TRANSIENT_NAMES = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TransactionConflictException',
  'TransactionInProgressException',
  'LimitExceededException',
  'TimeoutError',
]);
const TRANSIENT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN']);

/** The answers of a caller whose credentials or permissions are refused (not retried, not a downgrade). */
const AUTH_NAMES = new Set([
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'IncompleteSignatureException',
  'MissingAuthenticationTokenException',
  'ExpiredTokenException',
  'AccessDeniedException',
  'CredentialsProviderError',
]);

/** `TransientError` for a passing fault (throttling, 5xx, network), undefined for anything else. */
export function asTransient(error: unknown): TransientError | undefined {
  if (!(error instanceof Error)) return undefined;
  if (error instanceof TransientError) return error;
  const meta = (error as { $metadata?: { httpStatusCode?: number } }).$metadata;
  const code = (error as { code?: unknown }).code;
  const transient =
    TRANSIENT_NAMES.has(error.name) ||
    (meta?.httpStatusCode !== undefined && meta.httpStatusCode >= 500) ||
    (typeof code === 'string' && TRANSIENT_CODES.has(code));
  return transient
    ? new TransientError(`DynamoDB is unavailable for now (${error.name}): ${error.message}`, {
        cause: error,
      })
    : undefined;
}

/** `StoreAuthFailedError` for refused credentials or a denied action, undefined for anything else. */
export function asAuthFailure(error: unknown): StoreAuthFailedError | undefined {
  if (!(error instanceof Error) || !AUTH_NAMES.has(error.name)) return undefined;
  return new StoreAuthFailedError(
    `DynamoDB refused the request (${error.name}): ${error.message} — check the credentials and the role's permissions on the table`,
    { cause: error, details: { reason: error.name } },
  );
}

/** The port's error for any failed SDK call. */
export function translate(error: unknown): unknown {
  return asTransient(error) ?? asAuthFailure(error) ?? error;
}

/**
 * A commit cancelled because a concurrent commit changed what this transaction read (a scope counter, a
 * guard, a resource): the transaction runs its function again on fresh reads. Never leaves the adapter.
 */
export class CommitConflict extends Error {
  override name = 'CommitConflict';
  readonly reason: string;

  constructor(reason: string, options: { cause?: unknown } = {}) {
    super(
      `the commit lost a race: ${reason}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.reason = reason;
  }
}
