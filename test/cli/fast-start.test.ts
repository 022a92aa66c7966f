/**
 * A command line that answers at once (docs/cli.md "Start-up"): each command loads only what it needs.
 * What a process loads is deterministic, so these tests check it — never a time: `--help`, a command's
 * usage and every usage error load no SDK, no YAML or zod, no plan or workflow module; `validate`,
 * `plan` and `probe --mode analyze` load no Step Functions engine, no SDK, no stack. The CPU ratios
 * themselves are `npm run bench`'s (bench/cli.ts).
 *
 * Also here: the fast-start cache of bin/fast-start.js (stripped sources reused, stripped again when
 * the source changes), and the unhappy paths of the command line itself — unknown commands and
 * subcommands are usage (exit 2), and with --json every error is one JSON document.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, natflow, REFERENCE, ROOT, run } from './support.ts';

const RECORDER = join(ROOT, 'test/fixtures/cli/record-modules.mjs');

let scratch: string;
let dataDir: string;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'natflow-fast-start-'));
  dataDir = join(scratch, 'data');
  const provisioned = await natflow(['provision', REFERENCE, '--data-dir', dataDir, '--json']);
  expect(provisioned.code, provisioned.stderr).toBe(0);
}, 120_000);

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

/** The modules (repository-relative paths, or `node_modules/<package>`) a natflow command loads. */
async function modulesOf(...args: string[]): Promise<{ modules: string[]; code: number; stdout: string }> {
  const out = join(scratch, `modules-${Math.random().toString(36).slice(2)}.json`);
  const result = await run(['--import', RECORDER, BIN, ...args], {
    env: { NATFLOW_CACHE_DIR: 'off', NATFLOW_TEST_MODULES_OUT: out },
  });
  const urls = JSON.parse(readFileSync(out, 'utf8')) as string[];
  const modules = urls
    .filter((url) => url.startsWith('file:'))
    .map((url) => {
      const path = decodeURIComponent(new URL(url).pathname);
      const inModules = /\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
      return inModules ? `node_modules/${inModules[1]}` : path.slice(ROOT.length + 1);
    });
  return { modules: [...new Set(modules)], code: result.code, stdout: result.stdout };
}

/** What a command that only reads its arguments must not load. */
const HEAVY = [
  /^node_modules\/@aws-sdk\//,
  /^node_modules\/@smithy\//,
  /^node_modules\/@huaweicloud\//,
  /^node_modules\/aws-local-stepfunctions$/,
  /^node_modules\/zod$/,
  /^node_modules\/yaml$/,
  /^src\/plan\//,
  // The list of workflows (src/workflow/workflows.ts) is a few constants; the rest of the folder is work.
  /^src\/workflow\/(?!workflows\.ts$)/,
  /^src\/stack\/stack\.ts$/,
  /^src\/local-/,
  /^functions\//,
];

/** What validate, plan and an analysing probe must not load: the SDKs, the engine, the stack. */
const STACK = [
  /^node_modules\/@aws-sdk\//,
  /^node_modules\/@smithy\//,
  /^node_modules\/@huaweicloud\//,
  /^node_modules\/aws-local-stepfunctions$/,
  /^src\/stack\/stack\.ts$/,
  /^src\/local-sfn\//,
  /^src\/local-huaweicloud\//,
  /^src\/local-dataplane\//,
  /^src\/console\//,
];

const offending = (modules: readonly string[], forbidden: readonly RegExp[]) =>
  modules.filter((m) => forbidden.some((pattern) => pattern.test(m)));

describe('what a command loads', () => {
  it.each([
    { name: '--help', args: ['--help'], code: 0 },
    { name: 'no command', args: [], code: 2 },
    { name: 'an unknown command', args: ['frob'], code: 2 },
    { name: "a command's --help", args: ['validate', '--help'], code: 0 },
    { name: 'validate without a file', args: ['validate'], code: 2 },
    { name: 'provision with an unknown flag', args: ['provision', '--frob'], code: 2 },
    { name: 'probe without --from', args: ['probe', '--to', 'x:80', '--protocol', 'http'], code: 2 },
    { name: 'an unknown executions subcommand', args: ['executions', 'frob'], code: 2 },
    { name: 'teardown without a plan', args: ['teardown'], code: 2 },
  ])('$name loads no SDK, no parser, no plan, workflow or stack module', async ({ args, code }) => {
    // Act
    const loaded = await modulesOf(...args);

    // Assess
    expect(loaded.code).toBe(code);
    expect(offending(loaded.modules, HEAVY)).toEqual([]);
  });

  it('validate loads the plan and its dry run, and no SDK, engine or stack', async () => {
    const loaded = await modulesOf('validate', REFERENCE, '--data-dir', dataDir);
    expect(loaded.code).toBe(0);
    expect(loaded.modules).toContain('src/plan/validate.ts');
    expect(offending(loaded.modules, STACK)).toEqual([]);
  });

  it('plan loads the preview, and no SDK, engine or stack', async () => {
    const loaded = await modulesOf('plan', REFERENCE, '--data-dir', dataDir);
    expect(loaded.code).toBe(0);
    expect(loaded.modules).toContain('src/plan/preview.ts');
    expect(offending(loaded.modules, STACK)).toEqual([]);
  });

  it('probe --mode analyze loads the analysis, and no YAML, SDK, engine, data plane or stack', async () => {
    const args = ['probe', '--from', 'ECS-A', '--to', 'transit-ip-A:80', '--protocol', 'http'];
    const loaded = await modulesOf(...args, '--mode', 'analyze', '--data-dir', dataDir, '--json');
    expect(loaded.code, loaded.stdout).toBe(0);
    expect(JSON.parse(loaded.stdout)).toMatchObject({ verdict: 'REACHABLE', mode: 'analyze' });
    expect(loaded.modules).toContain('src/probe/analyze.ts');
    expect(offending(loaded.modules, [...STACK, /^node_modules\/yaml$/])).toEqual([]);
  });
});

