/**
 * The code table (`src/codes/codes.ts`): every code has its status and title; the rules-table rows are the
 * table's first rows, in order; every code natflow raises anywhere in `src/` or `functions/` is a row
 * (read from the source, as test/architecture reads imports); each `HttpProblemError` answers its code's
 * status; and the `huawei` column is the code table of docs/huaweicloud-api.md, both ways.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HttpProblemError } from '../../src/api/problem.ts';
import { NatflowError } from '../../src/cloud/errors.ts';
import {
  CODES,
  ERROR_CODES,
  type ErrorCode,
  isErrorCode,
  isSignal,
  RULE_ORDER,
  rowOf,
  SIGNALS,
  type Signal,
} from '../../src/codes/codes.ts';
import {
  HUAWEI_FALLBACK,
  huaweiAnswerOf,
  huaweiCodesAccepted,
  natflowCodeOfHuawei,
} from '../../src/codes/huawei.ts';
import { DNAT_VERDICTS } from '../../src/dnat/gateway.ts';
import { EXPLANATION_CODES } from '../../src/probe/analyze.ts';
import { HUAWEI_CODES as PROVIDER_CLASSES } from '../../src/providers/huaweicloud/errors.ts';
import { ROOT, sourceFiles } from '../architecture/import-graph.ts';

// ------------------------------------------------------------------- a misspelt code fails tsc

describe('Type: ErrorCode', () => {
  it('makes a misspelt code a type error (tsc --noEmit checks each @ts-expect-error below)', () => {
    // Never run: only type-checked.
    const misspelt = () => {
      // @ts-expect-error — no such code
      const code: ErrorCode = 'DNAT_PORT_CONFLCT';
      class Misspelt extends NatflowError {
        // @ts-expect-error — an error class names a code of the table
        override name: ErrorCode = 'DNAT_PORT_CONFLCT';
      }
      // @ts-expect-error — the HTTP layer's codes are the table's too
      new HttpProblemError(409, 'CONFLICT', 'taken');
      // @ts-expect-error — PORT_TYPE_CONFLICT's cases on NAT are `allPorts` only
      huaweiAnswerOf('PORT_TYPE_CONFLICT', 'nat', 'allport');
      return [code, Misspelt];
    };
    expect(typeof misspelt).toBe('function');
  });
});

// --------------------------------------------------------------------------------- the rows

/** the rules table's code column (docs/error-codes.md), row by row (test/cloud/dnat-checks.test.ts ties it to that page). */
const SECTION_3_2 = [
  'INVALID_CIDR',
  'CIDR_OUT_OF_RANGE',
  'SUBNET_OVERLAP',
  'IP_NOT_IN_SUBNET',
  'IP_RESERVED',
  'IP_IN_USE',
  'SUBNET_EXHAUSTED',
  'TRANSIT_IP_IN_TARGET_VPC',
  'TARGET_NOT_IN_GATEWAY_VPC',
  'LB_ALREADY_MAPPED',
  'DNAT_PORT_CONFLICT',
  'PORT_TYPE_CONFLICT',
  'INVALID_PORT_SPEC',
  'TRANSIT_IP_SHARED',
  'SNAT_SOURCE_CONFLICT',
  'GATEWAY_NOT_ACTIVE',
  'QUOTA_EXCEEDED',
  'DEPENDENCY_VIOLATION',
  'INVALID_ADDRESS',
  'DUPLICATE_NAME',
  'MALFORMED_PLAN',
  'PLAN_CHANGED',
  'VERIFICATION_FAILED',
  'NOT_FOUND',
  'VALIDATION_FAILED',
];

