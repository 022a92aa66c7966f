/**
 * The API handlers, called with API Gateway proxy events as Lambda calls them. Step Functions is mocked
 * at its one seam (the SDK client) with aws-sdk-client-mock; the store is an in-memory one.
 */
import { readFileSync } from 'node:fs';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  type ExecutionListItem,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createHandler as create_describeExecution } from '../../functions/api/describe-execution.ts';
import { createHandler as create_evaluateDnat } from '../../functions/api/evaluate-dnat.ts';
import { createHandler as create_history } from '../../functions/api/get-execution-history.ts';
import { createHandler as create_getResource } from '../../functions/api/get-resource.ts';
import { createHandler as create_health } from '../../functions/api/health.ts';
import { type ApiDeps, apiDepsOf } from '../../functions/api/lib/deps.ts';
import {
  createHandler as create_listExecutions,
  SEARCH_WINDOW,
} from '../../functions/api/list-executions.ts';
import { createHandler as create_listResources } from '../../functions/api/list-resources.ts';
import { createHandler as create_openApi } from '../../functions/api/openapi.ts';
import { createHandler as create_startExecution } from '../../functions/api/start-execution.ts';
import { createHandler as create_stopExecution } from '../../functions/api/stop-execution.ts';
import { createHandler as create_validate } from '../../functions/api/validate-plan.ts';
import { buildOpenApi } from '../../src/api/openapi.ts';
import { MemoryStore } from '../../src/cloud/memory-store.ts';
import type { Resource } from '../../src/cloud/resources.ts';
import { ManualClock } from '../../src/net/clock.ts';
import { executionNameFor } from '../../src/workflow/workflows.ts';
import { call, type Handler } from './events.ts';

/** Each handler built with this test's deps (set in beforeEach), as the local runtime builds them. */
let deps: ApiDeps;
type Factory = (deps: ApiDeps) => Handler;
const built =
  (create: Factory): Handler =>
  (event, context) =>
    create(deps)(event, context);
const describeExecution = built(create_describeExecution);
const evaluateDnat = built(create_evaluateDnat);
const history = built(create_history);
const getResource = built(create_getResource);
const health = built(create_health);
const listExecutions = built(create_listExecutions);
const listResources = built(create_listResources);
const openApi = built(create_openApi);
const startExecution = built(create_startExecution);
const stopExecution = built(create_stopExecution);
const validate = built(create_validate);

const ARNS = {
  provision: 'arn:aws:states:us-east-1:123456789012:stateMachine:natflow-provision-test',
  verify: 'arn:aws:states:us-east-1:123456789012:stateMachine:natflow-verify-test',
  teardown: 'arn:aws:states:us-east-1:123456789012:stateMachine:natflow-teardown-test',
};
const executionArn = (workflow: keyof typeof ARNS, name: string) =>
  `${ARNS[workflow].replace(':stateMachine:', ':execution:')}:${name}`;

const PLAN = parse(
  readFileSync(new URL('../../examples/reference.plan.yaml', import.meta.url), 'utf8'),
) as Record<string, unknown>;
const START = new Date('2026-01-02T03:04:05.678Z');

/**
 * The reference plan naming two VPCs that exist nowhere. (Shape errors reported together with unresolved
 * references are src/plan/validate.ts's business; here the plan's shape is valid.)
 */
function unknownReferences(plan: Record<string, unknown>): Record<string, unknown> {
  const loadBalancers = (plan.loadBalancers as Record<string, unknown>[]).map((lb) => ({
    ...lb,
    vpc: 'VPC-NOPE',
  }));
  const privateNatGateways = (plan.privateNatGateways as Record<string, unknown>[]).map((g) => ({
    ...g,
    vpc: 'VPC-ZZZ',
  }));
  return { ...plan, loadBalancers, privateNatGateways };
}

const sfn = mockClient(SFNClient);
let store: MemoryStore;

function vpc(id: string, name: string, plan: string | null): Resource {
  return {
    id,
    name,
    type: 'vpc',
    cidr: '10.0.0.0/16',
    status: 'ACTIVE',
    createdAt: '2026-01-01T00:00:00.000Z',
    plan,
    execution: null,
    clientToken: null,
  } as Resource;
}

