/**
 * `npm run bench`: runs every benchmark module of this directory and prints their results as tables;
 * `npm run bench -- --json` prints one JSON document (docs/benchmarks.md) whose keys are the union of the
 * modules' results; `--only NAME` (repeatable, or comma-separated) runs just those modules.
 *
 * A module is a file `bench/<name>.ts` that default-exports a `BenchModule` named `<name>` (`--only`
 * loads just those files, so a run does not pay for modules it skips). Modules run one after
 * another (never in parallel: they measure throughput), in alphabetical order; a module that throws is
 * reported and the others still run (the exit code is then 1). Progress goes to stderr so that stdout
 * holds only the tables or the JSON document.
 */
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import '../src/stack/quiet-warnings.ts';

export interface BenchModule {
  /** What `--only` selects. */
  name: string;
  /** Runs the benchmark; the keys of its result become keys of the JSON document. */
  run(context: BenchContext): Promise<Record<string, unknown>>;
  /** Human output for the result; without it the harness prints each key as a table or a value. */
  format?(result: Record<string, unknown>, tools: FormatTools): string;
}

/** Formatting helpers the harness hands to `format` (modules import only types from this file). */
export interface FormatTools {
  table(rows: readonly Record<string, unknown>[]): string;
  formatValue(value: unknown): string;
}

export interface BenchContext {
  /** Progress and notes (stderr). */
  log(text: string): void;
}

const HERE = new URL('./', import.meta.url);

/** The modules of this directory; with `only`, just the files named after them (`<name>.ts`). */
async function loadModules(only: ReadonlySet<string>): Promise<BenchModule[]> {
  const files = readdirSync(HERE)
    .filter((file) => file.endsWith('.ts') && file !== 'index.ts' && !file.endsWith('.test.ts'))
    .filter((file) => only.size === 0 || only.has(file.slice(0, -3)))
    .sort();
  const modules: BenchModule[] = [];
  for (const file of files) {
    const loaded = (await import(new URL(file, HERE).href)) as { default?: BenchModule };
    const module = loaded.default;
    if (module && typeof module.name === 'string' && typeof module.run === 'function') modules.push(module);
  }
  return modules;
}

/** A list of flat objects as an aligned text table. */
export function table(rows: readonly Record<string, unknown>[]): string {
  if (rows.length === 0) return '(none)';
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const cells = rows.map((row) => columns.map((column) => formatValue(row[column])));
  const widths = columns.map((column, i) =>
    Math.max(column.length, ...cells.map((line) => (line[i] ?? '').length)),
  );
  const line = (values: readonly string[]) =>
    values.map((value, i) => value.padStart(widths[i] ?? 0)).join('  ');
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/** Numbers with thousands separators and at most 2 decimals; the rest as JSON. */
export function formatValue(value: unknown): string {
  if (typeof value === 'number') {
    return Number.isInteger(value)
      ? value.toLocaleString('en-US')
      : value.toLocaleString('en-US', { maximumFractionDigits: 2 });
  }
  if (typeof value === 'string') return value;
  if (value === undefined) return '';
  return JSON.stringify(value);
}

function defaultFormat(result: Record<string, unknown>, _tools: FormatTools): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(result)) {
    if (Array.isArray(value) && value.every((row) => row && typeof row === 'object')) {
      parts.push(`${key}\n${table(value as Record<string, unknown>[])}`);
    } else if (value && typeof value === 'object') {
      parts.push(`${key}\n${table([value as Record<string, unknown>])}`);
    } else {
      parts.push(`${key}: ${formatValue(value)}`);
    }
  }
  return parts.join('\n\n');
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { json: { type: 'boolean', default: false }, only: { type: 'string', multiple: true } },
    strict: true,
  });
  const only = new Set((values.only ?? []).flatMap((names) => names.split(',')).filter(Boolean));
  const modules = await loadModules(only);
  const unknown = [...only].filter((name) => !modules.some((module) => module.name === name));
  if (unknown.length > 0) {
    process.stderr.write(
      `bench: no module named ${unknown.join(', ')} (have ${modules.map((m) => m.name).join(', ')})\n`,
    );
    return 2;
  }
  const context: BenchContext = { log: (text) => process.stderr.write(`${text}\n`) };
  const document: Record<string, unknown> = {};
  let failed = false;
  for (const module of modules) {
    if (only.size > 0 && !only.has(module.name)) continue;
    context.log(`bench: ${module.name} …`);
    const started = performance.now();
    try {
      const result = await module.run(context);
      Object.assign(document, result);
      context.log(`bench: ${module.name} done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      if (!values.json) {
        process.stdout.write(
          `== ${module.name} ==\n${(module.format ?? defaultFormat)(result, { table, formatValue })}\n\n`,
        );
      }
    } catch (error) {
      failed = true;
      context.log(
        `bench: ${module.name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
    }
  }
  if (values.json) process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
  return failed ? 1 : 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
