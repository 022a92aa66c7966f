/**
 * A failed execution told as it is (docs/real-cloud.md#failure): the failing step's own error — its code,
 * its message and, when a cloud answered, the cloud's code, message and request id — and, after a
 * rollback, what it could not remove. One JSON document, the execution's `cause`:
 *
 *     {code, message, cloud?: {code, message, requestId}, rollback?: {status, leftBehind: [...]}}
 *
 * A rollback that cannot finish never replaces the step's error: it is told in `rollback`.
 *
 * How an error crosses a Lambda's edge (functions/lib/middleware.ts): Lambda reports `{errorType,
 * errorMessage, trace}`; natflow's handlers leave `trace` with no frame (traces go to the logs only), and
 * an error a cloud answered travels as an `errorMessage` that is itself JSON — `{"message", "cloud"}` —
 * so the cloud's own words reach the rollback step, which writes the document. Everything read here is
 * read defensively: a cause may be plain text, Lambda's JSON, or this document already.
 *
 * A leaf beside the code table: it imports nothing of natflow's, so the CLI's lightest paths, the local
 * engine and the console-facing API read causes without loading any workflow.
 */

/** What the cloud itself answered: its code, its message and the request id its support asks for. */
export interface CloudAnswer {
  code?: string;
  message: string;
  requestId?: string;
}

/** A resource a rollback could not remove: still in natflow's ledger, so a resumed rollback finds it. */
export interface LeftBehind {
  kind: string;
  name: string;
  /** Its id in the cloud; absent for an intent natflow never saw created (docs/real-cloud.md#failure). */
  externalId?: string;
  /** Its status as natflow last read it from the cloud. */
  cloudStatus?: string;
  /** Why the last attempt to delete it failed. */
  error?: string;
}

export interface RollbackOutcome {
  status: 'COMPLETE' | 'INCOMPLETE';
  leftBehind: LeftBehind[];
}

/** One verification's rows (docs/real-cloud.md#verification-output), when a verification failed. */
export interface FailureDocument {
  code: string;
  message: string;
  cloud?: CloudAnswer;
  rollback?: RollbackOutcome;
  /** `VERIFICATION_FAILED` of the verify workflow: the verification document with every row. */
  verification?: unknown;
}

/**
 * The codes a workflow's retry signals end with once its Retry gave up: a dependency still not ready is
 * the polling bound's CLOUD_TIMEOUT; a cloud still unreachable or throttling is CLOUD_UNAVAILABLE. No
 * client of natflow ever sees a signal (src/codes/codes.ts).
 */
const CODE_OF_SIGNAL: Readonly<Record<string, string>> = {
  'Natflow.NotReady': 'CLOUD_TIMEOUT',
  'Natflow.Transient': 'CLOUD_UNAVAILABLE',
};

/** The code an execution reports for an error name (a signal becomes its code). */
export function codeOfError(name: string): string {
  return CODE_OF_SIGNAL[name] ?? name;
}

/**
 * The `errorMessage` a handler's error leaves with (functions/lib/middleware.ts): its message without
 * traces, and — when a cloud answered (`details.cloud`, src/providers/huaweicloud/errors.ts) — a JSON
 * document `{"message", "cloud"}` that `readErrorMessage` reads back.
 */
export function wireMessageOf(error: unknown): string {
  const message = withoutTraces(error instanceof Error ? error.message : String(error));
  const cloud = cloudAnswerOf((error as { details?: { cloud?: unknown } } | undefined)?.details?.cloud);
  return cloud ? JSON.stringify({ message, cloud }) : message;
}

/** An `errorMessage` as its message and, when it carries one, what the cloud answered. */
export function readErrorMessage(text: string): { message: string; cloud?: CloudAnswer } {
  if (text.startsWith('{')) {
    const parsed = parseObject(text);
    if (parsed && typeof parsed.message === 'string') {
      const cloud = cloudAnswerOf(parsed.cloud);
      return { message: withoutTraces(parsed.message), ...(cloud ? { cloud } : {}) };
    }
  }
  return { message: withoutTraces(text) };
}

/**
 * The failure document of an error and its cause, whatever shape the cause has: this document already
 * (a Fail state's cause), Lambda's `{errorType, errorMessage, trace}` (a step's), or plain text.
 *
 * @example failureDocumentOf('Natflow.Transient', '{"errorType":"Natflow.Transient","errorMessage":"…","trace":[]}')
 *   // { code: 'CLOUD_UNAVAILABLE', message: '…' }
 */
export function failureDocumentOf(error: string | undefined, cause: string | undefined): FailureDocument {
  const code = codeOfError(error || 'States.Runtime');
  if (cause === undefined || cause === '') return { code, message: code };
  const parsed = cause.startsWith('{') ? parseObject(cause) : undefined;
  if (parsed && typeof parsed.code === 'string' && typeof parsed.message === 'string') {
    const document = parsed as unknown as FailureDocument;
    const cloud = cloudAnswerOf(parsed.cloud);
    return {
      code: codeOfError(document.code),
      message: withoutTraces(document.message),
      ...(cloud ? { cloud } : {}),
      ...(document.rollback ? { rollback: document.rollback } : {}),
      ...(document.verification === undefined ? {} : { verification: document.verification }),
    };
  }
  if (parsed && typeof parsed.errorMessage === 'string') {
    return { code, ...readErrorMessage(parsed.errorMessage) };
  }
  return { code, ...readErrorMessage(cause) };
}

/** The document as the `cause` text a Fail state takes. */
export function causeText(document: FailureDocument): string {
  return JSON.stringify(document);
}

/** A cause text as the object the API and the CLI show (docs/real-cloud.md#failure). */
export function causeObjectOf(
  error: string | undefined,
  cause: string | undefined,
): FailureDocument | undefined {
  if (cause === undefined && error === undefined) return undefined;
  return failureDocumentOf(error, cause);
}

function cloudAnswerOf(value: unknown): CloudAnswer | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const { code, message, requestId } = value as Record<string, unknown>;
  if (typeof message !== 'string') return undefined;
  return {
    ...(typeof code === 'string' && code !== '' ? { code } : {}),
    message: withoutTraces(message),
    ...(typeof requestId === 'string' && requestId !== '' ? { requestId } : {}),
  };
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A text fit for a user (docs/real-cloud.md#failure): without stack frames (`    at f (…)`), source paths
 * (`file:///…`, `/…/src/x.ts:12:5`) or dependency frames (`node_modules/…`). Traces go to the logs only;
 * what reaches an execution's cause, a history event, an event detail, an API body or the CLI goes
 * through this first. The rest of the text is kept as it is.
 *
 * @example withoutTraces('boom\n    at f (file:///app/src/a.ts:3:9)') // 'boom'
 */
export function withoutTraces(text: string): string {
  return text
    .split('\n')
    .filter((line) => !STACK_FRAME.test(line))
    .join('\n')
    .replace(SOURCE_LOCATION, '')
    .replace(/[ \t]+$/gm, '')
    .trim();
}

/** A frame of a V8 stack trace: `    at fn (place)`, `    at place`, `    at async fn (place)`. */
const STACK_FRAME = /^\s+at\s/;

/**
 * A source location inside a message: a `file://` URL, or an absolute path to a `.ts`/`.js`/`.mjs`/`.cjs`
 * file (in `node_modules` or natflow's own folders), with its optional `:line:column` and the
 * parentheses around it.
 */
const SOURCE_LOCATION = /\(?(?:file:\/\/\/?[^\s)'"]+|(?:\/[\w.@+-]+)+\.(?:[cm]?[jt]s)(?::\d+)*)\)?/g;