beforeEach(() => {
  sfn.reset();
  store = MemoryStore.from([
    vpc('vpc-1', 'VPC-A', 'plan-a'),
    vpc('vpc-2', 'VPC-A', 'plan-b'),
    vpc('vpc-3', 'VPC-C', 'plan-a'),
  ]);
  deps = apiDepsOf({
    store,
    clock: new ManualClock(START.getTime()),
    stepFunctions: () => new SFNClient({ region: 'us-east-1' }),
    stateMachineArns: () => ARNS,
  });
});

describe('POST /plans/validate', () => {
  it('answers 200 with the summary of a valid plan', async () => {
    const answer = await call(validate, { method: 'POST', resource: '/plans/validate', body: PLAN });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ valid: true, errors: [], summary: { plan: 'app-a-to-elb01' } });
  });

  it('answers 422 listing every problem of an invalid plan', async () => {
    // Prepare: two problems in different entries
    const vpcs = (PLAN.vpcs as Record<string, unknown>[]).map((v, i) =>
      i === 0 ? { ...v, cidr: '192.168.0.0/33' } : v,
    );
    const transitIps = [{ name: 'transit-ip-A', subnet: 'subnet-A01', ip: '192.168.0.300' }];
    // Act
    const answer = await call(validate, {
      method: 'POST',
      resource: '/plans/validate',
      body: { ...PLAN, vpcs, transitIps },
    });
    // Assess
    expect(answer.status).toBe(422);
    expect(answer.headers['Content-Type']).toBe('application/problem+json');
    const codes = answer.json.errors?.map((e) => `${e.path} ${e.code}`);
    expect(codes).toContain('vpcs[0].cidr INVALID_CIDR');
    expect(codes).toContain('transitIps[0].ip INVALID_ADDRESS');
    expect(answer.json).toMatchObject({
      status: 422,
      code: 'INVALID_CIDR',
      type: 'urn:natflow:problem:INVALID_CIDR',
    });
  });

  it('answers 422 (not 404) listing every problem when the plan names a VPC that does not exist', async () => {
    // Prepare: two unknown references
    const withUnknown = unknownReferences(PLAN);
    // Act
    const answer = await call(validate, { method: 'POST', resource: '/plans/validate', body: withUnknown });
    // Assess
    expect(answer.status).toBe(422);
    expect(answer.json.status).toBe(422);
    const problems = answer.json.errors?.map((e) => `${e.path} ${e.code}`) ?? [];
    expect(problems.filter((p) => p.endsWith('NOT_FOUND')).length).toBeGreaterThanOrEqual(2);
    expect(problems.join('\n')).toMatch(/loadBalancers\[0\]\.vpc NOT_FOUND/);
    expect(problems.join('\n')).toMatch(/privateNatGateways\[0\]\.vpc NOT_FOUND/);
  });

  it.each([
    {
      name: 'malformed JSON',
      body: '{"name": ',
      type: 'application/json',
      status: 400,
      code: 'MALFORMED_JSON',
    },
    {
      name: 'a wrong content type',
      body: 'name: x',
      type: 'text/yaml',
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    },
    { name: 'no content type', body: '{}', type: undefined, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
    {
      name: 'a body over 256 KB',
      body: JSON.stringify({ name: 'x', description: 'a'.repeat(256 * 1024) }),
      type: 'application/json',
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
    },
    { name: 'an empty body', body: '', type: 'application/json', status: 422, code: 'VALIDATION_FAILED' },
  ])('answers $status $code for $name', async ({ body, type, status, code }) => {
    const answer = await call(validate, {
      method: 'POST',
      resource: '/plans/validate',
      body,
      headers: type ? { 'content-type': type } : {},
    });
    expect(answer.status).toBe(status);
    expect(answer.headers['Content-Type']).toBe('application/problem+json');
    expect(answer.json).toMatchObject({
      status,
      code,
      title: expect.any(String),
      detail: expect.any(String),
    });
    expect(answer.json.errors?.[0]?.code).toBe(code);
  });

  it('accepts a JSON content type with parameters and any header case', async () => {
    const answer = await call(validate, {
      method: 'POST',
      resource: '/plans/validate',
      body: JSON.stringify(PLAN),
      headers: { 'CONTENT-TYPE': 'application/json; charset=utf-8' },
    });
    expect(answer.status).toBe(200);
  });
});

