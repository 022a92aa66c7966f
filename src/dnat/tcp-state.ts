/**
 * Connection-tracking states and their transitions, as small integers so the session table stores one
 * byte per session.
 *
 * TCP follows the shape of Linux conntrack's state table, reduced to what a NAT needs to pick a
 * timeout and to know when a flow is over:
 *
 *     (none) --syn--> SYN_SENT --reply syn+ack--> SYN_RECEIVED --ack--> ESTABLISHED
 *     (none) --ack / data--> ESTABLISHED          ("loose" pickup of a flow already under way, as
 *                                                  nf_conntrack_tcp_loose=1; also what a packet written
 *                                                  without flags means)
 *     ESTABLISHED --fin (either side)--> FIN_WAIT --fin (other side)--> TIME_WAIT
 *     any --rst--> CLOSED
 *     TIME_WAIT | CLOSED --syn--> SYN_SENT        (the client reuses the tuple for a new connection)
 *
 * A packet that cannot open a flow — a FIN, an RST or a SYN+ACK with no session — opens none (Linux
 * marks it INVALID). UDP has no handshake: a flow is UNREPLIED until the target answers, then REPLIED.
 *
 * The state byte keeps the state in its low nibble and which sides have sent a FIN in bits 4–5, so
 * FIN_WAIT knows whether the next FIN closes the other half.
 */
import type { TcpFlag } from '../net/packet.ts';

export const SYN = 1;
export const ACK = 2;
export const FIN = 4;
export const RST = 8;

export const STATE_FREE = 0;
export const SYN_SENT = 1;
export const SYN_RECEIVED = 2;
export const ESTABLISHED = 3;
export const FIN_WAIT = 4;
export const TIME_WAIT = 5;
export const CLOSED = 6;
export const UDP_UNREPLIED = 7;
export const UDP_REPLIED = 8;

const STATE_MASK = 0x0f;
const FIN_FROM_CLIENT = 0x10;
const FIN_FROM_TARGET = 0x20;

/** State code (low nibble) → name, as sessions report it. */
export const STATE_NAMES: readonly string[] = [
  'FREE',
  'SYN_SENT',
  'SYN_RECEIVED',
  'ESTABLISHED',
  'FIN_WAIT',
  'TIME_WAIT',
  'CLOSED',
  'UNREPLIED',
  'REPLIED',
];

export function stateName(state: number): string {
  return STATE_NAMES[state & STATE_MASK] ?? 'UNKNOWN';
}

/** Timeout classes: each has one idle timeout, so a class's LRU list is also its expiry order. */
export const CLASS_TCP_ESTABLISHED = 0;
export const CLASS_TCP_TRANSITORY = 1;
export const CLASS_UDP = 2;

export function timeoutClassOf(state: number): number {
  const code = state & STATE_MASK;
  if (code === ESTABLISHED) return CLASS_TCP_ESTABLISHED;
  if (code === UDP_UNREPLIED || code === UDP_REPLIED) return CLASS_UDP;
  return CLASS_TCP_TRANSITORY;
}

/** Flag names → bit mask. An absent list is 0 (treated as a data segment). */
export function tcpFlagBits(flags: readonly TcpFlag[] | undefined): number {
  if (flags === undefined) return 0;
  let bits = 0;
  for (let i = 0; i < flags.length; i++) {
    const flag = flags[i];
    bits |= flag === 'syn' ? SYN : flag === 'ack' ? ACK : flag === 'fin' ? FIN : flag === 'rst' ? RST : 0;
  }
  return bits;
}

/** The state a TCP flow opens in, or -1 when this packet cannot open one. */
export function initialTcpState(flags: number): number {
  if ((flags & (RST | FIN)) !== 0) return -1;
  if ((flags & SYN) !== 0) return (flags & ACK) !== 0 ? -1 : SYN_SENT;
  return ESTABLISHED;
}

/**
 * The state after a packet of an existing TCP flow. `fromTarget` is true for replies.
 *
 * @example nextTcpState(SYN_SENT, true, SYN | ACK) === SYN_RECEIVED
 */
export function nextTcpState(state: number, fromTarget: boolean, flags: number): number {
  const code = state & STATE_MASK;
  if ((flags & RST) !== 0) return CLOSED;
  if ((flags & SYN) !== 0) {
    const isAck = (flags & ACK) !== 0;
    if (!fromTarget && !isAck) return code === TIME_WAIT || code === CLOSED ? SYN_SENT : state;
    if (fromTarget && isAck && code === SYN_SENT) return SYN_RECEIVED;
    return state;
  }
  if ((flags & FIN) !== 0) {
    if (code === CLOSED) return state;
    const fins =
      (state & (FIN_FROM_CLIENT | FIN_FROM_TARGET)) | (fromTarget ? FIN_FROM_TARGET : FIN_FROM_CLIENT);
    return (fins === (FIN_FROM_CLIENT | FIN_FROM_TARGET) ? TIME_WAIT : FIN_WAIT) | fins;
  }
  if (code === SYN_RECEIVED && !fromTarget) return ESTABLISHED;
  if (code === SYN_SENT && fromTarget) return ESTABLISHED;
  return state;
}

/** The state after a packet of an existing UDP flow. */
export function nextUdpState(state: number, fromTarget: boolean): number {
  return fromTarget ? UDP_REPLIED : state;
}
