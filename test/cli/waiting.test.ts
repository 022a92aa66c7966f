/**
 * What a step waits for, shown by the CLI while it waits (docs/cli.md): a `Natflow.NotReady` failure in
 * the history is a `waiting for NAME: STATUS, N s` line per resource (and a `{"waiting": …}` line for
 * `--json`), not a failure, and its retry prints nothing; any other failure and its retry print as before.
 * Also the time knob a CLI process reads (`NATFLOW_TEST_TIME_SCALE`): real time unless a test sets it.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { ProgressRenderer, waitingOfEvent } from '../../src/cli/render.ts';
import { timeScaleFromEnv } from '../../src/stack/stack.ts';

const WAITING = [
  { name: 'ECS-B', kind: 'server', status: 'BUILD', seconds: 42 },
  { name: 'VPC-A', kind: 'vpc', status: 'CREATING', seconds: 3 },
];

/** A NotReady failure as Lambda reports it: the waiting document as the message, no trace. */
const notReady = (waiting = WAITING): HistoryEvent => ({
  type: 'LambdaFunctionFailed',
  timestamp: new Date(0),
  id: 4,
  lambdaFunctionFailedEventDetails: {
    error: 'Natflow.NotReady',
    cause: JSON.stringify({
      errorType: 'Natflow.NotReady',
      errorMessage: JSON.stringify({ code: 'Natflow.NotReady', message: 'waiting for …', waiting }),
      trace: [],
    }),
  },
});

const event = (type: string, extra: Partial<HistoryEvent> = {}): HistoryEvent => ({
  type: type as HistoryEvent['type'],
  timestamp: new Date(0),
  id: 1,
  ...extra,
});

describe('Class: ProgressRenderer', () => {
  it('shows a wait as one line per resource, and nothing for its retry', () => {
    // Prepare
    const renderer = new ProgressRenderer();
    renderer.line(event('TaskStateEntered', { stateEnteredEventDetails: { name: 'CheckResourcesActive' } }));
    renderer.line(event('LambdaFunctionScheduled'));

    // Act
    const lines = renderer.line(notReady());
    const retry = renderer.line(event('LambdaFunctionScheduled'));

    // Assess
    expect(lines?.split('\n')).toEqual([
      expect.stringMatching(/waiting for ECS-B: BUILD, 42 s$/),
      expect.stringMatching(/waiting for VPC-A: CREATING, 3 s$/),
    ]);
    expect(lines).not.toMatch(/✗|Natflow\.NotReady/);
    expect(retry).toBeUndefined();
  });

  it('still shows another failure and its retry', () => {
    const renderer = new ProgressRenderer();
    renderer.line(event('TaskStateEntered', { stateEnteredEventDetails: { name: 'AddDnatRule' } }));
    const failed = renderer.line(
      event('LambdaFunctionFailed', {
        lambdaFunctionFailedEventDetails: {
          error: 'Natflow.Transient',
          cause: JSON.stringify({ errorType: 'Natflow.Transient', errorMessage: 'busy', trace: [] }),
        },
      }),
    );
    expect(failed).toMatch(/✗ AddDnatRule\s+Natflow\.Transient: busy/);
    expect(renderer.line(event('LambdaFunctionScheduled'))).toMatch(/↻ AddDnatRule\s+retry 1/);
  });
});

describe('Function: waitingOfEvent', () => {
  it.each([
    {
      name: 'a NotReady failure (Lambda’s document around the waiting one)',
      event: notReady(),
      waiting: WAITING,
    },
    {
      name: 'a NotReady failure whose cause is the waiting document itself',
      event: event('LambdaFunctionFailed', {
        lambdaFunctionFailedEventDetails: {
          error: 'Natflow.NotReady',
          cause: JSON.stringify({ code: 'Natflow.NotReady', message: 'waiting for …', waiting: WAITING }),
        },
      }),
      waiting: WAITING,
    },
    {
      name: 'another failure',
      event: event('LambdaFunctionFailed', { lambdaFunctionFailedEventDetails: { error: 'X', cause: '{}' } }),
      waiting: [],
    },
    {
      name: 'a NotReady failure that names nothing',
      event: event('LambdaFunctionFailed', {
        lambdaFunctionFailedEventDetails: { error: 'Natflow.NotReady', cause: 'not json' },
      }),
      waiting: [],
    },
    { name: 'any other event', event: event('TaskStateEntered'), waiting: [] },
  ])('reads $name', ({ event: given, waiting }) => {
    expect(waitingOfEvent(given)).toEqual(waiting);
  });
});

describe('Function: timeScaleFromEnv (the test-only time knob)', () => {
  it.each([
    { value: undefined, scale: 1 },
    { value: '', scale: 1 },
    { value: '0', scale: 0 },
    { value: '0.01', scale: 0.01 },
  ])('reads NATFLOW_TEST_TIME_SCALE=$value as $scale (unset: real time)', ({ value, scale }) => {
    expect(timeScaleFromEnv(value === undefined ? {} : { NATFLOW_TEST_TIME_SCALE: value })).toBe(scale);
  });

  it.each(['-1', 'fast', 'NaN'])('refuses NATFLOW_TEST_TIME_SCALE=%s', (value) => {
    expect(() => timeScaleFromEnv({ NATFLOW_TEST_TIME_SCALE: value })).toThrow(/NATFLOW_TEST_TIME_SCALE/);
  });
});
