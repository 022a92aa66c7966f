/**
 * Errors of the local Huawei Cloud API (docs/huaweicloud-api.md), in each service's documented shape:
 *
 * - NAT v3 and ELB v3: `{"error_code": "NAT.1303", "error_msg": "…", "request_id": "…"}`;
 * - VPC v1 (VPCs, subnets, security groups): `{"code": "VPC.0003", "message": "…"}` as documented, with
 *   `error_code`/`error_msg`/`request_id` beside them, which the official SDKs' exceptions read;
 * - ECS: `{"error": {"code": "Ecs.0005", "message": "…"}}`;
 * - API Gateway (authentication, before any service): `{"error_code": "APIGW.0301", "error_msg", "request_id"}`.
 *
 * natflow's codes become Huawei's through the code table's `huawei` column (`src/codes/codes.ts`; the
 * table of docs/huaweicloud-api.md, which the `huaweicloud` provider reads backwards). A natflow code with
 * no documented Huawei code gets the service's fallback (`NAT.1000`, `ELB.1000`, `VPC.1000`, `Ecs.1000`); natflow's own code is
 * always in the message (`… (natflow: LB_ALREADY_MAPPED)`) so nothing is lost in translation.
 */
import { ERROR_CODES, type HuaweiService, rowOf } from '../codes/codes.ts';
import { HUAWEI_FALLBACK, huaweiAnswerOf } from '../codes/huawei.ts';
import type { NatflowError } from '../net/errors.ts';

export type { HuaweiService };

export class HuaweiApiError extends Error {
  override name = 'HuaweiApiError';
  readonly status: number;
  readonly code: string;
  /** natflow's rule code behind it, when there is one. */
  readonly natflowCode: string | undefined;

  constructor(status: number, code: string, message: string, natflowCode?: string) {
    super(message);
    this.status = status;
    this.code = code;
    this.natflowCode = natflowCode;
  }
}

/**
 * natflow → Huawei, per service: each code's answer where the code table has one (the code table of docs/huaweicloud-api.md;
 * `docs/huaweicloud-api.md` records the page of each). Read `huaweiAnswerOf` for the status and cases.
 */
export const HUAWEI_CODES: Readonly<Record<string, Readonly<Partial<Record<HuaweiService, string>>>>> =
  Object.fromEntries(
    ERROR_CODES.flatMap((code) => {
      const answers = Object.entries(rowOf(code).huawei?.answer ?? {}).flatMap(([service, answer]) =>
        answer?.code ? [[service, answer.code]] : [],
      );
      return answers.length > 0 ? [[code, Object.fromEntries(answers)]] : [];
    }),
  );

/** The code natflow answers for a deletion refused while something still depends on the resource. */
export const DEPENDENCY_CODES = {
  gateway: huaweiAnswerOf('DEPENDENCY_VIOLATION', 'nat', 'gateway').code,
  transitIp: huaweiAnswerOf('DEPENDENCY_VIOLATION', 'nat', 'transitIp').code,
  vpc: huaweiAnswerOf('DEPENDENCY_VIOLATION', 'vpc').code,
  ecs: huaweiAnswerOf('DEPENDENCY_VIOLATION', 'ecs').code,
  elb: huaweiAnswerOf('DEPENDENCY_VIOLATION', 'elb').code,
} as const;

export const FALLBACK_CODES: Readonly<Record<HuaweiService, string>> = HUAWEI_FALLBACK;

/** A 400 in the service's shape: a request the API cannot take (shape, types, unsupported values). */
export function badRequest(service: HuaweiService, message: string, code?: string): HuaweiApiError {
  return new HuaweiApiError(
    400,
    code ?? FALLBACK_CODES[service],
    `${message} (natflow: VALIDATION_FAILED)`,
    'VALIDATION_FAILED',
  );
}

export function notFound(service: HuaweiService, message: string): HuaweiApiError {
  const answer = huaweiAnswerOf('NOT_FOUND', service);
  return new HuaweiApiError(answer.status, answer.code, `${message} (natflow: NOT_FOUND)`, 'NOT_FOUND');
}

/** A request whose signature, date or project the gateway refuses: the provider reads CLOUD_AUTH_FAILED. */
export function unauthorized(message: string): HuaweiApiError {
  const answer = huaweiAnswerOf('CLOUD_AUTH_FAILED', 'apigw');
  return new HuaweiApiError(
    answer.status,
    answer.code,
    `Incorrect IAM authentication information: ${message}`,
  );
}

/**
 * A natflow error answered by a service. `dependencyCode` is the code of a DEPENDENCY_VIOLATION on this
 * route (NAT.1202 for a gateway, NAT.1409 for a transit IP, …: `DEPENDENCY_CODES`).
 */
export function fromNatflow(
  service: HuaweiService,
  error: NatflowError,
  dependencyCode?: string,
): HuaweiApiError {
  const natflowCode = error.name;
  const answer = huaweiAnswerOf(natflowCode, service);
  const code = natflowCode === 'DEPENDENCY_VIOLATION' && dependencyCode ? dependencyCode : answer.code;
  return new HuaweiApiError(answer.status, code, `${error.message} (natflow: ${natflowCode})`, natflowCode);
}

/** The response body of an error, in the shape of the service that answers it. */
export function errorBody(service: HuaweiService, error: HuaweiApiError, requestId: string): unknown {
  const message =
    error.natflowCode && !error.message.includes('(natflow: ')
      ? `${error.message} (natflow: ${error.natflowCode})`
      : error.message;
  return shaped(service, error.code, message, requestId);
}

function shaped(service: HuaweiService, code: string, message: string, requestId: string): unknown {
  const error = { code, message };
  switch (service) {
    case 'vpc':
      // The VPC reference documents {code, message}; the official SDKs read error_code/error_msg: both.
      return {
        code: error.code,
        message: error.message,
        error_code: error.code,
        error_msg: error.message,
        request_id: requestId,
      };
    case 'ecs':
      return { error: { code: error.code, message: error.message } };
    default:
      return { error_code: error.code, error_msg: error.message, request_id: requestId };
  }
}
