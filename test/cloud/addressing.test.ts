/**
 * Address management as properties: whatever mix of automatic and explicit requests a subnet gets, no
 * address is handed out twice and none is reserved; automatic assignment takes the lowest free address.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assignableCount,
  checkExplicitAddress,
  isReserved,
  lowestFreeAddress,
  reservedAddresses,
} from '../../src/cloud/addressing.ts';
import { cidrLast, cidrOf, formatIpv4, type Ipv4, parseCidr, prefixMask } from '../../src/net/ipv4.ts';
import { newCloud } from './world.ts';

const subnetArb = fc
  .tuple(fc.nat({ max: 0xffffffff }), fc.integer({ min: 24, max: 29 }))
  .map(([ip, prefix]) => cidrOf(((ip & prefixMask(prefix)) >>> 0) as Ipv4, prefix));

describe('Module: addressing', () => {
  it.each([
    ['10.0.0.0/24', ['10.0.0.0', '10.0.0.1', '10.0.0.253', '10.0.0.254', '10.0.0.255'], 251],
    ['192.168.1.0/29', ['192.168.1.0', '192.168.1.1', '192.168.1.5', '192.168.1.6', '192.168.1.7'], 3],
    [
      '172.16.0.0/16',
      ['172.16.0.0', '172.16.0.1', '172.16.255.253', '172.16.255.254', '172.16.255.255'],
      65531,
    ],
  ])('reserves the network, gateway, last two hosts and broadcast of %s', (text, reserved, assignable) => {
    const cidr = parseCidr(text);
    expect(reservedAddresses(cidr).map(formatIpv4)).toEqual(reserved);
    expect(assignableCount(cidr)).toBe(assignable);
  });

  it('never hands out a reserved or duplicate address, and stops with SUBNET_EXHAUSTED', () => {
    fc.assert(
      fc.property(subnetArb, fc.array(fc.nat(40), { maxLength: 40 }), (subnet, explicitOffsets) => {
        const inUse = new Set<number>();
        // Explicit requests first (some rejected), then automatic ones until the subnet is full.
        for (const offset of explicitOffsets) {
          const ip = (subnet.base + offset) as Ipv4;
          try {
            checkExplicitAddress(subnet, ip, inUse);
            inUse.add(ip);
          } catch (error) {
            expect(['IP_NOT_IN_SUBNET', 'IP_RESERVED', 'IP_IN_USE']).toContain((error as Error).name);
          }
        }
        for (;;) {
          let ip: Ipv4;
          try {
            ip = lowestFreeAddress(subnet, inUse);
          } catch (error) {
            expect((error as Error).name).toBe('SUBNET_EXHAUSTED');
            break;
          }
          expect(isReserved(subnet, ip)).toBe(false);
          expect(inUse.has(ip)).toBe(false);
          inUse.add(ip);
        }
        expect(inUse.size).toBe(assignableCount(subnet));
        for (const ip of inUse) expect(isReserved(subnet, ip as Ipv4)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('takes the lowest address that is neither in use, nor avoided, nor reserved — or reports exhaustion', () => {
    fc.assert(
      fc.property(subnetArb, fc.uniqueArray(fc.nat(6), { maxLength: 4 }), (subnet, offsets) => {
        const taken = new Set(offsets.map((o) => subnet.base + 2 + o));
        const avoided = subnet.base + 9;
        const unavailable = (candidate: number) =>
          taken.has(candidate) || candidate === avoided || isReserved(subnet, candidate as Ipv4);
        let ip: number;
        try {
          ip = lowestFreeAddress(subnet, taken, new Set([avoided]));
        } catch (error) {
          // A /29 has three assignable addresses: taking them all is a clean SUBNET_EXHAUSTED.
          expect((error as Error).name).toBe('SUBNET_EXHAUSTED');
          for (let candidate = subnet.base; candidate <= cidrLast(subnet); candidate++) {
            expect(unavailable(candidate)).toBe(true);
          }
          return;
        }
        expect(unavailable(ip)).toBe(false);
        for (let candidate = subnet.base; candidate < ip; candidate++)
          expect(unavailable(candidate)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('through the control plane: random servers in a /28 get distinct, unreserved addresses', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.option(fc.integer({ min: 0, max: 15 }), { nil: undefined }), { maxLength: 14 }),
        async (requests) => {
          const { cloud } = newCloud();
          const vpc = await cloud.createVpc({ name: 'v', cidr: '10.0.0.0/16' });
          const subnet = await cloud.createSubnet({ name: 's', vpcId: vpc.id, cidr: '10.0.0.16/28' });
          const cidr = parseCidr(subnet.cidr);
          for (const [i, offset] of requests.entries()) {
            const ip = offset === undefined ? undefined : `10.0.0.${16 + offset}`;
            await cloud
              .createServer({ name: `s${i}`, subnetId: subnet.id, ...(ip ? { ip } : {}) })
              .catch((error: Error) => {
                expect(['IP_RESERVED', 'IP_IN_USE', 'SUBNET_EXHAUSTED']).toContain(error.name);
              });
          }
          const ips = (await cloud.list({ type: 'server' })).map((s) => (s.type === 'server' ? s.ip : ''));
          expect(new Set(ips).size).toBe(ips.length);
          for (const ip of ips) expect(isReserved(cidr, parseCidr(`${ip}/32`).base)).toBe(false);
        },
      ),
      { numRuns: 100 },
    );
  });
});
