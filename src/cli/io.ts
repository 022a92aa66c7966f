/**
 * What every CLI command shares: parsed flags, the output sink and the exit codes of docs/cli.md.
 *
 * Exit codes: 0 success; 1 the workflow or the verification failed (or a probe's verdict is not the one
 * expected); 2 bad input or usage. `--json` prints exactly one JSON document on stdout (`watch` and `up`
 * one JSON event a line); human output goes to stdout too, diagnostics to stderr.
 */
import { parseArgs } from 'node:util';
import { NatflowError, withoutTraces } from '../net/errors.ts';
import { DEFAULT_DATA_DIR } from '../store/data-dir.ts';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export interface Output {
  out(text: string): void;
  err(text: string): void;
}

export const processOutput: Output = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};

/** Options every command accepts. */
export const COMMON_OPTIONS = {
  json: { type: 'boolean', default: false },
  'data-dir': { type: 'string' },
  endpoint: { type: 'string' },
  sigv4: { type: 'boolean', default: false },
  plan: { type: 'string' },
  /** A provider of src/providers/registry.ts (docs/clouds.md): wins over the plan's `cloud:` and NATFLOW_CLOUD. */
  cloud: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export interface CommandContext {
  argv: string[];
  io: Output;
  env: NodeJS.ProcessEnv;
}

/** A CLI command: `src/cli/commands/<name>.ts` default-exports one; `main` finds it by name. */
export interface Command {
  /** One line for `natflow --help`. */
  summary: string;
  /** Full usage text for `natflow <command> --help`. */
  usage: string;
  run(context: CommandContext): Promise<number>;
}

/** Wrong flags or arguments: printed with the usage, exit 2. */
export class UsageError extends NatflowError {
  override name = 'USAGE';
}

type ParseArgsOptions = NonNullable<Parameters<typeof parseArgs>[0]>['options'];

/** `util.parseArgs` with the common options merged in, turning its errors into `UsageError`. */
export function parseFlags<const O extends ParseArgsOptions>(argv: string[], options: O) {
  try {
    return parseArgs({
      args: argv,
      options: { ...COMMON_OPTIONS, ...options },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** The data directory: `--data-dir`, then `NATFLOW_DATA_DIR`, then `.natflow/`. */
export function dataDirOf(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  return flag ?? env.NATFLOW_DATA_DIR ?? DEFAULT_DATA_DIR;
}

export function printJson(io: Output, document: unknown): void {
  io.out(JSON.stringify(document, null, 2));
}

/** Prints an error as the JSON document or a human line; returns the exit code it deserves. */
export function reportError(io: Output, error: unknown, json: boolean): number {
  if (error instanceof UsageError) {
    if (json) printJson(io, { error: { code: 'USAGE', message: error.message } });
    else io.err(`natflow: ${error.message}`);
    return EXIT_USAGE;
  }
  if (error instanceof NatflowError) {
    const issues = 'issues' in error && Array.isArray(error.issues) ? error.issues : [error.toIssue()];
    if (json)
      printJson(io, {
        error: { code: error.code, message: error.message, errors: issues, details: error.details },
      });
    else {
      io.err(`natflow: ${error.code}: ${error.message}`);
      if (issues.length > 1)
        for (const issue of issues) io.err(`  ${issue.path || '(root)'}: ${issue.code}: ${issue.message}`);
    }
    return EXIT_USAGE;
  }
  // natflow's own fault: its message, never its trace (docs/real-cloud.md#failure) — unless the user
  // asks for the logs (NATFLOW_LOG_LEVEL=DEBUG), where traces go.
  const message = withoutTraces(error instanceof Error ? error.message : String(error));
  if (json) printJson(io, { error: { code: 'INTERNAL', message } });
  else io.err(`natflow: internal error: ${message}`);
  if (process.env.NATFLOW_LOG_LEVEL?.toUpperCase() === 'DEBUG' && error instanceof Error && error.stack)
    io.err(error.stack);
  return EXIT_FAILED;
}
