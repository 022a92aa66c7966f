/**
 * The connection-tracking table of one gateway: fixed-size records in one typed buffer, not an object
 * per session.
 *
 * Layout. Session `s` is the 64-byte record at byte `64 s` of one ArrayBuffer, read through an Int32
 * and a Float64 view — one cache line, so a packet of a known flow touches the index bucket, the
 * record and the rule-id column, whatever the table holds. (A struct of arrays, one typed array per
 * field, measured 35% slower at 32 k flows: a packet touched ~15 cache lines.)
 *
 *     word  0 client ip           1 transit ip          2 target ip
 *           3 client port << 16 | transit port          4 target port << 16 | gateway port
 *           5 protocol | state << 8 | timeout class << 16
 *           6 rule slot   7 LRU prev   8 LRU next   9 original hash   10 reply hash   11 session id
 *     f64   6 last seen (ms)                                          (bytes 56–63 spare)
 *
 * plus a plain array of three pointers a session to values shared per rule (its id, its translated
 * endpoints: kept beside each other so answering a packet touches one more line, not three) and
 * two hash indexes of 4-byte slot numbers at a load factor ≤ 0.5: about 95 bytes a session against the 256-byte budget (Linux
 * conntrack entries are around 300 B). Addresses are stored as int32 (`ip | 0`) and read back with
 * `>>> 0`.
 *
 * Two open-addressing indexes (linear probing, backward-shift deletion, so no tombstones ever degrade
 * them) find a session in O(1) from either direction:
 *   - original: (protocol, client ip:port, transit ip:port)   — packets arriving at the transit IP
 *   - reply:    (protocol, target ip, gateway port)           — packets the target sends back
 * The reply key leaves out the target's port on purpose: it makes the reply index also the port
 * allocator's "in use" set, so a gateway port is never given to two live flows towards the same target
 * address and protocol, whatever their ports (the invariant docs/dnat-engine.md asks for). A reply must still
 * come from the session's target port to match.
 *
 * Port allocation is next-fit per (target address, protocol): a cursor walks the gateway's port range
 * (1024–65535 by default) and takes the first port not in use. A fresh table hands out 1024, 1025, … in
 * order (deterministic, which the evaluate API relies on), and a freed port is reused only after the
 * cursor wraps, so a late packet of a finished flow does not land in a new one.
 *
 * Expiry. Each timeout class (TCP established, TCP transitory, UDP) has one idle timeout and keeps its
 * sessions in a doubly linked list ordered by last use: every packet moves its session to the tail, so
 * the heads are the oldest and expiring is popping heads while `lastSeen + timeout <= now` — O(1) per
 * expired session, no scan; until the earliest head can expire, `expire` is one comparison. An expired
 * session frees its slot and its port at once. (A clock set backwards only delays expiry.)
 *
 * Capacity. The table refuses a new session beyond `capacity` (the gateway spec's) and grows by
 * doubling up to it, so a Small gateway holds a few kilobytes and a benchmark that lifts the cap can
 * hold millions. Session ids count up from 1 and wrap after 2^31 - 1.
 */
import type { Endpoint } from '../net/packet.ts';
import { powerOfTwoAtLeast } from './hash.ts';
import {
  CLASS_TCP_ESTABLISHED,
  CLASS_TCP_TRANSITORY,
  CLASS_UDP,
  STATE_FREE,
  timeoutClassOf,
} from './tcp-state.ts';

/** What a session keeps of its rule besides the slot: shared values, never copied per session. */
export interface RuleRefs {
  id: string;
  targetEndpoint: Endpoint | undefined;
  transitEndpoint: Endpoint | undefined;
}

export interface SessionTimeouts {
  /** Idle timeout of an ESTABLISHED TCP flow. */
  tcpEstablishedMs: number;
  /** Idle timeout of a TCP flow opening or closing (SYN_SENT, SYN_RECEIVED, FIN_WAIT, TIME_WAIT, CLOSED). */
  tcpTransitoryMs: number;
  /** Idle timeout of a UDP flow. */
  udpMs: number;
}

