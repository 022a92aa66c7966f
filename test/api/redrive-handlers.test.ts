/**
 * POST /executions/{id}/redrive and /rollback against a mocked Step Functions (aws-sdk-client-mock), as
 * deployed: the refusals, and the rollback seam's two ways — the `rollback` state machine once its ARN
 * is configured (StartExecution `{executionArn, force: true}`; its execution is the record a later redrive
 * is refused by), in process without it — and the resumption of a rollback that left resources behind,
 * always on the rollback machine.
 */
import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  ExecutionNotRedrivable,
  GetExecutionHistoryCommand,
  RedriveExecutionCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { type ApiDeps, apiDepsOf } from '../../functions/api/lib/deps.ts';
import { resumeExecutionName, rollbackExecutionName } from '../../functions/api/lib/rollback.ts';
import { createHandler as createRedrive } from '../../functions/api/redrive-execution.ts';
import { createHandler as createRollback } from '../../functions/api/rollback-execution.ts';
import { ControlPlane } from '../../src/cloud/control-plane.ts';
import { MemoryStore } from '../../src/cloud/memory-store.ts';
import { ManualClock } from '../../src/net/clock.ts';
import { call } from './events.ts';

const PREFIX = 'arn:aws:states:us-east-1:123456789012';
const ARNS = {
  provision: `${PREFIX}:stateMachine:natflow-provision-prod`,
  verify: `${PREFIX}:stateMachine:natflow-verify-prod`,
  teardown: `${PREFIX}:stateMachine:natflow-teardown-prod`,
};
const ROLLBACK = `${PREFIX}:stateMachine:natflow-rollback-prod`;
const KEPT = `${PREFIX}:execution:natflow-provision-keep-prod:kept-1`;
const ROLLED = `${PREFIX}:execution:natflow-provision-prod:plain-1`;
const START = new Date('2026-01-02T03:04:05.678Z');

const sfn = mockClient(SFNClient);
let deps: ApiDeps;
const depsWith = (arns: Record<string, string>, store = MemoryStore.from([])) =>
  apiDepsOf({
    store,
    clock: new ManualClock(START.getTime()),
    stepFunctions: () => new SFNClient({ region: 'us-east-1' }),
    stateMachineArns: () => arns as typeof ARNS,
  });

const described = (executionArn: string, status: string) =>
  ({
    executionArn,
    stateMachineArn: executionArn.replace(':execution:', ':stateMachine:').replace(/:[^:]+$/, ''),
    name: executionArn.slice(executionArn.lastIndexOf(':') + 1),
    status,
    startDate: START,
    input: '{}',
  }) as never;

const redrive = (id: string) =>
  call((event, context) => createRedrive(deps)(event, context), {
    method: 'POST',
    resource: '/executions/{id}/redrive',
    pathParameters: { id: encodeURIComponent(id) },
  });
const rollback = (id: string) =>
  call((event, context) => createRollback(deps)(event, context), {
    method: 'POST',
    resource: '/executions/{id}/rollback',
    pathParameters: { id: encodeURIComponent(id) },
  });

beforeEach(() => {
  sfn.reset();
  deps = depsWith({ ...ARNS, rollback: ROLLBACK });
});