describe('POST /executions', () => {
  it('validates a provision plan, then starts it under a generated name', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).callsFake((input: { name: string }) => ({
      executionArn: executionArn('provision', input.name),
      startDate: START,
    }));
    // Act
    const answer = await call(startExecution, {
      method: 'POST',
      resource: '/executions',
      body: { workflow: 'provision', input: PLAN },
    });
    // Assess
    expect(answer.status).toBe(201);
    expect(answer.json.name).toMatch(/^app-a-to-elb01-20260102T030405Z-[0-9a-f]{4}$/);
    expect(answer.json).toMatchObject({ workflow: 'provision', startDate: START.toISOString() });
    expect(answer.headers.Location).toBe(
      `/executions/${encodeURIComponent(String(answer.json.executionArn))}`,
    );
    expect(sfn).toHaveReceivedCommandExactlyOnceWith(StartExecutionCommand, {
      stateMachineArn: ARNS.provision,
      name: String(answer.json.name),
      input: JSON.stringify(PLAN),
    });
  });

  it('answers 422 with every problem and starts nothing for an invalid plan', async () => {
    const answer = await call(startExecution, {
      method: 'POST',
      resource: '/executions',
      body: {
        workflow: 'provision',
        input: { ...PLAN, name: 'Not A Name', transitIps: [{ name: 't', subnet: 'nope', ip: '1.2.3' }] },
      },
    });
    expect(answer.status).toBe(422);
    const paths = answer.json.errors?.map((e) => e.path) ?? [];
    expect(paths).toContain('input.name');
    expect(paths.some((p) => p.startsWith('input.transitIps[0]'))).toBe(true);
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('answers 422 (not 404) with every problem and starts nothing for a plan naming an unknown VPC', async () => {
    const answer = await call(startExecution, {
      method: 'POST',
      resource: '/executions',
      body: { workflow: 'provision', input: unknownReferences(PLAN) },
    });
    expect(answer.status).toBe(422);
    const problems = answer.json.errors?.map((e) => `${e.path} ${e.code}`).join('\n') ?? '';
    expect(problems).toMatch(/input\.loadBalancers\[0\]\.vpc NOT_FOUND/);
    expect(problems).toMatch(/input\.privateNatGateways\[0\]\.vpc NOT_FOUND/);
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('passes a given name and a teardown input through', async () => {
    // plan-a has resources recorded: there is something to tear down
    sfn
      .on(StartExecutionCommand)
      .resolves({ executionArn: executionArn('teardown', 'bye'), startDate: START });
    const answer = await call(startExecution, {
      method: 'POST',
      resource: '/executions',
      body: { workflow: 'teardown', input: { plan: 'plan-a' }, name: 'bye' },
    });
    expect(answer.status).toBe(201);
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: ARNS.teardown,
      name: 'bye',
      input: '{"plan":"plan-a"}',
    });
  });

  it.each([
    { name: 'a plan never provisioned', plan: 'app-a-to-elb01' },
    { name: 'a plan torn down before (its record and resources gone)', plan: 'plan-gone' },
  ])('answers 200 {plan, nothing: true} and starts nothing for the teardown of $name', async ({ plan }) => {
    // Act: twice, as a second teardown of the same plan must behave the same
    for (let i = 0; i < 2; i++) {
      const answer = await call(startExecution, {
        method: 'POST',
        resource: '/executions',
        body: { workflow: 'teardown', input: { plan } },
      });
      // Assess
      expect(answer.status).toBe(200);
      expect(answer.json).toEqual({ plan, nothing: true });
    }
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('starts the teardown of a plan whose only resources are ones a rollback left behind', async () => {
    // Prepare: no plan record, one resource still recorded to the plan
    await store.transaction([], (tx) =>
      tx.insert(vpc('vpc-9', 'VPC-L', 'left-behind'), { keys: [], refs: [] }),
    );
    sfn
      .on(StartExecutionCommand)
      .resolves({ executionArn: executionArn('teardown', 'left'), startDate: START });
    // Act
    const answer = await call(startExecution, {
      method: 'POST',
      resource: '/executions',
      body: { workflow: 'teardown', input: { plan: 'left-behind' }, name: 'left' },
    });
    // Assess
    expect(answer.status).toBe(201);
    expect(sfn).toHaveReceivedCommand(StartExecutionCommand);
  });

  it('answers 409 EXECUTION_ALREADY_EXISTS when Step Functions refuses the name', async () => {
    sfn
      .on(StartExecutionCommand)
      .rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));
    const answer = await call(startExecution, {
      method: 'POST',
      resource: '/executions',
      body: { workflow: 'verify', input: {}, name: 'taken' },
    });
    expect(answer.status).toBe(409);
    expect(answer.json).toMatchObject({ code: 'EXECUTION_ALREADY_EXISTS', status: 409 });
  });

  it.each([
    { name: 'an unknown workflow', body: { workflow: 'deploy', input: {} }, path: 'workflow' },
    { name: 'an unknown field', body: { workflow: 'verify', input: {}, extra: 1 }, path: '' },
    { name: 'a teardown without a plan', body: { workflow: 'teardown', input: {} }, path: 'input.plan' },
    { name: 'a bad execution name', body: { workflow: 'verify', name: 'a b' }, path: 'name' },
    { name: 'a body that is no object', body: [1, 2], path: '' },
  ])('answers 422 for $name, naming $path', async ({ body, path }) => {
    const answer = await call(startExecution, { method: 'POST', resource: '/executions', body });
    expect(answer.status).toBe(422);
    expect(answer.json.errors?.map((e) => e.path)).toContain(path);
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('generates names within 80 characters of the allowed alphabet', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 100 }),
        fc.integer({ min: 0, max: 4_102_444_800_000 }),
        (prefix, now) => {
          expect(executionNameFor('verify', { plan: prefix }, now)).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
        },
      ),
    );
  });
});

