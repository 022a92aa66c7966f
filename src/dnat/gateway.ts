/**
 * One private NAT gateway's live data plane: its compiled rules and its session table (docs/dnat-engine.md).
 *
 * Full NAT. A packet from a client to a transit IP is translated on both ends:
 *
 *     client 192.168.0.10:40000 > transit 192.168.0.144:80              (inbound, at the transit IP)
 *       becomes  gateway 10.0.0.9:1024 > target 10.0.0.7:80             (source: downlink IP + allocated port)
 *     target 10.0.0.7:80 > gateway 10.0.0.9:1024                        (reply)
 *       becomes  transit 192.168.0.144:80 > client 192.168.0.10:40000
 *
 * so the target answers the gateway and no return route to the client's VPC is needed. An all-ports
 * rule keeps the destination port. The first packet of a flow takes the rule lookup (O(1), see
 * rule-index.ts) and opens a session; every later packet, either way, is one hash probe in the session
 * table and reuses the session's translation.
 *
 * Verdicts, in the order they are decided: a packet of a known flow is TRANSLATED; otherwise the rule
 * lookup gives NOT_A_TRANSIT_IP, NO_MATCHING_RULE or RULE_INACTIVE; a TCP packet that cannot open a flow
 * (FIN, RST, SYN+ACK) is NO_SESSION, as is any reply without a session; a new flow beyond the session
 * capacity (the spec's, unless lifted), or towards a target with no free gateway port, is SESSION_LIMIT
 * while existing flows go on.
 *
 * The clock is a field (tests pass a ManualClock); idle sessions expire on the packet path, so a
 * gateway needs no timer. Packets given to `process` are trusted to be well formed (`evaluateBatch`
 * validates untrusted input first).
 */
import { type GatewaySpec, SPEC_LIMITS } from '../cloud/resources.ts';
import type { Clock } from '../net/clock.ts';
import type { Ipv4 } from '../net/ipv4.ts';
import type { Endpoint, Packet, Protocol } from '../net/packet.ts';
import type { Port } from '../net/ports.ts';
import { KIND_TCP, KIND_UDP, type RuleIndex, SLOT_NOT_A_TRANSIT_IP } from './rule-index.ts';
import {
  DEFAULT_GATEWAY_PORTS,
  DEFAULT_TIMEOUTS,
  OPEN_FULL,
  SessionTable,
  type SessionTimeouts,
} from './session-table.ts';
import {
  initialTcpState,
  nextTcpState,
  nextUdpState,
  stateName,
  tcpFlagBits,
  UDP_UNREPLIED,
} from './tcp-state.ts';

export type DnatVerdict =
  | 'TRANSLATED'
  | 'NO_MATCHING_RULE'
  | 'RULE_INACTIVE'
  | 'SESSION_LIMIT'
  | 'NOT_A_TRANSIT_IP'
  | 'NO_SESSION'
  | 'INVALID_PACKET';

export const DNAT_VERDICTS: readonly DnatVerdict[] = [
  'TRANSLATED',
  'NO_MATCHING_RULE',
  'RULE_INACTIVE',
  'SESSION_LIMIT',
  'NOT_A_TRANSIT_IP',
  'NO_SESSION',
  'INVALID_PACKET',
];

/** `inbound`: a client's packet arriving at a transit IP; `reply`: the target's packet coming back. */
export type Direction = 'inbound' | 'reply';

export interface DnatResult {
  verdict: DnatVerdict;
  /** The rule that decided (every verdict but NOT_A_TRANSIT_IP, NO_MATCHING_RULE and INVALID_PACKET). */
  ruleId?: string;
  /** The packet as it leaves the gateway (TRANSLATED only). */
  translated?: Packet;
  /** The flow's session after this packet (TRANSLATED only). */
  session?: { id: number; state: string };
  /** Why the packet was refused, when the verdict alone does not say (INVALID_PACKET, SESSION_LIMIT). */
  reason?: string;
}

