import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { AslMachine } from '../../src/console/assets/graph.ts';
import { type HistoryEvent, readCause, replayHistory, timeOf } from '../../src/console/assets/status.ts';

const provision = JSON.parse(
  readFileSync(new URL('../../statemachines/provision.asl.json', import.meta.url), 'utf8'),
) as AslMachine;
const verify = JSON.parse(
  readFileSync(new URL('../../statemachines/verify.asl.json', import.meta.url), 'utf8'),
) as AslMachine;

/**
 * Builds a history the way the local service numbers it (previousEventId = id - 1, so the chain says
 * nothing and attribution must rely on function names and what follows), one event a millisecond.
 */
class History {
  readonly events: HistoryEvent[] = [];
  private add(type: string, details: Record<string, unknown> = {}) {
    const id = this.events.length + 1;
    this.events.push({
      id,
      previousEventId: id - 1,
      type,
      timestamp: new Date(1_700_000_000_000 + id).toISOString(),
      ...details,
    });
    return this;
  }
  started(input: unknown = {}) {
    return this.add('ExecutionStarted', { executionStartedEventDetails: { input: JSON.stringify(input) } });
  }
  enter(type: string, name: string, input: unknown = {}) {
    return this.add(`${type}StateEntered`, {
      stateEnteredEventDetails: { name, input: JSON.stringify(input) },
    });
  }
  exit(type: string, name: string, output: unknown = {}) {
    return this.add(`${type}StateExited`, {
      stateExitedEventDetails: { name, output: JSON.stringify(output) },
    });
  }
  scheduled(fn: string) {
    return this.add('LambdaFunctionScheduled', {
      lambdaFunctionScheduledEventDetails: {
        resource: `arn:aws:lambda:us-east-1:123456789012:function:${fn}`,
        input: '{}',
        inputDetails: { truncated: false },
      },
    }).add('LambdaFunctionStarted');
  }
  scheduledOnly(fn: string) {
    return this.add('LambdaFunctionScheduled', {
      lambdaFunctionScheduledEventDetails: { resource: `arn:aws:lambda:r:1:function:${fn}` },
    });
  }
  startedOnly() {
    return this.add('LambdaFunctionStarted');
  }
  succeeded(output: unknown = {}) {
    return this.add('LambdaFunctionSucceeded', {
      lambdaFunctionSucceededEventDetails: { output: JSON.stringify(output) },
    });
  }
  failed(error: string, cause: string) {
    return this.add('LambdaFunctionFailed', { lambdaFunctionFailedEventDetails: { error, cause } });
  }
  task(name: string, fn: string, output: unknown = {}) {
    return this.enter('Task', name).scheduled(fn).succeeded(output).exit('Task', name, output);
  }
  raw(type: string, details: Record<string, unknown> = {}) {
    return this.add(type, details);
  }
}

