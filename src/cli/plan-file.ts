/**
 * Reads a plan file (YAML or JSON) and validates it against the current store — what `natflow validate`
 * and `natflow provision` both do before anything starts.
 */
import { readFileSync } from 'node:fs';
import type { DryRunSource } from '../cloud/dry-run.ts';
import type { Issue } from '../cloud/errors.ts';
import { MalformedPlanError } from '../cloud/errors.ts';
import { parsePlanText } from '../plan/plan.ts';
import { validatePlan } from '../plan/validate.ts';
import { steps } from '../workflow/steps/index.ts';
import { type Output, UsageError } from './io.ts';
import { red } from './render.ts';

export function readPlanFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === 'ENOENT' ? `plan file ${file} does not exist` : `cannot read plan file ${file}: ${code}`,
    );
  }
  return parsePlanText(text);
}

/**
 * The validate document `{valid, errors, summary}` of a plan file; a malformed file is one error.
 * `document` is the plan as written: what a workflow takes as input (each step parses it again).
 */
export async function validatePlanFile(
  source: DryRunSource | ((document: unknown) => Promise<DryRunSource>),
  file: string,
) {
  let document: unknown;
  try {
    document = readPlanFile(file);
  } catch (error) {
    if (error instanceof MalformedPlanError) {
      return {
        valid: false as const,
        errors: [error.toIssue()],
        plan: undefined,
        summary: undefined,
        document: undefined,
      };
    }
    throw error;
  }
  const against = typeof source === 'function' ? await source(document) : source;
  return { ...(await validatePlan(against, document, { steps })), document };
}

/** Tells a person that a plan is invalid and nothing was started, one problem a line. */
export function printPlanErrors(io: Output, file: string, errors: readonly Issue[]): void {
  io.err(red(`natflow: ${file} is not a valid plan; nothing was started`));
  for (const e of errors) io.err(`  ${e.path || '(root)'}: ${e.code}: ${e.message}`);
}
