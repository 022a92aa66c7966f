/**
 * The DNAT engine against the reference topology (fixtures.ts): a client in VPC-A reaches ELB01 in
 * VPC-B through transit IP 192.168.0.144 and the gateway's downlink address 10.0.0.9.
 */
import { describe, expect, it } from 'vitest';
import type { DnatRule } from '../../src/cloud/resources.ts';
import { compileRuleIndex, DnatGateway, type DnatGatewayOptions, lookupRule } from '../../src/dnat/index.ts';
import { ManualClock } from '../../src/net/clock.ts';
import { parseIpv4 } from '../../src/net/ipv4.ts';
import {
  type Endpoint,
  formatEndpoint,
  type Packet,
  parseEndpoint,
  parsePacketText,
  replyOf,
} from '../../src/net/packet.ts';
import type { Port } from '../../src/net/ports.ts';
import {
  CLIENT,
  DNS,
  DOWNLINK,
  ECS_B,
  ELB,
  gatewayOf,
  REFERENCE_RULES,
  ruleOf,
  TRANSIT,
  TRANSIT_ALL,
} from './fixtures.ts';

const MINUTE = 60_000;

function engine(
  options: Partial<DnatGatewayOptions> = {},
  rules: readonly DnatRule[] = REFERENCE_RULES,
  gateway = gatewayOf(),
) {
  const clock = options.clock instanceof ManualClock ? options.clock : new ManualClock(1_000_000);
  const gw = new DnatGateway(compileRuleIndex(gateway, rules), { ...options, clock });
  return { gw, clock };
}

const packet = (text: string): Packet => parsePacketText(text);
const show = (e: Endpoint | undefined) => (e ? formatEndpoint(e) : undefined);

/** The reply the target sends to a translated packet, with optional flags. */
function replyTo(translated: Packet, flags?: Packet['tcpFlags']): Packet {
  return { ...replyOf(translated), ...(flags ? { tcpFlags: flags } : {}) };
}

