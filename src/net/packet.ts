/**
 * Endpoints, 5-tuples and packets — the vocabulary of the DNAT engine and the probe.
 *
 * A `FiveTuple` is a plain comparable value with a `reply` that swaps its ends, as gVisor's conntrack
 * tuples do: the reply of the reply is the original. Packets are written the way tcpdump prints them,
 * `tcp 192.168.0.10:40000 > 192.168.0.144:80 [syn]`, which is also the CLI's packet syntax.
 */
import { NatflowError } from './errors.ts';
import { formatIpv4, type Ipv4, tryParseIpv4 } from './ipv4.ts';
import { isPort, type Port } from './ports.ts';

export type Protocol = 'tcp' | 'udp';
export const PROTOCOLS: readonly Protocol[] = ['tcp', 'udp'];

export type TcpFlag = 'syn' | 'ack' | 'fin' | 'rst';
export const TCP_FLAGS: readonly TcpFlag[] = ['syn', 'ack', 'fin', 'rst'];

export interface Endpoint {
  readonly ip: Ipv4;
  readonly port: Port;
}

export interface FiveTuple {
  readonly protocol: Protocol;
  readonly src: Endpoint;
  readonly dst: Endpoint;
}

export interface Packet extends FiveTuple {
  readonly tcpFlags?: readonly TcpFlag[];
}

/** A packet, its syntax or one of its fields is malformed. */
export class InvalidPacketError extends NatflowError {
  override name = 'INVALID_PACKET';
}

export function isProtocol(value: unknown): value is Protocol {
  return value === 'tcp' || value === 'udp';
}

/** The tuple seen from the other end. `replyOf(replyOf(t))` equals `t`. */
export function replyOf(tuple: FiveTuple): FiveTuple {
  return { protocol: tuple.protocol, src: tuple.dst, dst: tuple.src };
}

export function formatEndpoint(endpoint: Endpoint): string {
  return `${formatIpv4(endpoint.ip)}:${endpoint.port}`;
}

/**
 * Parses `ip:port`, or returns `undefined`.
 *
 * @example tryParseEndpoint('192.168.0.144:80') // { ip: 3232235664, port: 80 }
 */
export function tryParseEndpoint(text: string): Endpoint | undefined {
  if (typeof text !== 'string') return undefined;
  const colon = text.lastIndexOf(':');
  if (colon < 0) return undefined;
  const ip = tryParseIpv4(text.slice(0, colon));
  const portText = text.slice(colon + 1);
  const port = /^[0-9]{1,5}$/.test(portText) ? Number(portText) : Number.NaN;
  if (ip === undefined || !isPort(port)) return undefined;
  return { ip, port };
}

/** Parses `ip:port` or throws `INVALID_PACKET` naming the field. */
export function parseEndpoint(text: string, field = 'endpoint'): Endpoint {
  const endpoint = tryParseEndpoint(text);
  if (endpoint === undefined) {
    throw new InvalidPacketError(
      `${field} '${String(text)}' is not ip:port (an IPv4 address and a port 1–65535)`,
      {
        path: field,
      },
    );
  }
  return endpoint;
}

export function formatTuple(tuple: FiveTuple): string {
  return `${tuple.protocol} ${formatEndpoint(tuple.src)} > ${formatEndpoint(tuple.dst)}`;
}

export function formatPacket(packet: Packet): string {
  const flags = packet.tcpFlags?.length ? ` [${packet.tcpFlags.join(',')}]` : '';
  return `${formatTuple(packet)}${flags}`;
}

const PACKET_TEXT = /^\s*(\S+)\s+(\S+)\s*>\s*(\S+)\s*(?:\[([a-z,\s]*)\])?\s*$/i;

/**
 * Parses the CLI packet syntax `PROTO SRC > DST [flags]`; throws `INVALID_PACKET` naming what is wrong.
 *
 * @example parsePacketText('tcp 192.168.0.10:40000 > 192.168.0.144:80 [syn]').tcpFlags // ['syn']
 */
export function parsePacketText(text: string): Packet {
  const match = PACKET_TEXT.exec(text);
  if (!match) {
    throw new InvalidPacketError(
      `'${text}' is not a packet: write 'tcp 192.168.0.10:40000 > 192.168.0.144:80 [syn]'`,
    );
  }
  const [, protocolText = '', srcText = '', dstText = '', flagsText] = match;
  const protocol = protocolText.toLowerCase();
  if (!isProtocol(protocol)) {
    throw new InvalidPacketError(`protocol '${protocolText}' is not tcp or udp`, { path: 'protocol' });
  }
  return {
    protocol,
    src: parseEndpoint(srcText, 'src'),
    dst: parseEndpoint(dstText, 'dst'),
    ...(flagsText === undefined ? {} : { tcpFlags: parseTcpFlags(flagsText.split(',')) }),
  };
}

export function parseTcpFlags(flags: readonly string[]): TcpFlag[] {
  const parsed: TcpFlag[] = [];
  for (const raw of flags) {
    const flag = raw.trim().toLowerCase();
    if (flag === '') continue;
    if (!(TCP_FLAGS as readonly string[]).includes(flag)) {
      throw new InvalidPacketError(`TCP flag '${raw}' is not one of ${TCP_FLAGS.join(', ')}`, {
        path: 'tcpFlags',
      });
    }
    parsed.push(flag as TcpFlag);
  }
  return parsed;
}