describe('Table: CODES', () => {
  it.each(ERROR_CODES.map((code) => ({ code, row: rowOf(code) })))(
    '$code has an HTTP status and a title',
    ({ row }) => {
      expect(row.status).toBeGreaterThanOrEqual(400);
      expect(row.status).toBeLessThanOrEqual(599);
      expect(row.title.length).toBeGreaterThan(5);
    },
  );

  it('names codes in upper snake case, and signals as Natflow.*', () => {
    for (const code of ERROR_CODES) expect(code).toMatch(/^[A-Z][A-Z0-9_]*[A-Z0-9]$/);
    for (const name of Object.keys(SIGNALS)) expect(name).toMatch(/^Natflow\.[A-Z][A-Za-z]+$/);
  });

  it('opens with the rules-table rows, in their order: RULE_ORDER', () => {
    expect([...RULE_ORDER]).toEqual(SECTION_3_2);
    expect(ERROR_CODES.slice(0, RULE_ORDER.length)).toEqual(SECTION_3_2);
  });

  it.each([
    { code: 'NOT_FOUND', status: 404 },
    { code: 'EXECUTION_ALREADY_EXISTS', status: 409 },
    { code: 'DNAT_PORT_CONFLICT', status: 409 },
    { code: 'PLAN_CHANGED', status: 409 },
    { code: 'DRIFT_REQUIRES_REPLACE', status: 409 },
    { code: 'EXECUTION_ROLLED_BACK', status: 409 },
    { code: 'EXECUTION_NOT_REDRIVABLE', status: 409 },
    { code: 'ROLLBACK_REFUSED', status: 409 },
    { code: 'PAYLOAD_TOO_LARGE', status: 413 },
    { code: 'UNSUPPORTED_MEDIA_TYPE', status: 415 },
    { code: 'MALFORMED_JSON', status: 400 },
    { code: 'UNAUTHORIZED', status: 401 },
    { code: 'METHOD_NOT_ALLOWED', status: 405 },
    { code: 'VALIDATION_FAILED', status: 422 },
    { code: 'AMBIGUOUS_NAME', status: 422 },
    { code: 'CLOUD_AUTH_FAILED', status: 502 },
    { code: 'OVERLOADED', status: 503 },
    { code: 'INTERNAL_ERROR', status: 500 },
  ])(
    'answers $code with $status (docs/http-api.md, docs/clouds.md, docs/real-cloud.md)',
    ({ code, status }) => {
      expect(isErrorCode(code) && CODES[code].status).toBe(status);
    },
  );

  it('answers OVERLOADED with Retry-After; FILE_NOT_FOUND and USAGE are the CLI’s own', () => {
    expect(CODES.OVERLOADED.retryAfter).toBe(true);
    expect(rowOf('FILE_NOT_FOUND').cli).toBe(true);
    expect(rowOf('USAGE').cli).toBe(true);
    expect(rowOf('NOT_FOUND').cli).toBeUndefined();
  });

  it('keeps the probe’s explanation codes a vocabulary of their own', () => {
    for (const code of EXPLANATION_CODES) expect(isErrorCode(code), code).toBe(false);
    for (const name of Object.keys(SIGNALS)) expect(isErrorCode(name)).toBe(false);
  });
});

// ----------------------------------------------------------- every code raised is in the table

/** Where natflow raises or compares codes: its source, but the console's browser assets (UI). */
const SOURCE = sourceFiles(['src', 'functions']).filter((file) => !file.startsWith('src/console/'));
const textOf = (file: string) => readFileSync(join(ROOT, file), 'utf8');

/** Upper-snake strings that are not natflow's: Node's system error codes and process-warning codes. */
const NOT_NATFLOWS = /^(E[A-Z]+|ERR_[A-Z_]+|NATFLOW_[A-Z_]+)$/;
const OTHER_VOCABULARIES: ReadonlySet<string> = new Set([...EXPLANATION_CODES, ...DNAT_VERDICTS]);

/** `[file:line, value]` of every match of `pattern`'s first group in the source. */
function occurrences(pattern: RegExp): [string, string][] {
  return SOURCE.flatMap((file) => {
    const text = textOf(file);
    return [...text.matchAll(pattern)].map(
      (m) => [`${file}:${text.slice(0, m.index).split('\n').length}`, m[1] as string] as [string, string],
    );
  });
}

describe('the source', () => {
  it('names every error after a code of the table or a signal (`override name = …`, `this.name = …`)', () => {
    const names = occurrences(/(?:override\s+name|this\.name)(?:\s*:\s*\w+)?\s*=\s*'([^']+)'/g);
    expect(names.length).toBeGreaterThan(40);
    const unknown = names.filter(
      ([, name]) =>
        (/^[A-Z][A-Z0-9_]*[A-Z0-9]$/.test(name) && !isErrorCode(name)) ||
        (name.startsWith('Natflow.') && !isSignal(name)),
    );
    expect(unknown).toEqual([]);
  });

  it('compares and builds only codes of the table (or of the probe’s and the engine’s vocabularies)', () => {
    const codes = occurrences(/(?:\bcode|\bname)\s*(?::|=|===|!==)\s*'([A-Z][A-Z0-9_]*[A-Z0-9])'/g);
    const more = occurrences(/issueCode\('([A-Z][A-Z0-9_]*[A-Z0-9])'\)/g);
    expect(codes.length + more.length).toBeGreaterThan(40);
    const unknown = [...codes, ...more].filter(
      ([, code]) => !isErrorCode(code) && !OTHER_VOCABULARIES.has(code) && !NOT_NATFLOWS.test(code),
    );
    expect(unknown).toEqual([]);
  });

  it('answers each HttpProblemError with its code’s status', () => {
    const thrown = SOURCE.flatMap((file) =>
      [...textOf(file).matchAll(/new HttpProblemError\(\s*(\d{3}),\s*'([A-Z_]+)'/g)].map((m) => ({
        file,
        status: Number(m[1]),
        code: m[2] as string,
      })),
    );
    expect(thrown.length).toBeGreaterThan(5);
    for (const { file, status, code } of thrown) {
      expect({ file, code, status: isErrorCode(code) ? CODES[code].status : undefined }).toEqual({
        file,
        code,
        status,
      });
    }
  });
});

