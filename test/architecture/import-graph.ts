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
  /** A dynamic `import('…')`: loaded when it runs, not when the importing module loads. */
  dynamic?: boolean;
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
export function importsOf(text: string): { specifier: string; line: number; dynamic: boolean }[] {
  const found: { specifier: string; line: number; dynamic: boolean }[] = [];
  for (const pattern of [STATIC, DYNAMIC]) {
    for (const match of text.matchAll(pattern)) {
      const specifier = match[1] as string;
      const at = (match.index ?? 0) + match[0].lastIndexOf(specifier);
      found.push({ specifier, line: text.slice(0, at).split('\n').length, dynamic: pattern === DYNAMIC });
    }
  }
  return found;
}

/** The edges of the files under `dirs`. */
export function importGraph(dirs: readonly string[], root = ROOT): Edge[] {
  const edges: Edge[] = [];
  for (const file of sourceFiles(dirs, root)) {
    const text = readFileSync(join(root, file), 'utf8');
    for (const { specifier, line, dynamic } of importsOf(text)) {
      const to = specifier.startsWith('.')
        ? relative(root, join(root, dirname(file), specifier))
            .split(sep)
            .join('/')
        : specifier;
      edges.push({ from: file, to, line, ...(dynamic ? { dynamic } : {}) });
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

/**
 * The layers (docs/architecture.md). The core owns its ports and knows nothing above it; adapters
 * (stores, providers) implement the core's ports; the local stand-ins for cloud services and the console
 * are components of their own that only a composition root (src/stack/, src/cli/) wires together.
 */
export const CORE = [
  'src/codes',
  'src/net',
  'src/cloud',
  'src/dnat',
  'src/probe',
  'src/plan',
  'src/workflow',
];
/** The local stand-ins for cloud services: each a component of its own. */
export const STAND_INS = ['src/local-sfn', 'src/local-bus', 'src/local-dataplane', 'src/local-huaweicloud'];
/** The composition roots: they may import anything in src/ (and the handlers). */
export const ROOTS = ['src/stack', 'src/cli'];
/** Leaf modules every layer may use. */
export const LEAVES = ['src/aws/local.ts', 'src/store/data-dir.ts'];
/** The provider registry: names and capabilities, each provider opened lazily (docs/architecture.md). */
export const REGISTRY = 'src/providers/registry.ts';

const inAny = (path: string, dirs: readonly string[]) => dirs.some((d) => under(path, d));
const isSource = (path: string) => path.startsWith('src/') || path.startsWith('functions/');
/** The component a path belongs to: `src/<dir>` (or `functions`). */
export const componentOf = (path: string): string =>
  path.startsWith('functions/') ? 'functions' : path.split('/').slice(0, 2).join('/');

export const RULES: readonly Rule[] = [
  {
    name: 'the core (src/codes, net, cloud, dnat, probe, plan, workflow) imports only the core, the leaves and (but src/cloud) the registry',
    forbids: (e) =>
      inAny(e.from, CORE) &&
      isSource(e.to) &&
      !inAny(e.to, CORE) &&
      !LEAVES.includes(e.to) &&
      !(e.to === REGISTRY && !inAny(e.from, ['src/codes', 'src/net', 'src/cloud', 'src/dnat'])),
  },
  {
    name: 'src/cloud/ imports neither src/store/ nor src/providers/ (the registry included)',
    forbids: (e) => under(e.from, 'src/cloud') && (under(e.to, 'src/store') || under(e.to, 'src/providers')),
  },
  {
    name: 'the registry loads no provider when it loads: a provider folder is only imported dynamically',
    forbids: (e) => e.from === REGISTRY && /^src\/providers\/[^/]+\//.test(e.to) && !e.dynamic,
  },
  {
    name: 'src/plan/ does not import src/workflow/ (the workflows use the plan, not the other way round)',
    forbids: (e) => under(e.from, 'src/plan') && under(e.to, 'src/workflow'),
  },
  {
    name: 'only a composition root (src/stack/, src/cli/) imports src/stack/, a local stand-in or the console',
    forbids: (e) =>
      inAny(e.to, [...ROOTS, ...STAND_INS, 'src/console']) &&
      isSource(e.from) &&
      !inAny(e.from, ROOTS) &&
      componentOf(e.from) !== componentOf(e.to),
  },
  {
    name: 'a component (a local stand-in, the console) is reached from outside only through its index.ts',
    forbids: (e) =>
      inAny(e.to, [...STAND_INS, 'src/console']) &&
      (isSource(e.from) || e.from.startsWith('bench/') || e.from.startsWith('soak/')) &&
      componentOf(e.from) !== componentOf(e.to) &&
      e.to !== `${componentOf(e.to)}/index.ts`,
  },
  {
    name: 'src/stack/ is imported by src/cli/ only',
    forbids: (e) =>
      under(e.to, 'src/stack') &&
      isSource(e.from) &&
      !under(e.from, 'src/cli') &&
      !under(e.from, 'src/stack'),
  },
  {
    name: 'the console (a web app over HTTP/SSE) imports no stand-in, store, provider, handler or root',
    forbids: (e) =>
      under(e.from, 'src/console') &&
      inAny(e.to, [...ROOTS, ...STAND_INS, 'src/store', 'src/providers', 'functions']) &&
      !LEAVES.includes(e.to),
  },
  {
    name: "nothing outside src/providers/ imports a provider's folder (only the registry, src/providers/registry.ts)",
    forbids: (e) =>
      isSource(e.from) || e.from.startsWith('bench/') || e.from.startsWith('soak/')
        ? !under(e.from, 'src/providers') && /^src\/providers\/[^/]+\//.test(e.to)
        : false,
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

/**
 * The import circles among files: each strongly connected component of more than one file (Tarjan),
 * as sorted lists. A class split across files that hand `this` to each other shows up here.
 */
export function circlesOf(edges: readonly Edge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const { from, to } of edges) {
    if (!next.has(from)) next.set(from, []);
    if (!next.has(to)) next.set(to, []);
    next.get(from)?.push(to);
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  let counter = 0;
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string | undefined;
      do {
        w = stack.pop() as string;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) circles.push(component.sort());
    }
  };
  for (const v of next.keys()) if (!index.has(v)) visit(v);
  return circles;
}

/** The `.ts` lines under `src/`, per direct subfolder (files directly in `src/` count as their own). */
export function linesBySubfolder(files: readonly { path: string; lines: number }[]): Map<string, number> {
  const total = new Map<string, number>();
  for (const { path, lines } of files) {
    const key = componentOf(path);
    total.set(key, (total.get(key) ?? 0) + lines);
  }
  return total;
}

/** The subfolders of `src/` holding more than `share` of its `.ts` lines, as `dir: pct%`. */
export function oversized(files: readonly { path: string; lines: number }[], share: number): string[] {
  const all = files.reduce((sum, f) => sum + f.lines, 0);
  return [...linesBySubfolder(files)]
    .filter(([, lines]) => lines > share * all)
    .map(([dir, lines]) => `${dir}: ${((100 * lines) / all).toFixed(1)}%`);
}

/** The classes a provider folder exports (`src/providers/<name>/…`), by name. */
export function providerClasses(texts: readonly { path: string; text: string }[]): string[] {
  const names = new Set<string>();
  for (const { path, text } of texts) {
    if (!/^src\/providers\/[^/]+\//.test(path)) continue;
    for (const match of text.matchAll(/\bexport\s+(?:abstract\s+)?class\s+(\w+)/g))
      names.add(match[1] as string);
  }
  return [...names].sort();
}

/** The places outside src/providers/ that name one of `classes`, as `file:line name`. */
export function classMentions(
  texts: readonly { path: string; text: string }[],
  classes: readonly string[],
): string[] {
  if (classes.length === 0) return [];
  const pattern = new RegExp(`\\b(${classes.join('|')})\\b`);
  const found: string[] = [];
  for (const { path, text } of texts) {
    if (path.startsWith('src/providers/')) continue;
    text.split('\n').forEach((line, i) => {
      const match = pattern.exec(line);
      if (match) found.push(`${path}:${i + 1} ${match[1]}`);
    });
  }
  return found;
}