describe('the command line itself', () => {
  it.each([
    { name: 'an unknown command', args: ['frob'], message: "unknown command 'frob'" },
    { name: 'an unknown executions subcommand', args: ['executions', 'frob'], message: "'executions frob'" },
    { name: 'executions show without an id', args: ['executions', 'show'], message: 'needs an execution' },
    { name: 'an unknown flag', args: ['validate', REFERENCE, '--frob'], message: 'frob' },
  ])('$name is usage: exit 2, the usage on stderr', async ({ args, message }) => {
    // Act
    const human = await natflow([...args, '--data-dir', dataDir]);

    // Assess
    expect(human.code).toBe(2);
    expect(human.stderr).toContain(message);
    expect(human.stdout).toBe('');
  });

  it.each([
    { name: 'an unknown command', args: ['frob'], code: 'USAGE' },
    { name: 'an unknown executions subcommand', args: ['executions', 'frob'], code: 'USAGE' },
    { name: 'an unknown flag', args: ['probe', '--frob'], code: 'USAGE' },
    {
      name: 'a teardown of a file that does not exist',
      args: ['teardown', 'nope/plan.yaml'],
      code: 'FILE_NOT_FOUND',
    },
    { name: 'an unknown execution', args: ['executions', 'show', 'no-such-execution'], code: 'NOT_FOUND' },
  ])(
    'with --json, $name is one JSON document {error: {code, message, errors}}, exit 2',
    async ({ args, code }) => {
      // Act
      const result = await natflow([...args, '--json', '--data-dir', dataDir]);

      // Assess
      expect(result.code).toBe(2);
      const document = result.json<{ error: { code: string; message: string; errors: unknown[] } }>();
      expect(document.error).toMatchObject({ code, message: expect.any(String) });
      expect(document.error.errors).toEqual([expect.objectContaining({ code })]);
    },
  );

  it('natflow help COMMAND prints that command’s usage', async () => {
    const result = await natflow(['help', 'teardown']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('usage: natflow teardown PLAN_FILE|PLAN_NAME');
  });
});

describe('the fast-start cache (bin/fast-start.js)', () => {
  it('strips each source once: a second run reuses what the first wrote, and prints the same', async () => {
    // Prepare
    const cache = join(scratch, 'cache');
    const first = await natflow(['validate', REFERENCE, '--json', '--data-dir', dataDir], {
      env: { NATFLOW_CACHE_DIR: cache },
    });
    const files = readdirSync(join(cache, 'ts')).map((file) => join(cache, 'ts', file));
    const written = new Map(files.map((file) => [file, statSync(file).mtimeMs]));

    // Act
    const second = await natflow(['validate', REFERENCE, '--json', '--data-dir', dataDir], {
      env: { NATFLOW_CACHE_DIR: cache },
    });

    // Assess
    expect(first.code).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    expect(files.length).toBeGreaterThan(20);
    for (const [file, mtime] of written) expect(statSync(file).mtimeMs).toBe(mtime);
    // zod and yaml as one file each.
    expect(
      readdirSync(join(cache, 'vendor'))
        .filter((f) => f.endsWith('.mjs'))
        .map((f) => f.split('-')[0]),
    ).toEqual(expect.arrayContaining(['zod', 'yaml']));
  });

  it('strips a source again once it changed, even to the same size', async () => {
    // Prepare: a module of its own, loaded through the hooks in a process of its own.
    const dir = join(scratch, 'changing');
    const cache = join(scratch, 'cache-changing');
    rmSync(dir, { recursive: true, force: true });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
    const module = join(dir, 'answer.ts');
    const script = `import { installFastStart } from ${JSON.stringify(join(ROOT, 'bin/fast-start.js'))};
installFastStart({ NATFLOW_CACHE_DIR: ${JSON.stringify(cache)} });
const { answer } = await import(${JSON.stringify(module)});
console.log(answer);`;
    const load = () => run(['--input-type=module', '-e', script], { cwd: dir });
    writeFileSync(module, 'export const answer: number = 41;\n');
    const first = await load();
    const again = await load();

    // Act
    writeFileSync(module, 'export const answer: number = 42;\n');
    const changed = await load();

    // Assess
    expect([first.stdout.trim(), again.stdout.trim(), changed.stdout.trim()]).toEqual(['41', '41', '42']);
    expect(first.stderr).toBe('');
  });

  it("npm's prepare (fast-start.js --warm) fills the cache: the first command strips nothing more", async () => {
    // Prepare
    const cache = join(scratch, 'cache-warm');
    const warm = await run([join(ROOT, 'bin/fast-start.js'), '--warm'], {
      env: { NATFLOW_CACHE_DIR: cache },
    });
    const before = readdirSync(join(cache, 'ts')).sort();

    // Act
    const first = await natflow(['plan', REFERENCE, '--json', '--data-dir', dataDir], {
      env: { NATFLOW_CACHE_DIR: cache },
    });

    // Assess
    expect(warm.code, warm.stderr).toBe(0);
    expect(before.length).toBeGreaterThan(100);
    expect(readdirSync(join(cache, 'vendor')).filter((f) => f.endsWith('.ok'))).toHaveLength(2);
    expect(first.code, first.stderr).toBe(0);
    expect(readdirSync(join(cache, 'ts')).sort()).toEqual(before);
  });

  it('NATFLOW_CACHE_DIR=off runs from the sources, writing nothing', async () => {
    const result = await natflow(['--help'], { env: { NATFLOW_CACHE_DIR: 'off' } });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('usage: natflow <command>');
  });
});
