/** The one zod-issue → natflow-issue mapper: paths `a.b[0].c`, a rule code in `params.code` kept. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { formatPath, issuesFromZod, pathSegments } from '../../src/cloud/issues.ts';

describe('Module: issues', () => {
  it('writes paths with dots between keys and brackets around indexes', () => {
    expect(formatPath(['privateNatGateways', 0, 'dnatRules', 1, 'transitPort'])).toBe(
      'privateNatGateways[0].dnatRules[1].transitPort',
    );
    expect(formatPath([0, 'a'])).toBe('[0].a');
    expect(formatPath([])).toBe('');
  });

  it("maps zod's issues with VALIDATION_FAILED, or the code a custom issue carries", () => {
    const schema = z.object({
      items: z.array(
        z.object({
          port: z.number(),
          cidr: z.string().superRefine((_value, ctx) => {
            ctx.addIssue({ code: 'custom', message: 'not a CIDR', params: { code: 'INVALID_CIDR' } });
          }),
        }),
      ),
    });
    const result = schema.safeParse({ items: [{ port: 'x', cidr: 'y' }] });
    expect(result.success).toBe(false);
    const issues = issuesFromZod(result.error?.issues ?? []);
    expect(issues).toEqual([
      { path: 'items[0].port', code: 'VALIDATION_FAILED', message: expect.any(String) },
      { path: 'items[0].cidr', code: 'INVALID_CIDR', message: 'not a CIDR' },
    ]);
  });

  it('reads Standard Schema {key} segments and rewrites paths when asked', () => {
    expect(pathSegments([{ key: 'body' }, 'workflow', { key: 2 }])).toEqual(['body', 'workflow', 2]);
    const issues = issuesFromZod([{ path: [{ key: 'body' }, 'entries', 3], message: 'bad' }], {
      mapPath: ([, ...rest]) => rest,
    });
    expect(issues).toEqual([{ path: 'entries[3]', code: 'VALIDATION_FAILED', message: 'bad' }]);
  });
});