export interface DnatGatewayOptions {
  clock: Clock;
  /** Maximum live sessions; default: the gateway spec's (SPEC_LIMITS). `Infinity` lifts the cap. */
  sessionCapacity?: number;
  timeouts?: Partial<SessionTimeouts>;
  /** The gateway ports allocated as sources (default 1024–65535). */
  gatewayPorts?: { from: number; to: number };
}

/** A live session, as `sessions()` lists them. */
export interface SessionInfo {
  id: number;
  protocol: Protocol;
  state: string;
  ruleId: string;
  client: Endpoint;
  transit: Endpoint;
  target: Endpoint;
  /** The gateway's address and the port allocated to this flow: the source the target sees. */
  gateway: Endpoint;
  lastSeen: number;
  expiresAt: number;
}

/** The translation `translate` writes: numbers only, so a caller can reuse one object. */
export interface Translation {
  srcIp: number;
  srcPort: number;
  dstIp: number;
  dstPort: number;
  sessionId: number;
  ruleSlot: number;
}

const CODE_NOT_A_TRANSIT_IP = -1;
const CODE_NO_MATCHING_RULE = -2;
const CODE_RULE_INACTIVE = -3;
const CODE_NO_SESSION = -4;
const CODE_CANNOT_OPEN = -5;
const CODE_SESSIONS_FULL = -6;
const CODE_NO_PORT = -7;
const VERDICT_OF_CODE: readonly DnatVerdict[] = [
  'TRANSLATED',
  'NOT_A_TRANSIT_IP',
  'NO_MATCHING_RULE',
  'RULE_INACTIVE',
  'NO_SESSION',
  'NO_SESSION',
  'SESSION_LIMIT',
  'SESSION_LIMIT',
];

const NOT_A_TRANSIT_IP: DnatResult = Object.freeze({ verdict: 'NOT_A_TRANSIT_IP' });
const NO_MATCHING_RULE: DnatResult = Object.freeze({ verdict: 'NO_MATCHING_RULE' });
const NO_SESSION: DnatResult = Object.freeze({ verdict: 'NO_SESSION' });

export class DnatGateway {
  readonly clock: Clock;
  #index: RuleIndex;
  readonly #table: SessionTable;
  /** The rule slot behind the last refusal that has one (RULE_INACTIVE, NO_SESSION, SESSION_LIMIT). */
  #decidedRule = -1;

