/**
 * `natflow teardown` of a plan with nothing recorded (docs/cli.md#natflow-teardown): it says "nothing to
 * tear down", starts nothing and exits 0 — on the local data directory and with `--endpoint` alike, the
 * first time and after the plan was torn down (was: accepted, then FAILED NOT_FOUND).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../../src/stack/stack.ts';
import { NATFLOW, NODE, ROOT } from '../reliability/support.ts';

const REFERENCE = join(ROOT, 'examples/reference.plan.yaml');

function natflow(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      NODE,
      [NATFLOW, ...args],
      { cwd: ROOT, encoding: 'utf8', timeout: 90_000, env: { ...process.env, NATFLOW_TOKEN: '' } },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    );
  });
}

describe('natflow teardown of a plan with nothing recorded, locally', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'natflow-cli-teardown-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('says nothing to tear down, starts nothing and exits 0 (JSON: {plan, nothing: true})', async () => {
    const human = await natflow('teardown', 'never-was', '--data-dir', dataDir);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/nothing to tear down/);
    const json = await natflow('teardown', 'never-was', '--json', '--data-dir', dataDir);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ plan: 'never-was', nothing: true });
    const listed = await natflow('executions', 'list', '--json', '--data-dir', dataDir);
    expect(JSON.parse(listed.stdout)).toEqual({ executions: [] });
  });

  it('tears a provisioned plan down, then says nothing to tear down the second time', async () => {
    expect((await natflow('provision', REFERENCE, '--json', '--data-dir', dataDir)).code).toBe(0);
    const first = await natflow('teardown', 'app-a-to-elb01', '--json', '--data-dir', dataDir);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ status: 'SUCCEEDED', workflow: 'teardown' });
    const second = await natflow('teardown', 'app-a-to-elb01', '--data-dir', dataDir);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/nothing to tear down/);
  });
});

describe('natflow teardown --endpoint of a plan with nothing recorded', () => {
  let dataDir: string;
  let stack: Stack;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'natflow-cli-teardown-remote-'));
    stack = await startStack({ dataDir, port: 0, dataPlane: false });
  });
  afterAll(async () => {
    await stack.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('says nothing to tear down and exits 0, twice, with no execution started', async () => {
    const url = stack.url as string;
    const human = await natflow('teardown', 'never-was', '--endpoint', url);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/nothing to tear down/);
    const json = await natflow('teardown', 'never-was', '--endpoint', url, '--json');
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ plan: 'never-was', nothing: true });
    const listed = await stack.sfn.listExecutions({ stateMachineArn: stack.stateMachineArn('teardown') });
    expect(listed.executions).toEqual([]);
  });
});
