/**
 * The local Step Functions service driven over HTTP by the real `@aws-sdk/client-sfn`: histories with
 * AWS's event types, Retry and Catch by error name, Parallel and Map, StartExecution's name rules,
 * StopExecution, persistence and recovery, listings and paging.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  InvalidArn,
  InvalidExecutionInput,
  InvalidName,
  InvalidToken,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it } from 'vitest';
import { DnatPortConflictError, TransientError } from '../../src/cloud/errors.ts';
import { parseTaskFailureCause } from '../../src/local-sfn/failures.ts';
import { ManualClock } from '../../src/net/clock.ts';
import {
  codedError,
  deferred,
  functionArn,
  type Harness,
  machineArn,
  sleep,
  startHarness,
} from './sfn-harness.ts';

let harness: Harness | undefined;
const tempDirs: string[] = [];

afterEach(async () => {
  await harness?.close();
  harness = undefined;
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function setUp(options: Parameters<typeof startHarness>[0] = {}): Promise<Harness> {
  harness = await startHarness(options);
  return harness;
}

function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), 'natflow-sfn-'));
  tempDirs.push(dir);
  return join(dir, 'sfn.sqlite');
}

async function start(h: Harness, machine: string, input: unknown, name?: string): Promise<string> {
  const { executionArn } = await h.client.send(
    new StartExecutionCommand({ stateMachineArn: machineArn(machine), input: JSON.stringify(input), name }),
  );
  if (executionArn === undefined) throw new Error('StartExecution returned no executionArn');
  return executionArn;
}

async function finish(h: Harness, executionArn: string) {
  await h.service.waitForExecution(executionArn, 5_000);
  return h.client.send(new DescribeExecutionCommand({ executionArn }));
}

async function historyOf(h: Harness, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await h.client.send(
      new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000 }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return events;
}

const typesOf = (events: HistoryEvent[]) => events.map((event) => event.type);
const taskEventsOf = (events: HistoryEvent[]) =>
  typesOf(events).filter((type) => type?.startsWith('LambdaFunction'));

describe('SfnService over the AWS JSON protocol', () => {
  describe('Action: StartExecution → history', () => {
    it('records AWS history events in order for Pass, Task, Choice, Wait and Succeed', async () => {
      // Prepare
      const calls: unknown[] = [];
      const h = await setUp({
        handlers: {
          createThing: async (input, context) => {
            calls.push({ input, context });
            return { id: 'thing-1', active: false };
          },
        },
      });

      // Act
      const executionArn = await start(h, 'sfn-linear', { plan: 'reference' }, 'linear-1');
      const described = await finish(h, executionArn);
      const events = await historyOf(h, executionArn);

      // Assess
      expect(executionArn).toBe(`arn:aws:states:us-east-1:123456789012:execution:sfn-linear:linear-1`);
      expect(described.status).toBe('SUCCEEDED');
      expect(described.stopDate).toBeInstanceOf(Date);
      expect(described.input).toBe('{"plan":"reference"}');
      const output = JSON.parse(described.output ?? 'null');
      expect(output).toMatchObject({
        plan: 'reference',
        executionId: executionArn,
        executionName: 'linear-1',
        stateMachineId: machineArn('sfn-linear'),
        thing: { id: 'thing-1', active: false },
      });
      expect(typeof output.startTime).toBe('string');
      expect(calls).toEqual([
        {
          input: { plan: 'reference' },
          context: {
            executionArn,
            executionName: 'linear-1',
            stateName: 'CreateThing',
            functionName: 'createThing',
          },
        },
      ]);
      expect(typesOf(events)).toEqual([
        'ExecutionStarted',
        'PassStateEntered',
        'PassStateExited',
        'TaskStateEntered',
        'LambdaFunctionScheduled',
        'LambdaFunctionStarted',
        'LambdaFunctionSucceeded',
        'TaskStateExited',
        'ChoiceStateEntered',
        'ChoiceStateExited',
        'WaitStateEntered',
        'WaitStateExited',
        'SucceedStateEntered',
        'SucceedStateExited',
        'ExecutionSucceeded',
      ]);
      expect(events.map((event) => [event.id, event.previousEventId])).toEqual(
        events.map((_, i) => [i + 1, i]),
      );
      expect(events.every((event) => event.timestamp instanceof Date)).toBe(true);
      expect(events[0]?.executionStartedEventDetails).toMatchObject({
        input: '{"plan":"reference"}',
        roleArn: expect.stringMatching(/^arn:aws:iam::123456789012:role\//),
      });
      expect(events[3]?.stateEnteredEventDetails?.name).toBe('CreateThing');
      expect(events[4]?.lambdaFunctionScheduledEventDetails).toEqual({
        resource: functionArn('createThing'),
        input: '{"plan":"reference"}',
        inputDetails: { truncated: false },
      });
      expect(JSON.parse(events[6]?.lambdaFunctionSucceededEventDetails?.output ?? 'null')).toEqual({
        id: 'thing-1',
        active: false,
      });
      expect(JSON.parse(events[7]?.stateExitedEventDetails?.output ?? 'null')).toMatchObject({
        thing: { id: 'thing-1' },
      });
      expect(events.at(-1)?.executionSucceededEventDetails?.output).toBe(described.output);
      expect(h.closed.map((record) => [record.executionArn, record.status])).toEqual([
        [executionArn, 'SUCCEEDED'],
      ]);
    });

    it('shortens Wait states by waitTimeScale', async () => {
      // Prepare: WaitUntilActive waits 5 s; scaled by 0.01 it waits 50 ms.
      const h = await setUp({
        waitTimeScale: 0.01,
        handlers: { createThing: async () => ({ active: false }) },
      });
      const started = performance.now();

      // Act
      const executionArn = await start(h, 'sfn-linear', { plan: 'p' });
      const described = await finish(h, executionArn);

      // Assess
      const elapsed = performance.now() - started;
      expect(described.status).toBe('SUCCEEDED');
      expect(elapsed).toBeGreaterThanOrEqual(45);
      expect(elapsed).toBeLessThan(2_000);
    });

    it('streams the same events to subscribers as the history holds', async () => {
      const h = await setUp({ handlers: { createThing: async () => ({ active: true }) } });
      const live: HistoryEvent[] = [];
      const unsubscribe = h.service.subscribe(({ event }) => live.push(event));

      const executionArn = await start(h, 'sfn-linear', { plan: 'p' });
      await finish(h, executionArn);
      unsubscribe();

      expect(live).toEqual(await historyOf(h, executionArn));
      expect(typesOf(live)).not.toContain('WaitStateEntered');
    });
    it('stamps dates and events with the injected clock', async () => {
      const clock = new ManualClock(Date.UTC(2030, 0, 1));
      const h = await setUp({ clock, handlers: { work: async () => ({}), afterWork: async () => ({}) } });

      const executionArn = await start(h, 'sfn-single-task', {});
      const described = await finish(h, executionArn);

      expect(described.startDate?.toISOString()).toBe('2030-01-01T00:00:00.000Z');
      expect(described.stopDate?.toISOString()).toBe('2030-01-01T00:00:00.000Z');
      expect(new Set((await historyOf(h, executionArn)).map((event) => event.timestamp?.getTime()))).toEqual(
        new Set([Date.UTC(2030, 0, 1)]),
      );
    });

    it('resolves waitForExecution only after onExecutionClosed has settled', async () => {
      const steps: string[] = [];
      const h = await setUp({
        handlers: { work: async () => ({}), afterWork: async () => ({}) },
        onExecutionClosed: async (record) => {
          await sleep(30);
          steps.push(`hook ${record.status}`);
        },
      });

      const executionArn = await start(h, 'sfn-single-task', {});
      const described = await h.service.waitForExecution(executionArn, 5_000);
      steps.push(`waited ${described.status}`);

      expect(steps).toEqual(['hook SUCCEEDED', 'waited SUCCEEDED']);
    });

    it('gives up waiting after the timeout', async () => {
      const release = deferred();
      const h = await setUp({ handlers: { work: async () => release.promise, afterWork: async () => ({}) } });
      const executionArn = await start(h, 'sfn-single-task', {});

      await expect(h.service.waitForExecution(executionArn, 20)).rejects.toThrow(/still RUNNING after 20 ms/);
      release.resolve();
      expect((await h.service.waitForExecution(executionArn, 5_000)).status).toBe('SUCCEEDED');
    });
  });

  describe('Retry and Catch', () => {
    it('retries a transient error: exactly two failed attempts, then success, visible in the history', async () => {
      // Prepare
      let attempts = 0;
      const h = await setUp({
        handlers: {
          addDnatRule: async () => {
            attempts++;
            if (attempts <= 2) throw new TransientError('the gateway is busy');
            return { ruleId: 'dnat-1' };
          },
        },
      });

      // Act
      const executionArn = await start(h, 'sfn-retry-catch', { port: 80 });
      const described = await finish(h, executionArn);
      const events = await historyOf(h, executionArn);

      // Assess
      expect(described.status).toBe('SUCCEEDED');
      expect(attempts).toBe(3);
      expect(taskEventsOf(events)).toEqual([
        'LambdaFunctionScheduled',
        'LambdaFunctionStarted',
        'LambdaFunctionFailed',
        'LambdaFunctionScheduled',
        'LambdaFunctionStarted',
        'LambdaFunctionFailed',
        'LambdaFunctionScheduled',
        'LambdaFunctionStarted',
        'LambdaFunctionSucceeded',
      ]);
      const failures = events.filter((event) => event.type === 'LambdaFunctionFailed');
      expect(failures.map((event) => event.lambdaFunctionFailedEventDetails?.error)).toEqual([
        'Natflow.Transient',
        'Natflow.Transient',
      ]);
      expect(parseTaskFailureCause(failures[0]?.lambdaFunctionFailedEventDetails?.cause)).toEqual({
        errorType: 'Natflow.Transient',
        errorMessage: 'the gateway is busy',
      });
      expect(typesOf(events).filter((type) => type === 'TaskStateEntered')).toHaveLength(1);
    });

    it('records a Lambda-ARN Task as AWS does: LambdaFunction… events with their exact details', async () => {
      // Prepare: the first attempt fails with a retried error, the second succeeds.
      let attempts = 0;
      const h = await setUp({
        handlers: {
          addDnatRule: async () => {
            attempts++;
            if (attempts === 1) throw new TransientError('the gateway is busy');
            return { ruleId: 'dnat-1' };
          },
        },
      });

      // Act
      const executionArn = await start(h, 'sfn-retry-catch', { port: 80 });
      const described = await finish(h, executionArn);
      const events = await historyOf(h, executionArn);

      // Assess
      expect(described.status).toBe('SUCCEEDED');
      const resource = 'arn:aws:lambda:us-east-1:123456789012:function:addDnatRule';
      const scheduled = {
        type: 'LambdaFunctionScheduled',
        lambdaFunctionScheduledEventDetails: {
          resource,
          input: '{"port":80}',
          inputDetails: { truncated: false },
        },
      };
      const bodies = events.map(({ id: _id, previousEventId: _previous, timestamp: _at, ...body }) => body);
      expect(bodies.slice(1, -1)).toEqual([
        {
          type: 'TaskStateEntered',
          stateEnteredEventDetails: {
            name: 'AddDnatRule',
            input: '{"port":80}',
            inputDetails: { truncated: false },
          },
        },
        scheduled,
        { type: 'LambdaFunctionStarted' },
        {
          type: 'LambdaFunctionFailed',
          lambdaFunctionFailedEventDetails: {
            error: 'Natflow.Transient',
            cause: expect.stringContaining('the gateway is busy'),
          },
        },
        scheduled,
        { type: 'LambdaFunctionStarted' },
        {
          type: 'LambdaFunctionSucceeded',
          lambdaFunctionSucceededEventDetails: {
            output: '{"ruleId":"dnat-1"}',
            outputDetails: { truncated: false },
          },
        },
        {
          type: 'TaskStateExited',
          stateExitedEventDetails: {
            name: 'AddDnatRule',
            output: '{"ruleId":"dnat-1"}',
            outputDetails: { truncated: false },
          },
        },
      ]);
      expect(typesOf(events)[0]).toBe('ExecutionStarted');
      expect(typesOf(events).at(-1)).toBe('ExecutionSucceeded');
      // No generic Task… event (the lambda:invoke integration's) is recorded for a function ARN.
      expect(
        typesOf(events).filter((type) => type?.startsWith('Task') && !type.startsWith('TaskState')),
      ).toEqual([]);
    });

    it.each([
      {
        name: 'a domain error caught by its name',
        thrown: () => new DnatPortConflictError('port 80 of 192.168.0.144 is taken'),
        code: 'DNAT_PORT_CONFLICT',
        attempts: 1,
      },
      {
        name: 'another error caught by States.TaskFailed',
        thrown: () => codedError('GATEWAY_NOT_ACTIVE', 'the gateway is PENDING'),
        code: 'GATEWAY_NOT_ACTIVE',
        attempts: 1,
      },
      {
        name: 'a transient error that outlasts MaxAttempts',
        thrown: () => new TransientError('still busy'),
        code: 'Natflow.Transient',
        attempts: 4,
      },
    ])('routes $name to Rollback, then fails with the original error', async ({ thrown, code, attempts }) => {
      // Prepare
      let calls = 0;
      const rollbackInputs: unknown[] = [];
      const h = await setUp({
        handlers: {
          addDnatRule: async () => {
            calls++;
            throw thrown();
          },
          rollback: async (input) => {
            rollbackInputs.push(input);
            return { deleted: 3 };
          },
        },
      });

      // Act
      const executionArn = await start(h, 'sfn-retry-catch', { port: 80 });
      const described = await finish(h, executionArn);
      const events = await historyOf(h, executionArn);

      // Assess
      expect(calls).toBe(attempts);
      expect(described.status).toBe('FAILED');
      expect(described.error).toBe(code);
      expect(parseTaskFailureCause(described.cause)?.errorType).toBe(code);
      expect(parseTaskFailureCause(described.cause)?.errorMessage).toBe(thrown().message);
      expect(rollbackInputs).toEqual([{ port: 80, error: { Error: code, Cause: described.cause } }]);
      expect(typesOf(events).slice(-9)).toEqual([
        'LambdaFunctionFailed',
        'TaskStateExited',
        'TaskStateEntered',
        'LambdaFunctionScheduled',
        'LambdaFunctionStarted',
        'LambdaFunctionSucceeded',
        'TaskStateExited',
        'FailStateEntered',
        'ExecutionFailed',
      ]);
      expect(events.filter((event) => event.type === 'LambdaFunctionFailed')).toHaveLength(attempts);
      expect(events.at(-1)?.executionFailedEventDetails).toEqual({ error: code, cause: described.cause });
    });

    it('still fails with the original error when the rollback itself fails (States.ALL)', async () => {
      const h = await setUp({
        handlers: {
          addDnatRule: async () => {
            throw new DnatPortConflictError('taken');
          },
          rollback: async () => {
            throw codedError('DEPENDENCY_VIOLATION', 'still referenced');
          },
        },
      });

      const executionArn = await start(h, 'sfn-retry-catch', {});
      const described = await finish(h, executionArn);

      expect(described.status).toBe('FAILED');
      expect(described.error).toBe('DNAT_PORT_CONFLICT');
      const failures = (await historyOf(h, executionArn)).filter(
        (event) => event.type === 'LambdaFunctionFailed',
      );
      expect(failures.map((event) => event.lambdaFunctionFailedEventDetails?.error)).toEqual([
        'DNAT_PORT_CONFLICT',
        'DEPENDENCY_VIOLATION',
      ]);
    });
  });

  describe('Parallel and Map', () => {
    it('runs branches and iterations concurrently and records their events inside their container', async () => {
      // Prepare: handlers finish in the reverse order of their start, to expose any ordering shortcut.
      let running = 0;
      let peak = 0;
      const track = async <T>(ms: number, value: T): Promise<T> => {
        running++;
        peak = Math.max(peak, running);
        await sleep(ms);
        running--;
        return value;
      };
      const h = await setUp({
        handlers: {
          createVpc: async (input) => {
            const { name } = input as { name: string };
            return track(name === 'vpc-a' ? 30 : 5, { vpc: name });
          },
          createServer: async (input) => {
            const { name, delay } = input as { name: string; delay: number };
            return track(delay, { server: name });
          },
        },
      });
      const servers = [
        { name: 'ecs-a', delay: 25 },
        { name: 'ecs-b', delay: 15 },
        { name: 'ecs-c', delay: 5 },
      ];

      // Act
      const executionArn = await start(h, 'sfn-fanout', { servers });
      const described = await finish(h, executionArn);
      const events = await historyOf(h, executionArn);
      const types = typesOf(events);

      // Assess
      expect(described.status).toBe('SUCCEEDED');
      expect(peak).toBeGreaterThanOrEqual(2);
      expect(JSON.parse(described.output ?? 'null')).toEqual({
        servers,
        vpcs: [{ vpc: 'vpc-a' }, { vpc: 'vpc-b' }],
        created: [{ server: 'ecs-a' }, { server: 'ecs-b' }, { server: 'ecs-c' }],
      });
      const at = (type: string) => types.indexOf(type as HistoryEvent['type']);
      const lastAt = (type: string) => types.lastIndexOf(type as HistoryEvent['type']);
      expect(types.slice(0, 3)).toEqual(['ExecutionStarted', 'ParallelStateEntered', 'ParallelStateStarted']);
      expect(lastAt('ParallelStateSucceeded')).toBe(at('ParallelStateExited') - 1);
      expect(
        events
          .slice(3, at('ParallelStateSucceeded'))
          .every((event) => event.type?.startsWith('TaskState') || event.type?.startsWith('LambdaFunction')),
      ).toBe(true);
      expect(types.filter((type) => type === 'LambdaFunctionSucceeded')).toHaveLength(5);
      expect(events[at('MapStateStarted')]?.mapStateStartedEventDetails).toEqual({ length: 3 });
      const iterations = events.filter((event) => event.type === 'MapIterationStarted');
      expect(iterations.map((event) => event.mapIterationStartedEventDetails)).toEqual(
        expect.arrayContaining([0, 1, 2].map((index) => ({ name: 'CreateServers', index }))),
      );
      expect(at('MapStateSucceeded')).toBeGreaterThan(lastAt('MapIterationSucceeded'));
      expect(at('MapStateSucceeded')).toBeGreaterThan(lastAt('TaskStateExited'));
      expect(types.slice(-3)).toEqual(['MapStateSucceeded', 'MapStateExited', 'ExecutionSucceeded']);
      expect(types.filter((type) => type === 'MapIterationSucceeded')).toHaveLength(3);
    });

    it('fails the execution when an iteration fails, and inFlight waits for the sibling handlers', async () => {
      // Prepare
      const slowDone = deferred();
      let slowSettled = false;
      const h = await setUp({
        handlers: {
          createVpc: async () => ({}),
          createServer: async (input) => {
            const { name } = input as { name: string };
            if (name === 'bad') throw codedError('IP_IN_USE', '10.0.0.5 is in use');
            await slowDone.promise;
            slowSettled = true;
            return {};
          },
        },
      });

      // Act
      const executionArn = await start(h, 'sfn-fanout', { servers: [{ name: 'slow' }, { name: 'bad' }] });
      const described = await finish(h, executionArn);
      let inFlightSettled = false;
      const inFlight = h.service.inFlight(executionArn).then(() => {
        inFlightSettled = true;
      });
      await sleep(20);
      const settledBeforeRelease = inFlightSettled;
      slowDone.resolve();
      await inFlight;

      // Assess
      expect(described.status).toBe('FAILED');
      expect(described.error).toBe('IP_IN_USE');
      expect(settledBeforeRelease).toBe(false);
      expect(slowSettled).toBe(true);
      const types = typesOf(await historyOf(h, executionArn));
      expect(types).toContain('MapIterationFailed');
      expect(types.slice(-2)).toEqual(['MapStateFailed', 'ExecutionFailed']);
    });
  });

  describe('TimeoutSeconds', () => {
    it('ends an execution that outlives its TimeoutSeconds as TIMED_OUT', async () => {
      const release = deferred();
      const h = await setUp({ handlers: { work: async () => release.promise } });

      const executionArn = await start(h, 'sfn-timeout', {});
      const described = await finish(h, executionArn);
      release.resolve();
      await h.service.inFlight(executionArn);

      expect(described).toMatchObject({ status: 'TIMED_OUT', error: 'States.Timeout' });
      const events = await historyOf(h, executionArn);
      expect(typesOf(events)).toEqual([
        'ExecutionStarted',
        'TaskStateEntered',
        'LambdaFunctionScheduled',
        'LambdaFunctionStarted',
        'ExecutionTimedOut',
      ]);
      expect(events.at(-1)?.executionTimedOutEventDetails?.error).toBe('States.Timeout');
    });
  });

  describe('StartExecution rules', () => {
    it('returns the same execution for the same name and input while RUNNING, ExecutionAlreadyExists otherwise', async () => {
      // Prepare
      const release = deferred();
      const h = await setUp({ handlers: { work: async () => release.promise, afterWork: async () => ({}) } });
      const request = {
        stateMachineArn: machineArn('sfn-single-task'),
        name: 'plan-a',
        input: '{"plan":"a"}',
      };

      // Act
      const first = await h.client.send(new StartExecutionCommand(request));
      const again = await h.client.send(new StartExecutionCommand(request));
      const otherInput = h.client.send(new StartExecutionCommand({ ...request, input: '{"plan":"b"}' }));

      // Assess
      expect(again.executionArn).toBe(first.executionArn);
      expect(again.startDate?.getTime()).toBe(first.startDate?.getTime());
      await expect(otherInput).rejects.toBeInstanceOf(ExecutionAlreadyExists);

      release.resolve();
      await finish(h, first.executionArn ?? '');
      await expect(h.client.send(new StartExecutionCommand(request))).rejects.toBeInstanceOf(
        ExecutionAlreadyExists,
      );
      const listed = await h.client.send(
        new ListExecutionsCommand({ stateMachineArn: request.stateMachineArn }),
      );
      expect(listed.executions).toHaveLength(1);
    });

    it('names an execution with a UUID when no name is given', async () => {
      const h = await setUp({ handlers: { work: async () => ({}), afterWork: async () => ({}) } });
      const executionArn = await start(h, 'sfn-single-task', {});
      expect(executionArn).toMatch(
        /:execution:sfn-single-task:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
    });

    it.each([
      { name: '' },
      { name: 'a'.repeat(81) },
      { name: 'has space' },
      { name: 'tab\there' },
      { name: 'a/b' },
      { name: 'a:b' },
      { name: 'brace{' },
      { name: 'dollar$' },
      { name: 'back`tick' },
      { name: 'control\u0001' },
      { name: 'del\u007f' },
    ])('rejects the name $name with InvalidName', async ({ name }) => {
      const h = await setUp();
      await expect(
        h.client.send(new StartExecutionCommand({ stateMachineArn: machineArn('sfn-single-task'), name })),
      ).rejects.toBeInstanceOf(InvalidName);
    });

    it.each([{ name: 'a'.repeat(80) }, { name: 'reference-plan_2024.01.31T10.00' }, { name: 'émile' }])(
      'accepts the name $name',
      async ({ name }) => {
        const h = await setUp({ handlers: { work: async () => ({}), afterWork: async () => ({}) } });
        const executionArn = await start(h, 'sfn-single-task', {}, name);
        expect((await finish(h, executionArn)).name).toBe(name);
      },
    );

    it.each([
      {
        name: 'input that is not JSON',
        command: () =>
          new StartExecutionCommand({ stateMachineArn: machineArn('sfn-single-task'), input: '{plan:' }),
        error: InvalidExecutionInput,
      },
      {
        name: 'an unknown state machine',
        command: () => new StartExecutionCommand({ stateMachineArn: machineArn('nope') }),
        error: StateMachineDoesNotExist,
      },
      {
        name: 'a malformed state machine ARN',
        command: () => new StartExecutionCommand({ stateMachineArn: 'sfn-single-task' }),
        error: InvalidArn,
      },
      {
        name: 'an unknown execution',
        command: () =>
          new DescribeExecutionCommand({
            executionArn: 'arn:aws:states:us-east-1:123456789012:execution:sfn-single-task:missing',
          }),
        error: ExecutionDoesNotExist,
      },
      {
        name: 'the history of an unknown execution',
        command: () =>
          new GetExecutionHistoryCommand({
            executionArn: 'arn:aws:states:us-east-1:123456789012:execution:sfn-single-task:missing',
          }),
        error: ExecutionDoesNotExist,
      },
      {
        name: 'describing an unknown state machine',
        command: () => new DescribeStateMachineCommand({ stateMachineArn: machineArn('nope') }),
        error: StateMachineDoesNotExist,
      },
    ])('answers $name with the AWS error', async ({ command, error }) => {
      const h = await setUp();
      // biome-ignore lint/suspicious/noExplicitAny: the table mixes command types
      await expect(h.client.send(command() as any)).rejects.toBeInstanceOf(error);
    });
  });

  describe('Action: StopExecution', () => {
    it('aborts a running execution, records nothing after ExecutionAborted, and lets in-flight handlers settle', async () => {
      // Prepare
      const entered = deferred();
      const release = deferred();
      let afterWorkCalls = 0;
      let workSettled = false;
      const h = await setUp({
        handlers: {
          work: async () => {
            entered.resolve();
            await release.promise;
            workSettled = true;
            return { done: true };
          },
          afterWork: async () => {
            afterWorkCalls++;
            return {};
          },
        },
      });
      const executionArn = await start(h, 'sfn-single-task', {}, 'to-stop');
      await entered.promise;

      // Act
      const stopped = await h.client.send(
        new StopExecutionCommand({ executionArn, error: 'UserStop', cause: 'changed my mind' }),
      );
      const described = await h.client.send(new DescribeExecutionCommand({ executionArn }));
      const historyAtStop = await historyOf(h, executionArn);
      let inFlightSettled = false;
      const inFlight = h.service.inFlight(executionArn).then(() => {
        inFlightSettled = true;
      });
      await sleep(20);
      const settledBeforeRelease = inFlightSettled;
      release.resolve();
      await inFlight;
      await sleep(20);

      // Assess
      expect(stopped.stopDate).toBeInstanceOf(Date);
      expect(described).toMatchObject({ status: 'ABORTED', error: 'UserStop', cause: 'changed my mind' });
      expect(typesOf(historyAtStop)).toEqual([
        'ExecutionStarted',
        'TaskStateEntered',
        'LambdaFunctionScheduled',
        'LambdaFunctionStarted',
        'ExecutionAborted',
      ]);
      expect(historyAtStop.at(-1)?.executionAbortedEventDetails).toEqual({
        error: 'UserStop',
        cause: 'changed my mind',
      });
      expect(settledBeforeRelease).toBe(false);
      expect(workSettled).toBe(true);
      expect(afterWorkCalls).toBe(0);
      expect(await historyOf(h, executionArn)).toEqual(historyAtStop);
      expect((await h.service.waitForExecution(executionArn)).status).toBe('ABORTED');
      expect(h.closed.map((record) => record.status)).toEqual(['ABORTED']);
    });

    it('invokes no handler after the stop, even when a Retry pause ends later', async () => {
      // Prepare: the first attempt fails transiently; the Retry pause is 1 s × 0.05 = 50 ms.
      let calls = 0;
      const firstFailure = deferred();
      const h = await setUp({
        waitTimeScale: 0.05,
        handlers: {
          addDnatRule: async () => {
            calls++;
            throw new TransientError('busy');
          },
          rollback: async () => ({}),
        },
      });
      const unsubscribe = h.service.subscribe(({ event }) => {
        if (event.type === 'LambdaFunctionFailed') firstFailure.resolve();
      });
      const executionArn = await start(h, 'sfn-retry-catch', {});
      await firstFailure.promise;
      unsubscribe();

      // Act
      await h.client.send(new StopExecutionCommand({ executionArn }));
      await sleep(120);

      // Assess
      expect(calls).toBe(1);
      const types = typesOf(await historyOf(h, executionArn));
      expect(types.slice(-2)).toEqual(['LambdaFunctionFailed', 'ExecutionAborted']);
      expect((await h.client.send(new DescribeExecutionCommand({ executionArn }))).status).toBe('ABORTED');
    });

    it('aborts the iterations of a running Map', async () => {
      const entered = deferred();
      const release = deferred();
      let started = 0;
      const h = await setUp({
        handlers: {
          createVpc: async () => ({}),
          createServer: async () => {
            if (++started === 2) entered.resolve();
            await release.promise;
            return {};
          },
        },
      });
      const executionArn = await start(h, 'sfn-fanout', { servers: [{ name: 'a' }, { name: 'b' }] });
      await entered.promise;

      await h.client.send(new StopExecutionCommand({ executionArn }));
      const atStop = await historyOf(h, executionArn);
      release.resolve();
      await h.service.inFlight(executionArn);
      await sleep(20);

      expect(typesOf(atStop).at(-1)).toBe('ExecutionAborted');
      expect(typesOf(atStop).filter((type) => type === 'LambdaFunctionStarted')).toHaveLength(4);
      expect(await historyOf(h, executionArn)).toEqual(atStop);
    });

    it('leaves a closed execution as it is', async () => {
      const h = await setUp({ handlers: { work: async () => ({}), afterWork: async () => ({}) } });
      const executionArn = await start(h, 'sfn-single-task', {});
      const before = await finish(h, executionArn);

      const stopped = await h.client.send(new StopExecutionCommand({ executionArn }));

      expect(stopped.stopDate?.getTime()).toBe(before.stopDate?.getTime());
      expect((await h.client.send(new DescribeExecutionCommand({ executionArn }))).status).toBe('SUCCEEDED');
    });
  });

  describe('Persistence and recover()', () => {
    it('keeps executions and history across a restart and fails the ones left RUNNING', async () => {
      // Prepare: one execution completes, one is running when the service closes.
      const db = tempDb();
      const release = deferred();
      const entered = deferred();
      const first = await startHarness({
        db,
        handlers: {
          work: async (input) => {
            if ((input as { hang?: boolean }).hang) {
              entered.resolve();
              await release.promise;
            }
            return { ok: true };
          },
          afterWork: async () => ({}),
        },
      });
      const completed = await start(first, 'sfn-single-task', {}, 'completed');
      await finish(first, completed);
      const completedHistory = await historyOf(first, completed);
      const orphan = await start(first, 'sfn-single-task', { hang: true }, 'orphan');
      await entered.promise;
      const closing = first.close();
      release.resolve();
      await closing;

      // Act
      const h = await setUp({ db });
      const beforeRecover = await h.client.send(new DescribeExecutionCommand({ executionArn: orphan }));
      const recovered = await h.service.recover();
      const again = await h.service.recover();

      // Assess
      expect(beforeRecover.status).toBe('RUNNING');
      expect(
        recovered.map((record) => [record.executionArn, record.status, record.error, record.cause]),
      ).toEqual([
        [orphan, 'FAILED', 'States.Runtime', 'natflow runtime restarted while the execution was running'],
      ]);
      expect(again).toEqual([]);
      expect(await historyOf(h, completed)).toEqual(completedHistory);
      const orphanHistory = await historyOf(h, orphan);
      expect(typesOf(orphanHistory)).toEqual([
        'ExecutionStarted',
        'TaskStateEntered',
        'LambdaFunctionScheduled',
        'LambdaFunctionStarted',
        'ExecutionFailed',
      ]);
      expect(orphanHistory.at(-1)?.executionFailedEventDetails).toEqual({
        error: 'States.Runtime',
        cause: 'natflow runtime restarted while the execution was running',
      });
      expect(await h.client.send(new DescribeExecutionCommand({ executionArn: orphan }))).toMatchObject({
        status: 'FAILED',
        error: 'States.Runtime',
      });
      expect(h.closed).toEqual([]);
    });

    it('leaves alone an execution that another live service runs on the same file', async () => {
      const db = tempDb();
      const release = deferred();
      const owner = await startHarness({
        db,
        handlers: { work: async () => release.promise, afterWork: async () => ({}) },
      });
      try {
        const executionArn = await start(owner, 'sfn-single-task', {});
        const h = await setUp({ db });

        expect(await h.service.recover()).toEqual([]);
        expect((await h.client.send(new DescribeExecutionCommand({ executionArn }))).status).toBe('RUNNING');

        release.resolve();
        expect((await finish(owner, executionArn)).status).toBe('SUCCEEDED');
        expect((await h.service.waitForExecution(executionArn, 2_000)).status).toBe('SUCCEEDED');
      } finally {
        release.resolve();
        await owner.close();
      }
    });
  });

  describe('Listings', () => {
    it('lists executions newest first, filters by status, and pages with tokens', async () => {
      // Prepare: five succeeded executions, then one that stays RUNNING.
      const release = deferred();
      const h = await setUp({
        handlers: {
          work: async (input) => ((input as { hang?: boolean }).hang ? release.promise : {}),
          afterWork: async () => ({}),
        },
      });
      const stateMachineArn = machineArn('sfn-single-task');
      for (const name of ['e1', 'e2', 'e3', 'e4', 'e5'])
        await finish(h, await start(h, 'sfn-single-task', {}, name));
      await start(h, 'sfn-single-task', { hang: true }, 'e6');

      // Act
      const pages: string[][] = [];
      let nextToken: string | undefined;
      do {
        const page = await h.client.send(
          new ListExecutionsCommand({ stateMachineArn, statusFilter: 'SUCCEEDED', maxResults: 2, nextToken }),
        );
        pages.push((page.executions ?? []).map((execution) => execution.name ?? ''));
        nextToken = page.nextToken;
      } while (nextToken !== undefined);
      const running = await h.client.send(
        new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING' }),
      );
      const all = await h.client.send(new ListExecutionsCommand({ stateMachineArn }));
      const firstPage = await h.client.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 2 }));
      const otherMachine = await h.client.send(
        new ListExecutionsCommand({ stateMachineArn: machineArn('sfn-linear') }),
      );

      // Assess
      expect(pages).toEqual([['e5', 'e4'], ['e3', 'e2'], ['e1']]);
      expect(
        running.executions?.map((execution) => [execution.name, execution.status, execution.stopDate]),
      ).toEqual([['e6', 'RUNNING', undefined]]);
      expect(all.executions?.map((execution) => execution.name)).toEqual([
        'e6',
        'e5',
        'e4',
        'e3',
        'e2',
        'e1',
      ]);
      expect(all.executions?.[1]).toMatchObject({
        stateMachineArn,
        status: 'SUCCEEDED',
        startDate: expect.any(Date),
        stopDate: expect.any(Date),
      });
      expect(otherMachine.executions).toEqual([]);
      await expect(
        h.client.send(
          new ListExecutionsCommand({
            stateMachineArn,
            statusFilter: 'FAILED',
            nextToken: firstPage.nextToken,
          }),
        ),
      ).rejects.toBeInstanceOf(InvalidToken);
      await expect(
        h.client.send(new ListExecutionsCommand({ stateMachineArn, nextToken: 'garbage' })),
      ).rejects.toBeInstanceOf(InvalidToken);
      release.resolve();
    });

    it('pages history forwards and backwards', async () => {
      const h = await setUp({ handlers: { createThing: async () => ({ active: false }) } });
      const executionArn = await start(h, 'sfn-linear', { plan: 'p' });
      await finish(h, executionArn);
      const all = await historyOf(h, executionArn);

      const ids: number[] = [];
      let nextToken: string | undefined;
      do {
        const page = await h.client.send(
          new GetExecutionHistoryCommand({ executionArn, maxResults: 4, reverseOrder: true, nextToken }),
        );
        expect((page.events ?? []).length).toBeLessThanOrEqual(4);
        ids.push(...(page.events ?? []).map((event) => event.id ?? 0));
        nextToken = page.nextToken;
      } while (nextToken !== undefined);
      const withoutData = await h.client.send(
        new GetExecutionHistoryCommand({ executionArn, includeExecutionData: false }),
      );

      expect(ids).toEqual(all.map((event) => event.id ?? 0).reverse());
      expect(withoutData.events?.[0]?.executionStartedEventDetails?.input).toBeUndefined();
      expect(withoutData.events?.[0]?.executionStartedEventDetails?.roleArn).toBeDefined();
    });

    it('pages ListStateMachines with maxResults and nextToken', async () => {
      const h = await setUp();
      const names: string[] = [];
      let nextToken: string | undefined;
      let pages = 0;
      do {
        const page = await h.client.send(new ListStateMachinesCommand({ maxResults: 2, nextToken }));
        expect((page.stateMachines ?? []).length).toBeLessThanOrEqual(2);
        names.push(...(page.stateMachines ?? []).map((m) => m.name ?? ''));
        nextToken = page.nextToken;
        pages++;
      } while (nextToken !== undefined);
      const all = await h.client.send(new ListStateMachinesCommand({}));
      expect(names).toEqual(all.stateMachines?.map((m) => m.name));
      expect(pages).toBe(3);
      await expect(h.client.send(new ListStateMachinesCommand({ maxResults: 1001 }))).rejects.toMatchObject({
        name: 'ValidationException',
      });
      await expect(
        h.client.send(new ListStateMachinesCommand({ nextToken: 'bm90LWEtdG9rZW4' })),
      ).rejects.toMatchObject({
        name: 'InvalidToken',
      });
    });

    it('validates the lengths of StopExecution error (256) and cause (32,768)', async () => {
      const h = await setUp();
      const executionArn = await start(h, 'sfn-timeout', {});
      for (const input of [{ error: 'e'.repeat(257) }, { cause: 'c'.repeat(32_769) }]) {
        await expect(
          h.client.send(new StopExecutionCommand({ executionArn, ...input })),
        ).rejects.toMatchObject({
          name: 'ValidationException',
          message: expect.stringContaining(Object.keys(input)[0] as string),
        });
      }
      const stopped = await h.client.send(
        new StopExecutionCommand({ executionArn, error: 'e'.repeat(256), cause: 'c'.repeat(32_768) }),
      );
      expect(stopped.stopDate).toBeInstanceOf(Date);
    });

    it('takes PENDING_REDRIVE as a ListExecutions status filter', async () => {
      const h = await setUp();
      const listed = await h.client.send(
        new ListExecutionsCommand({
          stateMachineArn: machineArn('sfn-linear'),
          statusFilter: 'PENDING_REDRIVE',
        }),
      );
      expect(listed.executions).toEqual([]);
    });

    it('describes and lists the state machines', async () => {
      const h = await setUp();

      const listed = await h.client.send(new ListStateMachinesCommand({}));
      const described = await h.client.send(
        new DescribeStateMachineCommand({ stateMachineArn: machineArn('sfn-retry-catch') }),
      );

      expect(listed.stateMachines?.map((machine) => machine.name)).toEqual([
        'sfn-linear',
        'sfn-retry-catch',
        'sfn-fanout',
        'sfn-single-task',
        'sfn-timeout',
      ]);
      expect(described).toMatchObject({
        name: 'sfn-retry-catch',
        status: 'ACTIVE',
        type: 'STANDARD',
        creationDate: expect.any(Date),
      });
      const definition = JSON.parse(described.definition ?? '{}');
      expect(definition.States.Rollback.Resource).toBe(functionArn('rollback'));
    });
  });

  describe('HTTP protocol', () => {
    it.each([
      {
        name: 'an unknown action',
        target: 'AWSStepFunctions.CreateStateMachine',
        body: '{}',
        code: 'UnknownOperationException',
      },
      {
        name: 'a body that is not JSON',
        target: 'AWSStepFunctions.ListExecutions',
        body: '{',
        code: 'SerializationException',
      },
      {
        name: 'a missing required member',
        target: 'AWSStepFunctions.DescribeExecution',
        body: '{}',
        code: 'ValidationException',
      },
    ])('answers $name with 400 and an AWS JSON error', async ({ target, body, code }) => {
      const h = await setUp();

      const response = await fetch(h.url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': target },
        body,
      });

      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toBe('application/x-amz-json-1.0');
      expect(await response.json()).toEqual({
        __type: `com.amazonaws.sfn#${code}`,
        message: expect.any(String),
      });
    });
  });
});
