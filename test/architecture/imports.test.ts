/**
 * The architecture, checked on the source itself (docs/architecture.md): which way the imports point,
 * that no module-global dependency slot comes back, and that no module grows past 550 lines.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Edge, importGraph, importsOf, ROOT, sourceFiles, violations } from './import-graph.ts';

const CODE = ['src', 'functions', 'test', 'bench', 'soak', 'bin', 'types'];
const MAX_LINES = 550;

/** Files allowed over MAX_LINES for good. */
const LARGE_BY_DESIGN = [
  // The DNAT session table: one data structure and its invariants, read as a whole.
  'src/dnat/session-table.ts',
];
/** Directories whose files are allowed over MAX_LINES: the console's browser assets. */
const LARGE_DIRS = ['src/runtime/console/assets/'];

describe('the import graph', () => {
  const edges = importGraph(CODE);

  it('reads the imports it checks (a graph of the whole source, known edges included)', () => {
    expect(sourceFiles(['src', 'functions']).length).toBeGreaterThan(100);
    expect(edges.length).toBeGreaterThan(500);
    const has = (from: string, to: string) => edges.some((e) => e.from === from && e.to === to);
    expect(has('src/runtime/stack.ts', 'functions/lib/deps.ts')).toBe(true);
    expect(has('src/probe/probe.ts', 'src/probe/live.ts')).toBe(true);
    // A dynamic import counts too.
    expect(has('functions/lib/deps.ts', 'src/store/index.ts')).toBe(true);
  });

  it('has no import from src/ (but src/cli/, src/runtime/) or functions/ into src/runtime/, none from src/cloud/ into src/store/ or src/providers/', () => {
    expect(violations(edges)).toEqual([]);
  });

  it('has no cycle between functions/lib/deps.ts and functions/lib/eventbridge.ts', () => {
    const has = (from: string, to: string) => edges.some((e) => e.from === from && e.to === to);
    expect(has('functions/lib/eventbridge.ts', 'functions/lib/deps.ts')).toBe(false);
  });

  it('catches each kind of forbidden edge (the check can fail)', () => {
    const edge = (from: string, to: string): Edge => ({ from, to, line: 1 });
    const bad = [
      edge('src/probe/probe.ts', 'src/runtime/dataplane/index.ts'),
      edge('functions/probe.ts', 'src/runtime/stack.ts'),
      edge('src/workflow/verification.ts', 'src/runtime/dataplane/index.ts'),
      edge('src/cloud/control-plane.ts', 'src/store/sqlite.ts'),
      edge('src/cloud/port.ts', 'src/providers/huaweicloud/index.ts'),
    ];
    const fine = [
      edge('src/cli/commands/up.ts', 'src/runtime/stack.ts'),
      edge('src/runtime/stack.ts', 'src/runtime/tasks.ts'),
      edge('src/runtime/stack.ts', 'functions/lib/deps.ts'),
      edge('src/store/sqlite.ts', 'src/cloud/store.ts'),
      edge('src/providers/huaweicloud/index.ts', 'src/cloud/resources.ts'),
      edge('test/x.test.ts', 'src/runtime/stack.ts'),
    ];
    expect(violations(bad)).toHaveLength(bad.length);
    expect(violations(fine)).toEqual([]);
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
