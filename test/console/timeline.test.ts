/**
 * The table view's rows and the step details' data flow, from real executions of the provision
 * workflow (the local runtime, real handlers, injected faults): attempts, retries and the redrive gap on
 * the timeline, the Parallel tree, the status filter; and every data-flow stage computed by the engine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AslMachine } from '../../src/console/assets/graph.ts';
import { type HistoryEvent, replayHistory } from '../../src/console/assets/status.ts';
import { filterRows, timelineOf } from '../../src/console/assets/timeline.ts';
import { dataFlowOf } from '../../src/console/dataflow.ts';
import { keepVariantOf } from '../../src/workflow/keep-variant.ts';
import { type Harness, openHarness, REFERENCE } from '../workflows/harness.ts';

let h: Harness;
let events: HistoryEvent[];
let definition: AslMachine;

beforeAll(async () => {
  // A kept provisioning: CreateLoadBalancer fails twice then succeeds; AddDnatRule fails its 4 attempts;
  // fixed, then redriven.
  h = await openHarness({
    waitTimeScale: 0, // the retries' pauses skipped: a test's knob (docs/workflows.md)
    faults: [
      { at: 'CreateLoadBalancer', kind: 'transient', times: 2 },
      { at: 'AddDnatRule', kind: 'transient', times: 4 },
    ],
  });
  const started = await h.stack.sfn.startExecution({
    stateMachineArn: h.stack.stateMachineArn('provision-keep'),
    name: 'timeline',
    input: JSON.stringify({ ...REFERENCE, onFailure: 'keep' }),
  });
  await h.stack.sfn.waitForExecution(started.executionArn, 60_000);
  h.stack.tasks.setFaults([]);
  await h.stack.sfn.redriveExecution(started.executionArn);
  await h.stack.sfn.waitForExecution(started.executionArn, 60_000);
  events = (await h.history(started.executionArn)) as unknown as HistoryEvent[];
  definition = keepVariantOf(
    h.stack.config.stateMachines.get('provision')?.definition ?? {},
  ) as unknown as AslMachine;
}, 90_000);

afterAll(async () => {
  await h?.close();
});

describe('Function: timelineOf', () => {
  it('draws each attempt of a retried Task and its backoff pauses', () => {
    const run = replayHistory(definition, events);
    const { rows } = timelineOf(definition, events, run, Date.now());
    const lb = rows.find((r) => r.name === 'CreateLoadBalancer');
    expect(lb?.attempts.map((a) => a.outcome)).toEqual(['failed', 'failed', 'succeeded']);
    expect(lb?.retries).toBe(2);
    expect(lb?.gaps.map((g) => g.kind)).toEqual(['backoff', 'backoff']);
    expect(lb?.attempts.every((a) => a.end !== undefined && a.end >= a.start)).toBe(true);
    expect(lb?.attempts[0]?.error).toBe('Natflow.Transient');
  });

  it('marks the pause before a redrive apart from the retry backoff', () => {
    const run = replayHistory(definition, events);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.redriveCount).toBe(1);
    const { rows } = timelineOf(definition, events, run, Date.now());
    const dnat = rows.find((r) => r.name === 'AddDnatRule');
    expect(dnat?.attempts.map((a) => a.outcome)).toEqual([
      'failed',
      'failed',
      'failed',
      'failed',
      'succeeded',
    ]);
    expect(dnat?.gaps.map((g) => g.kind)).toEqual(['backoff', 'backoff', 'backoff', 'redrive']);
    expect(dnat?.status).toBe('succeeded');
    // The states before the failed one ran once.
    expect(rows.find((r) => r.name === 'CreateNetworks')?.attempts).toHaveLength(1);
  });

  it('orders the rows as a tree: a Parallel state, then its branches’ states one level down', () => {
    const run = replayHistory(definition, events);
    const { rows } = timelineOf(definition, events, run, Date.now());
    const names = rows.map((r) => r.name);
    const parallel = names.indexOf('ProvisionInParallel');
    expect(rows[parallel]?.depth).toBe(0);
    for (const inner of ['CreateBackendGroups', 'AssignTransitIp', 'CreateLoadBalancer']) {
      const row = rows.find((r) => r.name === inner);
      expect(row?.depth, inner).toBe(1);
      expect(row?.parent, inner).toBe('ProvisionInParallel');
      expect(names.indexOf(inner)).toBeGreaterThan(parallel);
      expect(names.indexOf(inner)).toBeLessThan(names.indexOf('AddRules'));
    }
    expect(rows.every((r) => r.startedAfterMs !== undefined && r.startedAfterMs >= 0)).toBe(true);
  });

  it('filters by status and keeps the containers of what it keeps', () => {
    const run = replayHistory(
      definition,
      events.slice(0, events.findIndex((e) => e.type === 'ExecutionFailed') + 1),
    );
    expect(run.status).toBe('FAILED');
    const { rows } = timelineOf(definition, events, run, Date.now());
    const failed = filterRows(rows, 'failed');
    expect(failed.map((r) => r.name)).toEqual(['AddRules', 'AddDnatRule']);
    expect(filterRows(rows, '')).toHaveLength(rows.length);
    expect(filterRows(rows, 'caught')).toEqual([]);
  });
});

describe('Function: dataFlowOf', () => {
  it('computes each stage of a Task with the engine: Parameters with $$, ResultPath null', async () => {
    const state = h.stack.config.stateMachines.get('provision')?.definition as {
      States: Record<string, Record<string, unknown>>;
    };
    const input = { plan: { name: 'p' }, pinned: [], other: 1 };
    const stages = await dataFlowOf({
      state: state.States.CreateNetworks as Record<string, unknown>,
      input,
      result: { resources: { vpc: { 'VPC-A': 'vpc-1' } } },
      context: { Execution: { Id: 'arn:aws:states:us-east-1:1:execution:m:e' } },
    });
    expect(stages.map((s) => [s.stage, s.skipped === true])).toEqual([
      ['Input', false],
      ['InputPath', true],
      ['Parameters', false],
      ['Result', false],
      ['ResultSelector', true],
      ['ResultPath', false],
      ['OutputPath', true],
    ]);
    expect(stages[2]?.value).toEqual({
      plan: { name: 'p' },
      execution: 'arn:aws:states:us-east-1:1:execution:m:e',
      pinned: [],
      step: 'networks',
    });
    expect(stages[5]).toMatchObject({ expression: null, value: input });
  });

  it('applies InputPath, ResultSelector, ResultPath and OutputPath in order', async () => {
    const stages = await dataFlowOf({
      state: {
        Type: 'Task',
        InputPath: '$.job',
        Parameters: { 'id.$': '$.id', 'name.$': "States.Format('job-{}', $.id)" },
        ResultSelector: { 'count.$': 'States.ArrayLength($.items)' },
        ResultPath: '$.job.result',
        OutputPath: '$.job',
      },
      input: { job: { id: 7 }, noise: true },
      result: { items: [1, 2, 3] },
    });
    const value = (stage: string) => stages.find((s) => s.stage === stage)?.value;
    expect(value('InputPath')).toEqual({ id: 7 });
    expect(value('Parameters')).toEqual({ id: 7, name: 'job-7' });
    expect(value('ResultSelector')).toEqual({ count: 3 });
    expect(value('ResultPath')).toEqual({ job: { id: 7, result: { count: 3 } }, noise: true });
    expect(value('OutputPath')).toEqual({ id: 7, result: { count: 3 } });
  });

  it('reports the stage the engine rejects, and stops there', async () => {
    const stages = await dataFlowOf({
      state: { Type: 'Task', InputPath: '$.missing.field' },
      input: { job: 1 },
      result: {},
    });
    expect(stages.at(-1)?.stage).toBe('InputPath');
    expect(stages.at(-1)?.error).toBeTruthy();
  });

  it('skips the output stages of a state with no recorded result', async () => {
    const stages = await dataFlowOf({ state: { Type: 'Parallel', ResultPath: null }, input: { a: 1 } });
    expect(stages.at(-1)).toEqual({ stage: 'Result', skipped: true });
  });
});