describe('GET /executions/{id}', () => {
  const described = {
    executionArn: executionArn('verify', 'run-1'),
    stateMachineArn: ARNS.verify,
    name: 'run-1',
    status: 'SUCCEEDED' as const,
    startDate: START,
    stopDate: new Date(START.getTime() + 1000),
    input: '{"plan":"p"}',
    output: '{"verified":[1]}',
  };

  it('describes by URL-encoded ARN, with input and output as JSON', async () => {
    sfn.on(DescribeExecutionCommand).resolves(described);
    const answer = await call(describeExecution, {
      resource: '/executions/{id}',
      pathParameters: { id: encodeURIComponent(described.executionArn) },
    });
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({
      executionArn: described.executionArn,
      stateMachineArn: ARNS.verify,
      workflow: 'verify',
      name: 'run-1',
      status: 'SUCCEEDED',
      startDate: START.toISOString(),
      stopDate: described.stopDate.toISOString(),
      input: { plan: 'p' },
      output: { verified: [1] },
    });
    expect(sfn).toHaveReceivedCommandExactlyOnceWith(DescribeExecutionCommand, {
      executionArn: described.executionArn,
    });
  });

  it("finds an execution by name across the workflows' state machines (provision-keep too)", async () => {
    sfn
      .on(DescribeExecutionCommand)
      .rejects(new ExecutionDoesNotExist({ message: 'no', $metadata: {} }))
      .on(DescribeExecutionCommand, { executionArn: described.executionArn })
      .resolves(described);
    const answer = await call(describeExecution, {
      resource: '/executions/{id}',
      pathParameters: { id: 'run-1' },
    });
    expect(answer.status).toBe(200);
    expect(answer.json.executionArn).toBe(described.executionArn);
    expect(sfn).toHaveReceivedCommandTimes(DescribeExecutionCommand, 3);
  });

  it.each([
    { name: 'a name no state machine has', id: 'ghost', calls: 4 },
    { name: "another state machine's ARN", id: 'arn:aws:states:us-east-1:1:execution:other:x', calls: 0 },
    { name: 'text that is no name', id: 'a b%20c', calls: 0 },
  ])('answers 404 NOT_FOUND for $name', async ({ id, calls }) => {
    sfn.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'no', $metadata: {} }));
    const answer = await call(describeExecution, { resource: '/executions/{id}', pathParameters: { id } });
    expect(answer.status).toBe(404);
    expect(answer.json.code).toBe('NOT_FOUND');
    expect(sfn).toHaveReceivedCommandTimes(DescribeExecutionCommand, calls);
  });

  it('answers a generic 500 that discloses nothing when the service fails unexpectedly', async () => {
    sfn.on(DescribeExecutionCommand).rejects(new Error('connect ECONNREFUSED secret-host:8083 token=abc'));
    const answer = await call(describeExecution, {
      resource: '/executions/{id}',
      pathParameters: { id: 'x' },
    });
    expect(answer.status).toBe(500);
    expect(answer.text).not.toMatch(/secret|token|ECONNREFUSED|at /);
    expect(answer.json.code).toBe('INTERNAL_ERROR');
  });
});

