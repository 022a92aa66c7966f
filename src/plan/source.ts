/**
 * A plan's text as a person wrote it (YAML, or JSON, which is YAML too): the document, every syntax
 * error at once, and where each path of the document sits in the text — so `natflow validate` can say
 * `line 31, column 9` beside `privateNatGateways[0].dnatRules[0].transitPort` (docs/cli.md).
 *
 * Lines and columns are 1-based, as editors count them. A path's position is where its entry or field
 * starts: a map field's key (`transitPort:`), a list item's first character; a path that is not in the
 * text (a required field left out) sits at its nearest ancestor that is (the entry missing it).
 * Syntax errors are reported whole — the parser's message with the line of text and the caret under
 * the place — one issue each.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { Issue } from '../cloud/errors.ts';

export interface Position {
  line: number;
  column: number;
}

export interface PlanText {
  /** The document as plain data, for `PlanSchema` to check. */
  document: unknown;
  /** Where `path` (`vpcs[0].subnets[1].cidr`) sits in the text, or its nearest ancestor that does. */
  positionOf(path: string): Position | undefined;
}

/** An issue as a file's reader reports it: with the line and column where it sits, when known. */
export type PlacedIssue = Issue & Partial<Position>;

/** Reads a plan's text: the document and its positions, or every problem that keeps it from being a plan. */
export function readPlanText(
  text: string,
): { ok: true; plan: PlanText } | { ok: false; errors: PlacedIssue[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true, lineCounter: lines });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((error) => ({
        path: '',
        code: 'MALFORMED_PLAN',
        message: `the plan is not valid YAML or JSON: ${error.message.trimEnd()}`,
        ...(error.linePos ? { line: error.linePos[0].line, column: error.linePos[0].col } : {}),
      })),
    };
  }
  let document: unknown;
  try {
    document = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    return {
      ok: false,
      errors: [
        {
          path: '',
          code: 'MALFORMED_PLAN',
          message: `the plan is not valid YAML or JSON: ${error instanceof Error ? error.message : String(error)}`,
        },
      ],
    };
  }
  const shapeError = notAnObject(document);
  if (shapeError)
    return {
      ok: false,
      errors: [{ path: '', code: 'MALFORMED_PLAN', message: shapeError, line: 1, column: 1 }],
    };
  const at = (offset: number): Position => {
    const { line, col } = lines.linePos(offset);
    return { line, column: col };
  };
  return {
    ok: true,
    plan: {
      document,
      positionOf(path) {
        let node: unknown = doc.contents;
        let position = startOf(node, at);
        for (const segment of segmentsOf(path)) {
          if (typeof segment === 'number' && isSeq(node)) {
            node = node.items[segment];
            if (node === undefined) break;
            position = startOf(node, at) ?? position;
          } else if (isMap(node)) {
            const pair = node.items.find(
              (item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment),
            );
            if (!pair) break;
            position = startOf(pair.key, at) ?? position;
            node = pair.value;
          } else break;
        }
        return position;
      },
    },
  };
}

/** Why a parsed document is no plan (empty, a list, a scalar), or undefined when it is an object. */
export function notAnObject(document: unknown): string | undefined {
  if (document === null || document === undefined) return 'the plan is empty';
  if (typeof document !== 'object' || Array.isArray(document))
    return `the plan must be a YAML or JSON object (a mapping with name, vpcs, …), not ${Array.isArray(document) ? 'a list' : `a ${typeof document}`}`;
  return undefined;
}

function startOf(node: unknown, at: (offset: number) => Position): Position | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? at(range[0]) : undefined;
}

/** `vpcs[0].subnets[1].cidr` → `['vpcs', 0, 'subnets', 1, 'cidr']`. */
export function segmentsOf(path: string): (string | number)[] {
  const segments: (string | number)[] = [];
  for (const match of path.matchAll(/\[(\d+)\]|([^.[\]]+)/g)) {
    segments.push(match[1] !== undefined ? Number(match[1]) : (match[2] as string));
  }
  return segments;
}
