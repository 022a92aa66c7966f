/**
 * The `huawei` column of the code table (`./codes.ts`, docs/huaweicloud-api.md), read both ways:
 * - natflow → Huawei, for the local Huawei Cloud API: `huaweiAnswerOf(code, service, case?)` is the code
 *   and HTTP status a service answers for a natflow code (or the `Natflow.NotReady` signal: a parent not
 *   settled yet); a code without a documented Huawei code gets the service's fallback (`NAT.1000`), and
 *   the local API writes natflow's code in `error_msg`;
 * - Huawei → natflow, for the `huaweicloud` provider: `natflowCodeOfHuawei('NAT.1310')` is
 *   `DNAT_PORT_CONFLICT`; `acceptsStatus('CLOUD_AUTH_FAILED', 401)` says a 401 is that code whatever
 *   Huawei's code. The precedence between them (credentials, throttling, codes, 404) is the provider's.
 *
 * @example
 *   huaweiAnswerOf('PORT_TYPE_CONFLICT', 'nat', 'allPorts'); // { code: 'NAT.1410', status: 400 }
 *   natflowCodeOfHuawei('NAT.1410'); // 'PORT_TYPE_CONFLICT'
 */
import {
  CODES,
  type ErrorCode,
  type HuaweiAnswer,
  type HuaweiRow,
  type HuaweiService,
  isErrorCode,
  isSignal,
  rowOf,
  SIGNALS,
  type Signal,
} from './codes.ts';

/** What a service answers for a natflow code it has no code of its own for (the docs/huaweicloud-api.md fallback). */
export const HUAWEI_FALLBACK: Readonly<Record<HuaweiService, string>> = {
  vpc: 'VPC.1000',
  ecs: 'Ecs.1000',
  elb: 'ELB.1000',
  nat: 'NAT.1000',
  apigw: 'APIGW.0301',
};

/** The status of a refusal when the row names none: NAT's Error Codes page lists its refusals as 400. */
const DEFAULT_STATUS = 400;

/** The named cases of a code's answer on a service (`'allPorts'` for PORT_TYPE_CONFLICT on `nat`). */
export type HuaweiCase<C extends ErrorCode, S extends HuaweiService> = (typeof CODES)[C] extends {
  readonly huawei: { readonly answer: { readonly [K in S]: { readonly cases: infer Cases } } };
}
  ? keyof Cases & string
  : never;

/**
 * The code and status a service of the local Huawei API answers for a natflow code; in a named case
 * (the route knows which: an all-ports rule, an SNAT create, a gateway's deletion) that case's code.
 */
export function huaweiAnswerOf<C extends ErrorCode, S extends HuaweiService>(
  code: C,
  service: S,
  huaweiCase: HuaweiCase<C, S>,
): { code: string; status: number };
export function huaweiAnswerOf(code: string, service: HuaweiService): { code: string; status: number };
export function huaweiAnswerOf(
  code: string,
  service: HuaweiService,
  huaweiCase?: string,
): { code: string; status: number } {
  const row = huaweiRowOf(code);
  const answer: HuaweiAnswer | undefined = row?.answer?.[service];
  const cased = huaweiCase === undefined ? undefined : answer?.cases?.[huaweiCase];
  if (huaweiCase !== undefined && cased === undefined) {
    throw new Error(`the code table has no Huawei case ${huaweiCase} of ${code} on ${service}`);
  }
  return {
    code: cased ?? answer?.code ?? HUAWEI_FALLBACK[service],
    status: answer?.status ?? row?.status ?? DEFAULT_STATUS,
  };
}

/** The `huawei` column of a code's row, or of a signal's (`Natflow.NotReady`: a parent not settled yet). */
function huaweiRowOf(code: string): HuaweiRow | undefined {
  if (isErrorCode(code)) return rowOf(code).huawei;
  if (isSignal(code)) return (SIGNALS[code] as { readonly huawei?: HuaweiRow }).huawei;
  return undefined;
}

/** Huawei's code → natflow's, from every row's `accept` (the signals' too: throttling is a retry). */
const FROM_HUAWEI: ReadonlyMap<string, ErrorCode | Signal> = (() => {
  const out = new Map<string, ErrorCode | Signal>();
  const rows: Readonly<Record<string, { title: string; huawei?: HuaweiRow }>> = { ...CODES, ...SIGNALS };
  for (const [code, row] of Object.entries(rows)) {
    for (const accepted of row.huawei?.accept ?? []) {
      const taken = out.get(accepted);
      if (taken !== undefined) throw new Error(`Huawei code ${accepted} maps to both ${taken} and ${code}`);
      out.set(accepted, code as ErrorCode | Signal);
    }
  }
  return out;
})();

/** The natflow code (or retry signal) the provider maps a Huawei code back to, if the table has it. */
export function natflowCodeOfHuawei(huaweiCode: string): ErrorCode | Signal | undefined {
  return FROM_HUAWEI.get(huaweiCode);
}

/** Every Huawei code the table maps back, with its natflow code (tests and documentation). */
export function huaweiCodesAccepted(): ReadonlyMap<string, ErrorCode | Signal> {
  return FROM_HUAWEI;
}

/** True when the provider maps a Huawei answer of this HTTP status to `code` whatever its Huawei code. */
export function acceptsStatus(code: ErrorCode, status: number | undefined): boolean {
  return status !== undefined && (rowOf(code).huawei?.acceptStatus ?? []).includes(status);
}
