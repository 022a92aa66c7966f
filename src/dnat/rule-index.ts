/**
 * A gateway's DNAT rules compiled into a constant-time index (docs/dnat-engine.md).
 *
 * Lookup order, each step one probe of an open-addressing hash table keyed by integers:
 *
 *     (transit IP, tcp|udp, port)   exact rule                → TRANSLATED, or RULE_INACTIVE
 *     (transit IP, any, 0)          the IP's all-ports rule   → TRANSLATED (port kept), or RULE_INACTIVE
 *     (transit IP, presence)        some rule names this IP   → NO_MATCHING_RULE
 *     otherwise                                               → NOT_A_TRANSIT_IP
 *
 * This is how nftables maps and VPP's session hash classify and iptables chains do not: the cost is a
 * hash of two words and, on average, under two probes, whether the gateway holds one rule or a million.
 * The key of an entry is the transit address (uint32) and a packed word `kind << 16 | port`
 * (kind 1 tcp, 2 udp, 0 all-ports, 3 presence marker); no strings are built on the hot path.
 *
 * A rule is usable only when it is ACTIVE and its gateway is ACTIVE: a frozen (or pending) gateway's
 * rules all evaluate as RULE_INACTIVE, as the product's frozen state does.
 *
 * Invariants (a broken one throws: the control plane enforces them, so a violation is a bug upstream):
 * every rule belongs to the gateway; (transit IP, protocol, transit port) is unique; ports fit the
 * rule's port type. Rule slots are dense (0…n-1) so per-rule data lives in typed arrays, and each
 * distinct target address gets a target slot, which the session table's port allocator keys on.
 */
import type { DnatRule, PrivateNatGateway } from '../cloud/resources.ts';
import { type Ipv4, parseIpv4 } from '../net/ipv4.ts';
import type { Endpoint, Protocol } from '../net/packet.ts';
import type { Port } from '../net/ports.ts';
import { combine, fmix32, powerOfTwoAtLeast } from './hash.ts';
import type { RuleRefs } from './session-table.ts';

/** Packed protocol kinds of index keys (and of the session table's protocol column). */
export const KIND_ANY = 0;
export const KIND_TCP = 1;
export const KIND_UDP = 2;
const KIND_PRESENCE = 3;

/** `lookupSlot` answers for a destination no exact or all-ports rule covers. */
export const SLOT_NO_MATCHING_RULE = -1;
export const SLOT_NOT_A_TRANSIT_IP = -2;
const PRESENCE = -3;
const EMPTY = -1;

const FLAG_ACTIVE = 1;
const FLAG_ALL_PORTS = 2;

export type LookupVerdict = 'TRANSLATED' | 'NO_MATCHING_RULE' | 'RULE_INACTIVE' | 'NOT_A_TRANSIT_IP';

export interface RuleLookup {
  verdict: LookupVerdict;
  /** The rule that matched (TRANSLATED and RULE_INACTIVE). */
  rule?: DnatRule;
}

export function kindOf(protocol: Protocol): number {
  return protocol === 'tcp' ? KIND_TCP : KIND_UDP;
}

/** One gateway's compiled rule set. Immutable once built; build a new one when the rules change. */
export class RuleIndex {
  readonly gateway: PrivateNatGateway;
  readonly gatewayActive: boolean;
  /** The gateway's downlink address: the source every translated packet carries. */
  readonly downlinkIp: Ipv4;
  /** Rule slot → rule. */
  readonly rules: readonly DnatRule[];
  /** Per rule slot: transit address, transit port (0 all-ports), target address, internal port. */
  readonly transitIp: Uint32Array;
  readonly transitPort: Uint16Array;
  readonly targetIp: Uint32Array;
  readonly internalPort: Uint16Array;
  /** Per rule slot: FLAG_ACTIVE | FLAG_ALL_PORTS. */
  readonly flags: Uint8Array;
  /** Per rule slot: the slot of its target address (dense, 0…targetCount-1). */
  readonly targetSlot: Int32Array;
  readonly targetCount: number;
  /** Target slot → its address. */
  readonly targetAddress: Uint32Array;
  /** Per rule slot, made on first use: the target and transit endpoints of a specific-port rule. */
  readonly #targetEndpoints: (Endpoint | undefined)[];
  readonly #transitEndpoints: (Endpoint | undefined)[];
  readonly #mask: number;
  readonly #keyIp: Uint32Array;
  readonly #keyWord: Int32Array;
  readonly #value: Int32Array;

