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
  /** The token of a stack started with NATFLOW_TOKEN (src/cli/token.ts); NATFLOW_TOKEN when not given. */
  token: { type: 'string' },
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

/**
 * A CLI command: `src/cli/commands/<name>.ts` default-exports one, and `commands.ts` lists it (with
 * its one-line summary). A command file imports only what reading its arguments needs; the rest is
 * imported inside `run`, once the arguments are known to be right (docs/cli.md "Start-up").
 */
export interface Command {
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

/** A refusal as `{code, message, errors, details?}` (docs/cli.md "Errors"). */
function refusal(
  code: string,
  message: string,
  errors: readonly { path: string; code: string; message: string }[],
  details?: Readonly<Record<string, unknown>>,
) {
  return { error: { code, message, errors, ...(details === undefined ? {} : { details }) } };
}

/**
 * A Step Functions service's refusal (the SDK's `ServiceException`, `$fault: 'client'`): the caller's
 * input was refused — bad input, exit 2, under natflow's code where there is one.
 */
const SERVICE_CODES: Readonly<Record<string, string>> = {
  ExecutionAlreadyExists: 'EXECUTION_ALREADY_EXISTS',
  ExecutionDoesNotExist: 'NOT_FOUND',
  StateMachineDoesNotExist: 'NOT_FOUND',
  InvalidName: 'USAGE',
  InvalidArn: 'USAGE',
};

function serviceRefusal(error: unknown): { code: string; message: string } | undefined {
  const fault = (error as { $fault?: unknown } | null)?.$fault;
  if (fault !== 'client' || !(error instanceof Error)) return undefined;
  return { code: SERVICE_CODES[error.name] ?? error.name, message: error.message };
}

/** Prints an error as the JSON document or a human line; returns the exit code it deserves. */
export function reportError(io: Output, error: unknown, json: boolean): number {
  if (error instanceof UsageError) {
    if (json) printJson(io, refusal('USAGE', error.message, [error.toIssue()]));
    else io.err(`natflow: ${error.message}`);
    return EXIT_USAGE;
  }
  if (error instanceof NatflowError) {
    const issues = 'issues' in error && Array.isArray(error.issues) ? error.issues : [error.toIssue()];
    if (json) printJson(io, refusal(error.code, error.message, issues, error.details));
    else {
      io.err(`natflow: ${error.code}: ${error.message}`);
      if (issues.length > 1)
        for (const issue of issues) io.err(`  ${issue.path || '(root)'}: ${issue.code}: ${issue.message}`);
    }
    return EXIT_USAGE;
  }
  const refused = serviceRefusal(error);
  if (refused) {
    const issue = { path: '', ...refused };
    if (json) printJson(io, refusal(refused.code, refused.message, [issue]));
    else io.err(`natflow: ${refused.code}: ${refused.message}`);
    return EXIT_USAGE;
  }
  // natflow's own fault: the message, never a stack trace or a source path (docs/real-cloud.md#failure;
  // NATFLOW_DEBUG=1 prints the trace on stderr).
  const message = withoutTraces(error instanceof Error ? error.message : String(error));
  if (json) printJson(io, refusal('INTERNAL', message, [{ path: '', code: 'INTERNAL', message }]));
  else io.err(`natflow: internal error: ${message}`);
  if (process.env.NATFLOW_DEBUG && error instanceof Error && error.stack) io.err(error.stack);
  return EXIT_FAILED;
}
