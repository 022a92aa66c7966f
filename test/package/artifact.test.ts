/**
 * The artifact under test: the stack `npm run package` builds (packaged once per run,
 * test/helpers/packaged.ts), run offline as AWS runs it (test/package/artifact/offline-stack.ts): the
 * bundled handlers from the zips, the packaged state machines (provision, provision-keep, verify,
 * teardown, rollback) on aws-local-stepfunctions, moto's DynamoDB and EventBridge, every API route called
 * with an API Gateway event, and every AWS call each function made held against its role in the
 * template (action and resource). What runs on AWS is what is tested.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { motoAvailable, motoEndpoint } from '../helpers/moto.ts';
import { PACKAGE_TIMEOUT_MS, packaged } from '../helpers/packaged.ts';
import { allows, roleStatements } from './artifact/cfn.ts';
import { type Answer, type Call, OfflineStack } from './artifact/offline-stack.ts';

const REFERENCE = parse(
  readFileSync(new URL('../../examples/reference.plan.yaml', import.meta.url), 'utf8'),
) as Record<string, unknown> & { name: string };

/** A small plan of its own (a VPC, a subnet, a transit IP), kept on failure. */
const keptPlan = (name: string, octet: number) => ({
  name,
  onFailure: 'keep',
  vpcs: [
    {
      name: `VPC-${name}`,
      cidr: `172.${octet}.0.0/16`,
      subnets: [{ name: `subnet-${name}`, cidr: `172.${octet}.0.0/24` }],
    },
  ],
  transitIps: [{ name: `tip-${name}`, subnet: `subnet-${name}`, ip: `172.${octet}.0.10` }],
});

/** DynamoDB refusing a function's writes: the store's STORE_AUTH_FAILED, which no Task retries. */
const ACCESS_DENIED: Answer = {
  status: 400,
  body: {
    __type: 'com.amazon.coral.service#AccessDeniedException',
    message: 'injected by the artifact test',
  },
};

const isWrite = (call: Call) => call.action === 'dynamodb:TransactWriteItems';

/** A workflow on moto takes seconds to a minute; a loaded 2-core machine stretches that (a bound, not a goal). */
const STEP_TIMEOUT_MS = 300_000;

let stack: OfflineStack;

beforeAll(async () => {
  if (!motoAvailable) return;
  stack = await OfflineStack.open(await packaged({ stage: 'dev' }), motoEndpoint);
}, PACKAGE_TIMEOUT_MS + 60_000);

afterAll(async () => {
  await stack?.close();
});

