/** `withoutTraces`: what reaches a user keeps its words and loses every frame and source path. */
import { describe, expect, it } from 'vitest';
import { withoutTraces } from '../../src/net/errors.ts';

describe('Function: withoutTraces', () => {
  it('drops a whole stack, keeping the first line', () => {
    const stack = new TypeError('boom').stack ?? '';
    expect(stack).toMatch(/\n\s+at /);
    expect(withoutTraces(stack)).toBe('TypeError: boom');
  });

  it.each([
    ['a file URL', "Cannot find module 'file:///app/functions/x.ts'", "Cannot find module ''"],
    ['a source position', 'failed at (/work/natflow/src/cloud/nat.ts:12:5)', 'failed at'],
    ['a dependency path', 'in /app/node_modules/@middy/core/index.js:219:25 it broke', 'in  it broke'],
  ])('drops %s', (_what, text, expected) => {
    expect(withoutTraces(text)).toBe(expected);
  });

  it.each([
    'connect ECONNREFUSED 127.0.0.1:41347',
    'NAT CreatePrivateDnat: NAT.1310 the transit IP and port are in use (HTTP 409)',
    'POST /v3/{project_id}/private-nat/dnat-rules answered 500',
    'transit-ip-A:80/http expected reachable, found UNREACHABLE',
  ])('keeps %s as it is', (text) => {
    expect(withoutTraces(text)).toBe(text);
  });
});