describe('GET /executions/{id}/history and POST /executions/{id}/stop', () => {
  const arn = executionArn('provision', 'p-1');

  it('pages the history with nextToken and ISO timestamps', async () => {
    sfn
      .on(DescribeExecutionCommand)
      .resolves({ executionArn: arn, status: 'RUNNING', stateMachineArn: ARNS.provision });
    sfn.on(GetExecutionHistoryCommand).resolves({
      events: [
        { id: 1, type: 'ExecutionStarted', timestamp: START, executionStartedEventDetails: { input: '{}' } },
      ],
      nextToken: 'page-2',
    });
    const answer = await call(history, {
      resource: '/executions/{id}/history',
      pathParameters: { id: arn },
      query: { limit: '1', nextToken: 'page-1' },
    });
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({
      events: [
        {
          id: 1,
          type: 'ExecutionStarted',
          timestamp: START.toISOString(),
          executionStartedEventDetails: { input: '{}' },
        },
      ],
      nextToken: 'page-2',
    });
    expect(sfn).toHaveReceivedCommandWith(GetExecutionHistoryCommand, {
      executionArn: arn,
      maxResults: 1,
      nextToken: 'page-1',
      reverseOrder: false,
    });
  });

  it('answers 422 for a limit that is no number', async () => {
    const answer = await call(history, {
      resource: '/executions/{id}/history',
      pathParameters: { id: arn },
      query: { limit: 'many' },
    });
    expect(answer.status).toBe(422);
    expect(answer.json.errors?.[0]?.path).toBe('query.limit');
  });

  it('stops a running execution', async () => {
    sfn
      .on(DescribeExecutionCommand)
      .resolves({ executionArn: arn, status: 'RUNNING', stateMachineArn: ARNS.provision });
    sfn.on(StopExecutionCommand).resolves({ stopDate: START });
    const answer = await call(stopExecution, {
      method: 'POST',
      resource: '/executions/{id}/stop',
      pathParameters: { id: 'p-1' },
      body: { error: 'USER_STOPPED' },
    });
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ executionArn: arn, status: 'ABORTED', stopDate: START.toISOString() });
    expect(sfn).toHaveReceivedCommandWith(StopExecutionCommand, { executionArn: arn, error: 'USER_STOPPED' });
  });

  it('reports, without stopping, an execution that has already closed', async () => {
    sfn
      .on(DescribeExecutionCommand)
      .resolves({ executionArn: arn, status: 'SUCCEEDED', stateMachineArn: ARNS.provision, stopDate: START });
    const answer = await call(stopExecution, {
      method: 'POST',
      resource: '/executions/{id}/stop',
      pathParameters: { id: arn },
    });
    expect(answer.status).toBe(200);
    expect(answer.json.status).toBe('SUCCEEDED');
    expect(sfn).not.toHaveReceivedCommand(StopExecutionCommand);
  });
});

