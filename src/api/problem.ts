/**
 * RFC 9457 problem details, the body of every error the HTTP API returns (docs/http-api.md):
 * `{type, title, status, detail, code, errors:[{path, code, message}]}` with
 * `Content-Type: application/problem+json`. `code` is the first error's code, the same stable code the
 * CLI prints and the state machines' `Catch` clauses match.
 *
 * `problemOf` maps anything thrown to a problem. Bad input is always a 4xx: natflow's coded errors by
 * `httpStatusOf`, the Step Functions service errors by name (an execution that does not exist is 404, a
 * name already taken 409, an invalid ARN or token 422). Only what is natflow's own fault is a 500, and
 * its detail is generic: no message, stack or configuration of an unexpected error reaches a client.
 */
import { STATUS_CODES } from 'node:http';
import { z } from 'zod';
import type { Issue } from '../cloud/errors.ts';
import { issuesFromZod } from '../cloud/issues.ts';
import type { ErrorCode } from '../codes/codes.ts';
import { httpStatusOf } from './http-status.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** The largest request body accepted, as API Gateway's payload limit (10 MB) is far above it. */
export const MAX_BODY_BYTES = 256 * 1024;

/**
 * Routes that take a larger body (docs/http-api.md#conventions). `POST /dnat/evaluate` takes up to
 * 10,000 packets (docs/dnat-engine.md): a packet in the documented string form is at most 67 characters
 * (`tcp 255.255.255.255:65535 > 255.255.255.255:65535 [syn,ack,fin,rst]`, 70 bytes in a JSON array) and
 * in the object form at most about 140 bytes, so 10,000 of either fit in 2 MB — within API Gateway's
 * 10 MB payload and Lambda's 6 MB event, the bounds a deployed stack has.
 */
export const ROUTE_BODY_LIMITS: Readonly<Record<string, number>> = {
  'POST /dnat/evaluate': 2 * 1024 * 1024,
};

/** The body limit of a route (`POST`, `/dnat/evaluate`): its own, else `MAX_BODY_BYTES`. */
export function bodyLimitOf(method: string, resource: string): number {
  return ROUTE_BODY_LIMITS[`${method.toUpperCase()} ${resource}`] ?? MAX_BODY_BYTES;
}

/** `262144` → `256 KB`, `2097152` → `2 MB`. */
export function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0
    ? `${bytes / (1024 * 1024)} MB`
    : `${Math.round(bytes / 1024)} KB`;
}

export const IssueSchema = z
  .object({
    path: z
      .string()
      .meta({ description: 'where in the input, e.g. privateNatGateways[0].dnatRules[1].transitPort' }),
    code: z
      .string()
      .meta({ description: 'the stable error code (docs/error-codes.md#rules-the-control-plane-enforces)' }),
    message: z.string(),
  })
  .meta({ id: 'Issue' });

