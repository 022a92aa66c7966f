/**
 * Errors of the local Huawei Cloud API (DESIGN §11), in each service's documented shape:
 *
 * - NAT v3 and ELB v3: `{"error_code": "NAT.1303", "error_msg": "…", "request_id": "…"}`;
 * - VPC v1 (VPCs, subnets, security groups): `{"code": "VPC.0003", "message": "…"}` as documented, with
 *   `error_code`/`error_msg`/`request_id` beside them, which the official SDKs' exceptions read;
 * - ECS: `{"error": {"code": "Ecs.0005", "message": "…"}}`;
 * - API Gateway (authentication, before any service): `{"error_code": "APIGW.0301", "error_msg", "request_id"}`.
 *
 * natflow's §3.2 codes map to Huawei's through `HUAWEI_CODES` (DESIGN §11's table, shared with the
 * `huaweicloud` provider, which maps back through it). A natflow code with no documented Huawei code
 * gets the service's fallback (`NAT.1000`, `ELB.1000`, `VPC.1000`, `Ecs.1000`); natflow's own code is
 * always in the message (`… (natflow: LB_ALREADY_MAPPED)`) so nothing is lost in translation.
 */
import type { NatflowError } from '../net/errors.ts';

export type HuaweiService = 'vpc' | 'ecs' | 'elb' | 'nat' | 'apigw';

export class HuaweiApiError extends Error {
  override name = 'HuaweiApiError';
  readonly status: number;
  readonly code: string;
  /** natflow's §3.2 code behind it, when there is one. */
  readonly natflowCode: string | undefined;

  constructor(status: number, code: string, message: string, natflowCode?: string) {
    super(message);
    this.status = status;
    this.code = code;
    this.natflowCode = natflowCode;
  }
}

/**
 * natflow (§3.2) → Huawei, per service. NAT's row is DESIGN §11's table; the other services have no
 * documented code for natflow's rules (their documented codes are for their own checks), so they use
 * the fallback unless listed. `docs/huaweicloud-api.md` records the page of each.
 */
export const HUAWEI_CODES: Readonly<Record<string, Readonly<Partial<Record<HuaweiService, string>>>>> = {
  TRANSIT_IP_IN_TARGET_VPC: { nat: 'NAT.1303' },
  TARGET_NOT_IN_GATEWAY_VPC: { nat: 'NAT.1304' },
  DNAT_PORT_CONFLICT: { nat: 'NAT.1310' },
  PORT_TYPE_CONFLICT: { nat: 'NAT.1309' },
  TRANSIT_IP_SHARED: { nat: 'NAT.1305' },
  INVALID_PORT_SPEC: { nat: 'NAT.1306' },
  QUOTA_EXCEEDED: { nat: 'NAT.1207' },
  GATEWAY_NOT_ACTIVE: { nat: 'NAT.1208' },
  IP_IN_USE: { nat: 'NAT.1403' },
  SUBNET_EXHAUSTED: { nat: 'NAT.1404' },
  IP_NOT_IN_SUBNET: { nat: 'NAT.1405' },
  SNAT_SOURCE_CONFLICT: { nat: 'NAT.1503' },
  NOT_FOUND: { vpc: 'VPC.0003', ecs: 'Ecs.0114', elb: 'ELB.8902', nat: 'NAT.1002' },
};

/** The code natflow answers for a deletion refused while something still depends on the resource. */
export const DEPENDENCY_CODES = {
  gateway: 'NAT.1202',
  transitIp: 'NAT.1409',
  vpc: 'VPC.1000',
  ecs: 'Ecs.1000',
  elb: 'ELB.1000',
} as const;

export const FALLBACK_CODES: Readonly<Record<HuaweiService, string>> = {
  vpc: 'VPC.1000',
  ecs: 'Ecs.1000',
  elb: 'ELB.1000',
  nat: 'NAT.1000',
  apigw: 'APIGW.0301',
};

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
  return new HuaweiApiError(
    404,
    HUAWEI_CODES.NOT_FOUND?.[service] ?? FALLBACK_CODES[service],
    `${message} (natflow: NOT_FOUND)`,
    'NOT_FOUND',
  );
}

export function unauthorized(message: string): HuaweiApiError {
  return new HuaweiApiError(401, 'APIGW.0301', `Incorrect IAM authentication information: ${message}`);
}

/**
 * A natflow error answered by a service. `dependencyCode` is the code of a DEPENDENCY_VIOLATION on this
 * route (NAT.1202 for a gateway, NAT.1409 for a transit IP, …).
 */
export function fromNatflow(
  service: HuaweiService,
  error: NatflowError,
  dependencyCode?: string,
): HuaweiApiError {
  const natflowCode = error.name;
  const mapped =
    natflowCode === 'DEPENDENCY_VIOLATION' && dependencyCode
      ? dependencyCode
      : (HUAWEI_CODES[natflowCode]?.[service] ?? FALLBACK_CODES[service]);
  // NAT's Error Codes page lists its refusals, NAT.1202 and NAT.1409 included, as 400; the other
  // services answer a resource still in use with 409.
  const status =
    natflowCode === 'NOT_FOUND'
      ? 404
      : natflowCode === 'DEPENDENCY_VIOLATION' && service !== 'nat'
        ? 409
        : 400;
  return new HuaweiApiError(status, mapped, `${error.message} (natflow: ${natflowCode})`, natflowCode);
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
