/**
 * The session table's hash indexes under churn: sessions opened and removed in any order stay
 * reachable from both directions (backward-shift deletion leaves no tombstone and loses no entry),
 * and growth rehashes every live session.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TIMEOUTS, SessionTable } from '../../src/dnat/session-table.ts';
import { ESTABLISHED } from '../../src/dnat/tcp-state.ts';

const REFS = { id: 'dnat-1', targetEndpoint: undefined, transitEndpoint: undefined };
const TRANSIT = 0xc0a80090; // 192.168.0.144
const TARGET = 0x0a000007; // 10.0.0.7

function table(capacity: number) {
  const t = new SessionTable({ capacity, timeouts: DEFAULT_TIMEOUTS, ports: { from: 1024, to: 65535 } });
  t.setTargetCount(1);
  return t;
}

describe('Class: SessionTable', () => {
  it('finds every live session from both directions through any sequence of opens and removals', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ open: fc.boolean(), client: fc.integer({ min: 0, max: 300 }) }), {
          minLength: 50,
          maxLength: 400,
        }),
        (operations) => {
          const t = table(4_096);
          const live = new Map<number, number>(); // client → slot
          for (const { open, client } of operations) {
            const clientIp = 0xac100000 + client; // 172.16.x.y: above 2^31 as an unsigned number
            if (open && !live.has(client)) {
              const s = t.open(1, clientIp, 40000, TRANSIT, 80, TARGET, 80, 0, 0, REFS, ESTABLISHED, 0);
              expect(s).toBeGreaterThanOrEqual(0);
              live.set(client, s);
            } else if (!open && live.has(client)) {
              t.remove(live.get(client) as number);
              live.delete(client);
            }
            expect(t.count).toBe(live.size);
          }
          for (let client = 0; client <= 300; client++) {
            const s = t.findOriginal(1, 0xac100000 + client, 40000, TRANSIT, 80);
            expect(s).toBe(live.get(client) ?? -1);
            if (s >= 0) {
              expect(t.findReply(1, TARGET, t.gatewayPortOf(s))).toBe(s);
              expect(t.clientIpOf(s)).toBe(0xac100000 + client);
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('rehashes every session when it grows, and reports its bytes', () => {
    const t = table(1_000_000);
    const before = t.byteLength;
    for (let i = 0; i < 5_000; i++)
      t.open(2, 0xac100000 + i, 5000, TRANSIT, 53, TARGET, 53, 0, 0, REFS, 7, 0);
    for (let i = 0; i < 5_000; i++) expect(t.findOriginal(2, 0xac100000 + i, 5000, TRANSIT, 53)).toBe(i);
    expect(t.byteLength).toBeGreaterThan(before);
    expect(t.byteLength / 5_000).toBeLessThan(256);
  });

  it.each([
    { name: 'a negative capacity', options: { capacity: -1 } },
    { name: 'a port range outside 1–65535', options: { ports: { from: 0, to: 10 } } },
    { name: 'a backwards port range', options: { ports: { from: 2000, to: 1000 } } },
    { name: 'a zero timeout', options: { timeouts: { ...DEFAULT_TIMEOUTS, udpMs: 0 } } },
  ])('refuses $name', ({ options }) => {
    expect(
      () =>
        new SessionTable({
          capacity: 10,
          timeouts: DEFAULT_TIMEOUTS,
          ports: { from: 1024, to: 65535 },
          ...options,
        }),
    ).toThrow(RangeError);
  });
});
