/**
 * The architecture, checked on the source itself (docs/architecture.md): which way the imports point,
 * that no module-global dependency slot comes back, and that no module grows past 550 lines.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  circlesOf,
  classMentions,
  type Edge,
  importGraph,
  importsOf,
  oversized,
  providerClasses,
  ROOT,
  sourceFiles,
  violations,
} from './import-graph.ts';

const CODE = ['src', 'functions', 'test', 'bench', 'soak', 'bin', 'types'];
const MAX_LINES = 550;
/** No direct subfolder of src/ holds more than this share of src/'s .ts lines. */
const MAX_SHARE = 0.3;
/** Where a circle of files is a defect (tests may build fixtures however they like). */
const CIRCLE_SCOPE = ['src/', 'functions/', 'bench/', 'soak/'];

/** Files allowed over MAX_LINES for good. */
const LARGE_BY_DESIGN = [
  // The DNAT session table: one data structure and its invariants, read as a whole.
  'src/dnat/session-table.ts',
];
/** Directories whose files are allowed over MAX_LINES: the console's browser assets. */
const LARGE_DIRS = ['src/console/assets/'];

describe('the import graph', () => {
  const edges = importGraph(CODE);

  it('reads the imports it checks (a graph of the whole source, known edges included)', () => {
    expect(sourceFiles(['src', 'functions']).length).toBeGreaterThan(100);
    expect(edges.length).toBeGreaterThan(500);
    const has = (from: string, to: string) => edges.some((e) => e.from === from && e.to === to);
    expect(has('src/stack/stack.ts', 'functions/api/lib/deps.ts')).toBe(true);
    expect(has('src/stack/tasks.ts', 'functions/lib/deps.ts')).toBe(true);
    expect(has('src/probe/probe.ts', 'src/probe/live.ts')).toBe(true);
    // A dynamic import counts too.
    expect(has('functions/lib/deps.ts', 'src/store/index.ts')).toBe(true);
  });

  it('keeps every layering rule of docs/architecture.md', () => {
    expect(violations(edges)).toEqual([]);
  });

  it('has no cycle between functions/lib/deps.ts and functions/lib/eventbridge.ts', () => {
    const has = (from: string, to: string) => edges.some((e) => e.from === from && e.to === to);
    expect(has('functions/lib/eventbridge.ts', 'functions/lib/deps.ts')).toBe(false);
  });

  it('catches each kind of forbidden edge (the check can fail)', () => {
    const edge = (from: string, to: string): Edge => ({ from, to, line: 1 });
    const bad = [
      edge('src/probe/probe.ts', 'src/local-dataplane/index.ts'),
      edge('functions/probe.ts', 'src/stack/stack.ts'),
      edge('src/workflow/verification.ts', 'src/local-dataplane/index.ts'),
      edge('src/cloud/control-plane.ts', 'src/store/sqlite.ts'),
      edge('src/cloud/port.ts', 'src/providers/huaweicloud/index.ts'),
      edge('src/cloud/resources.ts', 'src/providers/registry.ts'),
      edge('src/workflow/cloud-verification.ts', 'src/providers/huaweicloud/discovery.ts'),
      edge('src/providers/registry.ts', 'src/providers/huaweicloud/index.ts'),
      edge('src/plan/preview-destroy.ts', 'src/workflow/rollback.ts'),
      edge('src/local-huaweicloud/index.ts', 'src/local-dataplane/index.ts'),
      edge('src/local-sfn/service.ts', 'src/stack/stack.ts'),
      edge('src/console/live.ts', 'src/local-sfn/service.ts'),
      edge('src/stack/stack.ts', 'src/local-sfn/runner.ts'),
      edge('soak/index.ts', 'src/local-huaweicloud/auth.ts'),
      edge('src/api/problem.ts', 'src/console/index.ts'),
      edge('src/cli/commands/import.ts', 'src/providers/huaweicloud/discovery.ts'),
      edge('functions/lib/deps.ts', 'src/providers/huaweicloud/index.ts'),
      edge('bench/provision.ts', 'src/providers/huaweicloud/provider.ts'),
    ];
    const fine = [
      edge('src/cli/commands/up.ts', 'src/stack/stack.ts'),
      edge('src/stack/stack.ts', 'src/stack/tasks.ts'),
      edge('src/stack/stack.ts', 'src/local-sfn/index.ts'),
      edge('test/x.test.ts', 'src/local-sfn/runner.ts'),
      edge('src/stack/stack.ts', 'functions/lib/deps.ts'),
      edge('src/store/sqlite.ts', 'src/cloud/store.ts'),
      edge('src/providers/huaweicloud/index.ts', 'src/cloud/resources.ts'),
      { ...edge('src/providers/registry.ts', 'src/providers/huaweicloud/index.ts'), dynamic: true },
      edge('src/workflow/cloud-verification.ts', 'src/providers/registry.ts'),
      edge('src/cli/commands/import.ts', 'src/providers/registry.ts'),
      edge('src/local-sfn/runner.ts', 'src/local-sfn/machine.ts'),
      edge('src/workflow/steps/networks.ts', 'src/plan/plan.ts'),
      edge('src/workflow/rollback.ts', 'src/aws/local.ts'),
      edge('test/x.test.ts', 'src/stack/stack.ts'),
      edge('test/x.test.ts', 'src/providers/huaweicloud/provider.ts'),
    ];
    // Each bad edge breaks at least one rule (some break two).
    for (const e of bad) expect(violations([e]), `${e.from} → ${e.to}`).not.toEqual([]);
    expect(violations(fine)).toEqual([]);
  });

  it('has no circle of files (no class split across files that hand `this` to each other)', () => {
    const source = edges.filter((e) => CIRCLE_SCOPE.some((d) => e.from.startsWith(d)));
    expect(circlesOf(source)).toEqual([]);
  });

  it('parses every import form natflow uses', () => {
    const text = [
      "import { a, type B } from './a.ts';",
      "import type {\n  C,\n  D,\n} from '../c.ts';",
      "export { e } from './e.ts';",
      "export * from './f.ts';",
      "import './g.ts';",
      "const h = await import('./h.ts');",
      "import * as i from 'node:fs';",
    ].join('\n');
    expect(importsOf(text).map((i) => i.specifier)).toEqual([
      './a.ts',
      '../c.ts',
      './e.ts',
      './f.ts',
      './g.ts',
      'node:fs',
      './h.ts',
    ]);
  });

  it('finds a circle of files when there is one (the check can fail)', () => {
    const edge = (from: string, to: string): Edge => ({ from, to, line: 1 });
    const circle = [edge('a.ts', 'b.ts'), edge('b.ts', 'c.ts'), edge('c.ts', 'a.ts'), edge('c.ts', 'd.ts')];
    expect(circlesOf(circle)).toEqual([['a.ts', 'b.ts', 'c.ts']]);
    expect(circlesOf([edge('a.ts', 'b.ts'), edge('b.ts', 'c.ts')])).toEqual([]);
  });
});