describe('replayHistory', () => {
  it('colours states that ran succeeded, the current one running and the rest not started', () => {
    // Prepare
    const history = new History()
      .started({ name: 'p' })
      .task('ValidatePlan', 'validatePlan', { plan: { name: 'p' } })
      .enter('Task', 'CreateNetworks', { plan: { name: 'p' } })
      .scheduled('createNetworks');

    // Act
    const run = replayHistory(provision, history.events);

    // Assess
    expect(run.status).toBe('RUNNING');
    expect(run.states.get('ValidatePlan')).toMatchObject({
      status: 'succeeded',
      output: { plan: { name: 'p' } },
    });
    expect(run.states.get('CreateNetworks')).toMatchObject({
      status: 'running',
      input: { plan: { name: 'p' } },
    });
    expect(run.states.get('Rollback')?.status).toBe('not-started');
    expect(run.stateOfEvent.get(3)).toBe('ValidatePlan'); // LambdaFunctionScheduled
    expect(run.input).toEqual({ name: 'p' });
  });

  it('attributes the task events of concurrent Parallel branches to the right state', () => {
    // Both branches' tasks run at once; the transit side finishes first.
    const history = new History()
      .started()
      .enter('Parallel', 'ProvisionInParallel')
      .raw('ParallelStateStarted')
      .enter('Task', 'CreateBackendGroups')
      .enter('Task', 'AssignTransitIp')
      .scheduledOnly('createBackendGroups')
      .scheduledOnly('assignTransitIps')
      .startedOnly()
      .startedOnly()
      .succeeded({ side: 'transit' })
      .exit('Task', 'AssignTransitIp')
      .succeeded({ side: 'servers' })
      .exit('Task', 'CreateBackendGroups');

    const run = replayHistory(provision, history.events);

    expect(run.states.get('AssignTransitIp')?.status).toBe('succeeded');
    expect(run.states.get('CreateBackendGroups')?.status).toBe('succeeded');
    expect(run.states.get('ProvisionInParallel')?.status).toBe('running');
    const scheduled = history.events
      .filter((e) => e.type === 'LambdaFunctionScheduled')
      .map((e) => run.stateOfEvent.get(e.id));
    expect(scheduled).toEqual(['CreateBackendGroups', 'AssignTransitIp']);
    const completions = history.events
      .filter((e) => e.type === 'LambdaFunctionSucceeded')
      .map((e) => run.stateOfEvent.get(e.id));
    expect(completions).toEqual(['AssignTransitIp', 'CreateBackendGroups']);
  });

  it('shows a failed branch task as failed, its Parallel as caught, and the execution error at the task', () => {
    // AddDnatRule fails for good while AddSnatRule succeeds; AddRules' Catch sends the run to Rollback.
    const cause = 'injected permanent fault at AddDnatRule (addDnatRules, before the handler)';
    const history = new History()
      .started()
      .task('ValidatePlan', 'validatePlan')
      .enter('Parallel', 'AddRules')
      .raw('ParallelStateStarted')
      .enter('Task', 'AddDnatRule', { plan: 'dnat-input' })
      .enter('Task', 'AddSnatRule')
      .scheduledOnly('addDnatRules')
      .startedOnly()
      .scheduledOnly('addSnatRules')
      .startedOnly()
      .failed('Natflow.InjectedFault', cause)
      .succeeded()
      .exit('Task', 'AddSnatRule')
      .raw('ParallelStateFailed')
      .task('Rollback', 'rollback', { rolledBack: 3 })
      .task('PublishProvisioningFailed', 'publishEvent')
      .enter('Fail', 'ProvisioningFailed')
      .raw('ExecutionFailed', { executionFailedEventDetails: { error: 'Natflow.InjectedFault', cause } });

    const run = replayHistory(provision, history.events);

    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('Natflow.InjectedFault');
    expect(run.failedState).toBe('AddDnatRule');
    expect(run.states.get('AddDnatRule')).toMatchObject({
      status: 'failed',
      error: 'Natflow.InjectedFault',
      cause,
      input: { plan: 'dnat-input' },
    });
    expect(run.states.get('AddSnatRule')?.status).toBe('succeeded');
    expect(run.states.get('AddRules')).toMatchObject({
      status: 'caught',
      caughtBy: 'Rollback',
      error: 'Natflow.InjectedFault',
    });
    expect(run.states.get('Rollback')).toMatchObject({ status: 'succeeded', output: { rolledBack: 3 } });
    expect(run.states.get('ProvisioningFailed')).toMatchObject({
      status: 'failed',
      error: 'Natflow.InjectedFault',
    });
    expect(run.states.get('CheckResourcesActive')?.status).toBe('not-started');
  });

  it('shows a task a Catch took over as caught and points at it for the execution error', () => {
    const history = new History()
      .started()
      .enter('Task', 'ValidatePlan')
      .scheduled('validatePlan')
      .failed('DNAT_PORT_CONFLICT', '192.168.0.144 tcp 80 is taken')
      .task('Rollback', 'rollback')
      .task('PublishProvisioningFailed', 'publishEvent')
      .enter('Fail', 'ProvisioningFailed')
      .raw('ExecutionFailed', {
        executionFailedEventDetails: { error: 'DNAT_PORT_CONFLICT', cause: '192.168.0.144 tcp 80 is taken' },
      });

    const run = replayHistory(provision, history.events);

    expect(run.states.get('ValidatePlan')).toMatchObject({
      status: 'caught',
      caughtBy: 'Rollback',
      error: 'DNAT_PORT_CONFLICT',
    });
    expect(run.failedState).toBe('ValidatePlan');
  });

  it('counts a retried attempt and ends succeeded', () => {
    const history = new History()
      .started()
      .enter('Task', 'ValidatePlan')
      .scheduled('validatePlan')
      .failed('Natflow.Transient', 'try again')
      .scheduled('validatePlan')
      .succeeded()
      .exit('Task', 'ValidatePlan');

    const state = replayHistory(provision, history.events).states.get('ValidatePlan');

    expect(state).toMatchObject({ status: 'succeeded', retries: 1, retriedError: 'Natflow.Transient' });
    expect(state?.error).toBeUndefined();
  });

  it('follows a Choice/Wait polling loop: every state entered again is counted, the last entry decides', () => {
    const history = new History()
      .started()
      .task('CheckRulesActive', 'checkActive', { ready: false })
      .enter('Choice', 'RulesActive?')
      .exit('Choice', 'RulesActive?')
      .enter('Wait', 'WaitForRules')
      .exit('Wait', 'WaitForRules')
      .task('CheckRulesActive', 'checkActive', { ready: true })
      .enter('Choice', 'RulesActive?')
      .exit('Choice', 'RulesActive?')
      .enter('Task', 'EvaluateTranslation')
      .scheduled('evaluateTranslation');

    const run = replayHistory(provision, history.events);

    expect(run.states.get('CheckRulesActive')).toMatchObject({
      status: 'succeeded',
      entries: 2,
      output: { ready: true },
    });
    expect(run.states.get('WaitForRules')).toMatchObject({ status: 'succeeded', entries: 1 });
    expect(run.states.get('EvaluateTranslation')?.status).toBe('running');
  });

  it('replays a Map: iterations are attributed to the Map, its iterator state to each iteration', () => {
    const history = new History()
      .started()
      .task('ListPlansToVerify', 'listPlans', { plans: ['a', 'b'] })
      .enter('Map', 'VerifyEachPlan')
      .raw('MapStateStarted', { mapStateStartedEventDetails: { length: 2 } })
      .raw('MapIterationStarted', { mapIterationStartedEventDetails: { name: 'VerifyEachPlan', index: 0 } })
      .raw('MapIterationStarted', { mapIterationStartedEventDetails: { name: 'VerifyEachPlan', index: 1 } })
      .task('VerifyPlan', 'verifyConnectivity', { plan: 'a' })
      .task('VerifyPlan', 'verifyConnectivity', { plan: 'b' })
      .raw('MapIterationSucceeded', {
        mapIterationSucceededEventDetails: { name: 'VerifyEachPlan', index: 0 },
      })
      .raw('MapIterationSucceeded', {
        mapIterationSucceededEventDetails: { name: 'VerifyEachPlan', index: 1 },
      })
      .raw('MapStateSucceeded')
      .exit('Map', 'VerifyEachPlan');

    const run = replayHistory(verify, history.events);

    expect(run.states.get('VerifyPlan')).toMatchObject({ status: 'succeeded', entries: 2 });
    expect(run.states.get('VerifyEachPlan')?.status).toBe('succeeded');
    const mapEvents = history.events
      .filter((e) => e.type.startsWith('Map'))
      .map((e) => run.stateOfEvent.get(e.id));
    expect(new Set(mapEvents)).toEqual(new Set(['VerifyEachPlan']));
  });

  it('marks what was still running when the execution was stopped as cancelled', () => {
    const history = new History()
      .started()
      .task('ValidatePlan', 'validatePlan')
      .enter('Task', 'CreateNetworks')
      .scheduled('createNetworks')
      .raw('ExecutionAborted', {
        executionAbortedEventDetails: { error: 'States.Aborted', cause: 'stopped' },
      });

    const run = replayHistory(provision, history.events);

    expect(run.status).toBe('ABORTED');
    expect(run.states.get('CreateNetworks')?.status).toBe('cancelled');
    expect(run.failedState).toBeUndefined();
  });

  it.each([
    ['a Lambda function ARN Resource (LambdaFunction… events)', 'LambdaFunction', 'lambdaFunction'],
    ['the lambda:invoke integration (Task… events)', 'Task', 'task'],
  ])('follows previousEventId chains when the history has them, as on AWS: %s', (_form, type, key) => {
    // AWS-style: each task event points at the one before it for the same state, not at the previous row.
    const scheduledDetails = (fn: string) =>
      type === 'Task'
        ? { parameters: JSON.stringify({ FunctionName: `arn:aws:lambda:r:1:function:${fn}` }) }
        : { resource: `arn:aws:lambda:r:1:function:${fn}` };
    const at = (id: number) => new Date(1_700_000_000_000 + id);
    const events: HistoryEvent[] = [
      { id: 1, previousEventId: 0, type: 'ExecutionStarted', timestamp: at(1) },
      {
        id: 2,
        previousEventId: 1,
        type: 'ParallelStateEntered',
        timestamp: at(2),
        stateEnteredEventDetails: { name: 'AddRules', input: '{}' },
      },
      {
        id: 3,
        previousEventId: 2,
        type: 'TaskStateEntered',
        timestamp: at(3),
        stateEnteredEventDetails: { name: 'AddDnatRule', input: '{}' },
      },
      {
        id: 4,
        previousEventId: 2,
        type: 'TaskStateEntered',
        timestamp: at(4),
        stateEnteredEventDetails: { name: 'AddSnatRule', input: '{}' },
      },
      {
        id: 5,
        previousEventId: 3,
        type: `${type}Scheduled`,
        timestamp: at(5),
        [`${key}ScheduledEventDetails`]: scheduledDetails('addDnatRules'),
      },
      {
        id: 6,
        previousEventId: 4,
        type: `${type}Scheduled`,
        timestamp: at(6),
        [`${key}ScheduledEventDetails`]: scheduledDetails('addSnatRules'),
      },
      { id: 7, previousEventId: 6, type: `${type}Started`, timestamp: at(7) },
      { id: 8, previousEventId: 5, type: `${type}Started`, timestamp: at(8) },
      {
        id: 9,
        previousEventId: 8,
        type: `${type}Failed`,
        timestamp: at(9),
        [`${key}FailedEventDetails`]: { error: 'QUOTA_EXCEEDED', cause: 'full' },
      },
      {
        id: 10,
        previousEventId: 7,
        type: `${type}Succeeded`,
        timestamp: at(10),
        [`${key}SucceededEventDetails`]: { output: '{}' },
      },
    ];

    const run = replayHistory(provision, events);

    expect(run.stateOfEvent.get(7)).toBe('AddSnatRule');
    expect(run.stateOfEvent.get(9)).toBe('AddDnatRule');
    expect(run.states.get('AddDnatRule')).toMatchObject({ status: 'failed', error: 'QUOTA_EXCEEDED' });
    expect(run.states.get('AddSnatRule')?.status).toBe('running');
  });

  it('replays an empty history as nothing started', () => {
    const run = replayHistory(provision, []);
    expect(run.status).toBe('RUNNING');
    expect([...run.states.values()].every((s) => s.status === 'not-started')).toBe(true);
  });
});

