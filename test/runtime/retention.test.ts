/**
 * Retention of executions (src/stack/retention.ts, docs/reliability.md#retention): closed executions are
 * kept for NATFLOW_RETENTION_DAYS and at most NATFLOW_RETENTION_EXECUTIONS of them; the older ones are
 * pruned with their history and the file gives the space back. Never pruned: running executions, kept
 * failures, incomplete rollbacks (resources still recorded to them), the latest execution of each plan
 * that still has resources. First the rules on their own (a table, with a fake store), then a real stack.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ExecutionRecord } from '../../src/local-sfn/index.ts';
import { limitsFromEnv } from '../../src/stack/limits.ts';
import { executionsToPrune, planOf, type RetentionFacts } from '../../src/stack/retention.ts';
import { type Stack, startStack } from '../../src/stack/stack.ts';
import { generatedPlan } from '../reliability/support.ts';

const DAY = 24 * 60 * 60 * 1000;
const NOW = Date.parse('2026-06-30T00:00:00.000Z');
const MACHINE = (key: string) => `arn:aws:states:us-east-1:123456789012:stateMachine:natflow-${key}-dev`;

/** An execution record as the engine lists it; `ageDays` since it closed. */
function execution(
  name: string,
  options: {
    machine?: string;
    status?: ExecutionRecord['status'];
    ageDays?: number;
    input?: Record<string, unknown>;
  } = {},
): ExecutionRecord {
  const machine = options.machine ?? 'provision';
  const stopped = NOW - (options.ageDays ?? 0) * DAY;
  const status = options.status ?? 'SUCCEEDED';
  return {
    executionArn: `${MACHINE(machine).replace(':stateMachine:', ':execution:')}:${name}`,
    stateMachineArn: MACHINE(machine),
    name,
    status,
    input: JSON.stringify(options.input ?? { name: name.replace(/-\d+$/, '') }),
    startDate: new Date(stopped - 1000),
    ...(status === 'RUNNING' ? {} : { stopDate: new Date(stopped) }),
  };
}

/** The store's answers: which executions have resources recorded, which plans have resources. */
function facts(options: {
  ledgers?: Record<string, number>;
  plans?: string[];
  recorded?: Record<string, string>;
  histories?: Record<string, HistoryEvent[]>;
}): RetentionFacts {
  return {
    ledgerSize: async (e) => options.ledgers?.[e.name] ?? 0,
    planHasResources: async (plan) => (options.plans ?? []).includes(plan),
    recordedExecution: async (plan) => options.recorded?.[plan],
    machineOf: (arn) =>
      arn
        .split(':')
        .pop()
        ?.replace(/^natflow-/, '')
        .replace(/-dev$/, ''),
    history: async (arn) => options.histories?.[arn.split(':').pop() as string] ?? [],
  };
}

const names = (arns: string[]) => arns.map((arn) => arn.split(':').pop());
const RULES = { now: NOW, maxAgeMs: 30 * DAY, maxExecutions: 3 };

