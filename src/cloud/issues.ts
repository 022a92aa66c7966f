/**
 * The one mapping from zod's issues to natflow's `{path, code, message}` (`Issue`): every place that turns a
 * schema failure into natflow's error shape — the plan parser, the Lambdas' event parser, the API's problem
 * documents, the local HTTP server's own routes — writes paths the same way, `a.b[0].c`, and keeps a rule
 * code an issue carries in `params.code` (the plan schema's CIDR, address and port checks), else
 * VALIDATION_FAILED.
 *
 * Issues are read structurally (zod 4's `ZodError.issues`, or the Standard Schema issues the Powertools
 * parser hands on, whose path segments may be `{key}` objects), so any zod version's issues map.
 */
import type { Issue } from './errors.ts';

/** A zod (or Standard Schema) issue, as far as natflow reads it. */
interface LooseIssue {
  path?: readonly unknown[];
  message?: unknown;
  params?: { code?: unknown };
}

export interface IssueMapping {
  /** Rewrites the path's segments before formatting (an event's `body.x` → `x`). */
  mapPath?: (segments: readonly PropertyKey[]) => readonly PropertyKey[];
}

/** A path as natflow writes it: `privateNatGateways[0].dnatRules[1].transitPort`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text === '' ? String(segment) : `.${String(segment)}`;
  }
  return text;
}

/** The path's segments, a Standard Schema `{key}` segment read as its key. */
export function pathSegments(path: readonly unknown[] | undefined): PropertyKey[] {
  return (path ?? []).map((part) =>
    part && typeof part === 'object' && 'key' in part
      ? (part as { key: PropertyKey }).key
      : (part as PropertyKey),
  );
}

/** The rule code an issue carries (`params.code`), else VALIDATION_FAILED. */
export function codeOfIssue(issue: unknown): string {
  const code = (issue as LooseIssue).params?.code;
  return typeof code === 'string' ? code : 'VALIDATION_FAILED';
}

/** zod's issues as natflow's. */
export function issuesFromZod(issues: readonly unknown[], mapping: IssueMapping = {}): Issue[] {
  return issues.map((entry) => {
    const issue = entry as LooseIssue;
    const segments = pathSegments(issue.path);
    return {
      path: formatPath(mapping.mapPath ? mapping.mapPath(segments) : segments),
      code: codeOfIssue(issue),
      message: String(issue.message ?? 'invalid value'),
    };
  });
}
