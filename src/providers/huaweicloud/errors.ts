/**
 * Huawei Cloud's refusals in natflow's words (docs/clouds.md, docs/huaweicloud-api.md). The code table's `huawei` column
 * (`src/codes/codes.ts`, the one the local Huawei API answers with) is read backwards: a service code
 * (`NAT.1310`) becomes the rule code (`DNAT_PORT_CONFLICT`); where the local API answers a rule with no
 * documented code it writes natflow's code in `error_msg`, which is honoured too. The service's own
 * code, message, HTTP status and request id always stay in `details` (and the SDK's exception in
 * `cause`), so nothing Huawei said is lost; `details.cloud` (`{code, message, requestId}`) is what an
 * execution's cause keeps of it (docs/real-cloud.md#failure).
 *
 * Precedence: 401/403 → CLOUD_AUTH_FAILED; 429, 5xx, throttling codes and transport failures →
 * `Natflow.Transient` (the workflow's Retry); a code of the table (`VPC.0004`, a parent not active yet:
 * `Natflow.NotReady`, the workflow's wait); a rule code named in the message, or the wait
 * (`natflow: Natflow.NotReady`, the local Huawei API's refusal under a parent not settled yet);
 * 404 → NOT_FOUND; anything else → CLOUD_REJECTED.
 */

import * as cloudErrors from '../../cloud/errors.ts';
import {
  CloudAuthFailedError,
  CloudRejectedError,
  NatflowError,
  NotFoundError,
  NotReadyError,
  TransientError,
} from '../../cloud/errors.ts';
import { type ErrorCode, isErrorCode, RULE_ORDER } from '../../codes/codes.ts';
import { acceptsStatus, huaweiCodesAccepted, natflowCodeOfHuawei } from '../../codes/huawei.ts';

type ErrorClass = new (
  message: string,
  options?: ConstructorParameters<typeof NatflowError>[1],
) => NatflowError;

/** The error classes of `src/cloud/errors.ts` by code (`DNAT_PORT_CONFLICT` → DnatPortConflictError). */
const CLASS_OF_CODE: ReadonlyMap<ErrorCode, ErrorClass> = (() => {
  const out = new Map<ErrorCode, ErrorClass>();
  for (const value of Object.values(cloudErrors) as unknown[]) {
    if (typeof value !== 'function' || value === cloudErrors.InvalidInputError) continue;
    if (!(value.prototype instanceof NatflowError)) continue;
    const cls = value as ErrorClass;
    const { name } = new cls('probe');
    if (isErrorCode(name)) out.set(name, cls);
  }
  return out;
})();

/** the code table of docs/huaweicloud-api.md, from Huawei's code to natflow's error class (the code table's `accept` lists). */
export const HUAWEI_CODES: Readonly<Record<string, ErrorClass>> = Object.fromEntries(
  [...huaweiCodesAccepted()].flatMap(([huaweiCode, code]) => {
    const cls = isErrorCode(code) ? CLASS_OF_CODE.get(code) : undefined;
    return cls ? [[huaweiCode, cls]] : [];
  }),
);

const CODE_IN_MESSAGE = new RegExp(`\\b(${RULE_ORDER.join('|')})\\b`);
/** The wait named in a message, as the local Huawei API names it: `(natflow: Natflow.NotReady)`. */
const NOT_READY_IN_MESSAGE = /\(natflow: Natflow\.NotReady\)/;

/** What one failed call told us, whatever shape the SDK or the transport gave it. */
export interface HuaweiFailure {
  status: number | undefined;
  code: string | undefined;
  message: string;
  requestId: string | undefined;
}

/** Reads the SDK's ServiceResponseException (or any error) into a HuaweiFailure. */
export function failureOf(error: unknown): HuaweiFailure {
  const e = (error ?? {}) as Record<string, unknown>;
  const status = Number(e.httpStatusCode ?? e.status);
  return {
    status: Number.isFinite(status) && status > 0 ? status : undefined,
    code: typeof e.errorCode === 'string' && e.errorCode !== '' ? e.errorCode : undefined,
    message:
      (typeof e.errorMsg === 'string' && e.errorMsg) ||
      (typeof e.message === 'string' && e.message) ||
      String(error),
    requestId: typeof e.requestId === 'string' ? e.requestId : undefined,
  };
}

/**
 * The natflow error for a failed call. `operation` names it in the message (`NAT CreatePrivateDnat`);
 * `path` is the plan field the call was made for, when known.
 *
 * @example mapHuaweiError({ httpStatusCode: 409, errorCode: 'NAT.1310', errorMsg: '…' }, 'NAT CreatePrivateDnat')
 *   // DnatPortConflictError, details { huaweiCode: 'NAT.1310', … }
 */
export function mapHuaweiError(error: unknown, operation: string, path?: string): NatflowError {
  if (error instanceof NatflowError) return error;
  const failure = failureOf(error);
  const details = {
    operation,
    httpStatus: failure.status,
    huaweiCode: failure.code,
    huaweiMessage: failure.message,
    requestId: failure.requestId,
    // What the cloud itself answered, in the shape an execution's cause keeps it (src/codes/failure.ts);
    // a call that got no answer (a refused connection) has none.
    ...(failure.status === undefined
      ? {}
      : {
          cloud: {
            ...(failure.code ? { code: failure.code } : {}),
            message: failure.message,
            ...(failure.requestId ? { requestId: failure.requestId } : {}),
          },
        }),
  };
  const said = `${operation}: ${failure.code ? `${failure.code} ` : ''}${failure.message}${failure.status ? ` (HTTP ${failure.status})` : ''}`;
  const options = { cause: error, details, ...(path === undefined ? {} : { path }) };
  if (acceptsStatus('CLOUD_AUTH_FAILED', failure.status)) {
    return new CloudAuthFailedError(`Huawei Cloud refused the credentials — ${said}`, options);
  }
  if (
    failure.status === undefined ||
    failure.status === 429 ||
    failure.status >= 500 ||
    (failure.code !== undefined && natflowCodeOfHuawei(failure.code) === 'Natflow.Transient')
  ) {
    return new TransientError(`Huawei Cloud is unavailable or throttling — ${said}`, options);
  }
  const mapped = failure.code === undefined ? undefined : HUAWEI_CODES[failure.code];
  if (mapped) return new mapped(said, options);
  if (failure.code !== undefined && natflowCodeOfHuawei(failure.code) === 'Natflow.NotReady') {
    return new NotReadyError(`Huawei Cloud is not ready for it yet — ${said}`, options);
  }
  const named = CODE_IN_MESSAGE.exec(failure.message)?.[1];
  const namedClass = isErrorCode(named) ? CLASS_OF_CODE.get(named) : undefined;
  if (namedClass) return new namedClass(said, options);
  if (NOT_READY_IN_MESSAGE.test(failure.message)) {
    return new NotReadyError(`Huawei Cloud is not ready for it yet — ${said}`, options);
  }
  if (acceptsStatus('NOT_FOUND', failure.status)) return new NotFoundError(said, options);
  return new CloudRejectedError(`Huawei Cloud refused the request — ${said}`, options);
}

/** True when the error is Huawei's 404 for the resource asked about (a delete or a read of what is gone). */
export function isNotFound(error: unknown): boolean {
  return error instanceof NotFoundError || failureOf(error).status === 404;
}
