/**
 * natflow's error codes, each declared once: the one table (`CODES`) that the control plane, the HTTP
 * API, the CLI, the `huaweicloud` provider and the local Huawei Cloud API read. An error's `name` is its
 * code (`DNAT_PORT_CONFLICT`): Lambda reports it as the errorType that ASL `Catch` matches, the API puts
 * it in the problem document, the CLI prints it (docs/workflows.md).
 *
 * A row says:
 * - `status`: what natflow's HTTP API answers for it (docs/http-api.md: 404 `NOT_FOUND`, 409 a conflict with
 *   existing state, 422 anything wrong with the input itself, 413/415/400 the transport's own, 502 a
 *   cloud that refused natflow's credentials, …). A code the table does not know is answered 422;
 * - `title`: one line for people (documentation, not the problem document's `title`, which stays the
 *   HTTP reason phrase);
 * - `rule`: a row of the rules table of docs/error-codes.md. Those rows come first, in that table's order, which is the
 *   order the rules are checked for one create (the first broken is reported): `RULE_ORDER`;
 * - `huawei`: the code in Huawei Cloud's words, both ways (docs/huaweicloud-api.md): what the local Huawei API
 *   answers for it, per service, and which Huawei codes (or HTTP statuses) the `huaweicloud` provider
 *   maps back to it. `./huawei.ts` reads this column;
 * - `cli`: only the CLI raises it (the API never answers it); `retryAfter`: answered with `Retry-After`.
 *
 * The workflow's own retry and wait signals (`Natflow.Transient`, `Natflow.NotReady`, …) are error names
 * too but no codes: ASL `Retry` matches them and no client of natflow's API ever sees one. They are
 * `SIGNALS`, below; two have Huawei words too (throttling is `Natflow.Transient`; a parent not settled
 * yet is `Natflow.NotReady`, which the local Huawei API answers and the provider reads back). The
 * probe's explanation codes (`NO_MATCHING_RULE`, …) and the DNAT engine's verdicts are a vocabulary of
 * answers, not errors: they stay with the probe (`src/probe/analyze.ts`) and the engine.
 *
 * This folder is a leaf: it imports nothing of natflow's, so every layer may import it.
 *
 * @example
 *   CODES.DNAT_PORT_CONFLICT.status; // 409
 *   const code: ErrorCode = 'DNAT_PORT_CONFLCT'; // a tsc error: no such code
 */

/** The services of the Huawei Cloud API natflow serves and drives; `apigw` is the gateway in front. */
export type HuaweiService = 'vpc' | 'ecs' | 'elb' | 'nat' | 'apigw';

/** How one service of the local Huawei API answers a natflow code. */
export interface HuaweiAnswer {
  /** Its code (default: the service's fallback, `NAT.1000`, with natflow's code in `error_msg`). */
  readonly code?: string;
  /** Its HTTP status (default: the row's `status`, else 400, as NAT's Error Codes page lists its refusals). */
  readonly status?: number;
  /** The code answered instead in a named case, which the route picks (`allPorts`: `NAT.1410`). */
  readonly cases?: Readonly<Record<string, string>>;
}

/** A code in Huawei Cloud's words, both ways (docs/huaweicloud-api.md: "Both sides use this one table"). */
export interface HuaweiRow {
  /** What the local Huawei API answers, per service; a service not listed answers its fallback code. */
  readonly answer?: Readonly<Partial<Record<HuaweiService, HuaweiAnswer>>>;
  /** The HTTP status every service answers with, unless its own answer says otherwise (default 400). */
  readonly status?: number;
  /** The Huawei codes the provider maps back to this code. */
  readonly accept?: readonly string[];
  /** The HTTP statuses the provider maps to this code whatever Huawei's code (401/403, 404). */
  readonly acceptStatus?: readonly number[];
}

/** The statuses natflow's API answers with. */
export type HttpStatus = 400 | 401 | 403 | 404 | 405 | 409 | 413 | 415 | 422 | 429 | 500 | 502 | 503;

export interface CodeRow {
  readonly status: HttpStatus;
  readonly title: string;
  readonly rule?: true;
  readonly huawei?: HuaweiRow;
  readonly cli?: true;
  readonly retryAfter?: true;
}

