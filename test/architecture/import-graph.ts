/**
 * natflow's import graph, read from the source: every `.ts` file's static imports and re-exports
 * (`import … from '…'`, `export … from '…'`, `import '…'`) and dynamic `import('…')` of a literal path,
 * resolved to repository-relative paths. Package imports (`zod`, `node:fs`) are kept as written.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative, sep } from 'node:path';

export const ROOT = join(import.meta.dirname, '../..');

export interface Edge {
  /** The importing file, repository-relative (`src/probe/probe.ts`). */
  from: string;
  /** The imported file, repository-relative, or the package specifier. */
  to: string;
  line: number;
}

const SKIP = new Set(['node_modules', '.git', '.natflow', 'test-artifacts', '.serverless', 'dist']);

/** Every `.ts` file under `dirs` (repository-relative), sorted. */
export function sourceFiles(dirs: readonly string[], root = ROOT): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(join(root, dir), { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (SKIP.has(entry.name)) continue;
      const path = posix.join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) files.push(path);
    }
  };
  for (const dir of dirs) walk(dir);
  return files.sort();
}

// `import x from 'a'`, `import type { x } from 'a'`, `export { x } from 'a'`, `export * from 'a'`,
// `import 'a'` (multi-line specifier lists included), and `import('a')`.
const STATIC = /(?:^|[\n;])\s*(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?['"]([^'"]+)['"]/g;
const DYNAMIC = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The import specifiers of a source text, with their line numbers. */
export function importsOf(text: string): { specifier: string; line: number }[] {
  const found: { specifier: string; line: number }[] = [];
  for (const pattern of [STATIC, DYNAMIC]) {
    for (const match of text.matchAll(pattern)) {
      const specifier = match[1] as string;
      const at = (match.index ?? 0) + match[0].lastIndexOf(specifier);
      found.push({ specifier, line: text.slice(0, at).split('\n').length });
    }
  }
  return found;
}

/** The edges of the files under `dirs`. */
export function importGraph(dirs: readonly string[], root = ROOT): Edge[] {
  const edges: Edge[] = [];
  for (const file of sourceFiles(dirs, root)) {
    const text = readFileSync(join(root, file), 'utf8');
    for (const { specifier, line } of importsOf(text)) {
      const to = specifier.startsWith('.')
        ? relative(root, join(root, dirname(file), specifier))
            .split(sep)
            .join('/')
        : specifier;
      edges.push({ from: file, to, line });
    }
  }
  return edges;
}

export const under = (path: string, dir: string): boolean => path === dir || path.startsWith(`${dir}/`);

export interface Rule {
  name: string;
  /** True when the edge breaks the rule. */
  forbids(edge: Edge): boolean;
}

/** DESIGN's layering: the composition roots (src/cli, src/runtime) assemble the rest; nothing else reaches up into them. */
export const RULES: readonly Rule[] = [
  {
    name: 'nothing in src/ (but src/cli/, src/runtime/) or functions/ imports src/runtime/',
    forbids: (e) =>
      under(e.to, 'src/runtime') &&
      ((under(e.from, 'src') && !under(e.from, 'src/cli') && !under(e.from, 'src/runtime')) ||
        under(e.from, 'functions')),
  },
  {
    name: 'src/cloud/ imports neither src/store/ nor src/providers/',
    forbids: (e) => under(e.from, 'src/cloud') && (under(e.to, 'src/store') || under(e.to, 'src/providers')),
  },
];

/** The edges that break a rule, as `file:line → target (rule)`. */
export function violations(edges: readonly Edge[], rules: readonly Rule[] = RULES): string[] {
  return edges.flatMap((edge) =>
    rules
      .filter((rule) => rule.forbids(edge))
      .map((rule) => `${edge.from}:${edge.line} → ${edge.to} (${rule.name})`),
  );
}