  constructor(gateway: PrivateNatGateway, rules: readonly DnatRule[]) {
    this.gateway = gateway;
    this.gatewayActive = gateway.status === 'ACTIVE';
    this.downlinkIp = parseIpv4(gateway.downlinkIp, 'gateway.downlinkIp');
    this.rules = [...rules];
    const n = rules.length;
    this.transitIp = new Uint32Array(n);
    this.transitPort = new Uint16Array(n);
    this.targetIp = new Uint32Array(n);
    this.internalPort = new Uint16Array(n);
    this.flags = new Uint8Array(n);
    this.targetSlot = new Int32Array(n);
    this.#targetEndpoints = new Array(n);
    this.#transitEndpoints = new Array(n);
    // Entries: one per rule plus at most one presence marker per rule; load factor ≤ 0.5.
    const size = powerOfTwoAtLeast(4 * n);
    this.#mask = size - 1;
    this.#keyIp = new Uint32Array(size);
    this.#keyWord = new Int32Array(size).fill(EMPTY);
    this.#value = new Int32Array(size);

    const targets = new Map<number, number>();
    for (let slot = 0; slot < n; slot++) {
      const rule = rules[slot] as DnatRule;
      if (rule.gatewayId !== gateway.id) {
        throw new RangeError(`DNAT rule ${rule.id} belongs to gateway ${rule.gatewayId}, not ${gateway.id}`);
      }
      const allPorts = rule.protocol === 'any';
      const portsValid = allPorts
        ? rule.transitPort === 0 && rule.internalPort === 0
        : isPortNumber(rule.transitPort) && isPortNumber(rule.internalPort);
      if (!portsValid) {
        throw new RangeError(
          `DNAT rule ${rule.id} has ports ${rule.transitPort}/${rule.internalPort}, which do not fit protocol ${rule.protocol}`,
        );
      }
      const ip = parseIpv4(rule.transitIp, `${rule.id}.transitIp`);
      const target = parseIpv4(rule.target.ip, `${rule.id}.target.ip`);
      this.transitIp[slot] = ip;
      this.transitPort[slot] = rule.transitPort;
      this.targetIp[slot] = target;
      this.internalPort[slot] = rule.internalPort;
      this.flags[slot] = (rule.status === 'ACTIVE' ? FLAG_ACTIVE : 0) | (allPorts ? FLAG_ALL_PORTS : 0);
      let targetSlot = targets.get(target);
      if (targetSlot === undefined) {
        targetSlot = targets.size;
        targets.set(target, targetSlot);
      }
      this.targetSlot[slot] = targetSlot;
      const kind = allPorts ? KIND_ANY : rule.protocol === 'tcp' ? KIND_TCP : KIND_UDP;
      const existing = this.#insert(ip, (kind << 16) | rule.transitPort, slot);
      if (existing !== undefined) {
        const other = rules[existing] as DnatRule;
        throw new RangeError(
          `DNAT rules ${other.id} and ${rule.id} both map ${rule.transitIp} ${rule.protocol}/${rule.transitPort}`,
        );
      }
      this.#insert(ip, KIND_PRESENCE << 16, PRESENCE);
    }
    this.targetCount = targets.size;
    this.targetAddress = new Uint32Array(targets.size);
    for (const [address, slot] of targets) this.targetAddress[slot] = address;
  }

  get size(): number {
    return this.rules.length;
  }

  /** Whether rule slot `slot` may translate: it and its gateway are ACTIVE. */
  usable(slot: number): boolean {
    return this.gatewayActive && ((this.flags[slot] as number) & FLAG_ACTIVE) !== 0;
  }

  isAllPorts(slot: number): boolean {
    return ((this.flags[slot] as number) & FLAG_ALL_PORTS) !== 0;
  }

  /**
   * The rule slot covering a destination (exact, then all-ports), or SLOT_NO_MATCHING_RULE /
   * SLOT_NOT_A_TRANSIT_IP. `kind` is KIND_TCP or KIND_UDP. The hot path: no allocation.
   */
  lookupSlot(kind: number, ip: number, port: number): number {
    const exact = this.#find(ip, (kind << 16) | port);
    if (exact >= 0) return exact;
    const allPorts = this.#find(ip, KIND_ANY << 16);
    if (allPorts >= 0) return allPorts;
    return this.#find(ip, KIND_PRESENCE << 16) === PRESENCE ? SLOT_NO_MATCHING_RULE : SLOT_NOT_A_TRANSIT_IP;
  }