  constructor(index: RuleIndex, options: DnatGatewayOptions) {
    this.clock = options.clock;
    this.#index = index;
    this.#table = new SessionTable({
      capacity: options.sessionCapacity ?? SPEC_LIMITS[index.gateway.spec as GatewaySpec].sessions,
      timeouts: { ...DEFAULT_TIMEOUTS, ...options.timeouts },
      ports: options.gatewayPorts ?? DEFAULT_GATEWAY_PORTS,
    });
    this.#table.setTargetCount(index.targetCount);
  }

  get index(): RuleIndex {
    return this.#index;
  }

  /** Live sessions now (idle ones are expired first). */
  get sessionCount(): number {
    this.#table.expire(this.clock.now());
    return this.#table.count;
  }

  get sessionCapacity(): number {
    return this.#table.capacity;
  }

  /** Bytes held by the session table's typed arrays (the rule index not included). */
  get sessionTableBytes(): number {
    return this.#table.byteLength;
  }

  /**
   * Decides and translates one packet, updating the flow's session.
   *
   * @example
   * const gw = new DnatGateway(compileRuleIndex(gateway, rules), { clock: new ManualClock() });
   * gw.process(parsePacketText('tcp 192.168.0.10:40000 > 192.168.0.144:80 [syn]'), 'inbound').verdict // 'TRANSLATED'
   */
  process(packet: Packet, direction: Direction): DnatResult {
    const reply = direction === 'reply';
    const kind = packet.protocol === 'tcp' ? KIND_TCP : KIND_UDP;
    const flags = kind === KIND_TCP ? tcpFlagBits(packet.tcpFlags) : 0;
    const src = packet.src;
    const dst = packet.dst;
    const code = this.#decide(kind, flags, src.ip, src.port, dst.ip, dst.port, reply);
    if (code < 0) return this.#refusal(code);
    const table = this.#table;
    const s = code;
    return {
      verdict: 'TRANSLATED',
      ruleId: table.ruleIdOf(s),
      translated: {
        protocol: packet.protocol,
        src: reply
          ? (table.transitEndpointOf(s) ?? endpoint(table.transitIpOf(s), table.transitPortOf(s)))
          : endpoint(this.#index.downlinkIp, table.gatewayPortOf(s)),
        dst: reply
          ? endpoint(table.clientIpOf(s), table.clientPortOf(s))
          : (table.targetEndpointOf(s) ?? endpoint(table.targetIpOf(s), table.targetPortOf(s))),
        tcpFlags: packet.tcpFlags,
      },
      session: { id: table.idOf(s), state: stateName(table.stateOf(s)) },
    };
  }

  /**
   * The allocation-free path, for a data plane that handles packets as numbers: decides one packet and,
   * when it is TRANSLATED, writes the translated addresses and ports into `out` (reused by the caller).
   * `tcpFlags` is a bit mask (syn 1, ack 2, fin 4, rst 8; 0 for a data segment). Same decisions and
   * session updates as `process`.
   */
  translate(
    protocol: Protocol,
    tcpFlags: number,
    src: Endpoint,
    dst: Endpoint,
    direction: Direction,
    out: Translation,
  ): DnatVerdict {
    const reply = direction === 'reply';
    const kind = protocol === 'tcp' ? KIND_TCP : KIND_UDP;
    const code = this.#decide(
      kind,
      kind === KIND_TCP ? tcpFlags : 0,
      src.ip,
      src.port,
      dst.ip,
      dst.port,
      reply,
    );
    if (code < 0) return VERDICT_OF_CODE[-code] as DnatVerdict;
    const table = this.#table;
    const s = code;
    if (reply) {
      out.srcIp = table.transitIpOf(s);
      out.srcPort = table.transitPortOf(s);
      out.dstIp = table.clientIpOf(s);
      out.dstPort = table.clientPortOf(s);
    } else {
      out.srcIp = this.#index.downlinkIp;
      out.srcPort = table.gatewayPortOf(s);
      out.dstIp = table.targetIpOf(s);
      out.dstPort = table.targetPortOf(s);
    }
    out.sessionId = table.idOf(s);
    out.ruleSlot = table.ruleOf(s);
    return 'TRANSLATED';
  }

  /** The live sessions (a snapshot; for inspection and tests, not the packet path). */
  sessions(): SessionInfo[] {
    const table = this.#table;
    table.expire(this.clock.now());
    const downlink = this.#index.downlinkIp;
    const list: SessionInfo[] = [];
    for (const s of table.liveSlots()) {
      list.push({
        id: table.idOf(s),
        protocol: table.kindOf(s) === KIND_TCP ? 'tcp' : 'udp',
        state: stateName(table.stateOf(s)),
        ruleId: table.ruleIdOf(s),
        client: endpoint(table.clientIpOf(s), table.clientPortOf(s)),
        transit: endpoint(table.transitIpOf(s), table.transitPortOf(s)),
        target: endpoint(table.targetIpOf(s), table.targetPortOf(s)),
        gateway: endpoint(downlink, table.gatewayPortOf(s)),
        lastSeen: table.lastSeenOf(s),
        expiresAt: table.expiresAt(s),
      });
    }
    return list.sort((a, b) => a.id - b.id);
  }

  /**
   * Swaps in a recompiled rule index (the rules changed) and keeps the sessions whose rule is still there
   * and usable with the same target; the others end, as a deleted or frozen rule stops its flows.
   */
  reload(index: RuleIndex): void {
    const table = this.#table;
    const old = this.#index;
    const slotOfId = new Map<string, number>();
    index.rules.forEach((rule, slot) => {
      slotOfId.set(rule.id, slot);
    });
    for (const s of [...table.liveSlots()]) {
      const rule = old.rules[table.ruleOf(s)];
      const slot = rule === undefined ? undefined : slotOfId.get(rule.id);
      const keep =
        slot !== undefined &&
        index.usable(slot) &&
        index.targetIp[slot] === table.targetIpOf(s) &&
        index.downlinkIp === old.downlinkIp;
      if (keep) table.setRule(s, slot, index.refsOf(slot));
      else table.remove(s);
    }
    this.#index = index;
    table.setTargetCount(index.targetCount);
  }

  /** A session slot (≥ 0: TRANSLATED) or a negative CODE_*; the deciding rule in `#decidedRule`. */
  #decide(
    kind: number,
    flags: number,
    srcIp: number,
    srcPort: number,
    dstIp: number,
    dstPort: number,
    reply: boolean,
  ): number {
    const now = this.clock.now();
    const table = this.#table;
    table.expire(now);
    if (reply) {
      if (dstIp !== this.#index.downlinkIp) return CODE_NO_SESSION;
      const s = table.findReply(kind, srcIp, dstPort);
      if (s < 0 || table.targetPortOf(s) !== srcPort) return CODE_NO_SESSION;
      const state = table.stateOf(s);
      table.touch(s, kind === KIND_TCP ? nextTcpState(state, true, flags) : nextUdpState(state, true), now);
      return s;
    }
    const existing = table.findOriginal(kind, srcIp, srcPort, dstIp, dstPort);
    if (existing >= 0) {
      const state = table.stateOf(existing);
      table.touch(
        existing,
        kind === KIND_TCP ? nextTcpState(state, false, flags) : nextUdpState(state, false),
        now,
      );
      return existing;
    }

    const index = this.#index;
    const slot = index.lookupSlot(kind, dstIp, dstPort);
    if (slot < 0) return slot === SLOT_NOT_A_TRANSIT_IP ? CODE_NOT_A_TRANSIT_IP : CODE_NO_MATCHING_RULE;
    this.#decidedRule = slot;
    if (!index.usable(slot)) return CODE_RULE_INACTIVE;
    const state = kind === KIND_TCP ? initialTcpState(flags) : UDP_UNREPLIED;
    if (state < 0) return CODE_CANNOT_OPEN;
    const targetPort = index.isAllPorts(slot) ? dstPort : (index.internalPort[slot] as number);
    const opened = table.open(
      kind,
      srcIp,
      srcPort,
      dstIp,
      dstPort,
      index.targetIp[slot] as number,
      targetPort,
      index.targetSlot[slot] as number,
      slot,
      index.refsOf(slot),
      state,
      now,
    );
    if (opened === OPEN_FULL) return CODE_SESSIONS_FULL;
    if (opened < 0) return CODE_NO_PORT;
    return opened;
  }

  #refusal(code: number): DnatResult {
    switch (code) {
      case CODE_NOT_A_TRANSIT_IP:
        return NOT_A_TRANSIT_IP;
      case CODE_NO_MATCHING_RULE:
        return NO_MATCHING_RULE;
      case CODE_NO_SESSION:
        return NO_SESSION;
    }
    const ruleId = (this.#index.rules[this.#decidedRule] as { id: string }).id;
    switch (code) {
      case CODE_RULE_INACTIVE:
        return {
          verdict: 'RULE_INACTIVE',
          ruleId,
          reason: this.#index.gatewayActive
            ? 'the rule is not ACTIVE'
            : `the gateway is ${this.#index.gateway.status}, not ACTIVE`,
        };
      case CODE_CANNOT_OPEN:
        return { verdict: 'NO_SESSION', ruleId, reason: 'a FIN, RST or SYN+ACK does not open a flow' };
      case CODE_SESSIONS_FULL:
        return {
          verdict: 'SESSION_LIMIT',
          ruleId,
          reason: `the gateway holds its maximum of ${this.#table.capacity} sessions`,
        };
      default:
        return {
          verdict: 'SESSION_LIMIT',
          ruleId,
          reason: 'every gateway port towards this target is in use',
        };
    }
  }
}

function endpoint(ip: number, port: number): Endpoint {
  return { ip: ip as Ipv4, port: port as Port };
}
