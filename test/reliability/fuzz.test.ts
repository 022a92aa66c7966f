/**
 * Fuzzing with fast-check against one stack that has the reference plan provisioned:
 * - plans (arbitrary JSON, plan-shaped objects, and valid plans with 1–4 random mutations) through
 *   validatePlan: it never throws; a rejection is `{valid:false, errors:[{path, code, message}]}` with
 *   codes of docs/error-codes.md#rules-the-control-plane-enforces and a path wherever the document is an object; the store is unchanged;
 * - packets through POST /dnat/evaluate: never a 5xx; a well-formed packet is evaluated, a malformed one
 *   is INVALID_PACKET in its place; a malformed envelope is a 4xx problem;
 * - requests of every kind (routes, methods, content types, JSON and not, oversized) against the HTTP
 *   server: never a 5xx; every 4xx a problem document with a path on each error, no stack trace or
 *   internal path; a rejected request starts no execution and changes nothing.
 *
 * Case counts are the fast suite's; NATFLOW_FUZZ_SCALE multiplies them (`npm run soak` runs ×16, over
 * 10,000 cases). A failure prints fast-check's seed and shrunk counterexample.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RULE_ORDER } from '../../src/cloud/errors.ts';
import { DNAT_VERDICTS } from '../../src/dnat/gateway.ts';
import { parsePlanText } from '../../src/plan/plan.ts';
import { validatePlan } from '../../src/plan/validate.ts';
import { type Stack, startStack } from '../../src/stack/stack.ts';
import { steps } from '../../src/workflow/steps/index.ts';
import { api, closed, generatedPlan, ROOT, snapshot } from './support.ts';

const SCALE = Math.max(1, Number(process.env.NATFLOW_FUZZ_SCALE ?? 1));
const RUNS = {
  arbitraryPlans: 150 * SCALE,
  mutatedPlans: 250 * SCALE,
  packets: 100 * SCALE,
  envelopes: 50 * SCALE,
  requests: 150 * SCALE,
};
const TIMEOUT = 60_000 * SCALE;
const KNOWN_CODES: ReadonlySet<string> = new Set(RULE_ORDER);
const LEAKS = ['    at ', 'node_modules', `${ROOT}/`, 'file://'];

const EXAMPLES = readdirSync(join(ROOT, 'examples'))
  .filter((file) => file.endsWith('.plan.yaml'))
  .map(
    (file) => parsePlanText(readFileSync(join(ROOT, 'examples', file), 'utf8')) as Record<string, unknown>,
  );
const REFERENCE = EXAMPLES.find((plan) => plan.name === 'app-a-to-elb01') as Record<string, unknown>;
const SEEDS = [...EXAMPLES, generatedPlan(7, 'seed')];

let stack: Stack;
let dataDir: string;
let url: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'natflow-fuzz-'));
  stack = await startStack({ dataDir, port: 0, dataPlane: false });
  url = stack.url as string;
  const started = await api(url, '/executions', {
    body: { workflow: 'provision', input: REFERENCE, name: 'ref' },
  });
  expect(started.status).toBe(201);
  expect((await closed(url, 'ref')).status).toBe('SUCCEEDED');
}, 60_000);

afterAll(async () => {
  await stack?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------- plans

/** Values that probe the edges of the plan's fields. */
const edgy = fc.constantFrom<unknown>(
  -1,
  0,
  1,
  65535,
  65536,
  1.5,
  '',
  ' ',
  'auto',
  '80',
  '8000-8080',
  '8080-80',
  '999.1.1.1',
  '10.0.0.0/33',
  '10.0.0.1/24',
  '192.168.0.144',
  '10.0.0.0/8',
  '0.0.0.0/0',
  'tcp',
  'any',
  'all',
  'HTTP',
  'Small',
  null,
  true,
  [],
  {},
  'x'.repeat(70),
  'VPC-A',
  'subnet-A01',
  'ELB01',
  'vpc-00000000',
  'transit-ip-A',
);

type Path = (string | number)[];

function pathsOf(value: unknown, prefix: Path = []): Path[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => [[...prefix, i], ...pathsOf(v, [...prefix, i])]);
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => [[...prefix, k], ...pathsOf(v, [...prefix, k])]);
  return [];
}

interface Mutation {
  at: number;
  op: 'delete' | 'replace' | 'edge' | 'duplicate' | 'unknownKey';
  value: unknown;
}

