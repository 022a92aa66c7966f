/**
 * `readPlanText` (src/plan/source.ts): a plan's text read with where each path sits — lines and
 * columns of YAML and of JSON — and every syntax error at once, each whole (the parser's message with
 * the line of text and the caret), never cut after "at line 7, column 11:".
 */
import { describe, expect, it } from 'vitest';
import { readPlanText, segmentsOf } from '../../src/plan/source.ts';

const YAML = `name: p
vpcs:
  - name: VPC-A
    cidr: 10.0.0.0/16
    subnets:
      - { name: s1, cidr: 10.0.0.0/24 }
privateNatGateways:
  - name: gw
    vpc: VPC-A
    subnet: s1
    dnatRules:
      - transitIp: tip
        transitPort: 99999
`;

const JSON_TEXT = `{
  "name": "p",
  "vpcs": [
    { "name": "VPC-A", "cidr": "10.0.0.0" }
  ]
}`;

function positions(text: string) {
  const read = readPlanText(text);
  if (!read.ok) throw new Error(JSON.stringify(read.errors));
  return read.plan;
}

describe('Function: readPlanText', () => {
  it.each([
    { path: 'vpcs[0].cidr', line: 4, column: 5 },
    { path: 'vpcs[0].subnets[0].cidr', line: 6, column: 21 },
    { path: 'privateNatGateways[0].dnatRules[0].transitPort', line: 13, column: 9 },
    { path: 'privateNatGateways[0].dnatRules[0]', line: 12, column: 9 },
    // Not in the text (a missing field): the entry that misses it.
    { path: 'privateNatGateways[0].dnatRules[0].target', line: 12, column: 9 },
    { path: '', line: 1, column: 1 },
  ])('places $path of a YAML plan at line $line, column $column', ({ path, line, column }) => {
    expect(positions(YAML).positionOf(path)).toEqual({ line, column });
  });

  it('places the paths of a JSON plan too', () => {
    expect(positions(JSON_TEXT).positionOf('vpcs[0].cidr')).toEqual({ line: 4, column: 24 });
    expect(positions(JSON_TEXT).positionOf('vpcs[0]')).toEqual({ line: 4, column: 5 });
  });

  it('reports every syntax error, each whole with its line and column', () => {
    const read = readPlanText(
      'name: p\nvpcs:\n  - name: a\n    cidr: x: y\nservers:\n  - {name: a, name: b}\n',
    );
    expect(read.ok).toBe(false);
    if (read.ok) return;
    expect(read.errors).toEqual([
      expect.objectContaining({ path: '', code: 'MALFORMED_PLAN', line: 4, column: 11 }),
      expect.objectContaining({ path: '', code: 'MALFORMED_PLAN', line: 6, column: 15 }),
    ]);
    // Whole: the parser's line of text and the caret under the place, after "at line 4, column 11:".
    expect(read.errors[0]?.message).toMatch(/at line 4, column 11:\n\n {4}cidr: x: y\n {10}\^/);
  });

  it.each([
    ['an empty file', ''],
    ['a list', '- a\n- b'],
    ['a scalar', '42'],
  ])('refuses %s as MALFORMED_PLAN', (_name, text) => {
    const read = readPlanText(text);
    expect(read.ok).toBe(false);
    if (!read.ok) expect(read.errors).toEqual([expect.objectContaining({ code: 'MALFORMED_PLAN' })]);
  });
});

describe('Function: segmentsOf', () => {
  it('splits a plan path into keys and indices', () => {
    expect(segmentsOf('privateNatGateways[0].dnatRules[12].target.loadBalancer')).toEqual([
      'privateNatGateways',
      0,
      'dnatRules',
      12,
      'target',
      'loadBalancer',
    ]);
    expect(segmentsOf('')).toEqual([]);
  });
});
