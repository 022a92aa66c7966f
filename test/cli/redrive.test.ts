/**
 * `natflow provision --on-failure keep`, `natflow executions redrive ID` and `natflow executions rollback
 * ID`, as separate processes on one data directory: a kept failure (a transient fault at AddDnatRule that
 * outlasts its retries, injected through NATFLOW_FAULTS in the first process only) keeps its resources;
 * the redrive continues it to SUCCEEDED with no duplicate; a default (rollback) failure is refused with
 * EXECUTION_ROLLED_BACK; a second kept failure is rolled back and then refused too.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const NODE = join(ROOT, 'node_modules/.bin/node');
const BIN = join(ROOT, 'bin/natflow.js');
const REFERENCE = join(ROOT, 'examples/reference.plan.yaml');
/** Set with NATFLOW_TEST_TIME_SCALE 0, the tests' knob that skips the retries' pauses (docs/workflows.md). */
const OUTLASTING = JSON.stringify([{ at: 'AddDnatRule', kind: 'transient', times: 4 }]);

let dataDir: string;
let otherPlan: string;

function natflow(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(NODE, [BIN, ...args, '--data-dir', dataDir], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 90_000,
    env: { ...process.env, ...env },
  });
  return {
    code: result.status ?? -1,
    stdout: result.stdout,
    stderr: result.stderr,
    json: () => JSON.parse(result.stdout) as Record<string, unknown>,
  };
}

const resources = (plan: string) =>
  natflow(['resources', '--plan', plan, '--json']).json().resources as {
    id: string;
    type: string;
    name: string;
  }[];

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'natflow-cli-redrive-'));
  otherPlan = join(dataDir, 'other.plan.yaml');
  writeFileSync(
    otherPlan,
    readFileSync(REFERENCE, 'utf8')
      .replace('name: app-a-to-elb01', 'name: other-plan')
      .replaceAll('192.168.', '172.20.')
      .replaceAll('10.0.', '10.9.'),
  );
});
afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

describe('natflow executions redrive / rollback', () => {
  let kept = '';

  it('provision --on-failure keep fails at the Task past its retries and keeps what it created (exit 1)', () => {
    const run = natflow(['provision', REFERENCE, '--on-failure', 'keep', '--json'], {
      NATFLOW_FAULTS: OUTLASTING,
      NATFLOW_TEST_TIME_SCALE: '0',
    });
    expect(run.code, run.stderr).toBe(1);
    const doc = run.json();
    expect(doc).toMatchObject({
      status: 'FAILED',
      error: 'Natflow.Transient',
      workflow: 'provision',
      onFailure: 'keep',
      redriveStatus: 'REDRIVABLE',
    });
    kept = doc.executionArn as string;
    expect(kept).toContain(':execution:natflow-provision-keep-dev:');
    expect(resources('app-a-to-elb01').map((r) => r.type)).toContain('private-nat-gateway');
    expect(resources('app-a-to-elb01').map((r) => r.type)).not.toContain('dnat-rule');
  });

  it('executions redrive continues it to SUCCEEDED under the same ARN, with no duplicate (exit 0)', () => {
    const before = resources('app-a-to-elb01').map((r) => r.id);
    const run = natflow(['executions', 'redrive', kept, '--json']);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(run.json()).toMatchObject({ executionArn: kept, status: 'SUCCEEDED', redriveCount: 1 });
    const after = resources('app-a-to-elb01');
    for (const id of before) expect(after.map((r) => r.id)).toContain(id);
    const keys = after.map((r) => `${r.type}:${r.name}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(after.filter((r) => r.type === 'dnat-rule')).toHaveLength(1);
    const history = natflow(['executions', 'history', kept, '--json']).json().events as { type: string }[];
    expect(history.filter((e) => e.type === 'ExecutionRedriven')).toHaveLength(1);
  });

  it('refuses to redrive a SUCCEEDED execution with Step Functions reason (exit 2)', () => {
    const run = natflow(['executions', 'redrive', kept, '--json']);
    expect(run.code).toBe(2);
    expect(run.json()).toMatchObject({ error: { code: 'EXECUTION_NOT_REDRIVABLE' } });
    expect(JSON.stringify(run.json())).toContain('SUCCEEDED and cannot be redriven');
  });

  it('refuses to redrive a provisioning that rolled back (onFailure: rollback, the default) and says why', () => {
    const failed = natflow(['provision', otherPlan, '--json'], {
      NATFLOW_FAULTS: OUTLASTING,
      NATFLOW_TEST_TIME_SCALE: '0',
    });
    expect(failed.code).toBe(1);
    const arn = failed.json().executionArn as string;
    expect(resources('other-plan')).toEqual([]);

    const run = natflow(['executions', 'redrive', arn]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('EXECUTION_ROLLED_BACK');
    expect(run.stderr).toContain('onFailure: rollback');
    const rollback = natflow(['executions', 'rollback', arn, '--json']);
    expect(rollback.code).toBe(2);
    expect(rollback.json()).toMatchObject({ error: { code: 'ROLLBACK_REFUSED' } });
  });

  it('executions rollback removes a kept failure, which is then refused a redrive', () => {
    const failed = natflow(['provision', otherPlan, '--on-failure', 'keep', '--json'], {
      NATFLOW_FAULTS: OUTLASTING,
      NATFLOW_TEST_TIME_SCALE: '0',
    });
    expect(failed.code).toBe(1);
    const arn = failed.json().executionArn as string;
    const created = resources('other-plan');
    expect(created.length).toBeGreaterThan(5);

    const run = natflow(['executions', 'rollback', arn, '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect((run.json().deleted as string[]).sort()).toEqual(created.map((r) => r.id).sort());
    expect(resources('other-plan')).toEqual([]);
    // The other plan's resources are untouched.
    expect(resources('app-a-to-elb01').length).toBeGreaterThan(5);

    const redrive = natflow(['executions', 'redrive', arn, '--json']);
    expect(redrive.code).toBe(2);
    expect(redrive.json()).toMatchObject({ error: { code: 'EXECUTION_ROLLED_BACK' } });
  });

  it('rejects --on-failure with another value (exit 2)', () => {
    const run = natflow(['provision', REFERENCE, '--on-failure', 'sometimes']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--on-failure must be rollback or keep');
  });
});