function mutate(seed: Record<string, unknown>, mutations: readonly Mutation[]): unknown {
  const plan = structuredClone(seed);
  for (const m of mutations) {
    const paths = pathsOf(plan);
    if (paths.length === 0) break;
    const path = paths[m.at % paths.length] as Path;
    const parent = path
      .slice(0, -1)
      .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], plan) as
      | Record<string | number, unknown>
      | unknown[];
    const key = path.at(-1) as string | number;
    if (m.op === 'delete') {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
    } else if (m.op === 'duplicate' && Array.isArray(parent)) {
      parent.splice(key as number, 0, structuredClone(parent[key as number]));
    } else if (m.op === 'unknownKey') {
      const target = (parent as Record<string | number, unknown>)[key];
      if (target && typeof target === 'object' && !Array.isArray(target))
        (target as Record<string, unknown>)[String(m.value).slice(0, 12) || 'extra'] = m.value;
      else (parent as Record<string | number, unknown>)[key] = m.value;
    } else {
      (parent as Record<string | number, unknown>)[key] = m.value;
    }
  }
  return plan;
}

const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  op: fc.constantFrom('delete', 'replace', 'edge', 'duplicate', 'unknownKey'),
  value: fc.oneof(edgy, fc.jsonValue({ maxDepth: 2 })),
});

const mutatedPlanArb = fc
  .tuple(fc.constantFrom(...SEEDS), fc.array(mutationArb, { minLength: 1, maxLength: 4 }))
  .map(([seed, mutations]) => mutate(seed, mutations));

const PLAN_KEYS = [
  'name',
  'vpcs',
  'servers',
  'backendGroups',
  'loadBalancers',
  'transitIps',
  'privateNatGateways',
  'verify',
];
const arbitraryPlanArb = fc.oneof(
  fc.jsonValue(),
  fc.dictionary(
    fc.oneof(fc.constantFrom(...PLAN_KEYS), fc.string()),
    fc.oneof(edgy, fc.jsonValue({ maxDepth: 3 })),
  ),
  fc.anything({ maxDepth: 2 }),
);

async function checkRejection(input: unknown): Promise<void> {
  const before = await snapshot(stack.store);
  const result = await validatePlan(stack.store, input, { steps });
  expect(await snapshot(stack.store)).toBe(before);
  if (result.valid) {
    expect(result.errors).toEqual([]);
    return;
  }
  expect(result.errors.length).toBeGreaterThan(0);
  const isObject = input !== null && typeof input === 'object' && !Array.isArray(input);
  for (const issue of result.errors) {
    expect(Object.keys(issue).sort()).toEqual(['code', 'message', 'path']);
    expect(KNOWN_CODES.has(issue.code), `unknown code ${issue.code}`).toBe(true);
    expect(typeof issue.path).toBe('string');
    expect(issue.message.length).toBeGreaterThan(0);
    // An unknown key that is itself the empty string is the one field a dotted path cannot name.
    if (isObject && issue.message !== "unknown field ''")
      expect(issue.path, JSON.stringify(issue)).not.toBe('');
  }
}

describe('fuzzing plans through validatePlan', () => {
  it(
    `never throws on arbitrary JSON (${RUNS.arbitraryPlans} cases); every rejection is coded, with paths, and changes nothing`,
    async () => {
      await fc.assert(fc.asyncProperty(arbitraryPlanArb, checkRejection), { numRuns: RUNS.arbitraryPlans });
    },
    TIMEOUT,
  );

  it(
    `never throws on mutated valid plans (${RUNS.mutatedPlans} cases); every rejection is coded, with paths, and changes nothing`,
    async () => {
      await fc.assert(fc.asyncProperty(mutatedPlanArb, checkRejection), { numRuns: RUNS.mutatedPlans });
    },
    TIMEOUT,
  );
});

// -------------------------------------------------------------------------------------------- packets

const octet = fc.integer({ min: 0, max: 255 });
const ipArb = fc.tuple(octet, octet, octet, octet).map((o) => o.join('.'));
const portArb = fc.integer({ min: 1, max: 65535 });
const endpointArb = fc.tuple(
  fc.oneof(ipArb, fc.constant('192.168.0.144')),
  fc.oneof(portArb, fc.constant(80)),
);