// ------------------------------------------------------------------ the huawei column, both ways

/** the code table of docs/huaweicloud-api.md: natflow's code and its Huawei codes (none: the fallback NAT.1000). */
const HUAWEI_TABLE: readonly [ErrorCode, readonly string[]][] = [
  ['TRANSIT_IP_IN_TARGET_VPC', ['NAT.1303']],
  ['TARGET_NOT_IN_GATEWAY_VPC', ['NAT.1304']],
  ['DNAT_PORT_CONFLICT', ['NAT.1310']],
  ['PORT_TYPE_CONFLICT', ['NAT.1309', 'NAT.1410']],
  ['TRANSIT_IP_SHARED', ['NAT.1305', 'NAT.1308']],
  ['INVALID_PORT_SPEC', ['NAT.1306']],
  ['QUOTA_EXCEEDED', ['NAT.1207']],
  ['GATEWAY_NOT_ACTIVE', ['NAT.1208']],
  ['DEPENDENCY_VIOLATION', ['NAT.1202', 'NAT.1409']],
  ['IP_IN_USE', ['NAT.1403']],
  ['IP_NOT_IN_SUBNET', ['NAT.1405']],
  ['SUBNET_EXHAUSTED', ['NAT.1404']],
  ['SNAT_SOURCE_CONFLICT', ['NAT.1503', 'NAT.1505']],
  ['LB_ALREADY_MAPPED', []],
];

/**
 * The workflow's waits in Huawei's words (docs/huaweicloud-api.md#asynchrony): the Huawei codes the
 * provider reads as the signal. The throttling codes (`Natflow.Transient`) are the retry's, apart.
 */
const HUAWEI_SIGNALS: readonly [Signal, readonly string[]][] = [['Natflow.NotReady', ['VPC.0004']]];

/** Every code the local API's NAT service may answer for a natflow code: its code and its cases. */
function natAnswers(code: ErrorCode): string[] {
  const answer = rowOf(code).huawei?.answer?.nat;
  const codes = [answer?.code, ...Object.values(answer?.cases ?? {})].filter((c) => c !== undefined);
  return codes.length > 0 ? codes.sort() : [HUAWEI_FALLBACK.nat];
}

/** docs/huaweicloud-api.md, whose "Error codes" table users read. */
function huaweiDocument(): string {
  return readFileSync(join(ROOT, 'docs/huaweicloud-api.md'), 'utf8');
}

/** The "Error codes" rows of docs/huaweicloud-api.md: the codes of the first column, paired with the NAT codes of the second. */
function documentRows(document: string): [string, string[]][] {
  const start = document.indexOf('## Error codes');
  const section = document.slice(start, document.indexOf('\n## ', start + 1));
  const rows: [string, string[]][] = [];
  for (const line of section.split('\n')) {
    const [, first, second] = line.split('|');
    const codes = [...(first ?? '').matchAll(/`([A-Z_]+)`/g)].map((m) => m[1] as string);
    if (codes.length === 0 || codes[0] === 'natflow') continue;
    const huawei = [...(second ?? '').matchAll(/NAT\.\d{4}/g)]
      .map((m) => m[0])
      .filter((c) => c !== 'NAT.1000');
    if (codes.length > 1 && codes.length === huawei.length) {
      for (const [i, code] of codes.entries()) rows.push([code, [huawei[i] as string]]);
    } else for (const code of codes) rows.push([code, huawei]);
  }
  return rows;
}