describe('GET /executions', () => {
  /** A fake ListExecutions over per-machine lists (newest first), with offset tokens. */
  function serve(lists: Record<keyof typeof ARNS, ExecutionListItem[]>) {
    sfn
      .on(ListExecutionsCommand)
      .callsFake((input: { stateMachineArn: string; maxResults: number; nextToken?: string }) => {
        const workflow = (Object.keys(ARNS) as (keyof typeof ARNS)[]).find(
          (w) => ARNS[w] === input.stateMachineArn,
        );
        const all = workflow ? lists[workflow] : [];
        const from = input.nextToken ? Number(input.nextToken) : 0;
        const to = from + input.maxResults;
        return { executions: all.slice(from, to), ...(to < all.length ? { nextToken: String(to) } : {}) };
      });
  }
  const item = (workflow: keyof typeof ARNS, n: number, time: number): ExecutionListItem => ({
    executionArn: executionArn(workflow, `${workflow}-${n}`),
    stateMachineArn: ARNS[workflow],
    name: `${workflow}-${n}`,
    status: 'SUCCEEDED',
    startDate: new Date(time),
  });

  it('passes one workflow through with its filters', async () => {
    serve({ provision: [], verify: [item('verify', 1, 5)], teardown: [] });
    const answer = await call(listExecutions, {
      resource: '/executions',
      query: { workflow: 'verify', status: 'SUCCEEDED', limit: '10' },
    });
    expect(answer.json.executions).toEqual([
      expect.objectContaining({
        name: 'verify-1',
        workflow: 'verify',
        startDate: new Date(5).toISOString(),
      }),
    ]);
    expect(sfn).toHaveReceivedCommandExactlyOnceWith(ListExecutionsCommand, {
      stateMachineArn: ARNS.verify,
      maxResults: 10,
      statusFilter: 'SUCCEEDED',
    });
  });

  it('lists provision with its kept variant (onFailure: keep runs on provision-keep)', async () => {
    const keepArn = ARNS.provision.replace('natflow-provision-test', 'natflow-provision-keep-test');
    const kept: ExecutionListItem = {
      executionArn: `${keepArn.replace(':stateMachine:', ':execution:')}:kept-1`,
      stateMachineArn: keepArn,
      name: 'kept-1',
      status: 'FAILED',
      startDate: new Date(9),
    };
    serve({ provision: [item('provision', 1, 5)], verify: [], teardown: [] });
    sfn.on(ListExecutionsCommand, { stateMachineArn: keepArn }).resolves({ executions: [kept] });
    const answer = await call(listExecutions, {
      resource: '/executions',
      query: { workflow: 'provision', limit: '10' },
    });
    expect(answer.json.executions).toEqual([
      expect.objectContaining({ name: 'kept-1', workflow: 'provision', onFailure: 'keep' }),
      expect.objectContaining({ name: 'provision-1', workflow: 'provision', onFailure: 'rollback' }),
    ]);
  });

  it('pages through every workflow newest first, each execution exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          provision: fc.uniqueArray(fc.integer({ min: 0, max: 10_000 }), { maxLength: 7 }),
          verify: fc.uniqueArray(fc.integer({ min: 10_001, max: 20_000 }), { maxLength: 7 }),
          teardown: fc.uniqueArray(fc.integer({ min: 20_001, max: 30_000 }), { maxLength: 7 }),
        }),
        fc.integer({ min: 1, max: 4 }),
        async (times, limit) => {
          // Prepare: distinct times, interleaved once shifted
          const lists = Object.fromEntries(
            (Object.keys(ARNS) as (keyof typeof ARNS)[]).map((w) => [
              w,
              times[w]
                .map((t, i) => item(w, i, (t * 7919) % 30_011))
                .sort((a, b) => (b.startDate?.getTime() ?? 0) - (a.startDate?.getTime() ?? 0)),
            ]),
          ) as Record<keyof typeof ARNS, ExecutionListItem[]>;
          sfn.reset();
          serve(lists);
          // Act
          const seen: { name: string; startDate: string }[] = [];
          let token: string | undefined;
          for (let page = 0; page < 30; page++) {
            const answer = await call(listExecutions, {
              resource: '/executions',
              query: { limit: String(limit), ...(token ? { nextToken: token } : {}) },
            });
            const executions = answer.json.executions as { name: string; startDate: string }[];
            expect(executions.length).toBeLessThanOrEqual(limit);
            seen.push(...executions);
            token = answer.json.nextToken as string | undefined;
            if (!token) break;
          }
          // Assess
          const expected = Object.values(lists)
            .flat()
            .sort((a, b) => (b.startDate?.getTime() ?? 0) - (a.startDate?.getTime() ?? 0))
            .map((e) => e.name);
          expect(seen.map((e) => e.name)).toEqual(expected);
        },
      ),
      { numRuns: 40 },
    );
  });

  describe('a search (q, plan)', () => {
    /** Executions whose inputs name a plan and carry a marker; DescribeExecution answers each one's input. */
    function serveInputs(inputs: Record<string, unknown>) {
      sfn.on(DescribeExecutionCommand).callsFake((input: { executionArn: string }) => {
        const name = input.executionArn.slice(input.executionArn.lastIndexOf(':') + 1);
        return { executionArn: input.executionArn, name, input: JSON.stringify(inputs[name] ?? {}) };
      });
    }
    const named = (workflow: keyof typeof ARNS, name: string, time: number): ExecutionListItem => ({
      executionArn: executionArn(workflow, name),
      stateMachineArn: ARNS[workflow],
      name,
      status: 'SUCCEEDED',
      startDate: new Date(time),
    });

    it('finds an execution by a value in its input, with its plan, and says how many it read', async () => {
      // Prepare: a custom name that says nothing of the plan; the marker is only in the input.
      serve({
        provision: [
          named('provision', 'custom-run', 30),
          named('provision', 'other-20260101T000000000Z-ab12', 20),
        ],
        verify: [named('verify', 'verify-20260101T000000000Z-cd34', 10)],
        teardown: [],
      });
      serveInputs({
        'custom-run': { name: 'app-a', vpcs: [{ name: 'VPC-A', cidr: '192.168.77.0/24' }] },
        'other-20260101T000000000Z-ab12': { name: 'other', vpcs: [] },
        'verify-20260101T000000000Z-cd34': {},
      });

      // Act
      const answer = await call(listExecutions, { resource: '/executions', query: { q: '192.168.77' } });

      // Assess
      expect(answer.status).toBe(200);
      expect(answer.json.executions).toEqual([
        expect.objectContaining({ name: 'custom-run', plan: 'app-a' }),
      ]);
      expect(answer.json.scanned).toBe(3);
      expect(answer.json.nextToken).toBeUndefined();
    });

    it.each([
      [
        'the plan filter, told by the input',
        { plan: 'app-a' },
        ['custom-run', 'app-a-20260101T000000000Z-ef56'],
      ],
      ['q in the name, any case', { q: 'CUSTOM' }, ['custom-run']],
      ['q in the plan', { q: 'other' }, ['other-20260101T000000000Z-ab12']],
      ['q and plan together', { q: 'custom', plan: 'app-a' }, ['custom-run']],
      ['nothing found', { q: 'nowhere' }, []],
    ])('%s', async (_name, query, names) => {
      serve({
        provision: [
          named('provision', 'custom-run', 30),
          named('provision', 'other-20260101T000000000Z-ab12', 20),
          named('provision', 'app-a-20260101T000000000Z-ef56', 5),
        ],
        verify: [],
        teardown: [],
      });
      serveInputs({
        'custom-run': { name: 'app-a' },
        'other-20260101T000000000Z-ab12': { name: 'other' },
        'app-a-20260101T000000000Z-ef56': { name: 'app-a' },
      });
      const answer = await call(listExecutions, { resource: '/executions', query });
      expect((answer.json.executions as { name: string }[]).map((e) => e.name)).toEqual(names);
    });

    it('pages a search: at most limit matches a page, each match exactly once, the reads bounded', async () => {
      // Prepare: 250 provisionings, every third of plan "hit"; more than one search window.
      const items = Array.from({ length: 250 }, (_, i) => named('provision', `run-${i}`, 10_000 - i));
      serve({ provision: items, verify: [], teardown: [] });
      serveInputs(Object.fromEntries(items.map((e, i) => [e.name, { name: i % 3 === 0 ? 'hit' : 'miss' }])));

      // Act
      const seen: string[] = [];
      const scanned: number[] = [];
      let token: string | undefined;
      for (let page = 0; page < 50; page++) {
        const answer = await call(listExecutions, {
          resource: '/executions',
          query: { plan: 'hit', limit: '30', ...(token ? { nextToken: token } : {}) },
        });
        const executions = answer.json.executions as { name: string; plan: string }[];
        expect(executions.length).toBeLessThanOrEqual(30);
        expect(executions.every((e) => e.plan === 'hit')).toBe(true);
        seen.push(...executions.map((e) => e.name));
        scanned.push(answer.json.scanned as number);
        token = answer.json.nextToken as string | undefined;
        if (!token) break;
      }

      // Assess
      expect(seen).toEqual(items.filter((_, i) => i % 3 === 0).map((e) => e.name));
      expect(Math.max(...scanned)).toBeLessThanOrEqual(SEARCH_WINDOW);
      expect(scanned.reduce((a, b) => a + b, 0)).toBe(250);
    });

    it('reads at most one window per request when nothing matches', async () => {
      const items = Array.from({ length: 450 }, (_, i) => named('provision', `run-${i}`, 10_000 - i));
      serve({ provision: items, verify: [], teardown: [] });
      serveInputs({});
      const answer = await call(listExecutions, { resource: '/executions', query: { q: 'absent' } });
      expect(answer.json.executions).toEqual([]);
      expect(answer.json.scanned).toBe(SEARCH_WINDOW);
      expect(answer.json.nextToken).toEqual(expect.any(String));
      expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(SEARCH_WINDOW);
    });
  });

  it('gives each summary the plan its generated name carries', async () => {
    serve({
      provision: [
        item('provision', 1, 9),
        { ...item('provision', 2, 8), name: 'app-a-20260102T030405678Z-9abc' },
      ],
      verify: [{ ...item('verify', 3, 7), name: 'verify-20260102T030405678Z-9abc' }],
      teardown: [],
    });
    const answer = await call(listExecutions, { resource: '/executions' });
    const plans = (answer.json.executions as { name: string; plan?: string }[]).map((e) => [e.name, e.plan]);
    expect(plans).toEqual([
      ['provision-1', undefined],
      ['app-a-20260102T030405678Z-9abc', 'app-a'],
      ['verify-20260102T030405678Z-9abc', undefined],
    ]);
  });

  it('answers 422 for a token it did not issue', async () => {
    const answer = await call(listExecutions, { resource: '/executions', query: { nextToken: 'forged' } });
    expect(answer.status).toBe(422);
    expect(answer.json.errors?.[0]?.path).toBe('query.nextToken');
  });
});