  /**
   * The translated destination of a specific-port rule (its target address and internal port), one
   * frozen object shared by every packet it translates; undefined for an all-ports rule.
   */
  targetEndpointOf(slot: number): Endpoint | undefined {
    if (this.isAllPorts(slot)) return undefined;
    let endpoint = this.#targetEndpoints[slot];
    if (endpoint === undefined) {
      endpoint = Object.freeze({ ip: this.targetIp[slot] as Ipv4, port: this.internalPort[slot] as Port });
      this.#targetEndpoints[slot] = endpoint;
    }
    return endpoint;
  }

  /** The source of a translated reply (transit address and port) of a specific-port rule, shared. */
  transitEndpointOf(slot: number): Endpoint | undefined {
    if (this.isAllPorts(slot)) return undefined;
    let endpoint = this.#transitEndpoints[slot];
    if (endpoint === undefined) {
      endpoint = Object.freeze({ ip: this.transitIp[slot] as Ipv4, port: this.transitPort[slot] as Port });
      this.#transitEndpoints[slot] = endpoint;
    }
    return endpoint;
  }

  /** What a session of rule `slot` keeps (shared values: the id and the translated endpoints). */
  refsOf(slot: number): RuleRefs {
    return {
      id: (this.rules[slot] as DnatRule).id,
      targetEndpoint: this.targetEndpointOf(slot),
      transitEndpoint: this.transitEndpointOf(slot),
    };
  }

  /** Bytes held by the index's typed arrays. */
  get byteLength(): number {
    return (
      this.transitIp.byteLength +
      this.transitPort.byteLength +
      this.targetIp.byteLength +
      this.internalPort.byteLength +
      this.flags.byteLength +
      this.targetSlot.byteLength +
      this.targetAddress.byteLength +
      this.#keyIp.byteLength +
      this.#keyWord.byteLength +
      this.#value.byteLength
    );
  }

  /** The value stored under (ip, word), or EMPTY. */
  #find(ip: number, word: number): number {
    const mask = this.#mask;
    const keyWord = this.#keyWord;
    let i = combine(fmix32(ip), word) & mask;
    for (;;) {
      const stored = keyWord[i] as number;
      if (stored === EMPTY) return EMPTY;
      if (stored === word && this.#keyIp[i] === ip) return this.#value[i] as number;
      i = (i + 1) & mask;
    }
  }

  /** Inserts (ip, word) → value; returns the value already there (leaving it) when the key exists. */
  #insert(ip: number, word: number, value: number): number | undefined {
    const mask = this.#mask;
    let i = combine(fmix32(ip), word) & mask;
    for (;;) {
      const stored = this.#keyWord[i] as number;
      if (stored === EMPTY) {
        this.#keyIp[i] = ip;
        this.#keyWord[i] = word;
        this.#value[i] = value;
        return undefined;
      }
      if (stored === word && this.#keyIp[i] === ip) return this.#value[i] as number;
      i = (i + 1) & mask;
    }
  }
}

function isPortNumber(value: number): boolean {
  return Number.isInteger(value) && value >= 1 && value <= 65535;
}

/**
 * Compiles a gateway's DNAT rules into a constant-time index. Throws RangeError when the rules break an
 * invariant the control plane guarantees (a rule of another gateway, a duplicate port, bad ports).
 *
 * @example
 * const index = compileRuleIndex(gateway, rules);
 * lookupRule(index, 'tcp', { ip: parseIpv4('192.168.0.144'), port: 80 as Port }).verdict // 'TRANSLATED'
 */
export function compileRuleIndex(gateway: PrivateNatGateway, rules: readonly DnatRule[]): RuleIndex {
  return new RuleIndex(gateway, rules);
}

/**
 * The rule a packet to `dst` would take, in the documented order, with the verdict it gives before
 * sessions are considered (`TRANSLATED` means the rule is usable).
 *
 * @example lookupRule(index, 'udp', dst) // { verdict: 'NO_MATCHING_RULE' } when only tcp/80 is mapped
 */
export function lookupRule(index: RuleIndex, protocol: Protocol, dst: Endpoint): RuleLookup {
  const slot = index.lookupSlot(kindOf(protocol), dst.ip, dst.port);
  if (slot === SLOT_NOT_A_TRANSIT_IP) return { verdict: 'NOT_A_TRANSIT_IP' };
  if (slot === SLOT_NO_MATCHING_RULE) return { verdict: 'NO_MATCHING_RULE' };
  const rule = index.rules[slot] as DnatRule;
  return { verdict: index.usable(slot) ? 'TRANSLATED' : 'RULE_INACTIVE', rule };
}