describe('Column: huawei', () => {
  it.each(HUAWEI_TABLE.map(([code, huawei]) => ({ code, huawei })))(
    '$code: the local API answers $huawei and the provider maps them back',
    ({ code, huawei }) => {
      expect(natAnswers(code)).toEqual(huawei.length > 0 ? [...huawei].sort() : ['NAT.1000']);
      expect([...(rowOf(code).huawei?.accept ?? [])].sort()).toEqual([...huawei].sort());
      for (const accepted of huawei) expect(natflowCodeOfHuawei(accepted)).toBe(code);
    },
  );

  it('accepts no Huawei code that the code table does not list (but the throttling codes, which retry)', () => {
    const listed = new Map(
      [...HUAWEI_TABLE, ...HUAWEI_SIGNALS].flatMap(([code, huawei]) => huawei.map((h) => [h, code] as const)),
    );
    for (const [huaweiCode, code] of huaweiCodesAccepted()) {
      if (code === 'Natflow.Transient') continue;
      expect(listed.get(huaweiCode), huaweiCode).toBe(code);
    }
  });

  it.each(HUAWEI_SIGNALS.map(([signal, huawei]) => ({ signal, huawei })))(
    '$signal: the provider reads $huawei as the wait',
    ({ signal, huawei }) => {
      expect([...((SIGNALS[signal] as { huawei?: { accept?: string[] } }).huawei?.accept ?? [])]).toEqual(
        huawei,
      );
      for (const accepted of huawei) expect(natflowCodeOfHuawei(accepted)).toBe(signal);
    },
  );

  it('answers a parent not settled yet (Natflow.NotReady) with VPC.0004, Ecs.0005 and the ELB and NAT fallbacks', () => {
    expect(huaweiAnswerOf('Natflow.NotReady', 'vpc')).toEqual({ code: 'VPC.0004', status: 400 });
    expect(huaweiAnswerOf('Natflow.NotReady', 'ecs')).toEqual({ code: 'Ecs.0005', status: 400 });
    expect(huaweiAnswerOf('Natflow.NotReady', 'elb')).toEqual({ code: 'ELB.1000', status: 400 });
    expect(huaweiAnswerOf('Natflow.NotReady', 'nat')).toEqual({ code: 'NAT.1000', status: 400 });
  });

  it('gives the provider an error class for every Huawei code it maps to a code', () => {
    const toCodes = [...huaweiCodesAccepted()].filter(([, code]) => isErrorCode(code));
    expect(Object.keys(PROVIDER_CLASSES).sort()).toEqual(toCodes.map(([huawei]) => huawei).sort());
    for (const [huawei, code] of toCodes) {
      const cls = PROVIDER_CLASSES[huawei] as new (message: string) => NatflowError;
      expect(new cls('x').name).toBe(code);
    }
  });

  it.each([
    { code: 'DNAT_PORT_CONFLICT', service: 'nat', answer: { code: 'NAT.1310', status: 400 } },
    { code: 'LB_ALREADY_MAPPED', service: 'nat', answer: { code: 'NAT.1000', status: 400 } },
    { code: 'DNAT_PORT_CONFLICT', service: 'elb', answer: { code: 'ELB.1000', status: 400 } },
    { code: 'DEPENDENCY_VIOLATION', service: 'vpc', answer: { code: 'VPC.1000', status: 409 } },
    { code: 'DEPENDENCY_VIOLATION', service: 'nat', answer: { code: 'NAT.1000', status: 400 } },
    { code: 'NOT_FOUND', service: 'ecs', answer: { code: 'Ecs.0114', status: 404 } },
    { code: 'CLOUD_AUTH_FAILED', service: 'apigw', answer: { code: 'APIGW.0301', status: 401 } },
    { code: 'NO_SUCH_CODE', service: 'vpc', answer: { code: 'VPC.1000', status: 400 } },
  ] as const)('answers $code on $service with $answer', ({ code, service, answer }) => {
    expect(huaweiAnswerOf(code, service)).toEqual(answer);
  });

  it("answers the named cases of the code table's pairs", () => {
    expect(huaweiAnswerOf('PORT_TYPE_CONFLICT', 'nat', 'allPorts')).toEqual({
      code: 'NAT.1410',
      status: 400,
    });
    expect(huaweiAnswerOf('TRANSIT_IP_SHARED', 'nat', 'snat').code).toBe('NAT.1308');
    expect(huaweiAnswerOf('SNAT_SOURCE_CONFLICT', 'nat', 'cidr').code).toBe('NAT.1505');
    expect(huaweiAnswerOf('DEPENDENCY_VIOLATION', 'nat', 'gateway')).toEqual({
      code: 'NAT.1202',
      status: 400,
    });
    expect(huaweiAnswerOf('DEPENDENCY_VIOLATION', 'nat', 'transitIp').code).toBe('NAT.1409');
  });

  it("matches docs/huaweicloud-api.md's code table, row by row (and its NOT_FOUND row)", () => {
    const sorted = (rows: readonly (readonly [string, readonly string[]])[]) =>
      rows
        .map(([code, huawei]) => [code, [...huawei].sort()])
        .sort(([a], [b]) => String(a).localeCompare(String(b)));
    const documented = documentRows(huaweiDocument());
    expect(sorted(documented)).toEqual(sorted([...HUAWEI_TABLE, ['NOT_FOUND', ['NAT.1002']]]));
    expect(huaweiAnswerOf('NOT_FOUND', 'nat').code).toBe('NAT.1002');
  });
});