describe('timeOf', () => {
  it.each([
    ['2024-01-02T03:04:05.006Z', Date.UTC(2024, 0, 2, 3, 4, 5, 6)],
    [1_700_000_000, 1_700_000_000_000],
    [1_700_000_000_123, 1_700_000_000_123],
    [new Date(5), 5],
  ])('reads %j', (value, expected) => {
    expect(timeOf(value)).toBe(expected);
  });

  it('is NaN for what is no time', () => {
    expect(timeOf('soon')).toBeNaN();
  });
});

describe('readCause', () => {
  it('reads a Lambda failure as its message, type and trace', () => {
    const cause = JSON.stringify({
      errorType: 'VERIFICATION_FAILED',
      errorMessage: 'plan p: 1 of 2 entries did not hold',
      trace: ['at a', 'at b'],
    });
    expect(readCause(cause)).toEqual({
      message: 'plan p: 1 of 2 entries did not hold',
      type: 'VERIFICATION_FAILED',
      trace: ['at a', 'at b'],
    });
  });

  it.each([
    ['plain text', 'the gateway is frozen', { message: 'the gateway is frozen' }],
    ['JSON without a message', '{"a":1}', { message: '{"a":1}' }],
    ['nothing', undefined, { message: '' }],
  ])('keeps %s as it is', (_name, cause, expected) => {
    expect(readCause(cause)).toEqual(expected);
  });
});

