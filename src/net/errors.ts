import type { ErrorCode } from '../codes/codes.ts';

/**
 * The root of natflow's typed errors.
 *
 * An error's `name` is its stable code (`DNAT_PORT_CONFLICT`), not its class name: Lambda reports
 * `error.name` as the errorType that ASL `Retry`/`Catch` `ErrorEquals` match and that an execution's
 * `error` carries, so the same code reaches the CLI, the API problem document and the state machine.
 * Classes are still named `…Error` in code; `code` mirrors `name` for readers that prefer it.
 *
 * Each code is declared once, in the code table (`src/codes/codes.ts`); a subclass names its code as
 * `override name: ErrorCode = '…'`, so a misspelt code fails `tsc`. `name` itself stays a `string`:
 * a NatflowError is also built from a code read off the wire (the CLI reading a problem document of a
 * newer stack), which natflow may not know.
 */
export class NatflowError extends Error {
  /** Where in the input the problem is (`privateNatGateways[0].dnatRules[1].transitPort`), when known. */
  readonly path: string | undefined;
  /** Structured context for callers (the conflicting resource id, the quota, …). */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    message: string,
    options: { cause?: unknown; path?: string; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.path = options.path;
    this.details = options.details;
  }

  get code(): string {
    return this.name;
  }

  /** The `{path, code, message}` entry used by validate documents and problem details. */
  toIssue(): { path: string; code: string; message: string } {
    return { path: this.path ?? '', code: this.name, message: this.message };
  }
}

/** Not a dotted-quad IPv4 address. */
export class InvalidAddressError extends NatflowError {
  override name: ErrorCode = 'INVALID_ADDRESS';
}

/** Not a CIDR block `a.b.c.d/n`, or host bits set. */
export class InvalidCidrError extends NatflowError {
  override name: ErrorCode = 'INVALID_CIDR';
}

/** A port or port range outside 1–65535, or a port spec that does not fit its port type. */
export class InvalidPortSpecError extends NatflowError {
  override name: ErrorCode = 'INVALID_PORT_SPEC';
}

/** A text without stack frames or source paths (src/codes/failure.ts). */
export { withoutTraces } from '../codes/failure.ts';
