/**
 * The connection-tracking table of one gateway: a struct of arrays, not an object per session.
 *
 * Layout. Session `s` is slot `s` of every column (typed arrays): protocol, state, timeout class, rule
 * slot, the client's and the transit endpoint's address and port (the original direction), the target's
 * address and port, the gateway port allocated to it, last-seen time, id, LRU links and both hashes.
 * About 60 bytes a slot, plus two hash indexes of 4-byte slot numbers at a load factor ≤ 0.5 — under
 * 80 bytes a session against the 256-byte budget (Linux conntrack entries are around 300 B).
 *
 * Two open-addressing indexes (linear probing, backward-shift deletion, so no tombstones ever degrade
 * them) find a session in O(1) from either direction:
 *   - original: (protocol, client ip:port, transit ip:port)   — packets arriving at the transit IP
 *   - reply:    (protocol, target ip, gateway port)           — packets the target sends back
 * The reply key leaves out the target's port on purpose: it makes the reply index also the port
 * allocator's "in use" set, so a gateway port is never given to two live flows towards the same target
 * address and protocol, whatever their ports (the invariant DESIGN §4 asks for). A reply must still
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
 * expired session, no scan. An expired session frees its slot and its port at once. (A clock set
 * backwards only delays expiry; it never expires a live session early.)
 *
 * Capacity. The table refuses a new session beyond `capacity` (the gateway spec's) and grows its
 * columns by doubling up to it, so a Small gateway holds a few kilobytes and a benchmark that lifts the
 * cap can hold millions.
 */
import { powerOfTwoAtLeast } from './hash.ts';
import {
  CLASS_TCP_ESTABLISHED,
  CLASS_TCP_TRANSITORY,
  CLASS_UDP,
  STATE_FREE,
  timeoutClassOf,
} from './tcp-state.ts';

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
/** Columns never grow past this many slots (2^28 ≈ 268 M sessions) even with the cap lifted. */
const MAX_SLOTS = 2 ** 28;