describe('Function: executionsToPrune', () => {
  it('keeps the newest up to the count and prunes the rest, newest first', async () => {
    // Prepare: five torn-down plans' provisionings, newest first
    const executions = [1, 2, 3, 4, 5].map((i) => execution(`p${6 - i}-1`));
    // Act
    const pruned = await executionsToPrune(executions, RULES, facts({}));
    // Assess
    expect(names(pruned)).toEqual(['p2-1', 'p1-1']);
  });

  it('prunes what closed longer ago than the retention days, even under the count', async () => {
    const executions = [execution('new-1', { ageDays: 1 }), execution('old-1', { ageDays: 31 })];
    expect(names(await executionsToPrune(executions, RULES, facts({})))).toEqual(['old-1']);
  });

  it.each([
    {
      name: 'a running execution',
      protectedOne: execution('run-1', { status: 'RUNNING', ageDays: 90 }),
      facts: facts({}),
    },
    {
      name: 'an execution resources are still recorded to (an incomplete rollback, a standing provisioning)',
      protectedOne: execution('left-1', { status: 'FAILED', ageDays: 90 }),
      facts: facts({ ledgers: { 'left-1': 2 } }),
    },
    {
      name: 'a kept failure that was not rolled back, though it created nothing',
      protectedOne: execution('kept-1', { machine: 'provision-keep', status: 'FAILED', ageDays: 90 }),
      facts: facts({}),
    },
    {
      name: 'the latest execution of a plan that still has resources (a verify, here)',
      protectedOne: execution('standing-verify', {
        machine: 'verify',
        ageDays: 90,
        input: { plan: 'standing' },
      }),
      facts: facts({ plans: ['standing'] }),
    },
    {
      name: 'the provisioning a standing plan is recorded with, though verifies ran since',
      protectedOne: execution('standing-1', { ageDays: 90, input: { name: 'standing' } }),
      facts: facts({
        plans: ['standing'],
        recorded: {
          standing: `${MACHINE('provision').replace(':stateMachine:', ':execution:')}:standing-1`,
        },
      }),
    },
  ])('never prunes $name', async ({ protectedOne, facts: known }) => {
    // Prepare: the protected one is past both bounds, behind three newer executions
    const executions = [
      execution('a-1'),
      execution('b-1'),
      execution('c-1'),
      ...(protectedOne.name === 'standing-1'
        ? [execution('standing-verify', { machine: 'verify', input: { plan: 'standing' } })]
        : []),
      protectedOne,
      execution('d-1', { ageDays: 40 }),
    ];
    // Act
    const pruned = names(await executionsToPrune(executions, RULES, known));
    // Assess
    expect(pruned).not.toContain(protectedOne.name);
    expect(pruned).toContain('d-1');
  });

  it.each([
    {
      name: 'a kept failure that was rolled back (its ledger empty after steps ran)',
      candidate: execution('kept-1', { machine: 'provision-keep', status: 'FAILED', ageDays: 90 }),
      known: facts({
        histories: {
          'kept-1': [
            { type: 'TaskStateExited', stateExitedEventDetails: { name: 'CreateNetworks' } },
          ] as HistoryEvent[],
        },
      }),
    },
    {
      name: "a torn-down plan's latest execution (its teardown)",
      candidate: execution('gone-teardown', { machine: 'teardown', ageDays: 90, input: { plan: 'gone' } }),
      known: facts({ plans: [] }),
    },
    {
      name: 'an older execution of a standing plan (not its latest, not its recorded one)',
      candidate: execution('standing-1', { ageDays: 90, input: { name: 'standing' } }),
      known: facts({ plans: ['standing'] }),
    },
  ])('prunes $name like any other', async ({ candidate, known }) => {
    const newer = [execution('a-1'), execution('b-1'), execution('c-1')];
    const latestOfStanding =
      candidate.name === 'standing-1'
        ? [execution('standing-2', { ageDays: 1, input: { name: 'standing' } })]
        : [];
    const pruned = names(
      await executionsToPrune(
        [...latestOfStanding, ...newer, candidate],
        { ...RULES, maxExecutions: 4 },
        known,
      ),
    );
    expect(pruned).toContain(candidate.name);
  });

  it('counts the protected ones among the newest toward the bound', async () => {
    // Prepare: 2 protected (running), then 4 prunable
    const executions = [
      execution('r1-1', { status: 'RUNNING' }),
      execution('r2-1', { status: 'RUNNING' }),
      ...[1, 2, 3, 4].map((i) => execution(`q${i}-1`)),
    ];
    // Act
    const pruned = names(await executionsToPrune(executions, RULES, facts({})));
    // Assess: 3 kept in all
    expect(pruned).toEqual(['q2-1', 'q3-1', 'q4-1']);
  });

  it("reads an execution's plan from its input: a provisioning's name, a verify's or teardown's plan", () => {
    expect(planOf({ input: '{"name":"p","vpcs":[]}' })).toBe('p');
    expect(planOf({ input: '{"plan":"q"}' })).toBe('q');
    expect(planOf({ input: '{}' })).toBeUndefined();
    expect(planOf({ input: 'not json' })).toBeUndefined();
  });
});

