/**
 * The HTTP API end to end against the local stack (`startStack`, as `natflow up` runs it) on loopback:
 * an event starts a provisioning, the API starts the same plan again (it converges), describes it until
 * it closes, reads its history, evaluates a packet, lists resources, tears the plan down; bad inputs
 * are 4xx problems that start nothing.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type Stack, startStack } from '../../src/stack/stack.ts';

const PLAN = parse(readFileSync(new URL('../../examples/reference.plan.yaml', import.meta.url), 'utf8')) as {
  name: string;
};

let stack: Stack;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'natflow-e2e-'));
  stack = await startStack({ dataDir, port: 0, dataPlane: false });
}, 60_000);

afterAll(async () => {
  await stack?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function api(path: string, body?: unknown) {
  const response = await fetch(`${stack.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    ...(body === undefined
      ? {}
      : { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } }),
  });
  const text = await response.text();
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    json: text ? JSON.parse(text) : undefined,
  };
}

async function closed(id: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 600; i++) {
    const answer = await api(`/executions/${encodeURIComponent(id)}`);
    expect(answer.status).toBe(200);
    if (answer.json.status !== 'RUNNING') return answer.json;
    await new Promise((done) => setTimeout(done, 50));
  }
  throw new Error(`execution ${id} still RUNNING`);
}

describe('the HTTP API on the local stack', () => {
  it('answers 422 to an invalid plan and starts nothing', async () => {
    const invalid = { ...PLAN, vpcs: [{ name: 'VPC-A', cidr: '192.168.0.0/33' }] };
    const validated = await api('/plans/validate', invalid);
    expect(validated.status).toBe(422);
    expect(validated.type).toBe('application/problem+json');
    const started = await api('/executions', { workflow: 'provision', input: invalid });
    expect(started.status).toBe(422);
    expect((await api('/executions')).json.executions).toEqual([]);
  });

  it('provisions from an event, then converges when the API starts the same plan', async () => {
    // Act: the event
    const put = await api('/events', {
      Entries: [
        { Source: 'natflow.requests', DetailType: 'CrossVpcAccessRequested', Detail: JSON.stringify(PLAN) },
      ],
    });
    expect(put.status).toBe(200);
    const fromEvent = put.json.Started[0].result.executionArn as string;
    const first = await closed(fromEvent);
    expect(first).toMatchObject({ status: 'SUCCEEDED', workflow: 'provision', output: { plan: PLAN.name } });
    // Act: the API
    const started = await api('/executions', { workflow: 'provision', input: PLAN, name: 'again' });
    expect(started.status).toBe(201);
    const second = await closed('again');
    expect(second.status).toBe('SUCCEEDED');
    expect(second.output).toEqual(first.output);
    // Assess: the same name and input while no longer running is a conflict
    const repeated = await api('/executions', { workflow: 'provision', input: PLAN, name: 'again' });
    expect(repeated.status).toBe(409);
    expect(repeated.json.code).toBe('EXECUTION_ALREADY_EXISTS');
  });

  it('lists executions newest first and pages the history', async () => {
    const list = await api('/executions?workflow=provision');
    expect(list.json.executions.map((e: { name: string }) => e.name)[0]).toBe('again');
    const page = await api('/executions/again/history?limit=2');
    expect(page.json.events).toHaveLength(2);
    expect(page.json.events[0].type).toBe('ExecutionStarted');
    const rest = await api(
      `/executions/again/history?limit=1000&nextToken=${encodeURIComponent(page.json.nextToken)}`,
    );
    expect(rest.json.events.at(-1).type).toBe('ExecutionSucceeded');
  });

  it('evaluates a packet through the provisioned DNAT rule and lists the resources', async () => {
    const evaluated = await api('/dnat/evaluate', {
      gateway: 'private_nat_gateway',
      plan: PLAN.name,
      packets: ['tcp 192.168.0.10:40000 > 192.168.0.144:80 [syn]'],
    });
    expect(evaluated.status).toBe(200);
    expect(evaluated.json.results[0].verdict).toBe('TRANSLATED');
    const listed = await api(`/resources?type=dnat-rule&plan=${PLAN.name}`);
    expect(listed.json.resources).toHaveLength(1);
  });

  it('tears the plan down', async () => {
    const started = await api('/executions', { workflow: 'teardown', input: { plan: PLAN.name } });
    expect(started.status).toBe(201);
    expect((await closed(started.json.executionArn)).status).toBe('SUCCEEDED');
    expect((await api(`/resources?plan=${PLAN.name}`)).json.resources).toEqual([]);
  });

  it.each([
    { onFailure: 'keep', machine: 'provision-keep' },
    { onFailure: 'rollback', machine: 'provision' },
    { onFailure: undefined, machine: 'provision' },
    { onFailure: 'sometimes', machine: 'provision' },
  ])(
    'starts the $machine machine for a requested plan with onFailure $onFailure',
    async ({ onFailure, machine }) => {
      // Prepare: a plan that fails its ValidatePlan (no VPC of that name), so nothing is created
      const plan = {
        name: `event-${onFailure ?? 'absent'}`,
        ...(onFailure === undefined ? {} : { onFailure }),
        vpcs: [{ name: 'VPC-E', cidr: '10.90.0.0/16' }],
        subnets: [{ name: 'SUBNET-E', vpc: 'VPC-MISSING', cidr: '10.90.0.0/24' }],
      };
      // Act
      const put = await api('/events', {
        Entries: [
          { Source: 'natflow.requests', DetailType: 'CrossVpcAccessRequested', Detail: JSON.stringify(plan) },
        ],
      });
      // Assess: exactly one rule matched, on the machine onFailure asks for; it failed and left nothing
      expect(put.status).toBe(200);
      expect(put.json.Started).toHaveLength(1);
      const execution = await closed(put.json.Started[0].result.executionArn as string);
      expect(execution).toMatchObject({ workflow: 'provision', status: 'FAILED' });
      expect(String(execution.stateMachineArn).split(':').at(-1)).toMatch(
        new RegExp(`^natflow-${machine}-[a-z0-9]+$`),
      );
      expect((await api(`/resources?plan=${plan.name}`)).json.resources).toEqual([]);
    },
  );
});