function originalHash(
  kind: number,
  clientIp: number,
  clientPort: number,
  transitIp: number,
  transitPort: number,
): number {
  let h = Math.imul(clientIp, 0x9e3779b1) ^ Math.imul((kind << 16) | clientPort, 0x85ebca6b);
  h ^= Math.imul(transitIp, 0xc2b2ae35) ^ Math.imul(transitPort, 0x27d4eb2f);
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

  // Columns, one entry per slot.
  kind: Uint8Array;
  state: Uint8Array;
  timeoutClass: Uint8Array;
  rule: Int32Array;
  clientIp: Uint32Array;
  clientPort: Uint16Array;
  transitIp: Uint32Array;
  transitPort: Uint16Array;
  targetIp: Uint32Array;
  targetPort: Uint16Array;
  gatewayPort: Uint16Array;
  lastSeen: Float64Array;
  id: Float64Array;
  prev: Int32Array;
  next: Int32Array;
  originalHash: Int32Array;
  replyHash: Int32Array;

  // Indexes: slot numbers, NONE when empty.
  originalIndex: Int32Array;
  replyIndex: Int32Array;
  indexMask: number;

  readonly listHead = new Int32Array([NONE, NONE, NONE]);
  readonly listTail = new Int32Array([NONE, NONE, NONE]);
  /** Next-fit cursor per (target slot, protocol). */
  cursors: Uint16Array;

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
    this.#slots = Math.max(1, Math.min(INITIAL_SLOTS, capacity, MAX_SLOTS));
    const n = this.#slots;
    this.kind = new Uint8Array(n);
    this.state = new Uint8Array(n);
    this.timeoutClass = new Uint8Array(n);
    this.rule = new Int32Array(n);
    this.clientIp = new Uint32Array(n);
    this.clientPort = new Uint16Array(n);
    this.transitIp = new Uint32Array(n);
    this.transitPort = new Uint16Array(n);
    this.targetIp = new Uint32Array(n);
    this.targetPort = new Uint16Array(n);
    this.gatewayPort = new Uint16Array(n);
    this.lastSeen = new Float64Array(n);
    this.id = new Float64Array(n);
    this.prev = new Int32Array(n);
    this.next = new Int32Array(n);
    this.originalHash = new Int32Array(n);
    this.replyHash = new Int32Array(n);
    const indexSize = powerOfTwoAtLeast(2 * n);
    this.originalIndex = new Int32Array(indexSize).fill(NONE);
    this.replyIndex = new Int32Array(indexSize).fill(NONE);
    this.indexMask = indexSize - 1;
    this.cursors = new Uint16Array(0);
  }

  /** Sizes the port cursors for a rule index's target slots (all start at the range's first port). */
  setTargetCount(targets: number): void {
    this.cursors = new Uint16Array(2 * targets).fill(this.portFrom);
  }

  /** The session of an original-direction tuple, or -1. */
  findOriginal(
    kind: number,
    clientIp: number,
    clientPort: number,
    transitIp: number,
    transitPort: number,
  ): number {
    const h = originalHash(kind, clientIp, clientPort, transitIp, transitPort);
    const index = this.originalIndex;
    const mask = this.indexMask;
    let i = h & mask;
    for (;;) {
      const s = index[i] as number;
      if (s === NONE) return NONE;
      if (
        this.originalHash[s] === h &&
        this.clientIp[s] === clientIp &&
        this.clientPort[s] === clientPort &&
        this.transitIp[s] === transitIp &&
        this.transitPort[s] === transitPort &&
        this.kind[s] === kind
      ) {
        return s;
      }
      i = (i + 1) & mask;
    }
  }

  /** The session holding gateway port `gatewayPort` towards (protocol, target address), or -1. */
  findReply(kind: number, targetIp: number, gatewayPort: number): number {
    const h = replyHash(kind, targetIp, gatewayPort);
    const index = this.replyIndex;
    const mask = this.indexMask;
    let i = h & mask;
    for (;;) {
      const s = index[i] as number;
      if (s === NONE) return NONE;
      if (
        this.replyHash[s] === h &&
        this.gatewayPort[s] === gatewayPort &&
        this.targetIp[s] === targetIp &&
        this.kind[s] === kind
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
    state: number,
    now: number,
  ): number {
    if (this.count >= this.capacity) return OPEN_FULL;
    const port = this.#allocatePort(kind, targetIp, targetSlot);
    if (port < 0) return OPEN_NO_PORT;
    const s = this.#takeSlot();
    this.kind[s] = kind;
    this.state[s] = state;
    this.rule[s] = ruleSlot;
    this.clientIp[s] = clientIp;
    this.clientPort[s] = clientPort;
    this.transitIp[s] = transitIp;
    this.transitPort[s] = transitPort;
    this.targetIp[s] = targetIp;
    this.targetPort[s] = targetPort;
    this.gatewayPort[s] = port;
    this.lastSeen[s] = now;
    this.id[s] = this.#nextId++;
    const h = originalHash(kind, clientIp, clientPort, transitIp, transitPort);
    const r = replyHash(kind, targetIp, port);
    this.originalHash[s] = h;
    this.replyHash[s] = r;
    SessionTable.#place(this.originalIndex, this.indexMask, h, s);
    SessionTable.#place(this.replyIndex, this.indexMask, r, s);
    const cls = timeoutClassOf(state);
    this.timeoutClass[s] = cls;
    this.#append(s, cls);
    this.count++;
    return s;
  }

  /** Records a packet of session `s`: its new state and the time; moves it to its class's tail. */
  touch(s: number, state: number, now: number): void {
    this.state[s] = state;
    this.lastSeen[s] = now;
    const cls = timeoutClassOf(state);
    const old = this.timeoutClass[s] as number;
    if (old !== cls || this.listTail[old] !== s) {
      this.#unlink(s, old);
      this.timeoutClass[s] = cls;
      this.#append(s, cls);
    }
  }

  /** Removes every session idle for its class's timeout at `now`; returns how many. */
  expire(now: number): number {
    let removed = 0;
    for (let cls = 0; cls < 3; cls++) {
      const timeout = this.timeoutMs[cls] as number;
      let s = this.listHead[cls] as number;
      while (s !== NONE && (this.lastSeen[s] as number) + timeout <= now) {
        this.remove(s);
        removed++;
        s = this.listHead[cls] as number;
      }
    }
    return removed;
  }

  /** When session `s` expires if it stays idle. */
  expiresAt(s: number): number {
    return (this.lastSeen[s] as number) + (this.timeoutMs[this.timeoutClass[s] as number] as number);
  }

  /** Removes session `s`, freeing its slot and its gateway port. */
  remove(s: number): void {
    SessionTable.#unplace(this.originalIndex, this.indexMask, this.originalHash, s);
    SessionTable.#unplace(this.replyIndex, this.indexMask, this.replyHash, s);
    this.#unlink(s, this.timeoutClass[s] as number);
    this.state[s] = STATE_FREE;
    this.next[s] = this.#freeHead;
    this.#freeHead = s;
    this.count--;
  }

  /** Slots of the live sessions, oldest id first is not guaranteed. */
  *liveSlots(): Generator<number> {
    for (let s = 0; s < this.#top; s++) if (this.state[s] !== STATE_FREE) yield s;
  }

  /** Bytes held by the columns and indexes. */
  get byteLength(): number {
    let bytes = this.originalIndex.byteLength + this.replyIndex.byteLength + this.cursors.byteLength;
    for (const column of this.#columns()) bytes += column.byteLength;
    return bytes;
  }

  #columns() {
    return [
      this.kind,
      this.state,
      this.timeoutClass,
      this.rule,
      this.clientIp,
      this.clientPort,
      this.transitIp,
      this.transitPort,
      this.targetIp,
      this.targetPort,
      this.gatewayPort,
      this.lastSeen,
      this.id,
      this.prev,
      this.next,
      this.originalHash,
      this.replyHash,
    ] as const;
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
      this.#freeHead = this.next[s] as number;
      return s;
    }
    if (this.#top === this.#slots) this.#grow();
    return this.#top++;
  }

  #grow(): void {
    const slots = Math.min(this.#slots * 2, Math.max(this.#slots + 1, Math.min(this.capacity, MAX_SLOTS)));
    if (slots <= this.#slots) throw new RangeError(`the session table cannot grow past ${this.#slots} slots`);
    const widen = <T extends Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array>(
      old: T,
    ): T => {
      const grown = new (old.constructor as new (n: number) => T)(slots);
      grown.set(old);
      return grown;
    };
    this.kind = widen(this.kind);
    this.state = widen(this.state);
    this.timeoutClass = widen(this.timeoutClass);
    this.rule = widen(this.rule);
    this.clientIp = widen(this.clientIp);
    this.clientPort = widen(this.clientPort);
    this.transitIp = widen(this.transitIp);
    this.transitPort = widen(this.transitPort);
    this.targetIp = widen(this.targetIp);
    this.targetPort = widen(this.targetPort);
    this.gatewayPort = widen(this.gatewayPort);
    this.lastSeen = widen(this.lastSeen);
    this.id = widen(this.id);
    this.prev = widen(this.prev);
    this.next = widen(this.next);
    this.originalHash = widen(this.originalHash);
    this.replyHash = widen(this.replyHash);
    this.#slots = slots;
    const indexSize = powerOfTwoAtLeast(2 * slots);
    if (indexSize - 1 !== this.indexMask) {
      this.originalIndex = new Int32Array(indexSize).fill(NONE);
      this.replyIndex = new Int32Array(indexSize).fill(NONE);
      this.indexMask = indexSize - 1;
      for (let s = 0; s < this.#top; s++) {
        if (this.state[s] === STATE_FREE) continue;
        SessionTable.#place(this.originalIndex, this.indexMask, this.originalHash[s] as number, s);
        SessionTable.#place(this.replyIndex, this.indexMask, this.replyHash[s] as number, s);
      }
    }
  }

  #append(s: number, cls: number): void {
    const tail = this.listTail[cls] as number;
    this.prev[s] = tail;
    this.next[s] = NONE;
    if (tail === NONE) this.listHead[cls] = s;
    else this.next[tail] = s;
    this.listTail[cls] = s;
  }

  #unlink(s: number, cls: number): void {
    const before = this.prev[s] as number;
    const after = this.next[s] as number;
    if (before === NONE) this.listHead[cls] = after;
    else this.next[before] = after;
    if (after === NONE) this.listTail[cls] = before;
    else this.prev[after] = before;
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
  static #unplace(index: Int32Array, mask: number, hashes: Int32Array, s: number): void {
    let i = (hashes[s] as number) & mask;
    while (index[i] !== s) {
      if (index[i] === NONE) throw new Error(`session slot ${s} is missing from its index`);
      i = (i + 1) & mask;
    }
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const t = index[j] as number;
      if (t === NONE) break;
      const k = (hashes[t] as number) & mask;
      const stays = i <= j ? i < k && k <= j : i < k || k <= j;
      if (stays) continue;
      index[i] = t;
      i = j;
    }
    index[i] = NONE;
  }
}