/** The execution `id` once it has closed, through GET /executions/{id}. */
async function closed(id: string) {
  const deadline = Date.now() + STEP_TIMEOUT_MS - 10_000;
  while (Date.now() < deadline) {
    const answer = await stack.api('apiDescribeExecution', {
      resource: '/executions/{id}',
      path: `/executions/${encodeURIComponent(id)}`,
      pathParameters: { id: encodeURIComponent(id) },
    });
    expect(answer.status).toBe(200);
    if (answer.json.status !== 'RUNNING') {
      await stack.sfn.inFlight(String(answer.json.executionArn)).catch(() => undefined);
      await stack.rulesSettled();
      return answer.json;
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`execution ${id} still RUNNING`);
}

const start = (workflow: string, input: unknown, name?: string) =>
  stack.api('apiStartExecution', {
    method: 'POST',
    resource: '/executions',
    body: { workflow, input, ...(name ? { name } : {}) },
  });

const onExecution = (key: string, route: string, id: string, body?: object) =>
  stack.api(key, {
    method: body === undefined && route === '' ? 'GET' : 'POST',
    resource: `/executions/{id}${route}`,
    path: `/executions/${encodeURIComponent(id)}${route}`,
    pathParameters: { id: encodeURIComponent(id) },
    ...(body !== undefined ? { body } : {}),
  });

const resourcesOf = async (plan: string) => {
  const answer = await stack.api('apiListResources', {
    resource: '/resources',
    query: { plan },
  });
  expect(answer.status).toBe(200);
  return answer.json.resources as { id: string; type: string; name: string }[];
};

describe.runIf(motoAvailable)('the packaged stack, run offline', () => {
  it(
    'answers the plan routes: 200 for the reference plan, 422 listing every unknown VPC',
    async () => {
      const valid = await stack.api('apiValidatePlan', {
        method: 'POST',
        resource: '/plans/validate',
        body: REFERENCE,
      });
      expect(valid.status).toBe(200);
      const unknown = {
        ...REFERENCE,
        privateNatGateways: (REFERENCE.privateNatGateways as object[]).map((g) => ({
          ...g,
          vpc: 'VPC-NOPE',
        })),
        loadBalancers: (REFERENCE.loadBalancers as object[]).map((lb) => ({ ...lb, vpc: 'VPC-ZZZ' })),
      };
      const invalid = await stack.api('apiValidatePlan', {
        method: 'POST',
        resource: '/plans/validate',
        body: unknown,
      });
      expect(invalid.status).toBe(422);
      expect(invalid.json.errors?.filter((e) => e.code === 'NOT_FOUND').length).toBeGreaterThanOrEqual(2);
      const preview = await stack.api('apiPreviewPlan', {
        method: 'POST',
        resource: '/plans/preview',
        body: { plan: unknown },
      });
      expect(preview.status).toBe(422);
      const refused = await start('provision', unknown);
      expect(refused.status).toBe(422);
      expect(stack.calls.filter((c) => c.action === 'states:StartExecution')).toEqual([]);
      const previewed = await stack.api('apiPreviewPlan', {
        method: 'POST',
        resource: '/plans/preview',
        body: { plan: REFERENCE },
      });
      expect(previewed.status).toBe(200);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'provisions the reference plan on the packaged provision machine, and verifies it',
    async () => {
      const started = await start('provision', REFERENCE, 'reference-1');
      expect(started.status).toBe(201);
      const done = await closed('reference-1');
      expect(done).toMatchObject({ status: 'SUCCEEDED', workflow: 'provision', onFailure: 'rollback' });
      expect((await resourcesOf(REFERENCE.name)).length).toBeGreaterThan(10);
      const verify = await start('verify', { plan: REFERENCE.name }, 'verify-1');
      expect(verify.status).toBe(201);
      expect(await closed('verify-1')).toMatchObject({ status: 'SUCCEEDED', output: { ok: true } });
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'answers the read routes on what was provisioned',
    async () => {
      const health = await stack.api('apiHealth', { resource: '/health' });
      expect(health.status).toBe(200);
      const openapi = await stack.api('apiOpenApi', { resource: '/openapi.json' });
      expect(openapi.status).toBe(200);
      const [rule] = (await resourcesOf(REFERENCE.name)).filter((r) => r.type === 'dnat-rule');
      const got = await stack.api('apiGetResource', {
        resource: '/resources/{id}',
        path: `/resources/${rule?.id}`,
        pathParameters: { id: String(rule?.id) },
      });
      expect(got).toMatchObject({ status: 200, json: { id: rule?.id } });
      const evaluated = await stack.api('apiEvaluateDnat', {
        method: 'POST',
        resource: '/dnat/evaluate',
        body: {
          gateway: 'private_nat_gateway',
          plan: REFERENCE.name,
          packets: ['tcp 192.168.0.10:40000 > 192.168.0.144:80 [syn]'],
        },
      });
      expect(evaluated.status).toBe(200);
      expect((evaluated.json.results as { verdict: string }[])[0]?.verdict).toBe('TRANSLATED');
      const probed = await stack.api('apiProbe', {
        method: 'POST',
        resource: '/probes',
        body: { from: 'ECS-A', to: '192.168.0.144', protocol: 'tcp', port: 80, plan: REFERENCE.name },
      });
      expect(probed.status).toBe(200);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'runs onFailure: keep on provision-keep: a failure keeps what it made, lists, describes, and redrives',
    async () => {
      // Prepare: DynamoDB refuses the transit IP's writes, once the networks exist
      const plan = keptPlan('kept-a', 20);
      stack.intercept = (call) =>
        call.fn === 'assignTransitIps' && isWrite(call) ? ACCESS_DENIED : undefined;
      // Act
      const started = await start('provision', plan, 'kept-a-1');
      const failed = await closed('kept-a-1');
      stack.intercept = undefined;
      // Assess: FAILED on provision-keep, the networks kept
      expect(started.status).toBe(201);
      expect(failed).toMatchObject({ status: 'FAILED', workflow: 'provision', onFailure: 'keep' });
      expect(String(failed.stateMachineArn)).toBe(stack.machineArn('ProvisionKeepStateMachine'));
      expect((await resourcesOf('kept-a')).map((r) => r.type).sort()).toEqual(['subnet', 'vpc']);
      // The default listing and the provision listing both carry it
      for (const query of [undefined, { workflow: 'provision' }]) {
        const listed = await stack.api('apiListExecutions', {
          resource: '/executions',
          ...(query ? { query } : {}),
        });
        expect(listed.status, JSON.stringify(query)).toBe(200);
        const names = (listed.json.executions as { name: string; onFailure?: string }[]).map(
          (e) => `${e.name}:${e.onFailure ?? '-'}`,
        );
        expect(names).toContain('kept-a-1:keep');
        expect(names).toContain('reference-1:rollback');
      }
      // A search reads each execution's input
      const searched = await stack.api('apiListExecutions', {
        resource: '/executions',
        query: { plan: 'kept-a' },
      });
      expect(searched.status).toBe(200);
      expect((searched.json.executions as { name: string }[]).map((e) => e.name)).toEqual(['kept-a-1']);
      const history = await stack.api('apiGetExecutionHistory', {
        resource: '/executions/{id}/history',
        path: '/executions/kept-a-1/history',
        pathParameters: { id: 'kept-a-1' },
      });
      expect(history.status).toBe(200);
      // Redrive: it continues where it failed and succeeds
      const redriven = await onExecution('apiRedriveExecution', '/redrive', 'kept-a-1');
      expect(redriven).toMatchObject({ status: 200, json: { status: 'RUNNING' } });
      expect(await closed('kept-a-1')).toMatchObject({ status: 'SUCCEEDED', redriveCount: 1 });
      expect((await resourcesOf('kept-a')).map((r) => r.type).sort()).toEqual([
        'subnet',
        'transit-ip',
        'vpc',
      ]);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'keeps a stopped provision-keep execution (the status-change rule covers it), and rolls it back when asked',
    async () => {
      // Prepare: the transit IP's write held until the execution is stopped
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let reached: () => void = () => undefined;
      const atTransitIp = new Promise<void>((resolve) => {
        reached = resolve;
      });
      stack.intercept = async (call) => {
        if (call.fn !== 'assignTransitIps' || !isWrite(call)) return undefined;
        reached();
        await held;
        return ACCESS_DENIED;
      };
      const started = await start('provision', keptPlan('kept-b', 21), 'kept-b-1');
      expect(started.status).toBe(201);
      await atTransitIp;
      // Act: stop it
      const stopped = await onExecution('apiStopExecution', '/stop', 'kept-b-1', {});
      release();
      stack.intercept = undefined;
      // Assess: ABORTED, the status-change rule started the rollback machine, which kept everything
      expect(stopped).toMatchObject({ status: 200, json: { status: 'ABORTED' } });
      expect(await closed('kept-b-1')).toMatchObject({ status: 'ABORTED', onFailure: 'keep' });
      const rollbacks = await stack.sfn.listExecutions({
        stateMachineArn: stack.machineArn('RollbackStateMachine'),
      });
      expect(rollbacks.executions).toHaveLength(1);
      const automatic = await stack.sfn.waitForExecution(
        String(rollbacks.executions?.[0]?.executionArn),
        60_000,
      );
      expect(automatic.status).toBe('SUCCEEDED');
      const states = (await stack.sfn.getExecutionHistory(String(automatic.executionArn))).events
        ?.filter((e) => e.type?.endsWith('StateEntered'))
        .map((e) => e.stateEnteredEventDetails?.name);
      expect(states).toContain('KeptForRedrive');
      expect(states).not.toContain('RollbackExecution');
      expect((await resourcesOf('kept-b')).map((r) => r.type).sort()).toEqual(['subnet', 'vpc']);
      // Act: roll it back on request
      const rolledBack = await onExecution('apiRollbackExecution', '/rollback', 'kept-b-1');
      expect(rolledBack.status).toBe(200);
      const rollbackArn = String(rolledBack.json.rollbackExecutionArn);
      expect(rollbackArn).toContain(':execution:natflow-rollback-dev:');
      expect((await stack.sfn.waitForExecution(rollbackArn, 60_000)).status).toBe('SUCCEEDED');
      // Assess: nothing of it left, and a redrive is refused
      expect(await resourcesOf('kept-b')).toEqual([]);
      const redrive = await onExecution('apiRedriveExecution', '/redrive', 'kept-b-1');
      expect(redrive).toMatchObject({ status: 409, json: { code: 'EXECUTION_ROLLED_BACK' } });
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'rolls a failed provisioning (onFailure: rollback) back from its ledger',
    async () => {
      const plan = { ...keptPlan('rolled-c', 22), onFailure: 'rollback' };
      stack.intercept = (call) =>
        call.fn === 'assignTransitIps' && isWrite(call) ? ACCESS_DENIED : undefined;
      await start('provision', plan, 'rolled-c-1');
      const failed = await closed('rolled-c-1');
      stack.intercept = undefined;
      expect(failed).toMatchObject({ status: 'FAILED', onFailure: 'rollback', error: 'STORE_AUTH_FAILED' });
      expect(await resourcesOf('rolled-c')).toEqual([]);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'tears the reference plan down on the packaged teardown machine',
    async () => {
      const started = await start('teardown', { plan: REFERENCE.name }, 'teardown-1');
      expect(started.status).toBe(201);
      expect(await closed('teardown-1')).toMatchObject({ status: 'SUCCEEDED' });
      expect(await resourcesOf(REFERENCE.name)).toEqual([]);
    },
    STEP_TIMEOUT_MS,
  );

  it("makes no AWS call its function's role does not allow (action and resource)", () => {
    expect(stack.calls.length).toBeGreaterThan(100);
    const denied: string[] = [];
    const statements = new Map<string, ReturnType<typeof roleStatements>>();
    for (const call of stack.calls) {
      const fn = stack.functions.get(call.fn);
      if (!fn) {
        denied.push(`${call.fn}: a call from no packaged function (${call.action})`);
        continue;
      }
      if (!statements.has(fn.key)) statements.set(fn.key, roleStatements(stack.cfn, fn.roleId));
      for (const check of call.checks) {
        if (!allows(statements.get(fn.key) ?? [], check.action, check.resource))
          denied.push(`${fn.key}: ${check.action} on ${check.resource}`);
      }
    }
    expect([...new Set(denied)]).toEqual([]);
    // The check can say no: another machine, another action, another table are not granted.
    const list = roleStatements(stack.cfn, 'ApiListExecutionsRole');
    const keep = stack.machineArn('ProvisionKeepStateMachine');
    expect(allows(list, 'states:ListExecutions', keep)).toBe(true);
    expect(allows(list, 'states:ListExecutions', keep.replace('provision-keep', 'provision-other'))).toBe(
      false,
    );
    expect(allows(list, 'states:StartExecution', keep)).toBe(false);
    const reader = roleStatements(stack.cfn, 'ApiListResourcesRole');
    expect(
      allows(reader, 'dynamodb:Query', 'arn:aws:dynamodb:us-east-1:123456789012:table/natflow-dev'),
    ).toBe(true);
    expect(
      allows(reader, 'dynamodb:PutItem', 'arn:aws:dynamodb:us-east-1:123456789012:table/natflow-dev'),
    ).toBe(false);
    expect(
      allows(reader, 'dynamodb:Query', 'arn:aws:dynamodb:us-east-1:123456789012:table/natflow-prod'),
    ).toBe(false);
    // Every function that can reach AWS did, so none was left out of the check.
    const callers = new Set(stack.calls.map((c) => c.fn));
    for (const key of ['validatePlan', 'createNetworks', 'rollback', 'deleteResources', 'apiListExecutions'])
      expect(callers.has(key), key).toBe(true);
  });
});