const validPacketArb = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('tcp', 'udp', 'TCP'),
      endpointArb,
      endpointArb,
      fc.subarray(['syn', 'ack', 'fin', 'rst']),
    )
    .map(
      ([p, [si, sp], [di, dp], flags]) =>
        `${p} ${si}:${sp} > ${di}:${dp}${flags.length > 0 && p !== 'udp' ? ` [${flags.join(',')}]` : ''}`,
    ),
  fc
    .tuple(fc.constantFrom('tcp', 'udp'), endpointArb, endpointArb, fc.constantFrom('inbound', 'reply'))
    .map(([protocol, [si, sp], [di, dp], direction]) => ({
      protocol,
      src: `${si}:${sp}`,
      dst: `${di}:${dp}`,
      direction,
    })),
);

/** Packets that are certainly malformed. */
const malformedPacketArb = fc.oneof(
  fc
    .tuple(endpointArb, fc.integer({ min: 65536, max: 10_000_000 }))
    .map(([[i, p], bad]) => `tcp ${i}:${p} > 192.168.0.144:${bad}`),
  fc
    .tuple(fc.integer({ min: 256, max: 999 }), portArb)
    .map(([o, p]) => `tcp 192.168.${o}.1:${p} > 192.168.0.144:80`),
  fc.constantFrom('icmp', 'sctp', 'http', '').map((p) => `${p} 192.168.0.10:1 > 192.168.0.144:80`),
  fc.constant('tcp 192.168.0.10:1 > 192.168.0.144:80 [bogus]'),
  fc.constant('tcp 192.168.0.10:0 > 192.168.0.144:80'),
  fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.jsonValue(), { maxLength: 3 })),
  fc.record({
    protocol: fc.constantFrom('tcp', 'udp'),
    src: fc.string(),
    dst: fc.constant('192.168.0.144:80'),
  }),
  fc.record({ protocol: fc.string(), src: fc.constant('1.2.3.4:5'), dst: fc.constant('192.168.0.144:80') }),
  fc.record({
    protocol: fc.constant('tcp'),
    src: fc.constant('1.2.3.4:5'),
    dst: fc.constant('192.168.0.144:80'),
    extra: fc.jsonValue(),
  }),
  fc.string({ maxLength: 40 }).filter((s) => !/^\s*(tcp|udp)\s/i.test(s)),
);

const packetCaseArb = fc.array(
  fc.oneof(
    validPacketArb.map((packet) => ({ packet, malformed: false as boolean | undefined })),
    malformedPacketArb.map((packet) => ({ packet, malformed: true as boolean | undefined })),
    fc.jsonValue({ maxDepth: 2 }).map((packet) => ({ packet, malformed: undefined as boolean | undefined })),
  ),
  { minLength: 1, maxLength: 25 },
);

/**
 * No 5xx, but for the stack's one refusal under load: 503 OVERLOADED (its cap on requests in flight,
 * docs/http-api.md#caps), a clean problem document like any 4xx.
 */
function expectNoServerError(
  answer: { status: number; type: string | null; text: string; json: unknown },
  what: string,
): void {
  if (answer.status === 503 && (answer.json as { code?: unknown } | undefined)?.code === 'OVERLOADED') return;
  expect(answer.status, what).toBeLessThan(500);
}

function expectProblem(answer: { status: number; type: string | null; text: string; json: unknown }): void {
  expect(answer.type).toBe('application/problem+json');
  const doc = answer.json as {
    type: string;
    title: string;
    status: number;
    detail: string;
    code: string;
    errors: unknown[];
  };
  expect(doc).toMatchObject({
    status: answer.status,
    type: expect.any(String),
    title: expect.any(String),
    detail: expect.any(String),
  });
  expect(doc.errors.length).toBeGreaterThan(0);
  for (const error of doc.errors as { path: unknown; code: unknown; message: unknown }[]) {
    expect(typeof error.path).toBe('string');
    expect(typeof error.code).toBe('string');
    expect(typeof error.message).toBe('string');
  }
  expect(doc.code).toBe((doc.errors[0] as { code: string }).code);
  for (const leak of LEAKS) expect(answer.text).not.toContain(leak);
}