describe('Class: DnatGateway', () => {
  describe('Method: process (inbound verdicts)', () => {
    it.each([
      {
        name: 'an exact tcp rule translates destination and source',
        text: `tcp ${CLIENT}:40000 > ${TRANSIT}:80 [syn]`,
        verdict: 'TRANSLATED',
        rule: 'dnat-http',
        src: `${DOWNLINK}:1024`,
        dst: `${ELB}:80`,
      },
      {
        name: 'an exact udp rule maps the internal port',
        text: `udp ${CLIENT}:5000 > ${TRANSIT}:53`,
        verdict: 'TRANSLATED',
        rule: 'dnat-dns',
        src: `${DOWNLINK}:1024`,
        dst: `${DNS}:5353`,
      },
      {
        name: 'an all-ports rule keeps the tcp port',
        text: `tcp ${CLIENT}:40000 > ${TRANSIT_ALL}:8443`,
        verdict: 'TRANSLATED',
        rule: 'dnat-all',
        src: `${DOWNLINK}:1024`,
        dst: `${ECS_B}:8443`,
      },
      {
        name: 'an all-ports rule covers udp too',
        text: `udp ${CLIENT}:40000 > ${TRANSIT_ALL}:161`,
        verdict: 'TRANSLATED',
        rule: 'dnat-all',
        src: `${DOWNLINK}:1024`,
        dst: `${ECS_B}:161`,
      },
      {
        name: 'a port the transit IP does not map',
        text: `tcp ${CLIENT}:40000 > ${TRANSIT}:22`,
        verdict: 'NO_MATCHING_RULE',
      },
      {
        name: 'a mapped port on the other protocol',
        text: `udp ${CLIENT}:40000 > ${TRANSIT}:80`,
        verdict: 'NO_MATCHING_RULE',
      },
      {
        name: 'an address no rule names',
        text: `tcp ${CLIENT}:40000 > 192.168.0.200:80`,
        verdict: 'NOT_A_TRANSIT_IP',
      },
      {
        name: 'the gateway’s own address',
        text: `tcp ${CLIENT}:40000 > ${DOWNLINK}:80`,
        verdict: 'NOT_A_TRANSIT_IP',
      },
      {
        name: 'a PENDING rule',
        text: `tcp ${CLIENT}:40000 > ${TRANSIT}:8080`,
        verdict: 'RULE_INACTIVE',
        rule: 'dnat-pending',
      },
      {
        name: 'a FIN without a session',
        text: `tcp ${CLIENT}:40000 > ${TRANSIT}:80 [fin]`,
        verdict: 'NO_SESSION',
        rule: 'dnat-http',
      },
      {
        name: 'an RST without a session',
        text: `tcp ${CLIENT}:40000 > ${TRANSIT}:80 [rst]`,
        verdict: 'NO_SESSION',
        rule: 'dnat-http',
      },
      {
        name: 'a SYN+ACK without a session',
        text: `tcp ${CLIENT}:40000 > ${TRANSIT}:80 [syn,ack]`,
        verdict: 'NO_SESSION',
        rule: 'dnat-http',
      },
    ])('$name: $verdict', ({ text, verdict, rule, src, dst }) => {
      // Prepare
      const { gw } = engine();

      // Act
      const result = gw.process(packet(text), 'inbound');

      // Assess
      expect(result.verdict).toBe(verdict);
      expect(result.ruleId).toBe(rule);
      expect(show(result.translated?.src)).toBe(src);
      expect(show(result.translated?.dst)).toBe(dst);
      expect(gw.sessionCount).toBe(verdict === 'TRANSLATED' ? 1 : 0);
    });

    it.each(['FROZEN', 'PENDING', 'INACTIVE'] as const)(
      'evaluates every rule of a %s gateway as RULE_INACTIVE',
      (status) => {
        const { gw } = engine({}, REFERENCE_RULES, gatewayOf({ status }));
        for (const text of [`tcp ${CLIENT}:1 > ${TRANSIT}:80`, `udp ${CLIENT}:1 > ${TRANSIT_ALL}:9`]) {
          const result = gw.process(packet(text), 'inbound');
          expect(result.verdict).toBe('RULE_INACTIVE');
          expect(result.reason).toContain(status);
        }
        // Lookup order still holds: no rule is not the same as an inactive one.
        expect(gw.process(packet(`tcp ${CLIENT}:1 > ${TRANSIT}:22`), 'inbound').verdict).toBe(
          'NO_MATCHING_RULE',
        );
      },
    );

    it('carries the TCP flags through the translation', () => {
      const { gw } = engine();
      const result = gw.process(packet(`tcp ${CLIENT}:40000 > ${TRANSIT}:80 [syn]`), 'inbound');
      expect(result.translated?.tcpFlags).toEqual(['syn']);
      expect(result.translated?.protocol).toBe('tcp');
    });
  });

  describe('Method: process (replies)', () => {
    it('translates the reply back to transit IP and port → client', () => {
      // Prepare
      const { gw } = engine();
      const out = gw.process(packet(`tcp ${CLIENT}:40000 > ${TRANSIT}:80 [syn]`), 'inbound');

      // Act
      const back = gw.process(replyTo(out.translated as Packet, ['syn', 'ack']), 'reply');

      // Assess
      expect(back.verdict).toBe('TRANSLATED');
      expect(back.ruleId).toBe('dnat-http');
      expect(show(back.translated?.src)).toBe(`${TRANSIT}:80`);
      expect(show(back.translated?.dst)).toBe(`${CLIENT}:40000`);
      expect(back.session).toEqual({ id: out.session?.id, state: 'SYN_RECEIVED' });
    });

    it('translates an all-ports reply back to the port the client used', () => {
      const { gw } = engine();
      const out = gw.process(packet(`udp ${CLIENT}:5000 > ${TRANSIT_ALL}:9999`), 'inbound');
      const back = gw.process(replyTo(out.translated as Packet), 'reply');
      expect(show(back.translated?.src)).toBe(`${TRANSIT_ALL}:9999`);
      expect(show(back.translated?.dst)).toBe(`${CLIENT}:5000`);
      expect(back.session?.state).toBe('REPLIED');
    });

    it.each([
      { name: 'no flow at all', text: `tcp ${ELB}:80 > ${DOWNLINK}:1024` },
      { name: 'a gateway port no flow holds', text: `tcp ${ELB}:80 > ${DOWNLINK}:1025` },
      { name: 'the right port from another target port', text: `tcp ${ELB}:81 > ${DOWNLINK}:1024` },
      { name: 'the right ports from another address', text: `tcp 10.0.0.8:80 > ${DOWNLINK}:1024` },
      { name: 'the right ports on the other protocol', text: `udp ${ELB}:80 > ${DOWNLINK}:1024` },
      { name: 'a reply not addressed to the gateway', text: `tcp ${ELB}:80 > 10.0.0.10:1024` },
    ])('answers NO_SESSION for $name', ({ name, text }) => {
      const { gw } = engine();
      if (name !== 'no flow at all') gw.process(packet(`tcp ${CLIENT}:40000 > ${TRANSIT}:80`), 'inbound');
      expect(gw.process(packet(text), 'reply').verdict).toBe('NO_SESSION');
    });
  });

  describe('Method: process (sessions)', () => {
    it('reuses an established flow’s translation and allocates new ports to new flows', () => {
      const { gw } = engine();
      const first = gw.process(packet(`tcp ${CLIENT}:40000 > ${TRANSIT}:80 [syn]`), 'inbound');
      const again = gw.process(packet(`tcp ${CLIENT}:40000 > ${TRANSIT}:80 [ack]`), 'inbound');
      const other = gw.process(packet(`tcp ${CLIENT}:40001 > ${TRANSIT}:80 [syn]`), 'inbound');
      expect(again.translated).toEqual(first.translated && { ...first.translated, tcpFlags: ['ack'] });
      expect(again.session?.id).toBe(first.session?.id);
      expect(show(other.translated?.src)).toBe(`${DOWNLINK}:1025`);
      expect(other.session?.id).not.toBe(first.session?.id);
      expect(gw.sessionCount).toBe(2);
    });

    it('gives each target address its own port space', () => {
      const { gw } = engine();
      const toElb = gw.process(packet(`tcp ${CLIENT}:40000 > ${TRANSIT}:80`), 'inbound');
      const toDns = gw.process(packet(`udp ${CLIENT}:40000 > ${TRANSIT}:53`), 'inbound');
      const toEcs = gw.process(packet(`tcp ${CLIENT}:40000 > ${TRANSIT_ALL}:22`), 'inbound');
      expect([toElb, toDns, toEcs].map((r) => r.translated?.src.port)).toEqual([1024, 1024, 1024]);
    });

    it.each([
      {
        name: 'handshake, data, both FINs',
        steps: [
          ['inbound', 'syn', 'SYN_SENT'],
          ['reply', 'syn,ack', 'SYN_RECEIVED'],
          ['inbound', 'ack', 'ESTABLISHED'],
          ['reply', '', 'ESTABLISHED'],
          ['inbound', 'fin,ack', 'FIN_WAIT'],
          ['inbound', 'ack', 'FIN_WAIT'],
          ['reply', 'fin,ack', 'TIME_WAIT'],
        ],
      },
      {
        name: 'the target closes first',
        steps: [
          ['inbound', '', 'ESTABLISHED'],
          ['reply', 'fin', 'FIN_WAIT'],
          ['reply', 'fin', 'FIN_WAIT'],
          ['inbound', 'fin', 'TIME_WAIT'],
        ],
      },
      {
        name: 'a reset during the handshake, then a new SYN on the same tuple',
        steps: [
          ['inbound', 'syn', 'SYN_SENT'],
          ['reply', 'rst', 'CLOSED'],
          ['inbound', 'ack', 'CLOSED'],
          ['inbound', 'syn', 'SYN_SENT'],
        ],
      },
      {
        name: 'data from the target before a SYN+ACK was seen (loose)',
        steps: [
          ['inbound', 'syn', 'SYN_SENT'],
          ['inbound', 'syn', 'SYN_SENT'],
          ['reply', 'ack', 'ESTABLISHED'],
          ['inbound', 'syn', 'ESTABLISHED'],
          ['inbound', 'rst', 'CLOSED'],
        ],
      },
    ])('follows TCP states: $name', ({ steps }) => {
      const { gw } = engine();
      let translated: Packet | undefined;
      for (const [direction, flags, state] of steps as [string, string, string][]) {
        const tcpFlags = flags === '' ? [] : (flags.split(',') as Packet['tcpFlags'] & string[]);
        const base =
          direction === 'inbound'
            ? packet(`tcp ${CLIENT}:40000 > ${TRANSIT}:80`)
            : replyTo(translated as Packet);
        const result = gw.process({ ...base, tcpFlags }, direction as 'inbound' | 'reply');
        expect(result.verdict).toBe('TRANSLATED');
        expect(result.session?.state).toBe(state);
        if (direction === 'inbound') translated = result.translated;
      }
    });
  });

  describe('Method: process (idle timeouts)', () => {
    it.each([
      { name: 'established TCP', text: `tcp ${CLIENT}:1 > ${TRANSIT}:80 [ack]`, idle: 15 * MINUTE },
      { name: 'opening TCP', text: `tcp ${CLIENT}:1 > ${TRANSIT}:80 [syn]`, idle: 4 * MINUTE },
      { name: 'UDP', text: `udp ${CLIENT}:1 > ${TRANSIT}:53`, idle: 5 * MINUTE },
    ])('expires $name after exactly its idle timeout by default', ({ text, idle }) => {
      const { gw, clock } = engine();
      const first = gw.process(packet(text), 'inbound');
      clock.advance(idle - 1);
      expect(gw.sessionCount).toBe(1);
      clock.advance(1);
      expect(gw.sessionCount).toBe(0);
      const reply = gw.process(replyTo(first.translated as Packet), 'reply');
      expect(reply.verdict).toBe('NO_SESSION');
    });

    it('keeps a flow alive while packets keep coming, in either direction', () => {
      const { gw, clock } = engine({ timeouts: { udpMs: 1_000 } });
      const first = gw.process(packet(`udp ${CLIENT}:1 > ${TRANSIT}:53`), 'inbound');
      for (let i = 0; i < 10; i++) {
        clock.advance(999);
        const direction = i % 2 === 0 ? 'reply' : 'inbound';
        const next =
          direction === 'reply'
            ? gw.process(replyTo(first.translated as Packet), 'reply')
            : gw.process(packet(`udp ${CLIENT}:1 > ${TRANSIT}:53`), 'inbound');
        expect(next.verdict).toBe('TRANSLATED');
        expect(next.session?.id).toBe(first.session?.id);
      }
    });

    it('moves a closing flow to the transitory timeout', () => {
      const { gw, clock } = engine({ timeouts: { tcpEstablishedMs: 10_000, tcpTransitoryMs: 1_000 } });
      gw.process(packet(`tcp ${CLIENT}:1 > ${TRANSIT}:80 [ack]`), 'inbound');
      gw.process(packet(`tcp ${CLIENT}:2 > ${TRANSIT}:80 [ack]`), 'inbound');
      gw.process(packet(`tcp ${CLIENT}:2 > ${TRANSIT}:80 [fin]`), 'inbound');
      clock.advance(1_000);
      expect(gw.sessions().map((s) => show(s.client))).toEqual([`${CLIENT}:1`]);
      clock.advance(9_000);
      expect(gw.sessionCount).toBe(0);
    });

    it('frees an expired flow’s port; ports are reused only once the range wraps', () => {
      const { gw, clock } = engine({ gatewayPorts: { from: 2000, to: 2002 }, timeouts: { udpMs: 1_000 } });
      const ports = () => gw.sessions().map((s) => s.gateway.port);
      for (const client of [1, 2, 3])
        gw.process(packet(`udp ${CLIENT}:${client} > ${TRANSIT}:53`), 'inbound');
      expect(ports()).toEqual([2000, 2001, 2002]);
      expect(gw.process(packet(`udp ${CLIENT}:4 > ${TRANSIT}:53`), 'inbound').verdict).toBe('SESSION_LIMIT');
      clock.advance(1_000);
      const next = gw.process(packet(`udp ${CLIENT}:4 > ${TRANSIT}:53`), 'inbound');
      expect(next.translated?.src.port).toBe(2000);
    });
  });

  describe('Method: process (capacity)', () => {
    it('defaults to the spec’s session capacity', () => {
      expect(engine().gw.sessionCapacity).toBe(2_000);
      expect(engine({}, REFERENCE_RULES, gatewayOf({ spec: 'Extra-large' })).gw.sessionCapacity).toBe(50_000);
    });

    it('refuses new flows at capacity while existing flows go on, and admits them once one ends', () => {
      // Prepare
      const { gw, clock } = engine({ sessionCapacity: 3, timeouts: { tcpTransitoryMs: 1_000 } });
      const open = (port: number, flags = 'syn') =>
        gw.process(packet(`tcp ${CLIENT}:${port} > ${TRANSIT}:80 [${flags}]`), 'inbound');
      const opened = [1, 2, 3].map((port) => open(port));

      // Act
      const refused = open(4);

      // Assess
      expect(refused).toMatchObject({ verdict: 'SESSION_LIMIT', ruleId: 'dnat-http' });
      expect(refused.reason).toContain('3 sessions');
      expect(open(2, 'ack').verdict).toBe('TRANSLATED');
      expect(gw.process(replyTo(opened[0]?.translated as Packet), 'reply').verdict).toBe('TRANSLATED');
      clock.advance(1_000); // the flows of ports 1 and 3 were only opening: transitory timeout
      expect(open(4).verdict).toBe('TRANSLATED');
      expect(gw.sessionCount).toBe(2);
    });

    it('answers SESSION_LIMIT when every gateway port towards a target is taken', () => {
      const { gw } = engine({ gatewayPorts: { from: 60000, to: 60001 } });
      gw.process(packet(`tcp ${CLIENT}:1 > ${TRANSIT}:80`), 'inbound');
      gw.process(packet(`tcp ${CLIENT}:2 > ${TRANSIT}:80`), 'inbound');
      const refused = gw.process(packet(`tcp ${CLIENT}:3 > ${TRANSIT}:80`), 'inbound');
      expect(refused.verdict).toBe('SESSION_LIMIT');
      expect(refused.reason).toContain('port');
      // Another target address has its own ports.
      expect(gw.process(packet(`tcp ${CLIENT}:3 > ${TRANSIT_ALL}:80`), 'inbound').verdict).toBe('TRANSLATED');
    });

    it('grows its table past the initial size and keeps every flow', () => {
      const { gw } = engine({ sessionCapacity: 5_000 });
      const results = Array.from({ length: 4_000 }, (_, i) =>
        gw.process(packet(`tcp 192.168.${i >> 8}.${i & 255}:40000 > ${TRANSIT}:80`), 'inbound'),
      );
      expect(gw.sessionCount).toBe(4_000);
      results.forEach((result, i) => {
        const back = gw.process(replyTo(result.translated as Packet), 'reply');
        expect(show(back.translated?.dst)).toBe(`192.168.${i >> 8}.${i & 255}:40000`);
      });
    });
  });

  describe('Method: translate', () => {
    it('decides as process does and writes the translation as numbers', () => {
      const { gw } = engine();
      const out = { srcIp: 0, srcPort: 0, dstIp: 0, dstPort: 0, sessionId: 0, ruleSlot: -1 };
      const client = parseEndpoint(`${CLIENT}:40000`);
      const transit = parseEndpoint(`${TRANSIT}:80`);
      expect(gw.translate('tcp', 1, client, transit, 'inbound', out)).toBe('TRANSLATED');
      expect(out).toMatchObject({
        srcIp: parseIpv4(DOWNLINK),
        srcPort: 1024,
        dstIp: parseIpv4(ELB),
        dstPort: 80,
      });
      const target = { ip: out.dstIp, port: out.dstPort } as Endpoint;
      const gateway = { ip: out.srcIp, port: out.srcPort } as Endpoint;
      expect(gw.translate('tcp', 3, target, gateway, 'reply', out)).toBe('TRANSLATED');
      expect(out).toMatchObject({ srcIp: transit.ip, srcPort: 80, dstIp: client.ip, dstPort: 40000 });
      expect(gw.sessions()[0]?.state).toBe('SYN_RECEIVED');
      expect(gw.translate('tcp', 0, client, { ip: transit.ip, port: 22 as Port }, 'inbound', out)).toBe(
        'NO_MATCHING_RULE',
      );
    });
  });

  describe('Method: reload', () => {
    it('keeps the flows of rules still active and ends the others', () => {
      const { gw } = engine();
      const http = gw.process(packet(`tcp ${CLIENT}:1 > ${TRANSIT}:80`), 'inbound');
      gw.process(packet(`udp ${CLIENT}:1 > ${TRANSIT}:53`), 'inbound');
      const withoutDns = REFERENCE_RULES.filter((rule) => rule.id !== 'dnat-dns');
      gw.reload(compileRuleIndex(gatewayOf(), withoutDns));
      expect(gw.sessions().map((s) => s.ruleId)).toEqual(['dnat-http']);
      const back = gw.process(replyTo(http.translated as Packet), 'reply');
      expect(back).toMatchObject({ verdict: 'TRANSLATED', ruleId: 'dnat-http' });
      gw.reload(compileRuleIndex(gatewayOf({ status: 'FROZEN' }), withoutDns));
      expect(gw.sessionCount).toBe(0);
      expect(gw.process(packet(`tcp ${CLIENT}:1 > ${TRANSIT}:80`), 'inbound').verdict).toBe('RULE_INACTIVE');
    });
  });
});

