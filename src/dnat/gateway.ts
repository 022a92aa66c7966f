/**
 * One private NAT gateway's live data plane: its compiled rules and its session table (DESIGN §4).
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

const NOT_A_TRANSIT_IP: DnatResult = Object.freeze({ verdict: 'NOT_A_TRANSIT_IP' });
const NO_MATCHING_RULE: DnatResult = Object.freeze({ verdict: 'NO_MATCHING_RULE' });
const NO_SESSION: DnatResult = Object.freeze({ verdict: 'NO_SESSION' });

export class DnatGateway {
  readonly clock: Clock;
  #index: RuleIndex;
  readonly #table: SessionTable;

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
    const now = this.clock.now();
    const table = this.#table;
    table.expire(now);
    const kind = packet.protocol === 'tcp' ? KIND_TCP : KIND_UDP;
    const flags = kind === KIND_TCP ? tcpFlagBits(packet.tcpFlags) : 0;
    return direction === 'reply'
      ? this.#reply(packet, kind, flags, now)
      : this.#inbound(packet, kind, flags, now);
  }

  /** The live sessions (a snapshot; for inspection and tests, not the packet path). */
  sessions(): SessionInfo[] {
    const table = this.#table;
    table.expire(this.clock.now());
    const downlink = this.#index.downlinkIp;
    const list: SessionInfo[] = [];
    for (const s of table.liveSlots()) {
      list.push({
        id: table.id[s] as number,
        protocol: table.kind[s] === KIND_TCP ? 'tcp' : 'udp',
        state: stateName(table.state[s] as number),
        ruleId: (this.#index.rules[table.rule[s] as number] as { id: string }).id,
        client: endpoint(table.clientIp[s] as number, table.clientPort[s] as number),
        transit: endpoint(table.transitIp[s] as number, table.transitPort[s] as number),
        target: endpoint(table.targetIp[s] as number, table.targetPort[s] as number),
        gateway: endpoint(downlink, table.gatewayPort[s] as number),
        lastSeen: table.lastSeen[s] as number,
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
      const rule = old.rules[table.rule[s] as number];
      const slot = rule === undefined ? undefined : slotOfId.get(rule.id);
      const keep =
        slot !== undefined &&
        index.usable(slot) &&
        index.targetIp[slot] === table.targetIp[s] &&
        index.downlinkIp === old.downlinkIp;
      if (keep) table.rule[s] = slot;
      else table.remove(s);
    }
    this.#index = index;
    table.setTargetCount(index.targetCount);
  }

  #inbound(packet: Packet, kind: number, flags: number, now: number): DnatResult {
    const table = this.#table;
    const index = this.#index;
    const src = packet.src;
    const dst = packet.dst;
    const existing = table.findOriginal(kind, src.ip, src.port, dst.ip, dst.port);
    if (existing >= 0) {
      const state = table.state[existing] as number;
      table.touch(
        existing,
        kind === KIND_TCP ? nextTcpState(state, false, flags) : nextUdpState(state, false),
        now,
      );
      return this.#translatedInbound(packet, existing);
    }

    const slot = index.lookupSlot(kind, dst.ip, dst.port);
    if (slot < 0) return slot === SLOT_NOT_A_TRANSIT_IP ? NOT_A_TRANSIT_IP : NO_MATCHING_RULE;
    const ruleId = (index.rules[slot] as { id: string }).id;
    if (!index.usable(slot)) return { verdict: 'RULE_INACTIVE', ruleId };
    const state = kind === KIND_TCP ? initialTcpState(flags) : UDP_UNREPLIED;
    if (state < 0) {
      return { verdict: 'NO_SESSION', ruleId, reason: 'a FIN, RST or SYN+ACK does not open a flow' };
    }
    const targetPort = index.isAllPorts(slot) ? dst.port : (index.internalPort[slot] as number);
    const opened = table.open(
      kind,
      src.ip,
      src.port,
      dst.ip,
      dst.port,
      index.targetIp[slot] as number,
      targetPort,
      index.targetSlot[slot] as number,
      slot,
      state,
      now,
    );
    if (opened < 0) {
      return {
        verdict: 'SESSION_LIMIT',
        ruleId,
        reason:
          opened === OPEN_FULL
            ? `the gateway holds its maximum of ${table.capacity} sessions`
            : 'every gateway port towards this target is in use',
      };
    }
    return this.#translatedInbound(packet, opened);
  }

  #reply(packet: Packet, kind: number, flags: number, now: number): DnatResult {
    const table = this.#table;
    const src = packet.src;
    const dst = packet.dst;
    if (dst.ip !== this.#index.downlinkIp) return NO_SESSION;
    const s = table.findReply(kind, src.ip, dst.port);
    if (s < 0 || table.targetPort[s] !== src.port) return NO_SESSION;
    const state = table.state[s] as number;
    table.touch(s, kind === KIND_TCP ? nextTcpState(state, true, flags) : nextUdpState(state, true), now);
    return {
      verdict: 'TRANSLATED',
      ruleId: (this.#index.rules[table.rule[s] as number] as { id: string }).id,
      translated: {
        protocol: packet.protocol,
        src: endpoint(table.transitIp[s] as number, table.transitPort[s] as number),
        dst: endpoint(table.clientIp[s] as number, table.clientPort[s] as number),
        tcpFlags: packet.tcpFlags,
      },
      session: { id: table.id[s] as number, state: stateName(table.state[s] as number) },
    };
  }

  #translatedInbound(packet: Packet, s: number): DnatResult {
    const table = this.#table;
    return {
      verdict: 'TRANSLATED',
      ruleId: (this.#index.rules[table.rule[s] as number] as { id: string }).id,
      translated: {
        protocol: packet.protocol,
        src: endpoint(this.#index.downlinkIp, table.gatewayPort[s] as number),
        dst: endpoint(table.targetIp[s] as number, table.targetPort[s] as number),
        tcpFlags: packet.tcpFlags,
      },
      session: { id: table.id[s] as number, state: stateName(table.state[s] as number) },
    };
  }
}

function endpoint(ip: number, port: number): Endpoint {
  return { ip: ip as Ipv4, port: port as Port };
}
