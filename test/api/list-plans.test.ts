/**
 * GET /plans (functions/api/list-plans.ts): what has been provisioned, plan by plan, from the table and
 * Step Functions — each execution described only when the listing reaches it, newest first across the
 * machines.
 */
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { apiDepsOf } from '../../functions/api/lib/deps.ts';
import { createHandler } from '../../functions/api/list-plans.ts';
import { MemoryStore } from '../../src/cloud/memory-store.ts';
import type { Resource } from '../../src/cloud/resources.ts';
import { ManualClock } from '../../src/net/clock.ts';
import { call } from './events.ts';

const ARNS = {
  provision: 'arn:aws:states:us-east-1:123456789012:stateMachine:natflow-provision-test',
  verify: 'arn:aws:states:us-east-1:123456789012:stateMachine:natflow-verify-test',
  teardown: 'arn:aws:states:us-east-1:123456789012:stateMachine:natflow-teardown-test',
};
const arnOf = (machine: string, name: string) =>
  `arn:aws:states:us-east-1:123456789012:execution:natflow-${machine}-test:${name}`;

const sfn = mockClient(SFNClient);

function resource(id: string, plan: string, cloud?: string): Resource {
  return {
    id,
    name: id,
    type: 'vpc',
    cidr: '10.0.0.0/16',
    status: 'ACTIVE',
    createdAt: '2026-01-01T00:00:00.000Z',
    plan,
    execution: null,
    clientToken: null,
    ...(cloud ? { cloud } : {}),
  } as Resource;
}

beforeEach(() => {
  sfn.reset();
  sfn.on(ListExecutionsCommand).resolves({ executions: [] });
});

describe('GET /plans', () => {
  it('answers each plan with its cloud, resources, last execution and verification', async () => {
    // Prepare: p1 in huaweicloud, provisioned then verified; p2 virtual, never run through Step Functions.
    const store = MemoryStore.from([
      resource('vpc-1', 'p1', 'huaweicloud'),
      resource('vpc-2', 'p1', 'huaweicloud'),
      resource('vpc-3', 'p2'),
    ]);
    const verified = { name: 'v1', executionArn: arnOf('verify', 'v1'), stateMachineArn: ARNS.verify };
    const provisioned = {
      name: 'r1',
      executionArn: arnOf('provision', 'r1'),
      stateMachineArn: ARNS.provision,
    };
    sfn
      .on(ListExecutionsCommand, { stateMachineArn: ARNS.verify })
      .resolves({
        executions: [{ ...verified, status: 'SUCCEEDED', startDate: new Date('2026-12-07T10:00:00Z') }],
      })
      .on(ListExecutionsCommand, { stateMachineArn: ARNS.provision })
      .resolves({
        executions: [{ ...provisioned, status: 'SUCCEEDED', startDate: new Date('2026-12-07T09:00:00Z') }],
      })
      .on(DescribeExecutionCommand, { executionArn: verified.executionArn })
      .resolves({
        ...verified,
        status: 'SUCCEEDED',
        startDate: new Date('2026-12-07T10:00:00Z'),
        stopDate: new Date('2026-12-07T10:00:02Z'),
        input: '{"plan":"p1"}',
        output: '{"ok":true,"plans":[{"plan":"p1","ok":true,"entries":2}]}',
      })
      .on(DescribeExecutionCommand, { executionArn: provisioned.executionArn })
      .resolves({
        ...provisioned,
        status: 'SUCCEEDED',
        startDate: new Date('2026-12-07T09:00:00Z'),
        input: '{"name":"p1"}',
      });
    const handler = createHandler(
      apiDepsOf({
        store,
        clock: new ManualClock(0),
        stepFunctions: () => new SFNClient({ region: 'us-east-1' }),
        stateMachineArns: () => ARNS,
      }),
    );

    // Act
    const answer = await call(handler, { resource: '/plans' });

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({
      plans: [
        {
          plan: 'p1',
          cloud: 'huaweicloud',
          resources: 2,
          lastExecution: {
            name: 'v1',
            workflow: 'verify',
            status: 'SUCCEEDED',
            startDate: '2026-12-07T10:00:00.000Z',
          },
          lastVerification: { ok: true, at: '2026-12-07T10:00:02.000Z' },
        },
        { plan: 'p2', cloud: 'virtual', resources: 1 },
      ],
    });
    // p1 was settled by its newest execution; the older one was never described (p2 has none to find).
    expect(sfn).toHaveReceivedCommandWith(DescribeExecutionCommand, {
      executionArn: provisioned.executionArn,
    });
  });

  it('answers an empty list, and asks Step Functions nothing, when nothing is provisioned', async () => {
    const handler = createHandler(
      apiDepsOf({
        store: new MemoryStore(),
        clock: new ManualClock(0),
        stepFunctions: () => new SFNClient({ region: 'us-east-1' }),
        stateMachineArns: () => ARNS,
      }),
    );
    const answer = await call(handler, { resource: '/plans' });
    expect(answer.json).toEqual({ plans: [] });
    expect(sfn).not.toHaveReceivedCommand(DescribeExecutionCommand);
  });
});
