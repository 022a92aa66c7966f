/**
 * Invariants of the DNAT engine over generated traffic (fast-check), on the reference rules
 * (fixtures.ts): tcp/80 and udp/53 on 192.168.0.144, all ports on 192.168.0.145.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileRuleIndex, DnatGateway, type DnatGatewayOptions } from '../../src/dnat/index.ts';
import { ManualClock } from '../../src/net/clock.ts';
import { formatIpv4 as formatIp, type Ipv4 } from '../../src/net/ipv4.ts';
import { formatEndpoint, type Packet, parsePacketText, replyOf } from '../../src/net/packet.ts';
import { DNS, ECS_B, ELB, gatewayOf, REFERENCE_RULES, TRANSIT, TRANSIT_ALL } from './fixtures.ts';

function engine(options: Partial<DnatGatewayOptions> = {}) {
  const clock = new ManualClock(0);
  return {
    gw: new DnatGateway(compileRuleIndex(gatewayOf(), REFERENCE_RULES), { clock, ...options }),
    clock,
  };
}

const client = fc.record({
  a: fc.integer({ min: 0, max: 255 }),
  b: fc.integer({ min: 0, max: 255 }),
  port: fc.integer({ min: 1, max: 65535 }),
});
type Client = { a: number; b: number; port: number };

/** A destination some rule covers: tcp/80, udp/53, or any port and protocol on the all-ports IP. */
const destination = fc.oneof(
  fc.constant({ protocol: 'tcp' as const, dst: `${TRANSIT}:80` }),
  fc.constant({ protocol: 'udp' as const, dst: `${TRANSIT}:53` }),
  fc.record({
    protocol: fc.constantFrom('tcp' as const, 'udp' as const),
    dst: fc.integer({ min: 1, max: 65535 }).map((port) => `${TRANSIT_ALL}:${port}`),
  }),
);

const targetOf = (dst: string) => (dst === `${TRANSIT}:80` ? ELB : dst === `${TRANSIT}:53` ? DNS : ECS_B);

function inbound(from: Client, to: { protocol: 'tcp' | 'udp'; dst: string }): Packet {
  return parsePacketText(`${to.protocol} 172.16.${from.a}.${from.b}:${from.port} > ${to.dst}`);
}