describe('POST /executions/{id}/redrive', () => {
  it('redrives a kept failure with RedriveExecution: 200 RUNNING with the redrive date', async () => {
    sfn
      .on(DescribeExecutionCommand)
      .rejects(new ExecutionDoesNotExist({ message: 'no', $metadata: {} }))
      .on(DescribeExecutionCommand, { executionArn: KEPT })
      .resolves(described(KEPT, 'FAILED'));
    sfn.on(RedriveExecutionCommand).resolves({ redriveDate: new Date(START.getTime() + 1000) });
    const answer = await redrive(KEPT);
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({
      executionArn: KEPT,
      status: 'RUNNING',
      redriveDate: new Date(START.getTime() + 1000).toISOString(),
    });
    // Not rolled back: the rollback machine has no execution for it.
    expect(sfn).toHaveReceivedCommandWith(DescribeExecutionCommand, {
      executionArn: `${PREFIX}:execution:natflow-rollback-prod:${rollbackExecutionName(KEPT, 'kept-1')}`,
    });
    expect(sfn).toHaveReceivedCommandWith(RedriveExecutionCommand, { executionArn: KEPT });
  });

  it('refuses 409 EXECUTION_ROLLED_BACK when the rollback machine rolled the kept failure back', async () => {
    sfn.on(DescribeExecutionCommand).resolves(described(KEPT, 'FAILED'));
    const answer = await redrive(KEPT);
    expect(answer.status).toBe(409);
    expect(answer.json.code).toBe('EXECUTION_ROLLED_BACK');
    expect(sfn).not.toHaveReceivedCommand(RedriveExecutionCommand);
  });

  it('refuses 409 EXECUTION_ROLLED_BACK for a provisioning with onFailure: rollback', async () => {
    sfn.on(DescribeExecutionCommand).resolves(described(ROLLED, 'FAILED'));
    const answer = await redrive(ROLLED);
    expect(answer.status).toBe(409);
    expect(answer.json.code).toBe('EXECUTION_ROLLED_BACK');
    expect(answer.json.detail).toContain('onFailure: rollback');
    expect(sfn).not.toHaveReceivedCommand(RedriveExecutionCommand);
  });

  it("maps Step Functions' ExecutionNotRedrivable to 409 EXECUTION_NOT_REDRIVABLE with its reason", async () => {
    sfn.on(DescribeExecutionCommand).resolves(described(KEPT, 'SUCCEEDED'));
    sfn.on(RedriveExecutionCommand).rejects(
      new ExecutionNotRedrivable({
        message: 'Execution is SUCCEEDED and cannot be redriven',
        $metadata: {},
      }),
    );
    const answer = await redrive(KEPT);
    expect(answer.status).toBe(409);
    expect(answer.json.code).toBe('EXECUTION_NOT_REDRIVABLE');
    expect(answer.json.detail).toContain('SUCCEEDED and cannot be redriven');
  });

  it('without the rollback machine, reads the ledger and the history: nothing left after a creating step', async () => {
    deps = depsWith(ARNS);
    sfn.on(DescribeExecutionCommand).resolves(described(KEPT, 'FAILED'));
    sfn.on(GetExecutionHistoryCommand).resolves({
      events: [
        {
          id: 1,
          timestamp: START,
          type: 'TaskStateExited',
          stateExitedEventDetails: { name: 'CreateNetworks' },
        },
      ],
    });
    const answer = await redrive(KEPT);
    expect(answer.status).toBe(409);
    expect(answer.json.code).toBe('EXECUTION_ROLLED_BACK');
  });
});

