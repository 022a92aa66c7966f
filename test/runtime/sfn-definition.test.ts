/**
 * The pieces under the local Step Functions service: definition compilation, AWS's name rules, local
 * wait/retry scaling, and the history recorder's ordering invariant.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compileDefinition,
  functionNameOf,
  isWithin,
  mapLengthOf,
  type StateInfo,
  UNBOUNDED_TASK_TIMEOUT_SECONDS,
  waitTimeOverridesOf,
  withScaledRetries,
} from '../../src/local-sfn/definition.ts';
import { type EngineEvent, type HistoryEventBody, HistoryRecorder } from '../../src/local-sfn/history.ts';
import { SfnService } from '../../src/local-sfn/index.ts';
import { invalidNameReason, isStatesArn } from '../../src/local-sfn/names.ts';
import { loadAsl } from './sfn-harness.ts';

const SCOPE = { region: 'us-east-1', accountId: '123456789012' };

describe('compileDefinition', () => {
  it('rewrites every Task resource to its function ARN and indexes nested states by container', () => {
    // Act
    const compiled = compileDefinition(loadAsl('sfn-fanout'), SCOPE);

    // Assess
    expect(
      [...compiled.tasks.values()].map((task) => [task.stateName, task.functionName, task.functionArn]),
    ).toEqual([
      ['CreateVpcA', 'createVpc', 'arn:aws:lambda:us-east-1:123456789012:function:createVpc'],
      ['CreateVpcB', 'createVpc', 'arn:aws:lambda:us-east-1:123456789012:function:createVpc'],
      ['CreateServer', 'createServer', 'arn:aws:lambda:us-east-1:123456789012:function:createServer'],
    ]);
    expect(compiled.tasks.get('CreateServer')?.resource).toEqual({ 'Fn::GetAtt': ['createServer', 'Arn'] });
    expect(JSON.stringify(compiled.engineDefinition)).not.toContain('Fn::GetAtt');
    expect(compiled.states.get('CreateVpcB')?.container).toBe('CreateNetworks');
    expect(compiled.states.get('CreateServer')?.container).toBe('CreateServers');
    expect(compiled.states.get('CreateServers')?.container).toBeUndefined();
    expect(isWithin(compiled.states, 'CreateVpcA', 'CreateNetworks')).toBe(true);
    expect(isWithin(compiled.states, 'CreateVpcA', 'CreateServers')).toBe(false);
  });

  it.each([
    {
      name: 'a state name used twice across branches',
      definition: {
        StartAt: 'P',
        States: {
          P: {
            Type: 'Parallel',
            Branches: [
              { StartAt: 'X', States: { X: { Type: 'Pass', End: true } } },
              { StartAt: 'X', States: { X: { Type: 'Pass', End: true } } },
            ],
            End: true,
          },
        },
      },
      message: /used twice/,
    },
    {
      name: 'a Task resource that names no Lambda function',
      definition: { StartAt: 'T', States: { T: { Type: 'Task', Resource: { Ref: 'thing' }, End: true } } },
      message: /names no Lambda function/,
    },
    {
      name: 'a state without a valid Type',
      definition: { StartAt: 'T', States: { T: { Type: 'Loop' } } },
      message: /no valid Type/,
    },
  ])('rejects $name', ({ definition, message }) => {
    expect(() => compileDefinition(definition, SCOPE)).toThrow(message);
  });

  it('bounds a Task that sets no TimeoutSeconds by the execution only, as on AWS (not the engine’s 60 s)', () => {
    // Prepare: a create the cloud answers only once it exists may take minutes (an ELB v3 load balancer).
    const definition = {
      StartAt: 'CreateLoadBalancer',
      States: {
        CreateLoadBalancer: {
          Type: 'Task',
          Resource: { 'Fn::GetAtt': ['createLoadBalancers', 'Arn'] },
          Next: 'Own',
        },
        Own: { Type: 'Task', Resource: { 'Fn::GetAtt': ['f', 'Arn'] }, TimeoutSeconds: 5, Next: 'ByPath' },
        ByPath: {
          Type: 'Task',
          Resource: { 'Fn::GetAtt': ['f', 'Arn'] },
          TimeoutSecondsPath: '$.timeout',
          End: true,
        },
      },
    };

    // Act
    const compiled = compileDefinition(definition, SCOPE);

    // Assess: the engine's copy carries the bound; what the history and console read stays as written.
    const engineStates = compiled.engineDefinition.States as Record<string, Record<string, unknown>>;
    expect(engineStates.CreateLoadBalancer?.TimeoutSeconds).toBe(UNBOUNDED_TASK_TIMEOUT_SECONDS);
    expect(UNBOUNDED_TASK_TIMEOUT_SECONDS * 1000).toBeLessThanOrEqual(2 ** 31 - 1); // a timer's limit
    expect(UNBOUNDED_TASK_TIMEOUT_SECONDS).toBeGreaterThan(3600); // past any natflow execution's
    expect(engineStates.Own?.TimeoutSeconds).toBe(5);
    expect(engineStates.ByPath?.TimeoutSeconds).toBeUndefined();
    expect(compiled.states.get('CreateLoadBalancer')?.definition.TimeoutSeconds).toBeUndefined();
  });

  it.each([
    { resource: { 'Fn::GetAtt': ['createVpc', 'Arn'] }, name: 'createVpc' },
    { resource: { 'Fn::GetAtt': 'createVpc.Arn' }, name: 'createVpc' },
    { resource: 'arn:aws:lambda:eu-west-1:111122223333:function:createVpc', name: 'createVpc' },
    { resource: 'arn:aws:lambda:eu-west-1:111122223333:function:createVpc:live', name: 'createVpc' },
    { resource: 'arn:aws:states:::lambda:invoke', name: undefined },
    { resource: { 'Fn::GetAtt': ['createVpc', 'Name'] }, name: undefined },
  ])('reads the function of $resource', ({ resource, name }) => {
    expect(functionNameOf(resource)).toBe(name);
  });
});

describe('SfnService construction', () => {
  it('names the state machine whose definition the engine rejects', () => {
    const definition = { StartAt: 'Missing', States: { T: { Type: 'Pass', End: true } } };
    expect(
      () =>
        new SfnService({
          db: ':memory:',
          stateMachines: [{ name: 'broken', definition }],
          resolveTask: () => async () => ({}),
        }),
    ).toThrow(/state machine broken/);
  });

  it('fails when the runtime cannot bind a Task to a handler', () => {
    expect(
      () =>
        new SfnService({
          db: ':memory:',
          stateMachines: [{ name: 'fanout', definition: loadAsl('sfn-fanout') }],
          resolveTask: (_resource, stateName) => {
            throw new Error(`no function for ${stateName}`);
          },
        }),
    ).toThrow(/no function for CreateVpcA/);
  });
});

describe('Execution names and ARNs', () => {
  const allowed = fc.constantFrom(..."abcXYZ019-_.+=@!()'é".split(''));

  it('accepts every 1–80 character name made of allowed characters', () => {
    fc.assert(
      fc.property(
        fc.array(allowed, { minLength: 1, maxLength: 80 }),
        (chars) => invalidNameReason(chars.join('')) === undefined,
      ),
      { numRuns: 2_000 },
    );
  });

  it('rejects any name containing a forbidden character', () => {
    const forbidden = fc.constantFrom(...' \t\n<>{}[]?*"#%\\^|~`$&,;:/\u0000\u001f\u007f\u0085'.split(''));
    fc.assert(
      fc.property(
        fc.array(allowed, { maxLength: 40 }),
        forbidden,
        fc.array(allowed, { maxLength: 39 }),
        (before, bad, after) => invalidNameReason([...before, bad, ...after].join('')) !== undefined,
      ),
      { numRuns: 2_000 },
    );
  });

  it.each([
    {
      arn: 'arn:aws:states:us-east-1:123456789012:stateMachine:provision',
      kind: 'stateMachine',
      valid: true,
    },
    {
      arn: 'arn:aws:states:us-east-1:123456789012:execution:provision:run-1',
      kind: 'execution',
      valid: true,
    },
    {
      arn: 'arn:aws:states:us-east-1:123456789012:execution:provision:run-1',
      kind: 'stateMachine',
      valid: false,
    },
    { arn: 'arn:aws:states:us-east-1:123456789012:stateMachine:provision', kind: 'execution', valid: false },
    { arn: 'provision', kind: 'stateMachine', valid: false },
    { arn: 'arn:aws:lambda:us-east-1:123456789012:function:provision', kind: 'stateMachine', valid: false },
  ] as const)('$arn is a $kind ARN: $valid', ({ arn, kind, valid }) => {
    expect(isStatesArn(arn, kind)).toBe(valid);
  });
});

describe('Local time scaling', () => {
  const definition = {
    StartAt: 'W1',
    States: {
      W1: { Type: 'Wait', Seconds: 10, Next: 'W2' },
      W2: { Type: 'Wait', Timestamp: '2030-01-01T00:01:40Z', Next: 'W3' },
      W3: { Type: 'Wait', SecondsPath: '$.seconds', Next: 'T' },
      T: {
        Type: 'Task',
        Resource: 'arn:aws:lambda:us-east-1:123456789012:function:t',
        Retry: [{ ErrorEquals: ['A'], IntervalSeconds: 2 }, { ErrorEquals: ['States.ALL'] }],
        End: true,
      },
    },
  };
  const { states } = compileDefinition(definition, SCOPE);
  const now = () => Date.parse('2030-01-01T00:00:00Z');

  it.each([
    { scale: 0, waits: { W1: 0, W2: 0, W3: 0 }, retries: [{ IntervalSeconds: 0 }, { IntervalSeconds: 0 }] },
    {
      scale: 0.01,
      waits: { W1: 100, W2: 1_000 },
      retries: [{ IntervalSeconds: 0.02 }, { IntervalSeconds: 0.01 }],
    },
    { scale: 1, waits: { W1: 10_000, W2: 100_000 }, retries: [{ IntervalSeconds: 2 }, {}] },
  ])('scales waits and retry pauses by $scale', ({ scale, waits, retries }) => {
    expect({ ...waitTimeOverridesOf(states, scale, now) }).toEqual(waits);
    const scaled = withScaledRetries(definition, scale) as typeof definition;
    expect(scaled.States.T.Retry).toEqual([
      { ErrorEquals: ['A'], ...retries[0] },
      { ErrorEquals: ['States.ALL'], ...retries[1] },
    ]);
  });

  it('keeps a Retry backing off at any scale: its interval and cap scale, its rate and attempts stay', () => {
    // Prepare: the NotReady poll of the provision workflow, inside a Parallel branch.
    const poll = {
      ErrorEquals: ['Natflow.NotReady'],
      IntervalSeconds: 1,
      BackoffRate: 1.5,
      MaxDelaySeconds: 10,
      MaxAttempts: 400,
    };
    const machine = {
      StartAt: 'P',
      States: {
        P: {
          Type: 'Parallel',
          Branches: [
            { StartAt: 'T', States: { T: { Type: 'Task', Resource: 'x', Retry: [poll], End: true } } },
          ],
          End: true,
        },
      },
    };

    // Act
    const scaled = withScaledRetries(machine, 0.01) as typeof machine;

    // Assess
    expect(scaled.States.P.Branches[0]?.States.T.Retry).toEqual([
      { ...poll, IntervalSeconds: 0.01, MaxDelaySeconds: 0.1 },
    ]);
    expect(machine.States.P.Branches[0]?.States.T.Retry).toEqual([poll]);
    expect(withScaledRetries(machine, 1)).toBe(machine);
  });

  it.each([
    { definition: { ItemsPath: '$.servers' }, input: { servers: [1, 2, 3] }, length: 3 },
    {
      definition: { InputPath: '$.plan', ItemsPath: "$['servers']" },
      input: { plan: { servers: [1] } },
      length: 1,
    },
    { definition: {}, input: [1, 2], length: 2 },
    { definition: { ItemsPath: '$.a[1].b' }, input: { a: [{}, { b: [1, 2, 3, 4] }] }, length: 4 },
    { definition: { ItemsPath: '$..servers' }, input: { servers: [1] }, length: undefined },
    { definition: { ItemsPath: '$.missing' }, input: {}, length: undefined },
  ])('counts the items of a Map with $definition', ({ definition: mapDefinition, input, length }) => {
    const state: StateInfo = { name: 'M', type: 'Map', container: undefined, definition: mapDefinition };
    expect(mapLengthOf(state, input)).toBe(length);
  });
});

describe('HistoryRecorder', () => {
  it('records a Map state’s closing events after the late events of its iterations', async () => {
    // Prepare: the engine's closing event for the Map overtakes the last events of iteration 1.
    const { states, tasks } = compileDefinition(loadAsl('sfn-fanout'), SCOPE);
    const recorded: HistoryEventBody[] = [];
    const recorder = new HistoryRecorder({
      states,
      tasks,
      region: 'us-east-1',
      record: (event) => recorded.push(event),
    });
    const map = { name: 'CreateServers', type: 'Map' };
    const at = (type: string, extra: Partial<EngineEvent> = {}): EngineEvent => ({
      type,
      timestamp: 0,
      ...extra,
    });

    // Act
    recorder.engine(at('StateEntered', { state: { ...map, input: { servers: [1, 2] } } }));
    recorder.engine(at('MapIterationStarted', { parentState: map, index: 0 }));
    recorder.engine(at('MapIterationStarted', { parentState: map, index: 1 }));
    recorder.engine(at('MapIterationSucceeded', { parentState: map, index: 0 }));
    recorder.engine(at('StateExited', { state: { ...map, input: {}, output: { created: [] } } }));
    recorder.task({ phase: 'succeeded', stateName: 'CreateServer', output: {} });
    recorder.engine(
      at('StateExited', { state: { name: 'CreateServer', type: 'Task', output: {} }, index: 1 }),
    );
    recorder.engine(at('MapIterationSucceeded', { parentState: map, index: 1 }));
    await recorder.idle();

    // Assess
    expect(recorded.map((event) => event.type)).toEqual([
      'MapStateEntered',
      'MapStateStarted',
      'MapIterationStarted',
      'MapIterationStarted',
      'MapIterationSucceeded',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
      'MapIterationSucceeded',
      'MapStateSucceeded',
      'MapStateExited',
    ]);
    expect(recorded[1]?.mapStateStartedEventDetails).toEqual({ length: 2 });
    expect(recorded.at(-3)?.mapIterationSucceededEventDetails).toEqual({ name: 'CreateServers', index: 1 });
  });

  it('records a Lambda-ARN Task with a TimeoutSeconds as LambdaFunction… events, a timeout included', async () => {
    // Prepare
    const definition = {
      StartAt: 'DoWork',
      States: {
        DoWork: {
          Type: 'Task',
          Resource: { 'Fn::GetAtt': ['work', 'Arn'] },
          TimeoutSeconds: 30,
          End: true,
        },
      },
    };
    const { states, tasks } = compileDefinition(definition, SCOPE);
    const recorded: HistoryEventBody[] = [];
    const recorder = new HistoryRecorder({
      states,
      tasks,
      region: 'us-east-1',
      record: (event) => recorded.push(event),
    });
    const task = { name: 'DoWork', type: 'Task' };

    // Act
    recorder.task({ phase: 'scheduled', stateName: 'DoWork', input: { a: 1 } });
    recorder.task({ phase: 'started', stateName: 'DoWork' });
    recorder.engine({
      type: 'StateFailed',
      timestamp: 0,
      state: task,
      Error: 'States.Timeout',
      Cause: 'Task timed out after 30 seconds',
    });
    await recorder.idle();

    // Assess
    expect(recorded).toEqual([
      {
        type: 'LambdaFunctionScheduled',
        lambdaFunctionScheduledEventDetails: {
          resource: 'arn:aws:lambda:us-east-1:123456789012:function:work',
          input: '{"a":1}',
          inputDetails: { truncated: false },
          timeoutInSeconds: 30,
        },
      },
      { type: 'LambdaFunctionStarted' },
      {
        type: 'LambdaFunctionTimedOut',
        lambdaFunctionTimedOutEventDetails: {
          error: 'States.Timeout',
          cause: expect.stringContaining('timed out'),
        },
      },
    ]);
  });

  it('records nothing once detached', async () => {
    const { states, tasks } = compileDefinition(loadAsl('sfn-single-task'), SCOPE);
    const recorded: HistoryEventBody[] = [];
    const recorder = new HistoryRecorder({
      states,
      tasks,
      region: 'us-east-1',
      record: (event) => recorded.push(event),
    });

    recorder.task({ phase: 'started', stateName: 'DoWork' });
    recorder.flushAndDetach();
    recorder.task({ phase: 'succeeded', stateName: 'DoWork', output: {} });
    await recorder.idle();

    expect(recorded.map((event) => event.type)).toEqual(['LambdaFunctionStarted']);
  });
});
