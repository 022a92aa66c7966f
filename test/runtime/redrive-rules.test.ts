/**
 * RedriveExecution's rules (AWS's, for STANDARD workflows) and where a redrive continues, as pure
 * functions; and the `onFailure: keep` variant of the provision definition.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { compileDefinition } from '../../src/local-sfn/definition.ts';
import {
  MAX_EXECUTION_TIME_MS,
  REDRIVABLE_PERIOD_MS,
  REDRIVE_HISTORY_LIMIT,
  redriveRefusal,
  redriveStatusOf,
  restartPointOf,
} from '../../src/local-sfn/redrive.ts';
import { keepVariantName, keepVariantOf, reachableStates } from '../../src/workflow/keep-variant.ts';
import { keptFailureRolledBack, redriveRefusalOf, rollbackRefusalOf } from '../../src/workflow/kept.ts';

const NOW = Date.parse('2026-12-02T12:00:00Z');
const DAY = 24 * 3600 * 1000;
const PROVISION = JSON.parse(
  readFileSync(join(import.meta.dirname, '../../statemachines/provision.asl.json'), 'utf8'),
) as { StartAt: string; States: Record<string, Record<string, unknown>> };

describe('Function: redriveRefusal', () => {
  const closed = (over: Partial<Parameters<typeof redriveRefusal>[0]> = {}) => ({
    status: 'FAILED',
    startDate: new Date(NOW - DAY),
    stopDate: new Date(NOW - DAY + 60_000),
    historyEvents: 120,
    ...over,
  });

  it.each([
    { name: 'FAILED', facts: closed() },
    { name: 'ABORTED', facts: closed({ status: 'ABORTED' }) },
    { name: 'TIMED_OUT', facts: closed({ status: 'TIMED_OUT' }) },
    {
      name: 'stopped 13 days 23 h ago',
      facts: closed({ stopDate: new Date(NOW - REDRIVABLE_PERIOD_MS + 3600_000) }),
    },
    { name: 'a history one below the limit', facts: closed({ historyEvents: REDRIVE_HISTORY_LIMIT - 1 }) },
  ])('allows a redrive: $name', ({ facts }) => {
    expect(redriveRefusal(facts, NOW)).toBeUndefined();
    expect(redriveStatusOf(facts, NOW)).toEqual({ redriveStatus: 'REDRIVABLE' });
  });

  it.each([
    {
      name: 'RUNNING',
      facts: closed({ status: 'RUNNING' }),
      reason: 'Execution is RUNNING and cannot be redriven',
    },
    {
      name: 'SUCCEEDED',
      facts: closed({ status: 'SUCCEEDED' }),
      reason: 'Execution is SUCCEEDED and cannot be redriven',
    },
    {
      name: 'stopped more than 14 days ago',
      facts: closed({ stopDate: new Date(NOW - REDRIVABLE_PERIOD_MS - 1) }),
      reason: 'Execution redrivable period exceeded',
    },
    {
      name: 'started more than a year ago',
      facts: closed({ startDate: new Date(NOW - MAX_EXECUTION_TIME_MS - 1) }),
      reason: 'Execution has exceeded the max execution time',
    },
    {
      name: 'a history at the limit',
      facts: closed({ historyEvents: REDRIVE_HISTORY_LIMIT }),
      reason: 'Execution history event limit exceeded',
    },
  ])('refuses a redrive: $name', ({ facts, reason }) => {
    expect(redriveRefusal(facts, NOW)).toBe(reason);
    expect(redriveStatusOf(facts, NOW)).toEqual({
      redriveStatus: 'NOT_REDRIVABLE',
      redriveStatusReason: reason,
    });
  });
});

describe('Function: restartPointOf', () => {
  const compiled = compileDefinition(keepVariantOf(PROVISION), { region: 'us-east-1', accountId: '1' });
  let id = 0;
  const entered = (name: string, input: unknown): HistoryEvent => ({
    id: ++id,
    timestamp: new Date(NOW),
    type: 'TaskStateEntered',
    stateEnteredEventDetails: { name, input: JSON.stringify(input) },
  });
  const exited = (name: string): HistoryEvent => ({
    id: ++id,
    timestamp: new Date(NOW),
    type: 'TaskStateExited',
    stateExitedEventDetails: { name, output: '{}' },
  });

  it('continues at the top-level state open when the execution failed, with its input', () => {
    const events = [
      entered('ValidatePlan', { a: 1 }),
      exited('ValidatePlan'),
      entered('CreateNetworks', { plan: 'x' }),
      exited('CreateNetworks'),
      entered('AddRules', { plan: 'at-rules' }),
      entered('AddDnatRule', { inner: true }),
    ];
    expect(restartPointOf(events, compiled.states, 'ValidatePlan', '{"start":1}')).toEqual({
      stateName: 'AddRules',
      input: JSON.stringify({ plan: 'at-rules' }),
    });
  });

  it('ignores states inside a Parallel: the whole Parallel reruns', () => {
    const events = [entered('ProvisionInParallel', { p: 1 }), entered('CreateLoadBalancer', { lb: 1 })];
    expect(restartPointOf(events, compiled.states, 'ValidatePlan', '{}').stateName).toBe(
      'ProvisionInParallel',
    );
  });

  it('starts at StartAt with the execution input when no state is open', () => {
    const events = [entered('ValidatePlan', {}), exited('ValidatePlan')];
    expect(restartPointOf(events, compiled.states, 'ValidatePlan', '{"plan":1}')).toEqual({
      stateName: 'ValidatePlan',
      input: '{"plan":1}',
    });
  });

  it('reads only what happened since the last ExecutionRedriven', () => {
    const events = [
      entered('AddRules', { first: true }),
      { id: ++id, type: 'ExecutionRedriven', executionRedrivenEventDetails: { redriveCount: 1 } },
      entered('AddRules', { second: true }),
      { id: ++id, type: 'ParallelStateExited', stateExitedEventDetails: { name: 'AddRules' } },
      entered('CheckResourcesActive', { third: true }),
    ] as HistoryEvent[];
    expect(restartPointOf(events, compiled.states, 'ValidatePlan', '{}')).toEqual({
      stateName: 'CheckResourcesActive',
      input: JSON.stringify({ third: true }),
    });
  });
});

describe('Function: keepVariantOf', () => {
  const keep = keepVariantOf(PROVISION);

  it('removes every Catch, in Parallel branches too', () => {
    const catches: string[] = [];
    const walk = (states: Record<string, Record<string, unknown>>) => {
      for (const [name, state] of Object.entries(states)) {
        if (state.Catch) catches.push(name);
        for (const branch of (state.Branches as { States: Record<string, Record<string, unknown>> }[]) ?? [])
          walk(branch.States);
      }
    };
    walk(keep.States);
    expect(catches).toEqual([]);
    // The original is untouched.
    expect(PROVISION.States.CreateNetworks?.Catch).toBeDefined();
  });

  it('drops the states only a Catch reached, and keeps every other state with its Retry', () => {
    expect(Object.keys(keep.States)).not.toContain('Rollback');
    expect(Object.keys(keep.States)).not.toContain('PublishProvisioningFailed');
    expect(Object.keys(keep.States)).not.toContain('ProvisioningFailed');
    // The rollback, and its last turn once its Retry stops waiting, are reached only through a Catch.
    const ROLLBACK_ONLY = ['Rollback', 'RollbackGaveUp', 'PublishProvisioningFailed', 'ProvisioningFailed'];
    const kept = Object.keys(PROVISION.States).filter((name) => !ROLLBACK_ONLY.includes(name));
    expect(Object.keys(keep.States).sort()).toEqual(kept.sort());
    for (const name of kept) expect(keep.States[name]?.Retry).toEqual(PROVISION.States[name]?.Retry);
    expect(reachableStates(keep.StartAt, keep.States)).toEqual(new Set(Object.keys(keep.States)));
  });

  it('passes asl-validator', () => {
    const result = aslValidator(keep, { checkPaths: true, checkArn: false });
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });

  it.each([
    { name: 'natflow-provision-dev', keep: 'natflow-provision-keep-dev' },
    { name: 'natflow-provision-prod', keep: 'natflow-provision-keep-prod' },
    { name: 'other', keep: 'other-keep' },
  ])('names the variant of $name $keep', ({ name, keep: expected }) => {
    expect(keepVariantName(name)).toBe(expected);
  });
});

describe('natflow rules: redriveRefusalOf, rollbackRefusalOf, keptFailureRolledBack', () => {
  it.each(['FAILED', 'ABORTED', 'TIMED_OUT'])(
    'refuses to redrive a %s provisioning that rolled back',
    (status) => {
      const refusal = redriveRefusalOf({ name: 'p-1', machine: 'provision', status }, false);
      expect(refusal?.code).toBe('EXECUTION_ROLLED_BACK');
      expect(refusal?.message).toContain('onFailure: rollback');
      expect(refusal?.message).toContain('--on-failure keep');
    },
  );

  it('lets a kept failure through (Step Functions rules still apply), until it is rolled back', () => {
    expect(
      redriveRefusalOf({ name: 'k', machine: 'provision-keep', status: 'FAILED' }, false),
    ).toBeUndefined();
    expect(redriveRefusalOf({ name: 'k', machine: 'provision-keep', status: 'FAILED' }, true)?.code).toBe(
      'EXECUTION_ROLLED_BACK',
    );
  });

  it.each([
    { machine: 'provision', status: 'FAILED', says: 'rolls back by itself' },
    { machine: 'verify', status: 'FAILED', says: 'not a provisioning' },
    { machine: 'provision-keep', status: 'RUNNING', says: 'stop it first' },
    { machine: 'provision-keep', status: 'SUCCEEDED', says: 'natflow teardown' },
  ])('refuses to roll back a $status $machine execution', ({ machine, status, says }) => {
    const refusal = rollbackRefusalOf({ name: 'e', machine, status });
    expect(refusal?.code).toBe('ROLLBACK_REFUSED');
    expect(refusal?.message).toContain(says);
  });

  it.each(['FAILED', 'ABORTED', 'TIMED_OUT'])('rolls back a %s kept failure', (status) => {
    expect(rollbackRefusalOf({ name: 'e', machine: 'provision-keep', status })).toBeUndefined();
  });

  it('reads a kept failure as rolled back when its ledger is empty after a creating step', () => {
    const exitedStep = (name: string): HistoryEvent => ({
      id: 1,
      timestamp: new Date(NOW),
      type: 'TaskStateExited',
      stateExitedEventDetails: { name },
    });
    expect(keptFailureRolledBack(3, [exitedStep('CreateNetworks')])).toBe(false);
    expect(keptFailureRolledBack(0, [exitedStep('CreateNetworks')])).toBe(true);
    // Failed at ValidatePlan or CreateNetworks: nothing was created, a redrive has all it needs.
    expect(keptFailureRolledBack(0, [exitedStep('ValidatePlan')])).toBe(false);
    expect(keptFailureRolledBack(0, [])).toBe(false);
  });
});