describe('fuzzing packets through POST /dnat/evaluate', () => {
  it(
    `answers every batch (${RUNS.packets} batches): each malformed packet INVALID_PACKET, the others evaluated`,
    async () => {
      await fc.assert(
        fc.asyncProperty(packetCaseArb, async (cases) => {
          const answer = await api(url, '/dnat/evaluate', {
            body: {
              gateway: 'private_nat_gateway',
              plan: 'app-a-to-elb01',
              packets: cases.map((c) => c.packet),
            },
          });
          expect(answer.status, answer.text).toBe(200);
          const results = answer.json.results as { verdict: string; reason?: string }[];
          expect(results).toHaveLength(cases.length);
          cases.forEach((c, i) => {
            const verdict = results[i]?.verdict as string;
            expect(DNAT_VERDICTS).toContain(verdict);
            if (c.malformed === true) expect(verdict, JSON.stringify(c.packet)).toBe('INVALID_PACKET');
            if (c.malformed === false) expect(verdict, JSON.stringify(c.packet)).not.toBe('INVALID_PACKET');
            if (verdict === 'INVALID_PACKET') expect(results[i]?.reason).toBeTruthy();
          });
        }),
        { numRuns: RUNS.packets },
      );
    },
    TIMEOUT,
  );

  it(
    `answers a malformed envelope with a 4xx problem (${RUNS.envelopes} cases)`,
    async () => {
      const envelopeArb = fc.oneof(
        fc.jsonValue(),
        fc.record(
          {
            gateway: fc.oneof(fc.string(), fc.jsonValue({ maxDepth: 1 })),
            plan: fc.oneof(fc.string(), fc.jsonValue({ maxDepth: 1 })),
            packets: fc.oneof(fc.constant([]), fc.jsonValue({ maxDepth: 2 })),
            extra: fc.jsonValue({ maxDepth: 1 }),
          },
          { requiredKeys: [] },
        ),
      );
      await fc.assert(
        fc.asyncProperty(envelopeArb, async (body) => {
          const answer = await api(url, '/dnat/evaluate', { body });
          expectNoServerError(answer, answer.text);
          if (answer.status >= 400) expectProblem(answer);
        }),
        { numRuns: RUNS.envelopes },
      );
    },
    TIMEOUT,
  );
});

// ------------------------------------------------------------------------------------------- requests

const OVERSIZED = JSON.stringify({
  workflow: 'provision',
  input: { name: 'big', description: 'x'.repeat(300 * 1024) },
});

const routeArb = fc.oneof(
  fc.constantFrom(
    '/plans/validate',
    '/executions',
    '/executions/ref',
    '/executions/ref/history',
    '/executions/ref/stop',
    '/dnat/evaluate',
    '/probes',
    '/resources',
    '/health',
    '/openapi.json',
    '/events',
    '/dataplane',
    '/',
  ),
  fc
    .tuple(
      fc.constantFrom('/executions/', '/resources/', '/executions/x/', '/'),
      fc.string({ maxLength: 30 }),
    )
    .map(([prefix, tail]) => `${prefix}${encodeURIComponent(tail)}`),
  fc
    .array(fc.constantFrom('executions', 'resources', '..', '%2e%2e', 'history', 'stop', '%00', 'x'), {
      maxLength: 4,
    })
    .map((s) => `/${s.join('/')}`),
);

const queryArb = fc.oneof(
  fc.constant(''),
  fc
    .dictionary(
      fc.constantFrom('limit', 'workflow', 'status', 'nextToken', 'type', 'plan', 'x'),
      fc.oneof(
        fc.string({ maxLength: 12 }),
        fc.constantFrom('0', '-1', '1001', '5', 'provision', 'RUNNING', 'vpc'),
      ),
    )
    .map((q) => `?${new URLSearchParams(q).toString()}`),
);

const bodyArb = fc.oneof(
  fc.constant(undefined),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 60 }),
  fc
    .record(
      {
        workflow: fc.oneof(
          fc.constantFrom('provision', 'verify', 'teardown', 'nope'),
          fc.jsonValue({ maxDepth: 1 }),
        ),
        input: fc.oneof(mutatedPlanArb, fc.jsonValue({ maxDepth: 2 })),
        name: fc.oneof(fc.string({ maxLength: 90 }), fc.jsonValue({ maxDepth: 1 })),
      },
      { requiredKeys: [] },
    )
    .map((v) => JSON.stringify(v)),
  fc
    .record(
      {
        from: fc.oneof(fc.constantFrom('ECS-A', 'ECS-B', 'nope'), fc.jsonValue({ maxDepth: 1 })),
        to: fc.oneof(fc.constantFrom('transit-ip-A', '192.168.0.144', '10.0.0.5', '999.1.1.1'), fc.string()),
        protocol: fc.constantFrom('http', 'tcp', 'udp', 'icmp'),
        port: fc.oneof(portArb, fc.integer(), fc.string()),
        mode: fc.constantFrom('analyze', 'live', 'both', 'x'),
        plan: fc.constantFrom('app-a-to-elb01', 'nope'),
      },
      { requiredKeys: [] },
    )
    .map((v) => JSON.stringify(v)),
  mutatedPlanArb.map((v) => JSON.stringify(v)),
  fc.constant(OVERSIZED),
);

