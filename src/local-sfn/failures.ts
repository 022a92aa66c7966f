/**
 * How failures cross the local Step Functions runner (runner.ts): a handler's error as Lambda reports it
 * (`errorType` + Lambda's JSON cause), a run's failure as AWS reports it, and the signal thrown into the
 * engine when it reaches a Task of an execution already closed.
 */
import { ExecutionError } from 'aws-local-stepfunctions';
import { withoutTraces } from '../net/errors.ts';

const FAIL_STATE_DEFAULT_NAME = 'FailStateError';
const FAIL_STATE_DEFAULT_MESSAGE = 'Execution failed because of a Fail state';

/** Thrown into the engine when it reaches a Task after its execution was closed: neither retried nor caught. */
export class ExecutionClosedSignal extends Error {
  override name = 'States.Runtime';
  get isRetryable(): boolean {
    return false;
  }
  get isCatchable(): boolean {
    return false;
  }
}

/** What a failed Lambda invocation reports: `name` is the errorType, `message` Lambda's JSON cause. */
export class TaskFailure extends Error {
  constructor(errorType: string, cause: string) {
    super(cause);
    this.name = errorType;
  }
}

/** The error and cause of a failed run, as AWS reports them (a Fail state without Error has none). */
export function failureOf(error: unknown): { status: 'FAILED'; error?: string; cause?: string } {
  const inner = error instanceof ExecutionError && error.cause instanceof Error ? error.cause : error;
  if (!(inner instanceof Error)) return { status: 'FAILED', error: 'States.Runtime', cause: String(inner) };
  const outcome: { status: 'FAILED'; error?: string; cause?: string } = { status: 'FAILED' };
  if (inner.name !== FAIL_STATE_DEFAULT_NAME) outcome.error = inner.name;
  if (inner.message !== FAIL_STATE_DEFAULT_MESSAGE) outcome.cause = withoutTraces(inner.message);
  return outcome;
}

/**
 * A handler's failure as Lambda's Node.js runtime reports it, `{errorType, errorMessage, trace}` — with
 * no stack frame and no source path, whatever the handler threw: the history, a Catch's input and an
 * execution's cause never carry a trace (docs/real-cloud.md#failure); natflow's handlers log theirs.
 */
export function taskFailureOf(error: unknown): TaskFailure {
  const errorType = error instanceof Error ? error.name || 'Error' : typeof error;
  const errorMessage = withoutTraces(error instanceof Error ? error.message : String(error));
  return new TaskFailure(
    errorType,
    JSON.stringify({ errorType, errorMessage, trace: [`${errorType}: ${errorMessage}`] }),
  );
}

/** The `errorType` and `errorMessage` of a Task failure's cause (Lambda's JSON), if it is one. */
export function parseTaskFailureCause(
  cause: string | undefined,
): { errorType: string; errorMessage: string } | undefined {
  if (cause === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(cause);
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { errorType, errorMessage } = parsed as Record<string, unknown>;
    if (typeof errorType !== 'string' || typeof errorMessage !== 'string') return undefined;
    return { errorType, errorMessage };
  } catch {
    return undefined;
  }
}
