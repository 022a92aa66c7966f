/**
 * IPv4 addresses and CIDR blocks: parse/format round trips, containment and overlap as properties over
 * random blocks, and the parser's refusals with their codes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cidrAddresses,
  cidrContains,
  cidrContainsIp,
  cidrFirst,
  cidrLast,
  cidrOf,
  cidrSize,
  cidrsOverlap,
  formatCidr,
  formatIpv4,
  type Ipv4,
  isPrivateIpv4,
  parseCidr,
  parseIpv4,
  prefixMask,
  tryParseCidr,
  tryParseIpv4,
} from '../../src/net/ipv4.ts';

const anyIp = fc.nat({ max: 0xffffffff }).map((n) => n as Ipv4);
const anyCidr = fc
  .tuple(anyIp, fc.integer({ min: 0, max: 32 }))
  .map(([ip, prefix]) => cidrOf(((ip & prefixMask(prefix)) >>> 0) as Ipv4, prefix));

describe('Module: ipv4', () => {
  describe('Function: parseIpv4 / formatIpv4', () => {
    it('round-trips every address', () => {
      fc.assert(
        fc.property(anyIp, (ip) => {
          expect(parseIpv4(formatIpv4(ip))).toBe(ip);
        }),
        { numRuns: 2000 },
      );
    });

    it('round-trips every dotted quad it accepts', () => {
      fc.assert(
        fc.property(fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)), (octets) => {
          const text = octets.join('.');
          expect(formatIpv4(parseIpv4(text))).toBe(text);
        }),
      );
    });

    it.each(['', '1.2.3', '1.2.3.4.5', '256.0.0.1', '01.2.3.4', '1.2.3.-4', 'a.b.c.d', ' 1.2.3.4', '1..2.3'])(
      "refuses '%s' with INVALID_ADDRESS",
      (text) => {
        expect(tryParseIpv4(text)).toBeUndefined();
        expect(() => parseIpv4(text, 'servers[0].ip')).toThrow(
          expect.objectContaining({ name: 'INVALID_ADDRESS', path: 'servers[0].ip' }),
        );
      },
    );
  });

  describe('Function: parseCidr / formatCidr', () => {
    it('round-trips every block', () => {
      fc.assert(
        fc.property(anyCidr, (cidr) => {
          expect(parseCidr(formatCidr(cidr))).toEqual(cidr);
        }),
        { numRuns: 2000 },
      );
    });

    it.each([
      '10.0.0.0',
      '10.0.0.1/24',
      '10.0.0.0/33',
      '10.0.0.0/-1',
      '10.0.0/16',
      '10.0.0.0/08',
      'x/8',
      '10.0.0.0/',
    ])("refuses '%s' with INVALID_CIDR", (text) => {
      expect(tryParseCidr(text)).toBeUndefined();
      expect(() => parseCidr(text)).toThrow(expect.objectContaining({ name: 'INVALID_CIDR' }));
    });
  });

  describe('Function: cidrsOverlap / cidrContains', () => {
    it('overlap is symmetric', () => {
      fc.assert(
        fc.property(anyCidr, anyCidr, (a, b) => {
          expect(cidrsOverlap(a, b)).toBe(cidrsOverlap(b, a));
        }),
        { numRuns: 2000 },
      );
    });

    it('a block contains itself and overlaps what it contains', () => {
      fc.assert(
        fc.property(anyCidr, anyCidr, (a, b) => {
          expect(cidrContains(a, a)).toBe(true);
          if (cidrContains(a, b)) expect(cidrsOverlap(a, b)).toBe(true);
        }),
      );
    });

    it('two blocks overlap exactly when one contains the other (CIDR blocks nest or are disjoint)', () => {
      fc.assert(
        fc.property(anyCidr, anyCidr, (a, b) => {
          expect(cidrsOverlap(a, b)).toBe(cidrContains(a, b) || cidrContains(b, a));
        }),
        { numRuns: 2000 },
      );
    });

    it('containment of addresses agrees with the block range', () => {
      fc.assert(
        fc.property(anyCidr, anyIp, (cidr, ip) => {
          expect(cidrContainsIp(cidr, ip)).toBe(ip >= cidrFirst(cidr) && ip <= cidrLast(cidr));
          expect(cidrContainsIp(cidr, cidrFirst(cidr))).toBe(true);
          expect(cidrContainsIp(cidr, cidrLast(cidr))).toBe(true);
        }),
      );
    });
  });

  describe('Function: cidrAddresses', () => {
    it('yields the block size of addresses, ascending and inside the block', () => {
      fc.assert(
        fc.property(
          anyCidr.filter((c) => c.prefix >= 24),
          (cidr) => {
            const all = [...cidrAddresses(cidr)];
            expect(all).toHaveLength(cidrSize(cidr));
            expect(
              all.every((ip, i) => cidrContainsIp(cidr, ip) && (i === 0 || ip > (all[i - 1] as number))),
            ).toBe(true);
          },
        ),
      );
    });
  });

  describe('Function: isPrivateIpv4', () => {
    it.each([
      ['10.1.2.3', true],
      ['172.16.0.1', true],
      ['172.31.255.255', true],
      ['172.32.0.0', false],
      ['192.168.0.144', true],
      ['192.169.0.1', false],
      ['8.8.8.8', false],
    ])('%s → %s', (text, expected) => {
      expect(isPrivateIpv4(parseIpv4(text))).toBe(expected);
    });
  });
});
