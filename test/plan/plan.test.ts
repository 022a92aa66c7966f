/** Reading a plan file's text: YAML or JSON, and what is refused as MALFORMED_PLAN. */
import { describe, expect, it } from 'vitest';
import { MalformedPlanError } from '../../src/cloud/errors.ts';
import { parsePlanText } from '../../src/plan/plan.ts';

describe('Function: parsePlanText', () => {
  it.each([
    ['a YAML plan', 'name: p\nvpcs: []', { name: 'p', vpcs: [] }],
    ['a JSON plan', '{"name": "p"}', { name: 'p' }],
  ])('reads %s', (_label, text, expected) => {
    expect(parsePlanText(text)).toEqual(expected);
  });

  it.each([
    ['broken YAML', 'name: [p'],
    ['broken JSON', '{"name": "p",'],
    ['a duplicate key', 'name: a\nname: b'],
    ['an empty file', ''],
    ['a scalar', '42'],
    ['a list', '- a\n- b'],
  ])('refuses %s with MALFORMED_PLAN', (_label, text) => {
    expect(() => parsePlanText(text)).toThrow(MalformedPlanError);
    expect(() => parsePlanText(text)).toThrow(expect.objectContaining({ name: 'MALFORMED_PLAN' }));
  });
});