describe('POST /executions/{id}/rollback', () => {
  it('starts the rollback state machine with {executionArn, force: true}, named after the execution', async () => {
    sfn.on(DescribeExecutionCommand).resolves(described(KEPT, 'FAILED'));
    sfn
      .on(StartExecutionCommand)
      .resolves({ executionArn: `${PREFIX}:execution:natflow-rollback-prod:rb`, startDate: START });
    const answer = await rollback(KEPT);
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({
      executionArn: KEPT,
      deleted: [],
      rollbackExecutionArn: `${PREFIX}:execution:natflow-rollback-prod:rb`,
    });
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: ROLLBACK,
      name: rollbackExecutionName(KEPT, 'kept-1'),
      input: JSON.stringify({ executionArn: KEPT, force: true }),
    });
    expect(rollbackExecutionName(KEPT, 'x'.repeat(100))).toHaveLength(80);
  });

  it('rolls back in process without the rollback machine (an empty ledger deletes nothing)', async () => {
    deps = depsWith(ARNS);
    sfn.on(DescribeExecutionCommand).resolves(described(KEPT, 'ABORTED'));
    const answer = await rollback(KEPT);
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ executionArn: KEPT, deleted: [] });
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it.each([
    { name: 'a provisioning with onFailure: rollback', arn: ROLLED, status: 'FAILED' },
    { name: 'a RUNNING kept provisioning', arn: KEPT, status: 'RUNNING' },
    { name: 'a SUCCEEDED kept provisioning', arn: KEPT, status: 'SUCCEEDED' },
  ])('refuses 409 ROLLBACK_REFUSED for $name', async ({ arn, status }) => {
    sfn.on(DescribeExecutionCommand).resolves(described(arn, status));
    const answer = await rollback(arn);
    expect(answer.status).toBe(409);
    expect(answer.json.code).toBe('ROLLBACK_REFUSED');
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  describe('a provisioning whose own rollback left resources behind', () => {
    /** ROLLED's ledger still holds a VPC: its rollback could not finish. */
    async function leftBehindStore(): Promise<MemoryStore> {
      const store = MemoryStore.from([]);
      await new ControlPlane({ store }).createVpc(
        { name: 'VPC-A', cidr: '192.168.0.0/16' },
        { execution: ROLLED },
      );
      return store;
    }

    it('resumes it on the rollback state machine, a new execution named after it', async () => {
      deps = depsWith({ ...ARNS, rollback: ROLLBACK }, await leftBehindStore());
      sfn.on(DescribeExecutionCommand).resolves(described(ROLLED, 'FAILED'));
      sfn
        .on(StartExecutionCommand)
        .resolves({ executionArn: `${PREFIX}:execution:natflow-rollback-prod:rs`, startDate: START });
      const answer = await rollback(ROLLED);
      expect(answer.status).toBe(200);
      expect(answer.json).toEqual({
        executionArn: ROLLED,
        deleted: [],
        rollbackExecutionArn: `${PREFIX}:execution:natflow-rollback-prod:rs`,
      });
      expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
        stateMachineArn: ROLLBACK,
        name: resumeExecutionName(ROLLED, 'plain-1', START.getTime()),
        input: JSON.stringify({ executionArn: ROLLED, force: true }),
      });
      expect(resumeExecutionName(ROLLED, 'x'.repeat(100), 0)).toHaveLength(80);
    });

    it('resumes it on the rollback machine even where a kept failure is rolled back in the request', async () => {
      deps = apiDepsOf({
        store: await leftBehindStore(),
        clock: new ManualClock(START.getTime()),
        stepFunctions: () => new SFNClient({ region: 'us-east-1' }),
        stateMachineArns: () => ({ ...ARNS, rollback: ROLLBACK }),
        keptRollbackInProcess: true,
      });
      sfn.on(DescribeExecutionCommand).resolves(described(ROLLED, 'ABORTED'));
      sfn
        .on(StartExecutionCommand)
        .resolves({ executionArn: `${PREFIX}:execution:natflow-rollback-prod:rs`, startDate: START });
      expect((await rollback(ROLLED)).status).toBe(200);
      expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, { stateMachineArn: ROLLBACK });
    });

    it('refuses 409 ROLLBACK_REFUSED while it is RUNNING, and where no rollback machine is deployed', async () => {
      deps = depsWith({ ...ARNS, rollback: ROLLBACK }, await leftBehindStore());
      sfn.on(DescribeExecutionCommand).resolves(described(ROLLED, 'RUNNING'));
      expect((await rollback(ROLLED)).json.code).toBe('ROLLBACK_REFUSED');
      deps = depsWith(ARNS, await leftBehindStore());
      sfn.on(DescribeExecutionCommand).resolves(described(ROLLED, 'FAILED'));
      const answer = await rollback(ROLLED);
      expect(answer.status).toBe(409);
      expect(answer.json).toMatchObject({
        code: 'ROLLBACK_REFUSED',
        detail: expect.stringContaining('natflow teardown'),
      });
      expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
    });
  });

  it('answers 404 NOT_FOUND for an execution no natflow machine has', async () => {
    sfn.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'no', $metadata: {} }));
    const answer = await rollback('ghost');
    expect(answer.status).toBe(404);
    expect(answer.json.code).toBe('NOT_FOUND');
  });
});
