/**
 * The CLI end to end, as a user runs it: separate `natflow` processes on one data directory, each
 * starting an embedded stack (no `natflow up` running), exactly as docs/cli.md specifies the commands,
 * their JSON documents and their exit codes.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const NODE = join(ROOT, 'node_modules/.bin/node');
const BIN = join(ROOT, 'bin/natflow.js');
const REFERENCE = join(ROOT, 'examples/reference.plan.yaml');

let dataDir: string;

function natflow(...args: string[]): {
  code: number;
  stdout: string;
  stderr: string;
  json: () => Record<string, unknown>;
} {
  const result = spawnSync(NODE, [BIN, ...args, '--data-dir', dataDir], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return {
    code: result.status ?? -1,
    stdout: result.stdout,
    stderr: result.stderr,
    json: () => JSON.parse(result.stdout) as Record<string, unknown>,
  };
}

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'natflow-cli-'));
});
afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

describe('natflow provision, executions, teardown', () => {
  let firstIds: string[] = [];

  it('provisions the reference plan: SUCCEEDED, exit 0, the execution document', () => {
    const run = natflow('provision', REFERENCE, '--json');
    expect(run.code, run.stderr + run.stdout).toBe(0);
    const doc = run.json();
    expect(doc).toMatchObject({ status: 'SUCCEEDED', workflow: 'provision' });
    expect(doc.executionArn).toMatch(
      /^arn:aws:states:us-east-1:\d{12}:execution:natflow-provision-dev:app-a-to-elb01-/,
    );
    const output = doc.output as { plan: string; resources: Record<string, Record<string, string>> };
    expect(output.plan).toBe('app-a-to-elb01');
    const resources = natflow('resources', '--plan', 'app-a-to-elb01', '--json').json().resources as {
      id: string;
      type: string;
      ip?: string;
    }[];
    expect(resources.find((r) => r.type === 'transit-ip')?.ip).toBe('192.168.0.144');
    firstIds = resources.map((r) => r.id).sort();
  });

  it('converges when run again: the same resources, none added', () => {
    const run = natflow('provision', REFERENCE, '--json');
    expect(run.code, run.stderr).toBe(0);
    const resources = natflow('resources', '--plan', 'app-a-to-elb01', '--json').json().resources as {
      id: string;
    }[];
    expect(resources.map((r) => r.id).sort()).toEqual(firstIds);
  });

  it('lists, shows and prints the history of executions', () => {
    const list = natflow('executions', 'list', '--workflow', 'provision', '--json');
    expect(list.code).toBe(0);
    const executions = list.json().executions as { name: string; status: string }[];
    expect(executions).toHaveLength(2);
    const name = executions[0]?.name ?? '';
    const show = natflow('executions', 'show', name, '--json');
    expect(show.json()).toMatchObject({ name, status: 'SUCCEEDED' });
    const history = natflow('executions', 'history', name, '--json');
    const types = (history.json().events as { type: string }[]).map((e) => e.type);
    expect(types[0]).toBe('ExecutionStarted');
    expect(types.at(-1)).toBe('ExecutionSucceeded');
    expect(types).toContain('LambdaFunctionScheduled');
    expect(natflow('executions', 'show', 'no-such-execution', '--json').code).toBe(2);
  });

  it('rejects an invalid plan with exit 2 and the validate document, starting nothing', () => {
    const file = join(dataDir, 'bad.plan.yaml');
    writeFileSync(file, 'name: bad-plan\nvpcs:\n  - { name: V, cidr: 10.0.0.0/33 }\n');
    const run = natflow('provision', file, '--json');
    expect(run.code).toBe(2);
    expect(run.json()).toMatchObject({
      valid: false,
      errors: [{ path: 'vpcs[0].cidr', code: 'INVALID_CIDR' }],
    });
    const executions = natflow('executions', '--json').json().executions as unknown[];
    expect(executions).toHaveLength(2);
  });

  it('fails with exit 1 and VERIFICATION_FAILED when verification does not hold, leaving nothing', () => {
    const file = join(dataDir, 'wrong.plan.json');
    writeFileSync(
      file,
      JSON.stringify({
        name: 'wrong-expectation',
        vpcs: [{ name: 'V', cidr: '172.16.0.0/16', subnets: [{ name: 's', cidr: '172.16.0.0/24' }] }],
        servers: [
          { name: 'a', subnet: 's' },
          { name: 'b', subnet: 's', apps: [{ protocol: 'tcp', port: 5432 }] },
        ],
        verify: [{ from: 'a', to: 'b', protocol: 'tcp', port: 5432, expect: 'unreachable' }],
      }),
    );
    const run = natflow('provision', file, '--json');
    expect(run.code, run.stderr).toBe(1);
    expect(run.json()).toMatchObject({ status: 'FAILED', error: 'VERIFICATION_FAILED' });
    expect(natflow('resources', '--plan', 'wrong-expectation', '--json').json().resources).toEqual([]);
  });

  it('verifies a provisioned plan', () => {
    const run = natflow('verify', 'app-a-to-elb01', '--json');
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(run.json()).toMatchObject({ status: 'SUCCEEDED', workflow: 'verify' });
  });

  it('tears the plan down: exit 0 and nothing left', () => {
    const run = natflow('teardown', 'app-a-to-elb01', '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(run.json()).toMatchObject({ status: 'SUCCEEDED', workflow: 'teardown' });
    expect(natflow('resources', '--json').json().resources).toEqual([]);
    // A second teardown finds nothing recorded: it starts nothing and says so, exit 0.
    const again = natflow('teardown', 'app-a-to-elb01', '--json');
    expect(again.code, again.stderr).toBe(0);
    expect(again.json()).toEqual({ plan: 'app-a-to-elb01', nothing: true });
  });
});

describe('natflow up --once (npm start)', () => {
  it('provisions the reference scenario, prints the transit IP and the data plane, and exits 0', () => {
    const run = natflow('up', REFERENCE, '--once', '--port', '0');
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(run.stdout).toContain('SUCCEEDED');
    expect(run.stdout).toContain('192.168.0.144');
    expect(run.stdout).toContain('CreatePrivateNatGateway');
    expect(run.stdout).toMatch(/curl http:\/\/127\.\d+\.\d+\.\d+:\d+\//);
  });
});