describe('Function: compileRuleIndex', () => {
  it.each([
    {
      name: 'a rule of another gateway',
      rules: [
        ruleOf('dnat-x', {
          transitIp: TRANSIT,
          protocol: 'tcp',
          transitPort: 80,
          internalPort: 80,
          targetIp: ELB,
          gatewayId: 'pnat-other',
        }),
      ],
      message: /belongs to gateway pnat-other/,
    },
    {
      name: 'two rules for one transit port',
      rules: [
        ruleOf('dnat-a', {
          transitIp: TRANSIT,
          protocol: 'tcp',
          transitPort: 80,
          internalPort: 80,
          targetIp: ELB,
        }),
        ruleOf('dnat-b', {
          transitIp: TRANSIT,
          protocol: 'tcp',
          transitPort: 80,
          internalPort: 81,
          targetIp: ELB,
        }),
      ],
      message: /dnat-a and dnat-b both map 192.168.0.144 tcp\/80/,
    },
    {
      name: 'an all-ports rule with ports',
      rules: [
        ruleOf('dnat-a', {
          transitIp: TRANSIT,
          protocol: 'any',
          transitPort: 80,
          internalPort: 80,
          targetIp: ELB,
        }),
      ],
      message: /do not fit protocol any/,
    },
    {
      name: 'a specific rule without ports',
      rules: [
        ruleOf('dnat-a', {
          transitIp: TRANSIT,
          protocol: 'udp',
          transitPort: 0,
          internalPort: 0,
          targetIp: ELB,
        }),
      ],
      message: /do not fit protocol udp/,
    },
  ])('throws for $name', ({ rules, message }) => {
    expect(() => compileRuleIndex(gatewayOf(), rules)).toThrow(message);
  });

  it('looks rules up in the documented order, whatever their number', () => {
    // 50 000 rules over 13 transit IPs, one of them all-ports.
    const rules: DnatRule[] = [];
    for (let i = 0; i < 50_000; i++) {
      const transitIp = `192.168.1.${Math.floor(i / 4000)}`;
      rules.push(
        ruleOf(`dnat-${i}`, {
          transitIp,
          protocol: i % 2 ? 'udp' : 'tcp',
          transitPort: 1 + (i % 4000),
          internalPort: 80,
          targetIp: ELB,
        }),
      );
    }
    rules.push(
      ruleOf('dnat-all', {
        transitIp: '192.168.2.1',
        protocol: 'any',
        transitPort: 0,
        internalPort: 0,
        targetIp: ECS_B,
      }),
    );
    const index = compileRuleIndex(gatewayOf(), rules);
    const at = (ip: string, port: number) => ({ ip: parseIpv4(ip), port: port as Port });
    expect(lookupRule(index, 'udp', at('192.168.1.12', 1 + (48_001 % 4000))).rule?.id).toBe('dnat-48001');
    expect(lookupRule(index, 'tcp', at('192.168.1.12', 1 + (48_001 % 4000))).verdict).toBe(
      'NO_MATCHING_RULE',
    );
    expect(lookupRule(index, 'tcp', at('192.168.2.1', 65535)).rule?.id).toBe('dnat-all');
    expect(lookupRule(index, 'tcp', at('192.168.2.2', 1)).verdict).toBe('NOT_A_TRANSIT_IP');
  });
});