describe('GET /resources', () => {
  it('lists resources filtered by type and plan', async () => {
    const answer = await call(listResources, {
      resource: '/resources',
      query: { type: 'vpc', plan: 'plan-a' },
    });
    expect(answer.status).toBe(200);
    expect((answer.json.resources as Resource[]).map((r) => r.id)).toEqual(['vpc-1', 'vpc-3']);
  });

  it('answers 422 for an unknown type', async () => {
    const answer = await call(listResources, { resource: '/resources', query: { type: 'router' } });
    expect(answer.status).toBe(422);
    expect(answer.json.errors?.[0]?.path).toBe('query.type');
  });

  it.each([
    { name: 'an id', id: 'vpc-2', query: undefined, status: 200, found: 'vpc-2' },
    { name: 'a unique name', id: 'VPC-C', query: undefined, status: 200, found: 'vpc-3' },
    {
      name: 'a shared name within a plan',
      id: 'VPC-A',
      query: { plan: 'plan-b' },
      status: 200,
      found: 'vpc-2',
    },
    { name: 'a shared name without a plan', id: 'VPC-A', query: undefined, status: 422, found: undefined },
    { name: 'nothing', id: 'vpc-404', query: undefined, status: 404, found: undefined },
  ])('GET /resources/{id} by $name answers $status', async ({ id, query, status, found }) => {
    const answer = await call(getResource, {
      resource: '/resources/{id}',
      pathParameters: { id },
      ...(query ? { query } : {}),
    });
    expect(answer.status).toBe(status);
    if (found) expect(answer.json.id).toBe(found);
    // Every candidate, ready to use instead: PLAN/NAME (or the id of one in no plan).
    if (status === 422) {
      expect(answer.json.detail).toContain('plan-a/VPC-A');
      expect(answer.json.candidates).toEqual(['plan-a/VPC-A', 'plan-b/VPC-A']);
    }
  });
});

describe('GET /health and GET /openapi.json', () => {
  it('answers liveness', async () => {
    const answer = await call(health, { resource: '/health' });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ status: 'ok', service: 'natflow', time: START.toISOString() });
  });

  it('serves the generated OpenAPI document', async () => {
    const answer = await call(openApi, { resource: '/openapi.json' });
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual(JSON.parse(JSON.stringify(buildOpenApi())));
  });
});

describe('POST /dnat/evaluate', () => {
  it.each([
    {
      name: 'an unknown gateway',
      body: { gateway: 'nat-x', packets: ['tcp 1.2.3.4:5 > 6.7.8.9:80'] },
      status: 404,
    },
    { name: 'no packets', body: { gateway: 'nat-x', packets: [] }, status: 422 },
    { name: 'an unknown field', body: { gateway: 'nat-x', packets: ['x'], verbose: true }, status: 422 },
  ])('answers $status for $name', async ({ body, status }) => {
    const answer = await call(evaluateDnat, { method: 'POST', resource: '/dnat/evaluate', body });
    expect(answer.status).toBe(status);
    expect(answer.headers['Content-Type']).toBe('application/problem+json');
  });
});
