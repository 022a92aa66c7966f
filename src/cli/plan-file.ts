/**
 * Reads a plan file (YAML or JSON) and validates it — what `validate`, `plan`, `provision`, `up` and
 * `teardown PLAN_FILE` share. Every problem comes back as the validate document's `{path, code,
 * message, line?, column?}` (docs/cli.md `natflow validate`): a file that does not exist is
 * `FILE_NOT_FOUND`, one that is not YAML or JSON one `MALFORMED_PLAN` per syntax error (whole, with its
 * line and column), and each problem of the plan itself carries the line and column where its path sits.
 * Loaded only by commands that read a plan (it brings the YAML parser and the plan schema).
 */
import { readFileSync } from 'node:fs';
import type { DryRunSource } from '../cloud/dry-run.ts';
import type { Issue } from '../cloud/errors.ts';
import type { ErrorCode } from '../codes/codes.ts';
import { NatflowError } from '../net/errors.ts';
import { type PlacedIssue, type PlanText, readPlanText } from '../plan/source.ts';
import { validatePlan } from '../plan/validate.ts';
import { steps } from '../workflow/steps/index.ts';
import type { Output } from './io.ts';
import { red } from './render.ts';

/** A plan file that does not exist, or cannot be read (exit 2). */
export class FileNotFoundError extends NatflowError {
  override name: ErrorCode = 'FILE_NOT_FOUND';
}

/** A file that is no plan: its problems as the validate document lists them (exit 2). */
export class NotAPlanError extends NatflowError {
  readonly issues: readonly PlacedIssue[];

  constructor(file: string, issues: readonly PlacedIssue[]) {
    const first = issues[0];
    super(`${file} is not a plan: ${first?.message ?? 'no plan'}`, { path: first?.path ?? '' });
    this.name = first?.code ?? 'MALFORMED_PLAN';
    this.issues = issues;
  }
}

export type PlanFile = { ok: true; file: string; plan: PlanText } | { ok: false; errors: PlacedIssue[] };

/** The one problem of a file that cannot be read. */
function unreadable(file: string, error: unknown): PlacedIssue {
  const code = (error as NodeJS.ErrnoException).code;
  const message =
    code === 'ENOENT'
      ? `plan file ${file} does not exist`
      : code === 'EISDIR'
        ? `${file} is a directory, not a plan file`
        : `cannot read plan file ${file} (${code ?? String(error)})`;
  return { path: '', code: 'FILE_NOT_FOUND', message };
}

/** Reads and parses a plan file; never throws for what is wrong with the file. */
export function readPlanFile(file: string): PlanFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return { ok: false, errors: [unreadable(file, error)] };
  }
  const read = readPlanText(text);
  return read.ok ? { ok: true, file, plan: read.plan } : { ok: false, errors: read.errors };
}

/** A plan file's document, or the error that says why there is none (FILE_NOT_FOUND, MALFORMED_PLAN). */
export function planDocumentOf(file: string): unknown {
  const read = readPlanFile(file);
  if (read.ok) return read.plan.document;
  const [first] = read.errors;
  if (first?.code === 'FILE_NOT_FOUND') throw new FileNotFoundError(first.message);
  throw new NotAPlanError(file, read.errors);
}

/** Each issue with the line and column where its path sits in the file. */
export function placed(errors: readonly Issue[], plan: PlanText): PlacedIssue[] {
  return errors.map((issue) => {
    const position = plan.positionOf(issue.path);
    return position ? { ...issue, line: position.line, column: position.column } : { ...issue };
  });
}

/** A plan file's validate document, with what a workflow then needs of it. */
export interface ValidatedPlanFile {
  valid: boolean;
  errors: PlacedIssue[];
  summary?: Awaited<ReturnType<typeof validatePlan>>['summary'];
  plan?: Awaited<ReturnType<typeof validatePlan>>['plan'];
  /** The plan as written: what a workflow takes as input (each step parses it again). */
  document?: unknown;
}

/**
 * The validate document of a plan file against `source` (or the source its document chooses, e.g. by
 * its `cloud:`), each problem placed in the file; a file that is missing or no YAML/JSON is invalid with
 * its own problems (FILE_NOT_FOUND, MALFORMED_PLAN).
 */
export async function validatePlanFile(
  source: DryRunSource | ((document: unknown) => Promise<DryRunSource>),
  file: string,
): Promise<ValidatedPlanFile> {
  const read = readPlanFile(file);
  if (!read.ok) return { valid: false, errors: read.errors };
  const document = read.plan.document;
  const against = typeof source === 'function' ? await source(document) : source;
  const result = await validatePlan(against, document, { steps });
  return {
    valid: result.valid,
    errors: placed(result.errors, read.plan),
    ...(result.summary ? { summary: result.summary } : {}),
    ...(result.plan ? { plan: result.plan } : {}),
    document,
  };
}

/** One problem as a line for people: `path: CODE: message (line 7, column 11)`, a long message indented. */
export function issueLine(issue: PlacedIssue): string {
  const where = issue.line === undefined ? '' : ` (line ${issue.line}, column ${issue.column})`;
  const [head, ...rest] = issue.message.split('\n');
  const more = rest.length > 0 ? `\n${rest.map((line) => `      ${line}`).join('\n')}` : '';
  return `  ${issue.path || '(root)'}: ${issue.code}: ${head}${where}${more}`;
}

/** Tells a person that a plan is invalid and nothing was started, one problem a line. */
export function printPlanErrors(io: Output, file: string, errors: readonly PlacedIssue[]): void {
  io.err(red(`natflow: ${file} is not a valid plan; nothing was started`));
  for (const e of errors) io.err(issueLine(e));
}