describe('Function: limitsFromEnv', () => {
  it('defaults to 100 streams, 256 requests, 30 days and 500 executions', () => {
    expect(limitsFromEnv({})).toEqual({
      maxStreams: 100,
      maxRequests: 256,
      retentionDays: 30,
      retentionExecutions: 500,
    });
  });

  it('reads each setting from its variable', () => {
    expect(
      limitsFromEnv({
        NATFLOW_MAX_STREAMS: '7',
        NATFLOW_MAX_REQUESTS: '9',
        NATFLOW_RETENTION_DAYS: '0.5',
        NATFLOW_RETENTION_EXECUTIONS: '50',
      }),
    ).toEqual({ maxStreams: 7, maxRequests: 9, retentionDays: 0.5, retentionExecutions: 50 });
  });

  it.each([
    ['NATFLOW_MAX_STREAMS', '0'],
    ['NATFLOW_MAX_REQUESTS', '-1'],
    ['NATFLOW_RETENTION_EXECUTIONS', '1.5'],
    ['NATFLOW_RETENTION_DAYS', 'thirty'],
    ['NATFLOW_RETENTION_EXECUTIONS', '1e3'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    expect(() => limitsFromEnv({ [name]: value })).toThrow(expect.objectContaining({ path: name }));
  });
});

describe('a stack with retention', () => {
  let dataDir: string;
  let stack: Stack | undefined;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'natflow-retention-'));
  });
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  const open = async (limits: { retentionExecutions?: number; retentionDays?: number }) => {
    stack = await startStack({ dataDir, dataPlane: false, limits, warn: () => undefined });
    return stack;
  };

  async function run(s: Stack, machine: string, input: Record<string, unknown>, name: string) {
    const started = await s.sfn.startExecution({
      stateMachineArn: s.stateMachineArn(machine),
      name,
      input: JSON.stringify(input),
    });
    const closed = await s.sfn.waitForExecution(started.executionArn, 60_000);
    await s.idle();
    return { arn: started.executionArn, status: closed.status };
  }

  async function executionNames(s: Stack): Promise<string[]> {
    const all: string[] = [];
    for (const machine of ['provision', 'provision-keep', 'verify', 'teardown', 'rollback']) {
      const listed = await s.sfn.listExecutions({
        stateMachineArn: s.stateMachineArn(machine),
        maxResults: 1000,
      });
      all.push(...(listed.executions ?? []).map((e) => e.name ?? ''));
    }
    return all;
  }

  it('keeps what it must and prunes the rest, within the bound, as executions close', async () => {
    // Prepare: at most 6 executions
    const s = await open({ retentionExecutions: 6 });
    // a standing plan
    await run(s, 'provision', generatedPlan(1, 'standing'), 'standing-provision');
    // a kept failure with resources (AddDnatRule fails after creating its rule)
    s.tasks.setFaults([{ at: 'AddDnatRule', kind: 'permanent', when: 'after' }]);
    const kept = await run(
      s,
      'provision-keep',
      { ...generatedPlan(2, 'kept'), onFailure: 'keep' },
      'kept-full',
    );
    // a kept failure that created nothing (it failed before its first step after validation)
    s.tasks.setFaults([{ at: 'CreateNetworks', kind: 'permanent', when: 'before' }]);
    const empty = await run(
      s,
      'provision-keep',
      { ...generatedPlan(3, 'empty'), onFailure: 'keep' },
      'kept-empty',
    );
    s.tasks.setFaults([]);
    expect([kept.status, empty.status]).toEqual(['FAILED', 'FAILED']);

    // Act: 12 provision + teardown cycles of distinct plans (24 executions)
    for (let i = 0; i < 12; i++) {
      const plan = generatedPlan(10 + i, 'cycle');
      await run(s, 'provision', plan, `cycle-${i}-provision`);
      await run(s, 'teardown', { plan: plan.name }, `cycle-${i}-teardown`);
    }
    await s.idle();

    // Assess: the protected three, and the bound (6, and at most a tenth more before the next sweep)
    const left = await executionNames(s);
    expect(left).toEqual(expect.arrayContaining(['standing-provision', 'kept-full', 'kept-empty']));
    expect(left.length).toBeLessThanOrEqual(6 + 1 + 3);
    expect(left).toContain('cycle-11-teardown');
    expect(left).not.toContain('cycle-0-provision');
    // the pruned ones are gone for the API too, history and all
    await expect(
      s.sfn.getExecutionHistory(
        `${s.stateMachineArn('provision').replace(':stateMachine:', ':execution:')}:cycle-0-provision`,
      ),
    ).rejects.toMatchObject({ name: 'ExecutionDoesNotExist' });
  });

  it('prunes a plan once it is torn down, and a kept failure once it is rolled back', async () => {
    // Prepare
    const s = await open({ retentionExecutions: 1 });
    await run(s, 'provision', generatedPlan(1, 'standing'), 'standing-provision');
    await run(s, 'provision', generatedPlan(2, 'other'), 'other-provision');
    await s.pruneExecutions();
    expect(await executionNames(s)).toEqual(
      expect.arrayContaining(['standing-provision', 'other-provision']),
    );

    // Act: tear both down
    await run(s, 'teardown', { plan: 'standing-1' }, 'standing-teardown');
    await run(s, 'teardown', { plan: 'other-2' }, 'other-teardown');
    await s.pruneExecutions();

    // Assess: only the newest is left
    expect(await executionNames(s)).toEqual(['other-teardown']);
  });

  it('prunes at start what is past the retention days, and gives the space back to the file system', async () => {
    // Prepare: 30 executions kept, no bound reached
    let s = await open({ retentionExecutions: 1000 });
    for (let i = 0; i < 15; i++) {
      const plan = generatedPlan(100 + i, 'aged');
      await run(s, 'provision', plan, `aged-${i}-provision`);
      await run(s, 'teardown', { plan: plan.name }, `aged-${i}-teardown`);
    }
    await s.close();
    const file = join(dataDir, 'executions.sqlite');
    const before = statSync(file).size;

    // Act: a stack that keeps no day of history starts on the same directory
    s = await open({ retentionExecutions: 1000, retentionDays: 0 });

    // Assess
    expect(await executionNames(s)).toEqual([]);
    await s.close();
    stack = undefined;
    const after = statSync(file).size + walSize(file);
    expect(after).toBeLessThan(before / 2);
  });

  it('converts a file from before auto_vacuum the first time it prunes, and gives its space back', async () => {
    // Prepare: an executions file made without auto_vacuum (as every natflow before wrote it)
    const file = join(dataDir, 'executions.sqlite');
    const legacy = new DatabaseSync(file);
    legacy.exec('CREATE TABLE legacy (x INTEGER)');
    legacy.close();
    let s = await open({ retentionExecutions: 1000 });
    for (let i = 0; i < 10; i++) await run(s, 'verify', {}, `verify-${i}`);
    await s.close();
    // Act
    s = await open({ retentionExecutions: 1000, retentionDays: 0 });
    await s.close();
    stack = undefined;
    // Assess
    const db = new DatabaseSync(file);
    try {
      expect(Number(db.prepare('PRAGMA auto_vacuum').get()?.auto_vacuum)).toBe(2);
      expect(Number(db.prepare('SELECT COUNT(*) AS n FROM sfn_executions').get()?.n)).toBe(0);
    } finally {
      db.close();
    }
  });
});

function walSize(file: string): number {
  try {
    return statSync(`${file}-wal`).size;
  } catch {
    return 0;
  }
}