describe('the provider registry', () => {
  const texts = sourceFiles(['src', 'functions', 'bench', 'soak']).map((path) => ({
    path,
    text: readFileSync(join(ROOT, path), 'utf8'),
  }));

  it("is the only way to a provider: no code outside src/providers/ names a provider's class", () => {
    const classes = providerClasses(texts);
    expect(classes.length).toBeGreaterThan(0);
    expect(classMentions(texts, classes)).toEqual([]);
  });

  it('finds a provider class named outside src/providers/ (the check can fail)', () => {
    const fake = [
      { path: 'src/providers/acme/provider.ts', text: 'export class AcmeCloud implements Cloud {}' },
      { path: 'src/workflow/x.ts', text: "import x from 'y';\nif (cloud instanceof AcmeCloud) {}" },
      { path: 'src/providers/registry.ts', text: 'AcmeCloud' },
    ];
    expect(providerClasses(fake)).toEqual(['AcmeCloud']);
    expect(classMentions(fake, ['AcmeCloud'])).toEqual(['src/workflow/x.ts:2 AcmeCloud']);
  });
});

describe('components', () => {
  it(`keeps every direct subfolder of src/ at or under ${MAX_SHARE * 100}% of src/'s .ts lines`, () => {
    const files = sourceFiles(['src']).map((path) => ({
      path,
      lines: readFileSync(join(ROOT, path), 'utf8').split('\n').length,
    }));
    expect(oversized(files, MAX_SHARE)).toEqual([]);
  });

  it('finds a subfolder over the bound (the check can fail)', () => {
    const files = [
      { path: 'src/a/x.ts', lines: 40 },
      { path: 'src/a/y/z.ts', lines: 20 },
      { path: 'src/b/x.ts', lines: 40 },
      { path: 'src/c.ts', lines: 100 },
    ];
    expect(oversized(files, MAX_SHARE)).toEqual(['src/c.ts: 50.0%']);
    expect(oversized(files, 0.25)).toEqual(['src/a: 30.0%', 'src/c.ts: 50.0%']);
  });
});

describe('dependencies', () => {
  it('has no module-global dependency slot: no set…Deps / reset…Deps anywhere', () => {
    // Spelled in two parts so that this file does not match itself.
    const slot = new RegExp(`\\b(?:set|reset)${'Deps'}\\b`);
    const offenders = sourceFiles(CODE).filter((file) => slot.test(readFileSync(join(ROOT, file), 'utf8')));
    expect(offenders).toEqual([]);
  });
});

describe('module size', () => {
  it(`has no file in src/ or functions/ over ${MAX_LINES} lines but the known exceptions`, () => {
    const allowed = (file: string) =>
      LARGE_BY_DESIGN.includes(file) || LARGE_DIRS.some((d) => file.startsWith(d));
    const large = sourceFiles(['src', 'functions'])
      .map((file) => ({ file, lines: readFileSync(join(ROOT, file), 'utf8').split('\n').length - 1 }))
      .filter(({ file, lines }) => lines > MAX_LINES && !allowed(file))
      .map(({ file, lines }) => `${file}: ${lines} lines`);
    expect(large).toEqual([]);
  });
});