describe('DNAT engine properties', () => {
  it('translating a packet and then its reply gives back the original tuple', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(client, destination), { minLength: 1, maxLength: 40 }), (flows) => {
        const { gw } = engine({ sessionCapacity: 1_000 });
        for (const [from, to] of flows) {
          const original = inbound(from, to);
          const out = gw.process(original, 'inbound');
          expect(out.verdict).toBe('TRANSLATED');
          const back = gw.process(replyOf(out.translated as Packet), 'reply');
          expect(back.verdict).toBe('TRANSLATED');
          expect({ ...back.translated, tcpFlags: undefined }).toEqual({
            ...replyOf(original),
            tcpFlags: undefined,
          });
          expect(back.session?.id).toBe(out.session?.id);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('an all-ports rule keeps the destination port and protocol', () => {
    fc.assert(
      fc.property(
        client,
        fc.constantFrom('tcp' as const, 'udp' as const),
        fc.integer({ min: 1, max: 65535 }),
        (from, protocol, port) => {
          const { gw } = engine();
          const out = gw.process(inbound(from, { protocol, dst: `${TRANSIT_ALL}:${port}` }), 'inbound');
          expect(out.ruleId).toBe('dnat-all');
          expect(out.translated?.dst.port).toBe(port);
          expect(out.translated?.protocol).toBe(protocol);
        },
      ),
      { numRuns: 500 },
    );
  });

  const operation = fc.oneof(
    fc.record({ kind: fc.constant('open' as const), from: client, to: destination }),
    fc.record({ kind: fc.constant('reply' as const), pick: fc.nat() }),
    fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 60 }) }),
  );

  it('never gives two live flows the same gateway port towards one target and protocol, and expires exactly', () => {
    let refusals = 0;
    fc.assert(
      fc.property(fc.array(operation, { minLength: 40, maxLength: 150 }), (operations) => {
        // Short timeouts and a tiny port range, so ports run out, expire and wrap within a run.
        const { gw, clock } = engine({
          sessionCapacity: 1_000,
          timeouts: { tcpEstablishedMs: 900, tcpTransitoryMs: 300, udpMs: 500 },
          gatewayPorts: { from: 40000, to: 40003 },
        });
        /** The model: flow key → translation and last use; a flow is live until its timeout passes. */
        const model = new Map<string, { translated: Packet; lastSeen: number; timeout: number }>();
        const live = () => [...model].filter(([, flow]) => clock.now() < flow.lastSeen + flow.timeout);
        for (const op of operations) {
          if (op.kind === 'advance') clock.advance(op.ms);
          else if (op.kind === 'open') {
            const packet = inbound(op.from, op.to);
            const key = `${packet.protocol} ${formatEndpoint(packet.src)} ${formatEndpoint(packet.dst)}`;
            const known = live().find(([k]) => k === key)?.[1];
            const out = gw.process(packet, 'inbound');
            if (known) {
              expect(out.translated).toEqual(known.translated);
              known.lastSeen = clock.now();
            } else if (out.verdict === 'TRANSLATED') {
              // ESTABLISHED (no flags: loose pickup) for tcp, UNREPLIED for udp.
              const timeout = packet.protocol === 'tcp' ? 900 : 500;
              model.set(key, { translated: out.translated as Packet, lastSeen: clock.now(), timeout });
            } else {
              // Refused only when all 4 gateway ports towards that target and protocol are held.
              expect(out.verdict).toBe('SESSION_LIMIT');
              const target = targetOf(op.to.dst);
              const holders = live().filter(
                ([, f]) =>
                  formatIp(f.translated.dst.ip as Ipv4) === target &&
                  f.translated.protocol === packet.protocol,
              );
              expect(holders).toHaveLength(4);
              refusals++;
            }
          } else {
            const flows = live();
            if (flows.length === 0) continue;
            const [, flow] = flows[op.pick % flows.length] as [
              string,
              { translated: Packet; lastSeen: number },
            ];
            expect(gw.process(replyOf(flow.translated), 'reply').verdict).toBe('TRANSLATED');
            flow.lastSeen = clock.now();
          }
          const sessions = gw.sessions();
          expect(sessions.length).toBe(live().length);
          const allocated = sessions.map((s) => `${s.protocol} ${formatEndpoint(s.gateway)} ${s.target.ip}`);
          expect(new Set(allocated).size).toBe(allocated.length);
        }
      }),
      { numRuns: 200 },
    );
    // The runs did exhaust port ranges, so the refusal branch above was exercised.
    expect(refusals).toBeGreaterThan(0);
  });

  it('holds its capacity: new flows get SESSION_LIMIT, existing flows keep TRANSLATED', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.uniqueArray(client, { minLength: 1, maxLength: 30, selector: (c) => `${c.a}.${c.b}:${c.port}` }),
        (capacity, clients) => {
          const { gw } = engine({ sessionCapacity: capacity });
          const to = { protocol: 'tcp' as const, dst: `${TRANSIT}:80` };
          const verdicts = clients.map((from) => gw.process(inbound(from, to), 'inbound').verdict);
          const admitted = Math.min(capacity, clients.length);
          expect(verdicts.filter((v) => v === 'TRANSLATED')).toHaveLength(admitted);
          expect(verdicts.slice(admitted).every((v) => v === 'SESSION_LIMIT')).toBe(true);
          expect(gw.sessionCount).toBe(admitted);
          for (const from of clients.slice(0, admitted)) {
            expect(gw.process(inbound(from, to), 'inbound').verdict).toBe('TRANSLATED');
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('idle sessions expire and free their ports for new flows', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 1_000_000 }), (flows, extra) => {
        const { gw, clock } = engine({ gatewayPorts: { from: 50000, to: 50039 } });
        const open = (round: number) =>
          Array.from({ length: flows }, (_, i) =>
            gw.process(parsePacketText(`udp 172.16.${round}.${i}:1000 > ${TRANSIT}:53`), 'inbound'),
          );
        expect(open(0).every((r) => r.verdict === 'TRANSLATED')).toBe(true);
        clock.advance(300_000 - 1);
        expect(gw.sessionCount).toBe(flows);
        clock.advance(1 + extra);
        expect(gw.sessionCount).toBe(0);
        // The whole port range is free again: a second generation of flows fits.
        expect(open(1).every((r) => r.verdict === 'TRANSLATED')).toBe(true);
      }),
      { numRuns: 100 },
    );
  });
});