/** One NAT code, the same both ways. */
const nat = (code: string) => ({ answer: { nat: { code } }, accept: [code] }) as const;

export const CODES = {
  // ---------------------------------------------- docs/error-codes.md#rules-the-control-plane-enforces, in its table's order (`rule: true`)
  INVALID_CIDR: { status: 422, rule: true, title: 'not a CIDR block a.b.c.d/n, or host bits set' },
  CIDR_OUT_OF_RANGE: {
    status: 422,
    rule: true,
    title: 'a VPC outside the private ranges, a subnet outside its VPC, or a prefix out of bounds',
  },
  SUBNET_OVERLAP: { status: 409, rule: true, title: 'two subnets of a VPC overlap' },
  IP_NOT_IN_SUBNET: {
    status: 422,
    rule: true,
    title: 'an explicit address outside its subnet',
    huawei: nat('NAT.1405'),
  },
  IP_RESERVED: { status: 422, rule: true, title: "an explicit address is one of the subnet's reserved ones" },
  IP_IN_USE: { status: 409, rule: true, title: 'an explicit address is taken', huawei: nat('NAT.1403') },
  SUBNET_EXHAUSTED: {
    status: 409,
    rule: true,
    title: 'no free address left in the subnet',
    huawei: nat('NAT.1404'),
  },
  TRANSIT_IP_IN_TARGET_VPC: {
    status: 409,
    rule: true,
    title: 'the transit IP and the DNAT target are in the same VPC',
    huawei: nat('NAT.1303'),
  },
  TARGET_NOT_IN_GATEWAY_VPC: {
    status: 409,
    rule: true,
    title: "a DNAT target outside the gateway's VPC",
    huawei: nat('NAT.1304'),
  },
  // No documented Huawei code: the fallback NAT.1000, natflow's code in error_msg (docs/huaweicloud-api.md).
  LB_ALREADY_MAPPED: { status: 409, rule: true, title: 'a second DNAT rule for one load balancer' },
  DNAT_PORT_CONFLICT: {
    status: 409,
    rule: true,
    title: '(transit IP, protocol, transit port) is taken',
    huawei: nat('NAT.1310'),
  },
  PORT_TYPE_CONFLICT: {
    status: 409,
    rule: true,
    title: 'all-ports and specific-port rules on one transit IP',
    // NAT.1309 adding a specific-port rule beside an all-ports one, NAT.1410 the other way.
    huawei: {
      answer: { nat: { code: 'NAT.1309', cases: { allPorts: 'NAT.1410' } } },
      accept: ['NAT.1309', 'NAT.1410'],
    },
  },
  INVALID_PORT_SPEC: {
    status: 422,
    rule: true,
    title: 'a port outside 1–65535, or a port spec that does not fit its port type',
    huawei: nat('NAT.1306'),
  },
  TRANSIT_IP_SHARED: {
    status: 409,
    rule: true,
    title: 'SNAT and DNAT rules on one transit IP (the gateway policy forbids it)',
    // NAT.1305 on a DNAT create, NAT.1308 on an SNAT create.
    huawei: {
      answer: { nat: { code: 'NAT.1305', cases: { snat: 'NAT.1308' } } },
      accept: ['NAT.1305', 'NAT.1308'],
    },
  },
  SNAT_SOURCE_CONFLICT: {
    status: 409,
    rule: true,
    title: 'a second SNAT rule for a subnet or an equal CIDR',
    // NAT.1503 the same subnet, NAT.1505 the same CIDR.
    huawei: {
      answer: { nat: { code: 'NAT.1503', cases: { cidr: 'NAT.1505' } } },
      accept: ['NAT.1503', 'NAT.1505'],
    },
  },
  GATEWAY_NOT_ACTIVE: {
    status: 409,
    rule: true,
    title: 'a rule added to a gateway that is not ACTIVE',
    huawei: nat('NAT.1208'),
  },
  QUOTA_EXCEEDED: {
    status: 409,
    rule: true,
    title: "more rules than the gateway's spec allows",
    huawei: nat('NAT.1207'),
  },
  DEPENDENCY_VIOLATION: {
    status: 409,
    rule: true,
    title: 'a resource still referenced cannot be deleted',
    // NAT answers 400 NAT.1202 (a gateway with rules) or NAT.1409 (a transit IP in use), the route
    // picks which; VPC, ECS and ELB answer 409 with their fallback code.
    huawei: {
      status: 409,
      answer: { nat: { status: 400, cases: { gateway: 'NAT.1202', transitIp: 'NAT.1409' } } },
      accept: ['NAT.1202', 'NAT.1409'],
    },
  },
  INVALID_ADDRESS: { status: 422, rule: true, title: 'not a dotted-quad IPv4 address' },
  DUPLICATE_NAME: { status: 422, rule: true, title: 'two entries of one kind with the same name in a plan' },
  MALFORMED_PLAN: { status: 422, rule: true, title: 'the plan file is not YAML or JSON' },
  PLAN_CHANGED: {
    status: 409,
    rule: true,
    title: 'a re-run finds an entry whose fields differ from the resource it created',
  },
  VERIFICATION_FAILED: { status: 422, rule: true, title: 'a verify entry of the plan did not hold' },
  NOT_FOUND: {
    status: 404,
    rule: true,
    title: 'a reference to nothing',
    // The provider maps Huawei's 404 back by its status, after the codes above (a 404 with NAT.1310 is
    // still a DNAT_PORT_CONFLICT); VPC.0003 is the VPC Error Codes page's, the others natflow's choice.
    huawei: {
      status: 404,
      answer: {
        vpc: { code: 'VPC.0003' },
        ecs: { code: 'Ecs.0114' },
        elb: { code: 'ELB.8902' },
        nat: { code: 'NAT.1002' },
      },
      acceptStatus: [404],
    },
  },
  VALIDATION_FAILED: { status: 422, rule: true, title: 'any other shape error of a plan or a body' },

  // ---------------------------------------------------------------------------- names and plans
  AMBIGUOUS_NAME: { status: 422, title: 'a name matches several resources; the details list their ids' },
  DRIFT_REQUIRES_REPLACE: {
    status: 409,
    title: 'the cloud drifted in a way only replacing a resource would repair (docs/real-cloud.md)',
  },

  // -------------------------------------------------- a real cloud's own refusals (docs/clouds.md, docs/real-cloud.md)
  CLOUD_AUTH_FAILED: {
    status: 502,
    title: "the cloud refused natflow's credentials",
    // The local Huawei API refuses a request's signature, date or project with 401 APIGW.0301.
    huawei: { answer: { apigw: { code: 'APIGW.0301', status: 401 } }, acceptStatus: [401, 403] },
  },
  CLOUD_REJECTED: { status: 422, title: 'the cloud refused a request for a reason with no rule code' },
  CLOUD_RESOURCE_FAILED: {
    status: 422,
    title: 'an asynchronous resource ended in failure (an ECS job FAIL, a load balancer ERROR)',
  },
  CLOUD_TIMEOUT: { status: 422, title: 'a resource did not become ready, or go away, within its bound' },
  CLOUD_UNAVAILABLE: {
    status: 503,
    title:
      'the cloud could not be reached, or kept throttling or failing, through every retry of a step (Natflow.Transient given up on)',
  },
  STORE_AUTH_FAILED: { status: 422, title: "the store (DynamoDB) refused natflow's credentials" },

  // ------------------------------------------------------------------- the probe and the data plane
  PROBE_DISAGREEMENT: { status: 422, title: "a probe's analysis and its live packets disagree" },
  LIVE_PROBE_UNAVAILABLE: {
    status: 422,
    title:
      'a live probe (mode live or both) of what a real cloud holds: natflow sends no packet into a real VPC',
  },
  FORBIDDEN_ADDRESS: { status: 422, title: 'the data plane refused to bind or connect a virtual address' },
  INVALID_PACKET: { status: 422, title: 'a packet that does not parse' },

  // ---------------------------------------------------------- executions (Step Functions' rules)
  EXECUTION_ALREADY_EXISTS: {
    status: 409,
    title: 'an execution of that name exists with another input, or has closed',
  },
  EXECUTION_NOT_REDRIVABLE: { status: 409, title: 'Step Functions will not redrive the execution' },
  EXECUTION_ROLLED_BACK: {
    status: 409,
    title: 'the execution rolled back: nothing is left to redrive or roll back',
  },
  ROLLBACK_REFUSED: { status: 409, title: 'the execution cannot be rolled back on request' },
  ROLLBACK_INCOMPLETE: {
    status: 409,
    title: 'a rollback that could not remove everything: its cause lists what it left behind',
  },
  EXECUTION_LIMIT_EXCEEDED: { status: 429, title: 'too many executions are running' },
  THROTTLED: { status: 429, title: 'Step Functions is throttling the requests' },

  // ------------------------------------------------------------------------------ the transport
  MALFORMED_JSON: { status: 400, title: 'the body is not JSON' },
  UNAUTHORIZED: { status: 401, title: "a request without this stack's NATFLOW_TOKEN" },
  METHOD_NOT_ALLOWED: {
    status: 405,
    title: 'the route does not take this method (Allow lists those it does)',
  },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'the body is over 256 KB (2 MB for POST /dnat/evaluate)' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'the body is not application/json' },
  OVERLOADED: { status: 503, retryAfter: true, title: 'the stack is at its cap of streams or requests' },
  INTERNAL_ERROR: { status: 500, title: "natflow's own fault; the details are in the logs only" },

  // ------------------------------------------------------- the CLI's own (the API never answers them)
  USAGE: { status: 422, cli: true, title: 'wrong flags or arguments (exit 2)' },
  FILE_NOT_FOUND: { status: 404, cli: true, title: 'a plan file that does not exist (exit 2)' },
  ACCESS_DENIED: { status: 403, cli: true, title: "API Gateway refused the caller's signature (exit 2)" },
  INTERNAL: { status: 500, cli: true, title: 'an unexpected error of the CLI itself (exit 1)' },
} as const satisfies Readonly<Record<string, CodeRow>>;