/**
 * 900 s for established TCP (a cloud NAT gateway's usual TCP session timeout); 240 s transitory, the
 * floor RFC 5382 REQ-5 sets (2 × the 2-minute MSL, TCP's TIME_WAIT); 300 s UDP, RFC 4787 REQ-5's
 * recommended mapping timer. Linux conntrack is not the model here: its defaults are 5 days for
 * established TCP and 30 s (120 s once both sides talk) for UDP, tuned for a host, not a shared gateway.
 */
export const DEFAULT_TIMEOUTS: Readonly<SessionTimeouts> = {
  tcpEstablishedMs: 900_000,
  tcpTransitoryMs: 240_000,
  udpMs: 300_000,
};

/** The gateway ports handed out as sources towards targets: the non-privileged range, as NATs use. */
export const DEFAULT_GATEWAY_PORTS: Readonly<{ from: number; to: number }> = { from: 1024, to: 65535 };

/** `open` answers when it cannot open a session. */
export const OPEN_FULL = -1;
export const OPEN_NO_PORT = -2;

const NONE = -1;
const INITIAL_SLOTS = 1024;
/** Never more slots than this (2^26 ≈ 67 M sessions, 4 GiB of records) even with the cap lifted. */
const MAX_SLOTS = 2 ** 26;

const RECORD_BYTES = 64;
const SHIFT_I32 = 4; // 16 int32 words a record
const SHIFT_F64 = 3; // 8 float64 words a record
const W_CLIENT_IP = 0;
const W_TRANSIT_IP = 1;
const W_TARGET_IP = 2;
const W_CLIENT_TRANSIT_PORTS = 3;
const W_TARGET_GATEWAY_PORTS = 4;
const W_META = 5;
const W_RULE = 6;
const W_PREV = 7;
const W_NEXT = 8;
const W_ORIGINAL_HASH = 9;
const W_REPLY_HASH = 10;
const W_ID = 11;
const F_LAST_SEEN = 6;
/** The pointer column holds three entries a session, side by side (one cache line, not three). */
const REFS = 3;
const R_RULE_ID = 0;
const R_TARGET = 1;
const R_TRANSIT = 2;

