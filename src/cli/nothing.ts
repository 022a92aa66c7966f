/**
 * A teardown with nothing to do (docs/cli.md#natflow-teardown): a plan with nothing recorded — no plan
 * record, no resource, none left behind — starts nothing, locally and with `--endpoint` (the API answers
 * 200 `{plan, nothing: true}`), and a teardown execution started some other way ends SUCCEEDED with that
 * output. The CLI says so and exits 0.
 */
import { type Output, printJson } from './io.ts';

/** A teardown's answer or output when nothing was recorded to its plan: `{plan, nothing: true}`. */
export function isNothing(value: unknown): value is { plan: string; nothing: true } {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { nothing?: unknown }).nothing === true &&
    typeof (value as { plan?: unknown }).plan === 'string'
  );
}

export function nothingLine(plan: string): string {
  return `nothing to tear down: no plan named ${plan} is recorded (nothing was started)`;
}

/** What `natflow teardown` prints instead of starting anything: the line, or `{plan, nothing: true}`. */
export function printNothingToTearDown(io: Output, plan: string, json: boolean): void {
  if (json) printJson(io, { plan, nothing: true });
  else io.out(nothingLine(plan));
}