/** Every error code natflow raises; a misspelt one is a type error. */
export type ErrorCode = keyof typeof CODES;

/** The codes of the rules table of docs/error-codes.md. */
export type RuleCode = {
  [C in ErrorCode]: (typeof CODES)[C] extends { readonly rule: true } ? C : never;
}[ErrorCode];

/** Every code, in the table's order. */
export const ERROR_CODES = Object.keys(CODES) as readonly ErrorCode[];

/** The codes of the rules table in the table's order (the order rules are checked for one create). */
export const RULE_ORDER = ERROR_CODES.filter((code) => rowOf(code).rule === true) as readonly RuleCode[];

export function isErrorCode(name: unknown): name is ErrorCode {
  return typeof name === 'string' && Object.hasOwn(CODES, name);
}

/** A row, typed as the general `CodeRow` (`CODES[code]` is its literal type). */
export function rowOf(code: ErrorCode): CodeRow {
  return CODES[code];
}

/**
 * The workflow's retry and wait signals: error names ASL `Retry` matches, never an answer. A Huawei
 * throttling code (on any status) is `Natflow.Transient`, retried like a 429 or a 5xx.
 */
export const SIGNALS = {
  'Natflow.Transient': {
    title: 'a passing fault (throttling, a timeout, a 5xx): retried with backoff and jitter',
    huawei: { accept: ['APIGW.0308', 'ELB.8905', 'Ecs.0601', 'VPC.0012', 'NAT.0012'] },
  },
  'Natflow.NotReady': {
    title: 'a resource the step needs is still being provisioned: the workflow waits and runs it again',
    // In Huawei's words, a create under a parent that has not settled yet: the VPC API's VPC.0004 "VPC is
    // not active, please try later." (VPC Error Codes page), which the provider reads as this wait. ECS,
    // ELB and NAT document no such code: the local API answers the closest (Ecs.0005 "Invalid parameters",
    // the ELB and NAT fallbacks) with this signal named in `error_msg` (docs/huaweicloud-api.md).
    huawei: { answer: { vpc: { code: 'VPC.0004' }, ecs: { code: 'Ecs.0005' } }, accept: ['VPC.0004'] },
  },
  'Natflow.ExecutionDraining': { title: 'the execution is rolling back: no further step of it runs' },
  'Natflow.InjectedFault': { title: 'a fault a test injected into a step' },
} as const satisfies Readonly<Record<string, { title: string; huawei?: HuaweiRow }>>;

export type Signal = keyof typeof SIGNALS;

export function isSignal(name: unknown): name is Signal {
  return typeof name === 'string' && Object.hasOwn(SIGNALS, name);
}
