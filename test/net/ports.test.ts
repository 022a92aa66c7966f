import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatPortRange, parsePort, parsePortRange, portInRange } from '../../src/net/ports.ts';

describe('Module: ports', () => {
  it('parses every port as a number or a string', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 65535 }), (port) => {
        expect(parsePort(port)).toBe(port);
        expect(parsePort(String(port))).toBe(port);
      }),
    );
  });

  it('round-trips ranges through their text', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 1, max: 65535 }), (a, b) => {
        const range = { from: Math.min(a, b), to: Math.max(a, b) };
        const parsed = parsePortRange(formatPortRange(range as never));
        expect(parsed).toEqual(range);
        expect(portInRange(parsed, range.from) && portInRange(parsed, range.to)).toBe(true);
        expect(portInRange(parsed, range.to + 1)).toBe(false);
      }),
    );
  });

  it.each([0, 65536, -1, 1.5, '80a', '', '8080-80', '1-2-3', null, true])(
    'refuses %j with INVALID_PORT_SPEC',
    (value) => {
      expect(() => parsePortRange(value)).toThrow(expect.objectContaining({ name: 'INVALID_PORT_SPEC' }));
    },
  );
});