function originalHash(kind: number, clientIp: number, ports: number, transitIp: number): number {
  let h = Math.imul(clientIp, 0x9e3779b1) ^ Math.imul(ports, 0x85ebca6b);
  h ^= Math.imul(transitIp ^ kind, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  return h ^ (h >>> 16);
}

function replyHash(kind: number, targetIp: number, gatewayPort: number): number {
  let h = Math.imul(targetIp, 0x9e3779b1) ^ Math.imul((kind << 16) | gatewayPort, 0x85ebca6b);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  return h ^ (h >>> 16);
}

export class SessionTable {
  readonly capacity: number;
  readonly timeoutMs: Float64Array;
  readonly portFrom: number;
  readonly portTo: number;
  count = 0;

  /** The records, as int32 words and as float64 words. */
  words: Int32Array;
  doubles: Float64Array;
  /**
   * Pointers, three a slot, to values shared by every session of its rule, so answering a packet never
   * dereferences the rule (with a million rules that is a cache miss): the rule's id, and for a
   * specific-port rule the translated destination and the translated reply's source.
   */
  refs: (string | Endpoint | undefined)[];

  /** Indexes: slot numbers, NONE when empty. */
  originalIndex: Int32Array;
  replyIndex: Int32Array;
  indexMask: number;

  readonly listHead = new Int32Array([NONE, NONE, NONE]);
  readonly listTail = new Int32Array([NONE, NONE, NONE]);
  /** Next-fit cursor per (target slot, protocol). */
  cursors: Uint16Array;

  /** No session can expire before this time: `expire` is one comparison until then. */
  #quietUntil = Number.POSITIVE_INFINITY;
  #slots: number;
  #top = 0;
  #freeHead = NONE;
  #nextId = 1;

  constructor(options: { capacity: number; timeouts: SessionTimeouts; ports: { from: number; to: number } }) {
    const { capacity, timeouts, ports } = options;
    if (!(capacity >= 0)) throw new RangeError(`session capacity ${capacity} is not a number ≥ 0`);
    if (
      !(
        Number.isInteger(ports.from) &&
        Number.isInteger(ports.to) &&
        ports.from >= 1 &&
        ports.from <= ports.to &&
        ports.to <= 65535
      )
    ) {
      throw new RangeError(`gateway port range ${ports.from}-${ports.to} is not within 1–65535`);
    }
    for (const [name, ms] of Object.entries(timeouts)) {
      if (!(ms > 0)) throw new RangeError(`timeout ${name} = ${ms} ms is not positive`);
    }
    this.capacity = capacity;
    this.portFrom = ports.from;
    this.portTo = ports.to;
    this.timeoutMs = new Float64Array(3);
    this.timeoutMs[CLASS_TCP_ESTABLISHED] = timeouts.tcpEstablishedMs;
    this.timeoutMs[CLASS_TCP_TRANSITORY] = timeouts.tcpTransitoryMs;
    this.timeoutMs[CLASS_UDP] = timeouts.udpMs;
    this.#slots = Math.max(1, Math.min(INITIAL_SLOTS, Math.ceil(capacity), MAX_SLOTS));
    const buffer = new ArrayBuffer(this.#slots * RECORD_BYTES);
    this.words = new Int32Array(buffer);
    this.doubles = new Float64Array(buffer);
    this.refs = new Array<string | Endpoint | undefined>(REFS * this.#slots).fill(undefined);
    const indexSize = powerOfTwoAtLeast(2 * this.#slots);
    this.originalIndex = new Int32Array(indexSize).fill(NONE);
    this.replyIndex = new Int32Array(indexSize).fill(NONE);
    this.indexMask = indexSize - 1;
    this.cursors = new Uint16Array(0);
  }

  /** Sizes the port cursors for a rule index's target slots (all start at the range's first port). */
  setTargetCount(targets: number): void {
    this.cursors = new Uint16Array(2 * targets).fill(this.portFrom);
  }

  // Field readers (inlined by the JIT).
  kindOf(s: number): number {
    return (this.words[(s << SHIFT_I32) + W_META] as number) & 0xff;
  }
  stateOf(s: number): number {
    return ((this.words[(s << SHIFT_I32) + W_META] as number) >>> 8) & 0xff;
  }
  ruleOf(s: number): number {
    return this.words[(s << SHIFT_I32) + W_RULE] as number;
  }
  idOf(s: number): number {
    return this.words[(s << SHIFT_I32) + W_ID] as number;
  }
  clientIpOf(s: number): number {
    return (this.words[(s << SHIFT_I32) + W_CLIENT_IP] as number) >>> 0;
  }
  clientPortOf(s: number): number {
    return (this.words[(s << SHIFT_I32) + W_CLIENT_TRANSIT_PORTS] as number) >>> 16;
  }
  transitIpOf(s: number): number {
    return (this.words[(s << SHIFT_I32) + W_TRANSIT_IP] as number) >>> 0;
  }
  transitPortOf(s: number): number {
    return (this.words[(s << SHIFT_I32) + W_CLIENT_TRANSIT_PORTS] as number) & 0xffff;
  }
  targetIpOf(s: number): number {
    return (this.words[(s << SHIFT_I32) + W_TARGET_IP] as number) >>> 0;
  }
  targetPortOf(s: number): number {
    return (this.words[(s << SHIFT_I32) + W_TARGET_GATEWAY_PORTS] as number) >>> 16;
  }
  gatewayPortOf(s: number): number {
    return (this.words[(s << SHIFT_I32) + W_TARGET_GATEWAY_PORTS] as number) & 0xffff;
  }
  lastSeenOf(s: number): number {
    return this.doubles[(s << SHIFT_F64) + F_LAST_SEEN] as number;
  }
  /** When session `s` expires if it stays idle. */
  expiresAt(s: number): number {
    const cls = ((this.words[(s << SHIFT_I32) + W_META] as number) >>> 16) & 0xff;
    return this.lastSeenOf(s) + (this.timeoutMs[cls] as number);
  }
  setRule(s: number, ruleSlot: number, rule: RuleRefs): void {
    this.words[(s << SHIFT_I32) + W_RULE] = ruleSlot;
    this.#setRefs(s, rule);
  }

  /** The rule's id (shared string). */
  ruleIdOf(s: number): string {
    return this.refs[REFS * s + R_RULE_ID] as string;
  }
  /** The shared translated destination of a specific-port rule, or undefined. */
  targetEndpointOf(s: number): Endpoint | undefined {
    return this.refs[REFS * s + R_TARGET] as Endpoint | undefined;
  }
  /** The shared translated reply source of a specific-port rule, or undefined. */
  transitEndpointOf(s: number): Endpoint | undefined {
    return this.refs[REFS * s + R_TRANSIT] as Endpoint | undefined;
  }

  #setRefs(s: number, rule: RuleRefs | undefined): void {
    const r = REFS * s;
    this.refs[r + R_RULE_ID] = rule?.id;
    this.refs[r + R_TARGET] = rule?.targetEndpoint;
    this.refs[r + R_TRANSIT] = rule?.transitEndpoint;
  }

  /** The session of an original-direction tuple, or -1. */
  findOriginal(
    kind: number,
    clientIp: number,
    clientPort: number,
    transitIp: number,
    transitPort: number,
  ): number {
    const cip = clientIp | 0;
    const tip = transitIp | 0;
    const ports = (clientPort << 16) | transitPort;
    const h = originalHash(kind, cip, ports, tip);
    const index = this.originalIndex;
    const words = this.words;
    const mask = this.indexMask;
    let i = h & mask;
    for (;;) {
      const s = index[i] as number;
      if (s === NONE) return NONE;
      const b = s << SHIFT_I32;
      if (
        words[b + W_ORIGINAL_HASH] === h &&
        words[b + W_CLIENT_IP] === cip &&
        words[b + W_CLIENT_TRANSIT_PORTS] === ports &&
        words[b + W_TRANSIT_IP] === tip &&
        ((words[b + W_META] as number) & 0xff) === kind
      ) {
        return s;
      }
      i = (i + 1) & mask;
    }
  }

  /** The session holding gateway port `gatewayPort` towards (protocol, target address), or -1. */
  findReply(kind: number, targetIp: number, gatewayPort: number): number {
    const tip = targetIp | 0;
    const h = replyHash(kind, tip, gatewayPort);
    const index = this.replyIndex;
    const words = this.words;
    const mask = this.indexMask;
    let i = h & mask;
    for (;;) {
      const s = index[i] as number;
      if (s === NONE) return NONE;
      const b = s << SHIFT_I32;
      if (
        words[b + W_REPLY_HASH] === h &&
        words[b + W_TARGET_IP] === tip &&
        ((words[b + W_TARGET_GATEWAY_PORTS] as number) & 0xffff) === gatewayPort &&
        ((words[b + W_META] as number) & 0xff) === kind
      ) {
        return s;
      }
      i = (i + 1) & mask;
    }
  }

  /**
   * Opens a session, allocating its gateway port; returns its slot, OPEN_FULL at capacity or
   * OPEN_NO_PORT when every gateway port towards that target is taken.
   */
  open(
    kind: number,
    clientIp: number,
    clientPort: number,
    transitIp: number,
    transitPort: number,
    targetIp: number,
    targetPort: number,
    targetSlot: number,
    ruleSlot: number,
    rule: RuleRefs,
    state: number,
    now: number,
  ): number {
    if (this.count >= this.capacity) return OPEN_FULL;
    const port = this.#allocatePort(kind, targetIp, targetSlot);
    if (port < 0) return OPEN_NO_PORT;
    const s = this.#takeSlot();
    const words = this.words;
    const b = s << SHIFT_I32;
    const cip = clientIp | 0;
    const tip = transitIp | 0;
    const ports = (clientPort << 16) | transitPort;
    const h = originalHash(kind, cip, ports, tip);
    const r = replyHash(kind, targetIp | 0, port);
    const cls = timeoutClassOf(state);
    words[b + W_CLIENT_IP] = cip;
    words[b + W_TRANSIT_IP] = tip;
    words[b + W_TARGET_IP] = targetIp | 0;
    words[b + W_CLIENT_TRANSIT_PORTS] = ports;
    words[b + W_TARGET_GATEWAY_PORTS] = (targetPort << 16) | port;
    words[b + W_META] = kind | (state << 8) | (cls << 16);
    words[b + W_RULE] = ruleSlot;
    words[b + W_ORIGINAL_HASH] = h;
    words[b + W_REPLY_HASH] = r;
    words[b + W_ID] = this.#nextId;
    this.#nextId = this.#nextId === 0x7fffffff ? 1 : this.#nextId + 1;
    this.doubles[(s << SHIFT_F64) + F_LAST_SEEN] = now;
    this.#setRefs(s, rule);
    SessionTable.#place(this.originalIndex, this.indexMask, h, s);
    SessionTable.#place(this.replyIndex, this.indexMask, r, s);
    this.#append(s, cls, now);
    this.count++;
    return s;
  }

  /** Records a packet of session `s`: its new state and the time; moves it to its class's tail. */
  touch(s: number, state: number, now: number): void {
    const words = this.words;
    const b = s << SHIFT_I32;
    const meta = words[b + W_META] as number;
    const old = (meta >>> 16) & 0xff;
    const cls = timeoutClassOf(state);
    words[b + W_META] = (meta & 0xff) | (state << 8) | (cls << 16);
    this.doubles[(s << SHIFT_F64) + F_LAST_SEEN] = now;
    // Already last of its list: nothing moves (a burst of one flow stays O(1) with no writes).
    if (old !== cls || this.listTail[old] !== s) {
      this.#unlink(s, old);
      this.#append(s, cls, now);
    }
  }

  /** Removes every session idle for its class's timeout at `now`; returns how many. */
  expire(now: number): number {
    if (now < this.#quietUntil) return 0;
    let removed = 0;
    let quietUntil = Number.POSITIVE_INFINITY;
    for (let cls = 0; cls < 3; cls++) {
      const timeout = this.timeoutMs[cls] as number;
      let s = this.listHead[cls] as number;
      while (s !== NONE && this.lastSeenOf(s) + timeout <= now) {
        this.remove(s);
        removed++;
        s = this.listHead[cls] as number;
      }
      if (s !== NONE) quietUntil = Math.min(quietUntil, this.lastSeenOf(s) + timeout);
    }
    // Heads only get younger (a touched head moves to the tail), so this bound holds until a session
    // enters a list whose timeout ends sooner: `#append` lowers it then.
    this.#quietUntil = quietUntil;
    return removed;
  }

  /** Removes session `s`, freeing its slot and its gateway port. */
  remove(s: number): void {
    const words = this.words;
    const b = s << SHIFT_I32;
    SessionTable.#unplace(this.originalIndex, this.indexMask, words, W_ORIGINAL_HASH, s);
    SessionTable.#unplace(this.replyIndex, this.indexMask, words, W_REPLY_HASH, s);
    const meta = words[b + W_META] as number;
    this.#unlink(s, (meta >>> 16) & 0xff);
    words[b + W_META] = STATE_FREE;
    this.#setRefs(s, undefined);
    words[b + W_NEXT] = this.#freeHead;
    this.#freeHead = s;
    this.count--;
  }

  /** Slots of the live sessions. */
  *liveSlots(): Generator<number> {
    for (let s = 0; s < this.#top; s++) if (this.stateOf(s) !== STATE_FREE) yield s;
  }

  /**
   * Bytes held by the records, the pointer column (4 bytes a pointer with V8's compressed pointers),
   * the indexes and the port cursors.
   */
  get byteLength(): number {
    return (
      this.words.byteLength +
      4 * this.refs.length +
      this.originalIndex.byteLength +
      this.replyIndex.byteLength +
      this.cursors.byteLength
    );
  }

  #allocatePort(kind: number, targetIp: number, targetSlot: number): number {
    const from = this.portFrom;
    const to = this.portTo;
    const c = 2 * targetSlot + kind - 1;
    let port = this.cursors[c] as number;
    if (port < from || port > to) port = from;
    for (let tries = to - from + 1; tries > 0; tries--) {
      const following = port === to ? from : port + 1;
      if (this.findReply(kind, targetIp, port) === NONE) {
        this.cursors[c] = following;
        return port;
      }
      port = following;
    }
    return NONE;
  }

  #takeSlot(): number {
    if (this.#freeHead !== NONE) {
      const s = this.#freeHead;
      this.#freeHead = this.words[(s << SHIFT_I32) + W_NEXT] as number;
      return s;
    }
    if (this.#top === this.#slots) this.#grow();
    return this.#top++;
  }

  #grow(): void {
    const limit = Math.min(Math.ceil(this.capacity), MAX_SLOTS);
    const slots = Math.min(this.#slots * 2, Math.max(this.#slots + 1, limit));
    if (slots > MAX_SLOTS) throw new RangeError(`the session table cannot grow past ${MAX_SLOTS} slots`);
    const buffer = new ArrayBuffer(slots * RECORD_BYTES);
    const words = new Int32Array(buffer);
    words.set(this.words);
    this.words = words;
    this.doubles = new Float64Array(buffer);
    const refs = new Array<string | Endpoint | undefined>(REFS * slots).fill(undefined);
    for (let i = 0; i < REFS * this.#top; i++) refs[i] = this.refs[i];
    this.refs = refs;
    this.#slots = slots;
    const indexSize = powerOfTwoAtLeast(2 * slots);
    if (indexSize - 1 !== this.indexMask) {
      this.originalIndex = new Int32Array(indexSize).fill(NONE);
      this.replyIndex = new Int32Array(indexSize).fill(NONE);
      this.indexMask = indexSize - 1;
      for (let s = 0; s < this.#top; s++) {
        if (this.stateOf(s) === STATE_FREE) continue;
        const b = s << SHIFT_I32;
        SessionTable.#place(this.originalIndex, this.indexMask, words[b + W_ORIGINAL_HASH] as number, s);
        SessionTable.#place(this.replyIndex, this.indexMask, words[b + W_REPLY_HASH] as number, s);
      }
    }
  }

  #append(s: number, cls: number, lastSeen: number): void {
    const expiry = lastSeen + (this.timeoutMs[cls] as number);
    if (expiry < this.#quietUntil) this.#quietUntil = expiry;
    const words = this.words;
    const b = s << SHIFT_I32;
    const tail = this.listTail[cls] as number;
    words[b + W_PREV] = tail;
    words[b + W_NEXT] = NONE;
    if (tail === NONE) this.listHead[cls] = s;
    else words[(tail << SHIFT_I32) + W_NEXT] = s;
    this.listTail[cls] = s;
  }

  #unlink(s: number, cls: number): void {
    const words = this.words;
    const b = s << SHIFT_I32;
    const before = words[b + W_PREV] as number;
    const after = words[b + W_NEXT] as number;
    if (before === NONE) this.listHead[cls] = after;
    else words[(before << SHIFT_I32) + W_NEXT] = after;
    if (after === NONE) this.listTail[cls] = before;
    else words[(after << SHIFT_I32) + W_PREV] = before;
  }

  static #place(index: Int32Array, mask: number, hash: number, s: number): void {
    let i = hash & mask;
    while (index[i] !== NONE) i = (i + 1) & mask;
    index[i] = s;
  }

  /**
   * Deletes `s` from a linear-probing index by shifting later members of its cluster back, so every
   * remaining entry stays reachable from its home bucket without tombstones:
   *
   *     home(t) = k   hole at i   t at j:   t moves to i unless k lies cyclically in (i, j]
   */
  static #unplace(index: Int32Array, mask: number, words: Int32Array, hashWord: number, s: number): void {
    let i = (words[(s << SHIFT_I32) + hashWord] as number) & mask;
    while (index[i] !== s) {
      if (index[i] === NONE) throw new Error(`session slot ${s} is missing from its index`);
      i = (i + 1) & mask;
    }
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const t = index[j] as number;
      if (t === NONE) break;
      const k = (words[(t << SHIFT_I32) + hashWord] as number) & mask;
      const stays = i <= j ? i < k && k <= j : i < k || k <= j;
      if (stays) continue;
      index[i] = t;
      i = j;
    }
    index[i] = NONE;
  }
}
