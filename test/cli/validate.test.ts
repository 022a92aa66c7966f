/**
 * `natflow validate` (and `resources`, `freeze`) as a user runs them: the real bin in a child process,
 * exit codes 0/2 and the JSON documents of docs/cli.md, each run in its own data directory.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { openLocalStore } from '../../src/cli/local-store.ts';
import { ControlPlane } from '../../src/cloud/control-plane.ts';
import { PlanSchema } from '../../src/plan/plan.ts';
import { applyStep, PROVISION_STEPS } from '../../src/workflow/steps/index.ts';
import { EXAMPLES, referencePlan } from '../cloud/plans.ts';

const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), 'natflow-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function natflow(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('node_modules/.bin/node', ['bin/natflow.js', ...args], {
      env: { ...process.env, NO_COLOR: '1', NATFLOW_DATA_DIR: join(scratch, 'default') },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function planFile(name: string, content: unknown): string {
  const file = join(scratch, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

describe('CLI: natflow validate', () => {
  it.each(EXAMPLES)('exits 0 with a valid document for %s', async (file) => {
    const { code, stdout } = await natflow('validate', file, '--json', '--data-dir', join(scratch, 'empty'));
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ valid: true, errors: [], summary: expect.any(Object) });
    // A read-only command creates no data directory.
    expect(existsSync(join(scratch, 'empty'))).toBe(false);
  });

  it('exits 2 with every problem by path and code', async () => {
    const plan = referencePlan();
    plan.privateNatGateways[0].dnatRules.push({
      ...plan.privateNatGateways[0].dnatRules[0],
      target: { server: 'ECS-B' },
    });
    plan.vpcs[0].cidr = '192.168.0.0';
    const { code, stdout } = await natflow('validate', planFile('bad.json', plan), '--json');
    expect(code).toBe(2);
    const document = JSON.parse(stdout) as {
      valid: boolean;
      errors: Array<{ path: string; code: string; message: string }>;
    };
    expect(document.valid).toBe(false);
    expect(document.errors).toEqual([
      {
        path: 'vpcs[0].cidr',
        code: 'INVALID_CIDR',
        message: expect.any(String),
        line: expect.any(Number),
        column: expect.any(Number),
      },
    ]);
    // Shape first: once the CIDR is fixed, the dry run finds the port conflict.
    plan.vpcs[0].cidr = '192.168.0.0/16';
    const second = await natflow('validate', planFile('bad2.yaml', plan), '--json');
    expect(second.code).toBe(2);
    expect(JSON.parse(second.stdout).errors).toEqual([
      expect.objectContaining({
        path: 'privateNatGateways[0].dnatRules[1].transitPort',
        code: 'DNAT_PORT_CONFLICT',
      }),
    ]);
  });

  it('exits 2 with MALFORMED_PLAN for a file that is not YAML or JSON', async () => {
    const { code, stdout } = await natflow(
      'validate',
      planFile('broken.yaml', 'name: [unclosed\n  - : :'),
      '--json',
    );
    expect(code).toBe(2);
    const document = JSON.parse(stdout) as { valid: boolean; errors: { path: string; code: string }[] };
    expect(document.valid).toBe(false);
    expect(document.errors.length).toBeGreaterThan(0);
    for (const error of document.errors) expect(error).toMatchObject({ path: '', code: 'MALFORMED_PLAN' });
  });

  it('exits 2 with a clear message for a missing file', async () => {
    const human = await natflow('validate', join(scratch, 'missing.yaml'));
    expect(human.code).toBe(2);
    expect(human.stdout).toContain('does not exist');
    const json = await natflow('validate', join(scratch, 'missing.yaml'), '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({ valid: false, errors: [{ code: 'FILE_NOT_FOUND' }] });
  });

  it('reports a shape error and an unknown reference in one run, each at its line and column (YAML)', async () => {
    // Prepare: the reference plan as written, its rule targeting ELB99 and a VPC with no CIDR.
    const { readFileSync } = await import('node:fs');
    const text = readFileSync('examples/reference.plan.yaml', 'utf8')
      .replace('target: { loadBalancer: ELB01 }', 'target: { loadBalancer: ELB99 }')
      .replace('cidr: 10.0.0.0/16', 'cidr: 10.0.0.0');
    const file = planFile('two-problems.yaml', text);
    const lines = text.split('\n');
    const lineOf = (needle: string) => lines.findIndex((line) => line.includes(needle)) + 1;

    // Act
    const json = await natflow('validate', file, '--json');
    const human = await natflow('validate', file);

    // Assess
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout).errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          path: 'vpcs[1].cidr',
          code: 'INVALID_CIDR',
          line: lineOf('cidr: 10.0.0.0'),
          column: 5,
        }),
        expect.objectContaining({
          path: 'privateNatGateways[0].dnatRules[0].target.loadBalancer',
          code: 'NOT_FOUND',
          line: lineOf('ELB99'),
        }),
      ]),
    );
    expect(human.code).toBe(2);
    expect(human.stdout).toContain(`vpcs[1].cidr: INVALID_CIDR`);
    expect(human.stdout).toContain(`(line ${lineOf('cidr: 10.0.0.0')}, column 5)`);
    expect(human.stdout).toContain("no load balancer named 'ELB99' in the plan");
  });

  it('places the problems of a JSON plan at their line and column too', async () => {
    const plan = referencePlan();
    plan.vpcs[0].cidr = '192.168.0.0';
    const file = planFile('pretty.json', JSON.stringify(plan, null, 2));
    const { stdout } = await natflow('validate', file, '--json');
    const [error] = JSON.parse(stdout).errors;
    expect(error).toMatchObject({ path: 'vpcs[0].cidr', code: 'INVALID_CIDR', line: 6, column: 7 });
  });

  it('prints a YAML syntax error whole: the line of text and the caret, not cut after "column 11:"', async () => {
    const file = planFile('syntax.yaml', 'name: p\nvpcs:\n  - name: VPC-A\n    cidr: a: b\n');
    const human = await natflow('validate', file);
    expect(human.code).toBe(2);
    expect(human.stdout).toContain('at line 4, column 11:');
    expect(human.stdout).toMatch(/cidr: a: b\n\s+\^/);
    const json = JSON.parse((await natflow('validate', file, '--json')).stdout);
    expect(json.errors[0]).toMatchObject({ code: 'MALFORMED_PLAN', line: 4, column: 11 });
    expect(json.errors[0].message).toMatch(/at line 4, column 11:\n\n {4}cidr: a: b\n {10}\^/);
  });

  it('exits 2 on usage errors', async () => {
    expect((await natflow('validate')).code).toBe(2);
    expect((await natflow('validate', 'a', 'b')).code).toBe(2);
    expect((await natflow('resources', '--type', 'nope')).code).toBe(2);
  });
});

describe('CLI: natflow resources / freeze / unfreeze', () => {
  it('lists, freezes and unfreezes what is in the data directory', async () => {
    // Prepare: provision the reference plan into a data directory.
    const dataDir = join(scratch, 'provisioned');
    const store = openLocalStore(dataDir);
    const cloud = new ControlPlane({ store });
    const plan = PlanSchema.parse(referencePlan());
    for (const step of PROVISION_STEPS) await applyStep(cloud, plan, step, { execution: 'exec-1' });
    await store.close();
    // Act
    const listed = await natflow(
      'resources',
      '--type',
      'dnat-rule',
      '--plan',
      plan.name,
      '--json',
      '--data-dir',
      dataDir,
    );
    const frozen = await natflow('freeze', 'private_nat_gateway', '--json', '--data-dir', dataDir);
    const revalidated = await natflow(
      'validate',
      'examples/reference.plan.yaml',
      '--json',
      '--data-dir',
      dataDir,
    );
    const unfrozen = await natflow(
      'unfreeze',
      'private_nat_gateway',
      '--plan',
      plan.name,
      '--json',
      '--data-dir',
      dataDir,
    );
    const missing = await natflow('freeze', 'no-such-gateway', '--json', '--data-dir', dataDir);
    const table = await natflow('resources', '--data-dir', dataDir);
    // Assess
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).resources).toEqual([
      expect.objectContaining({
        type: 'dnat-rule',
        plan: plan.name,
        status: 'ACTIVE',
        transitIp: '192.168.0.144',
        transitPort: 80,
      }),
    ]);
    expect(JSON.parse(frozen.stdout)).toMatchObject({ type: 'private-nat-gateway', status: 'FROZEN' });
    expect(JSON.parse(revalidated.stdout)).toMatchObject({ valid: true, summary: { toCreate: 0 } });
    expect(JSON.parse(unfrozen.stdout)).toMatchObject({ status: 'ACTIVE' });
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stdout)).toMatchObject({ error: { code: 'NOT_FOUND' } });
    expect(table.stdout).toMatch(
      /dnat-rule\s+transit-ip-A-tcp-80\s+app-a-to-elb01\s+ACTIVE\s+192\.168\.0\.144:80\/tcp → 10\.0\.0\.3:80/,
    );
  });
});
