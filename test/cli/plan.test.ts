/**
 * `natflow plan` and `natflow provision --preview` as a user runs them (docs/preview.md): separate processes
 * on one data directory, the exit codes 0/1/2/3, the JSON document, human output without colour when
 * stdout is no terminal, and the store and the execution list exactly as they were after every preview.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack } from '../../src/stack/stack.ts';
import { addRulePlan } from '../plan/scenarios.ts';

const ROOT = join(import.meta.dirname, '../..');
const NODE = join(ROOT, 'node_modules/.bin/node');
const BIN = join(ROOT, 'bin/natflow.js');
const REFERENCE = join(ROOT, 'examples/reference.plan.yaml');

let scratch: string;
let dataDir: string;

function natflow(...args: string[]) {
  const env = { ...process.env };
  delete env.NO_COLOR;
  const result = spawnSync(NODE, [BIN, ...args, '--data-dir', dataDir], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return {
    code: result.status ?? -1,
    stdout: result.stdout,
    stderr: result.stderr,
    json: () => JSON.parse(result.stdout) as Record<string, unknown>,
  };
}

function file(name: string, content: unknown): string {
  const path = join(scratch, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

/** What a preview must leave as it found: the resources and the executions. */
function state() {
  const resources = natflow('resources', '--json');
  const executions = natflow('executions', 'list', '--json');
  expect(resources.code, resources.stderr).toBe(0);
  expect(executions.code, executions.stderr).toBe(0);
  return { resources: resources.json(), executions: executions.json() };
}

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'natflow-plan-'));
  dataDir = join(scratch, 'data');
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('natflow plan on an empty data directory', () => {
  it('exits 0 with the JSON document, 3 with --detailed-exitcode, and creates no data directory', () => {
    const run = natflow('plan', REFERENCE, '--json');
    expect(run.code, run.stderr).toBe(0);
    const doc = run.json() as {
      actions: Array<{ action: string }>;
      summary: Record<string, number>;
      reachability: { opened: unknown[] };
    };
    expect(doc.summary).toEqual({
      create: 14,
      unchanged: 0,
      differs: 0,
      conflicts: 0,
      existing: 0,
      destroy: 0,
    });
    expect(doc.actions.every((a) => a.action === 'create')).toBe(true);
    expect(doc.reachability.opened).toEqual([
      expect.objectContaining({ from: 'ECS-A', to: '192.168.0.144:80', protocol: 'tcp', port: 80 }),
    ]);
    expect(natflow('plan', REFERENCE, '--detailed-exitcode').code).toBe(3);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('prints the Terraform-style preview without colour when stdout is not a terminal', () => {
    const run = natflow('plan', REFERENCE);
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain('\u001b[');
    expect(run.stdout).toMatch(
      /^ {2}\+ dnat-rule +transit-ip-A-tcp-80 +privateNatGateways\[0\]\.dnatRules\[0\]/m,
    );
    expect(run.stdout).toMatch(/^ {2}\+ opened +ECS-A → 192\.168\.0\.144:80\/tcp/m);
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe(
      'Plan: 14 to create, 0 unchanged, 0 differ, 0 conflicts.',
    );
  });

  it('colours the preview on a terminal, and not with NO_COLOR (util-linux script gives it a pty)', () => {
    const onTty = (extra: Record<string, string>) =>
      spawnSync('script', ['-qec', `${NODE} ${BIN} plan ${REFERENCE} --data-dir ${dataDir}`, '/dev/null'], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 60_000,
        env: {
          ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NO_COLOR')),
          ...extra,
        },
      }).stdout;
    const coloured = onTty({});
    expect(coloured).toContain('\u001b[32m+\u001b[0m');
    expect(coloured).toContain('Plan: 14 to create');
    const plain = onTty({ NO_COLOR: '1' });
    expect(plain).toContain('Plan: 14 to create');
    expect(plain).not.toContain('\u001b[');
  });

  it.each([
    { name: 'a file that is not YAML', content: 'name: [unclosed', code: 'MALFORMED_PLAN' },
    {
      name: 'a shape error',
      content: { name: 'x', vpcs: [{ name: 'V', cidr: '10.0.0.0' }] },
      code: 'INVALID_CIDR',
    },
  ])('exits 2 with the validate document for $name', ({ content, code }) => {
    const run = natflow('plan', file('bad.yaml', content), '--json');
    expect(run.code).toBe(2);
    expect(run.json()).toMatchObject({ valid: false, errors: [expect.objectContaining({ code })] });
  });

  it('exits 2 for a missing file, a teardown of no plan, and a file with --destroy', () => {
    expect(natflow('plan', join(scratch, 'missing.yaml'), '--json').json()).toMatchObject({
      valid: false,
      errors: [expect.objectContaining({ code: 'FILE_NOT_FOUND' })],
    });
    expect(natflow('plan', '--destroy', 'nothing-here').code).toBe(2);
    expect(natflow('plan', REFERENCE, '--destroy', 'x').code).toBe(2);
    expect(natflow('plan').code).toBe(2);
  });
});

describe('natflow provision --preview, then natflow plan on what it provisioned', () => {
  it('refuses without a terminal unless --yes: exit 2, no execution started', () => {
    const run = natflow('provision', '--preview', REFERENCE);
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('Plan: 14 to create');
    expect(run.stderr).toContain('--yes');
    expect(state().executions).toMatchObject({ executions: [] });
  });

  it('with --yes --json prints {preview, execution} and provisions', () => {
    const run = natflow('provision', '--preview', '--yes', '--json', REFERENCE);
    expect(run.code, run.stderr).toBe(0);
    const doc = run.json() as { preview: { summary: { create: number } }; execution: { status: string } };
    expect(doc.preview.summary.create).toBe(14);
    expect(doc.execution.status).toBe('SUCCEEDED');
  });

  it('starts nothing for a plan that would fail: exit 1 with {preview, execution: null}', () => {
    const before = state();
    const run = natflow(
      'provision',
      '--preview',
      '--yes',
      '--json',
      file('conflict.json', addRulePlan({ transitPort: 80 })),
    );
    expect(run.code).toBe(1);
    expect(run.json()).toMatchObject({ execution: null, preview: { summary: { conflicts: 1 } } });
    expect(state()).toEqual(before);
  });

  it('previews leave the resources and the executions as they were, with the exit codes of docs/preview.md', () => {
    const before = state();
    // A re-run changes nothing: 0, and 0 with --detailed-exitcode.
    const again = natflow('plan', REFERENCE, '--json', '--detailed-exitcode');
    expect(again.code).toBe(0);
    expect(again.json()).toMatchObject({ summary: { unchanged: 14, create: 0 } });
    // A conflict: 1, printed with its code under the entry.
    const conflict = natflow('plan', file('conflict.json', addRulePlan({ transitPort: 80 })));
    expect(conflict.code).toBe(1);
    expect(conflict.stdout).toMatch(/^ {2}! dnat-rule .*\n +DNAT_PORT_CONFLICT /m);
    expect(conflict.stdout).toContain('Plan: 0 to create, 0 unchanged, 0 differ, 1 conflicts.');
    // A new rule on the existing gateway: 3, and the path it opens.
    const added = natflow('plan', file('add.json', addRulePlan({})), '--json', '--detailed-exitcode');
    expect(added.code).toBe(3);
    expect(added.json()).toMatchObject({
      reachability: { opened: [expect.objectContaining({ to: '192.168.0.144:8080' })] },
    });
    // The teardown: every resource destroyed, the path closed.
    const destroy = natflow('plan', '--destroy', 'app-a-to-elb01', '--json', '--detailed-exitcode');
    expect(destroy.code).toBe(3);
    expect(destroy.json()).toMatchObject({
      mode: 'destroy',
      summary: { destroy: 14 },
      reachability: { closed: [expect.objectContaining({ from: 'ECS-A', to: '192.168.0.144:80' })] },
    });
    expect(state()).toEqual(before);
  });
});

describe('natflow plan --endpoint URL', () => {
  it('previews on that stack through POST /plans/preview, with the same documents and exit codes', async () => {
    const remoteDir = mkdtempSync(join(scratch, 'remote-'));
    const stack = await startStack({ dataDir: remoteDir, port: 0 });
    try {
      const url = stack.url as string;
      const { spawn } = await import('node:child_process');
      const run = (...args: string[]) =>
        new Promise<{ code: number; stdout: string }>((done) => {
          const child = spawn(
            NODE,
            [BIN, ...args, '--endpoint', url, '--data-dir', join(scratch, 'unused')],
            {
              cwd: ROOT,
            },
          );
          let stdout = '';
          child.stdout.on('data', (chunk) => {
            stdout += chunk;
          });
          child.on('close', (code) => done({ code: code ?? -1, stdout }));
        });
      const fresh = await run('plan', REFERENCE, '--json', '--detailed-exitcode');
      expect(fresh.code).toBe(3);
      expect(JSON.parse(fresh.stdout)).toMatchObject({ summary: { create: 14 } });
      const missing = await run('plan', '--destroy', 'nothing-here', '--json');
      expect(missing.code).toBe(2);
      expect(JSON.parse(missing.stdout)).toMatchObject({ valid: false, errors: [{ code: 'NOT_FOUND' }] });
      expect(existsSync(join(scratch, 'unused'))).toBe(false);
    } finally {
      await stack.close();
    }
  }, 60_000);
});