describe('waitingOf', () => {
  it('reads what a polling step last reported waiting for, and forgets it once the step reports none', async () => {
    const { waitingOf } = await import('../../src/console/assets/status.ts');
    const exited = (id: number, output: unknown) => ({
      id,
      type: 'TaskStateExited',
      timestamp: id,
      stateExitedEventDetails: { name: 'CheckGatewaysActive', output: JSON.stringify(output) },
    });
    const owner = new Map([
      [1, 'CheckGatewaysActive'],
      [2, 'CheckGatewaysActive'],
    ]);
    const waiting = {
      check: { ready: false, waiting: { name: 'ECS-B', kind: 'server', status: 'BUILD', seconds: 42.2 } },
    };
    expect(waitingOf([exited(1, waiting)], owner)).toEqual({
      text: 'waiting for ECS-B: BUILD, 42 s',
      state: 'CheckGatewaysActive',
    });
    expect(
      waitingOf([exited(1, waiting), exited(2, { check: { ready: true, waiting: null } })], owner),
    ).toBeUndefined();
    expect(waitingOf([exited(2, { check: { ready: true } })], owner)).toBeUndefined();
  });

  it("reads the wait from a Natflow.NotReady attempt's cause (Lambda's error document), until the step succeeds", async () => {
    const { waitingOf } = await import('../../src/console/assets/status.ts');
    // The history of a Task polling through its Retry (docs/workflows.md#what-a-step-waits-for).
    const document = {
      code: 'Natflow.NotReady',
      message: 'waiting for ECS-B: BUILD, 42 s; VPC-A: CREATING, 3 s',
      waiting: { name: 'ECS-B', kind: 'server', status: 'BUILD', seconds: 42 },
      alsoWaiting: [{ name: 'VPC-A', kind: 'vpc', status: 'CREATING', seconds: 3 }],
    };
    const failed = (id: number, seconds: number) => ({
      id,
      type: 'LambdaFunctionFailed',
      timestamp: id,
      lambdaFunctionFailedEventDetails: {
        error: 'Natflow.NotReady',
        cause: JSON.stringify({
          errorType: 'Natflow.NotReady',
          errorMessage: JSON.stringify({ ...document, waiting: { ...document.waiting, seconds } }),
          trace: ['Natflow.NotReady: …'],
        }),
      },
    });
    const succeeded = (id: number) => ({
      id,
      type: 'LambdaFunctionSucceeded',
      timestamp: id,
      lambdaFunctionSucceededEventDetails: { output: JSON.stringify({ resources: [] }) },
    });
    const owner = new Map([
      [1, 'CreateServers'],
      [2, 'CreateServers'],
      [3, 'CreateServers'],
      [4, 'CreateLoadBalancer'],
    ]);
    // Assess: the last attempt's wait, in the console's words
    expect(waitingOf([failed(1, 40), failed(2, 42)], owner)).toEqual({
      text: 'waiting for ECS-B: BUILD, 42 s',
      state: 'CreateServers',
    });
    // Assess: another state's output does not end it; the waiting state's success does
    expect(waitingOf([failed(1, 40), succeeded(4)], owner)?.state).toBe('CreateServers');
    expect(waitingOf([failed(1, 40), failed(2, 42), succeeded(3)], owner)).toBeUndefined();
    // Assess: a failure that is no wait says nothing
    const other = {
      id: 1,
      type: 'LambdaFunctionFailed',
      timestamp: 1,
      lambdaFunctionFailedEventDetails: {
        error: 'Natflow.Transient',
        cause: '{"errorMessage":"socket hang up"}',
      },
    };
    expect(waitingOf([other], owner)).toBeUndefined();
  });
});