const anyRequestArb = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'),
  path: routeArb,
  query: queryArb,
  contentType: fc.oneof(
    fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'application/problem+json',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/xml',
      '',
    ),
    fc.string({ maxLength: 20 }).filter((s) => /^[\x20-\x7e]*$/.test(s)),
  ),
  body: bodyArb,
});

/** Statuses answered to the fuzzed requests, printed with the figures. */
const STATUSES: Record<number, number> = {};

/** Real routes with their own methods and JSON, so most cases reach a handler. */
const plausibleRequestArb = fc
  .record({
    route: fc.constantFrom(
      ['POST', '/plans/validate'],
      ['POST', '/executions'],
      ['POST', '/executions'],
      ['GET', '/executions'],
      ['GET', '/executions/ref'],
      ['GET', '/executions/ref/history'],
      ['POST', '/executions/nope/stop'],
      ['POST', '/dnat/evaluate'],
      ['POST', '/probes'],
      ['POST', '/probes'],
      ['GET', '/resources'],
      ['GET', '/resources/vpc-nope'],
      ['POST', '/events'],
      ['GET', '/events'],
    ),
    query: queryArb,
    contentType: fc.constantFrom('application/json', 'application/json; charset=utf-8'),
    body: bodyArb,
  })
  .map(({ route: [method, path], ...rest }) => ({ method: method as string, path: path as string, ...rest }));

const requestArb = fc.oneof(
  { arbitrary: anyRequestArb, weight: 1 },
  { arbitrary: plausibleRequestArb, weight: 3 },
);

async function executionCount(): Promise<number> {
  let total = 0;
  for (const workflow of ['provision', 'verify', 'teardown']) {
    const listed = await stack.sfn.listExecutions({
      stateMachineArn: stack.stateMachineArn(workflow),
      maxResults: 1000,
    });
    total += listed.executions?.length ?? 0;
  }
  return total;
}

describe('fuzzing requests against the HTTP server', () => {
  it(
    `never answers 5xx (${RUNS.requests} cases); every 4xx is a clean problem; a rejected request starts and changes nothing`,
    async () => {
      await fc.assert(
        fc.asyncProperty(requestArb, async (request) => {
          const executions = await executionCount();
          const before = await snapshot(stack.store);
          const sendsBody =
            request.body !== undefined && request.method !== 'GET' && request.method !== 'HEAD';
          const answer = await api(url, `${request.path}${request.query}`, {
            method: request.method,
            ...(sendsBody ? { raw: request.body as string } : {}),
            contentType: sendsBody ? request.contentType : null,
          });
          expectNoServerError(answer, `${request.method} ${request.path}: ${answer.text}`);
          STATUSES[answer.status] = (STATUSES[answer.status] ?? 0) + 1;
          for (const leak of LEAKS) expect(answer.text).not.toContain(leak);
          if (answer.status >= 400) {
            if (request.method !== 'HEAD') expectProblem(answer);
            await stack.idle();
            expect(await executionCount()).toBe(executions);
            expect(await snapshot(stack.store)).toBe(before);
          }
        }),
        { numRuns: RUNS.requests },
      );
      // Whatever the accepted requests started has run to its end.
      for (let i = 0; i < 500 && stack.tasks.inFlight() > 0; i++)
        await new Promise((done) => setTimeout(done, 10));
      await stack.idle();
      console.info(
        `fuzz: ${Object.values(RUNS).reduce((a, b) => a + b, 0)} cases (scale ${SCALE}): ${JSON.stringify(RUNS)}; request statuses ${JSON.stringify(STATUSES)}`,
      );
    },
    TIMEOUT,
  );
});
