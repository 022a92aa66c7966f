/** Plan fixtures for tests: the examples, parsed, and a fresh copy of the reference plan to mutate. */
import { readFileSync } from 'node:fs';
import { parsePlanText } from '../../src/plan/plan.ts';

export const EXAMPLES = [
  'examples/reference.plan.yaml',
  'examples/udp-dns.plan.yaml',
  'examples/all-ports-server.plan.yaml',
  'examples/snat.plan.yaml',
  'examples/overlapping-cidrs.plan.yaml',
] as const;

export function examplePlan(file: string): Record<string, unknown> {
  return parsePlanText(readFileSync(file, 'utf8')) as Record<string, unknown>;
}

/** The reference plan as a plain document (a fresh copy each call). */
// biome-ignore lint/suspicious/noExplicitAny: tests reach into the document freely to break it.
export function referencePlan(): any {
  return examplePlan('examples/reference.plan.yaml');
}
