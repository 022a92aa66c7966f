/** What the local stack does when an execution closes (src/stack/after-close.ts): the follow-up it tracks. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryStore } from '../../src/cloud/memory-store.ts';
import { afterClose } from '../../src/stack/after-close.ts';

const PROVISION = 'arn:aws:states:us-east-1:000000000000:stateMachine:natflow-provision';
const ROLLBACK_ARN = 'arn:aws:states:us-east-1:000000000000:execution:natflow-rollback:r-1';

function closedProvisioning() {
  return {
    executionArn: 'arn:aws:states:us-east-1:000000000000:execution:natflow-provision:p-1',
    stateMachineArn: PROVISION,
    name: 'p-1',
    status: 'ABORTED',
    input: '{}',
    startDate: new Date(0),
    stopDate: new Date(1),
  } as unknown as Parameters<ReturnType<typeof afterClose>>[0];
}

function hook(waitForExecution: () => Promise<unknown>) {
  const tracked: Promise<void>[] = [];
  const settled: string[] = [];
  const run = afterClose({
    bus: {
      putEvents: async () => ({ Started: [{ rule: 'rollback', result: { executionArn: ROLLBACK_ARN } }] }),
    } as never,
    waitForExecution,
    workflowOf: () => 'provision',
    dataPlane: undefined,
    store: new MemoryStore(),
    tasks: { settle: async (arn: string) => void settled.push(arn), forget: () => {} },
    track: (work) => {
      tracked.push(work);
      return work;
    },
  });
  return { run, tracked, settled };
}

describe('Function: afterClose', () => {
  afterEach(() => vi.restoreAllMocks());

  it('tracks the rollback the status-change event started, and settles the closed execution', async () => {
    // Prepare
    const { run, tracked, settled } = hook(async () => ({ status: 'SUCCEEDED' }));
    // Act
    await run(closedProvisioning());
    // Assess
    expect(tracked).toHaveLength(1);
    await expect(tracked[0]).resolves.toBeUndefined();
    expect(settled).toEqual([closedProvisioning().executionArn]);
  });

  it('stops waiting quietly when the stack closes before the started rollback ends', async () => {
    // Prepare: the engine's answer to a wait on a closed service
    const closed = Object.assign(new Error('the Step Functions service is closed'), {
      name: 'ServiceUnavailable',
    });
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const { run, tracked } = hook(async () => Promise.reject(closed));
    // Act
    await run(closedProvisioning());
    // Assess: the tracked work resolves (no unhandled rejection) and nothing is reported
    await expect(tracked[0]).resolves.toBeUndefined();
    expect(warn).not.toHaveBeenCalled();
  });

  it('warns when waiting fails for any other reason, without rejecting the tracked work', async () => {
    // Prepare
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const { run, tracked } = hook(async () => Promise.reject(new Error('disk full')));
    // Act
    await run(closedProvisioning());
    // Assess
    await expect(tracked[0]).resolves.toBeUndefined();
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('disk full'));
  });
});