export const ProblemSchema = z
  .object({
    type: z.string().meta({ description: 'a URI naming the problem type: urn:natflow:problem:<code>' }),
    title: z.string(),
    status: z.number().int().min(400).max(599),
    detail: z.string(),
    code: z.string().meta({ description: "the first error's code" }),
    errors: z.array(IssueSchema),
    candidates: z.array(z.string()).optional().meta({
      description:
        'AMBIGUOUS_NAME: every resource the name matches, each as PLAN/NAME or (in no plan) its id, ready to use instead',
    }),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

export type Problem = z.infer<typeof ProblemSchema>;

/**
 * An error that carries its HTTP status: thrown by the HTTP layer for what is wrong with the request
 * itself (malformed JSON, a wrong content type, a body too large, an unknown route or method).
 */
export class HttpProblemError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  readonly issues: readonly Issue[];
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    code: ErrorCode,
    message: string,
    options: { issues?: readonly Issue[]; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = code;
    this.status = status;
    this.code = code;
    this.issues = options.issues ?? [{ path: '', code, message }];
    this.headers = options.headers ?? {};
  }
}

/**
 * An invalid plan (POST /plans/validate, POST /plans/preview, a provision input of POST /executions),
 * listing every problem: 409 when the first is a conflict with what exists (DNAT_PORT_CONFLICT,
 * PLAN_CHANGED …: the request is sound, the state refuses it), otherwise 422 — an unknown reference
 * (NOT_FOUND) included, since the plan is what is wrong (docs/http-api.md, docs/decisions.md). `code`
 * stays the first problem's code.
 */
export class InvalidPlanProblem extends HttpProblemError {
  constructor(issues: readonly Issue[], message: string) {
    const first = issues[0];
    const code = (first?.code ?? 'VALIDATION_FAILED') as ErrorCode;
    super(httpStatusOf(code) === 409 ? 409 : 422, code, message, {
      issues: issues.length > 0 ? issues : [{ path: '', code: 'VALIDATION_FAILED', message }],
    });
  }
}

/**
 * A provisioning refused because its real cloud drifted where only replacing a resource would repair it
 * (POST /executions, docs/real-cloud.md#change-drift): 409 `DRIFT_REQUIRES_REPLACE` (the code's status),
 * listing every problem, those of the drift first. The plan is not what is wrong: the cloud's state is.
 */
export class DriftProblem extends HttpProblemError {
  constructor(issues: readonly Issue[], message: string) {
    const drift = issues.filter((i) => i.code === 'DRIFT_REQUIRES_REPLACE');
    super(httpStatusOf('DRIFT_REQUIRES_REPLACE'), 'DRIFT_REQUIRES_REPLACE', message, {
      issues: [...drift, ...issues.filter((i) => i.code !== 'DRIFT_REQUIRES_REPLACE')],
    });
  }
}

/** Step Functions service errors (by `name`) and the natflow code each becomes (its status the table's). */
const SFN_ERRORS: Readonly<Record<string, ErrorCode>> = {
  ExecutionAlreadyExists: 'EXECUTION_ALREADY_EXISTS',
  ExecutionDoesNotExist: 'NOT_FOUND',
  StateMachineDoesNotExist: 'NOT_FOUND',
  ResourceNotFound: 'NOT_FOUND',
  InvalidArn: 'VALIDATION_FAILED',
  InvalidName: 'VALIDATION_FAILED',
  InvalidExecutionInput: 'VALIDATION_FAILED',
  InvalidToken: 'VALIDATION_FAILED',
  ValidationException: 'VALIDATION_FAILED',
  MissingRequiredParameter: 'VALIDATION_FAILED',
  ExecutionLimitExceeded: 'EXECUTION_LIMIT_EXCEEDED',
  ExecutionNotRedrivable: 'EXECUTION_NOT_REDRIVABLE',
  ThrottlingException: 'THROTTLED',
  TooManyRequestsException: 'THROTTLED',
};

/** A problem document for a status and its issues; `code` is the first issue's code. */
export function problem(status: number, issues: readonly Issue[], detail?: string): Problem {
  const first = issues[0] ?? { path: '', code: 'INTERNAL_ERROR', message: 'internal error' };
  return {
    type: `urn:natflow:problem:${first.code}`,
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail: detail ?? (first.path ? `${first.path}: ${first.message}` : first.message),
    code: first.code,
    errors: [...issues],
  };
}

/** The problem that answers `error`, and whether it is natflow's own fault (to be logged). */
export function problemOf(error: unknown): {
  problem: Problem;
  internal: boolean;
  headers: Record<string, string>;
} {
  if (error instanceof HttpProblemError) {
    return {
      problem: problem(error.status, error.issues, error.message),
      internal: false,
      headers: { ...error.headers },
    };
  }
  if (!(error instanceof Error)) return internalProblem();
  if (error.name === 'ParseError') {
    const issues = issuesOfParseError(error.cause);
    if (issues) return { problem: problem(422, issues), internal: false, headers: {} };
  }
  const issues = (error as { issues?: unknown }).issues;
  if (Array.isArray(issues) && issues.length > 0 && issues.every(isIssue)) {
    return { problem: problem(httpStatusOf(error.name), issues), internal: false, headers: {} };
  }
  const sfn = SFN_ERRORS[error.name];
  if (sfn) {
    return {
      problem: problem(httpStatusOf(sfn), [{ path: '', code: sfn, message: error.message || error.name }]),
      internal: false,
      headers: {},
    };
  }
  if (isCoded(error)) {
    const path =
      typeof (error as unknown as { path?: unknown }).path === 'string'
        ? (error as unknown as { path: string }).path
        : '';
    const status = httpStatusOf(error.name);
    const issue: Issue = { path, code: error.name, message: error.message };
    const details = (error as { details?: Record<string, unknown> }).details;
    // An ambiguous name's candidates (its message lists them too), ready to use instead.
    const candidates = Array.isArray(details?.candidates) ? details.candidates.map(String) : undefined;
    const detail =
      !candidates && details?.ids ? `${error.message} (ids: ${[details.ids].flat().join(', ')})` : undefined;
    return {
      problem: { ...problem(status, [issue], detail), ...(candidates ? { candidates } : {}) },
      internal: false,
      headers: {},
    };
  }
  return internalProblem();
}

function internalProblem() {
  return {
    problem: problem(500, [
      { path: '', code: 'INTERNAL_ERROR', message: 'natflow could not complete the request' },
    ]),
    internal: true,
    headers: {},
  };
}

/** natflow's own codes are upper snake case (`DNAT_PORT_CONFLICT`); anything else is not a client error. */
function isCoded(error: Error): boolean {
  return /^[A-Z][A-Z0-9_]*[A-Z0-9]$/.test(error.name);
}

function isIssue(value: unknown): value is Issue {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Issue).path === 'string' &&
    typeof (value as Issue).code === 'string' &&
    typeof (value as Issue).message === 'string'
  );
}

/**
 * The Powertools parser's error carries the Standard Schema issues (or a ZodError, in other versions).
 * Paths into the event become paths into what the client sent: `body.workflow` → `workflow`,
 * `queryStringParameters.limit` → `query.limit`, `pathParameters.id` → `path.id`.
 */
export function issuesOfParseError(cause: unknown): Issue[] | undefined {
  const raw = Array.isArray(cause)
    ? cause
    : cause && typeof cause === 'object' && Array.isArray((cause as { issues?: unknown }).issues)
      ? (cause as { issues: unknown[] }).issues
      : undefined;
  if (!raw) return undefined;
  return issuesFromZod(raw, { mapPath: eventSegments });
}

const EVENT_PARTS: Readonly<Record<string, string | undefined>> = {
  body: undefined,
  queryStringParameters: 'query',
  pathParameters: 'path',
};

/** A path into the event as a path into what the client sent. */
function eventSegments(segments: readonly PropertyKey[]): readonly PropertyKey[] {
  const [head, ...rest] = segments;
  if (typeof head !== 'string' || !(head in EVENT_PARTS)) return segments;
  const part = EVENT_PARTS[head];
  return part === undefined ? rest : [part, ...rest];
}
