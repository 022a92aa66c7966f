/**
 * The stateless evaluation function (docs/dnat-engine.md "State"): a batch of untrusted packets evaluated in
 * order against a fresh session table, so a batch can hold a flow and its replies. What the
 * `dnat-evaluate` Lambda, `POST /dnat/evaluate` and `natflow evaluate` answer.
 *
 * Each packet is validated on its own: a malformed one (address, port, protocol, flags, shape) gets
 * INVALID_PACKET with the reason, and the rest of the batch is still answered. A packet is either an
 * object `{protocol, src: 'ip:port', dst: 'ip:port', direction?, tcpFlags?}` or a string in the CLI
 * syntax `'tcp 192.168.0.10:40000 > 192.168.0.144:80 [syn]'` (inbound).
 */
import { z } from 'zod';
import type { DnatRule, PrivateNatGateway } from '../cloud/resources.ts';
import { type Clock, systemClock } from '../net/clock.ts';
import { NatflowError } from '../net/errors.ts';
import { type Ipv4, tryParseIpv4 } from '../net/ipv4.ts';
import {
  type Endpoint,
  InvalidPacketError,
  isProtocol,
  type Packet,
  parsePacketText,
  parseTcpFlags,
  tryParseEndpoint,
} from '../net/packet.ts';
import { isPort } from '../net/ports.ts';
import { type Direction, DnatGateway, type DnatResult } from './gateway.ts';
import { compileRuleIndex } from './rule-index.ts';

const EndpointInputSchema = z.union([
  z.string(),
  z.strictObject({ ip: z.union([z.string(), z.number()]), port: z.number() }),
]);

/** One packet of an evaluate request, before its addresses are parsed. */
export const PacketInputSchema = z.strictObject({
  protocol: z.string(),
  src: EndpointInputSchema,
  dst: EndpointInputSchema,
  direction: z.enum(['inbound', 'reply']).optional(),
  /** `['syn', 'ack']` or `'syn,ack'`; TCP only. */
  tcpFlags: z.union([z.array(z.string()), z.string()]).optional(),
});
export type PacketInput = z.infer<typeof PacketInputSchema>;

export type ParsedPacket = { ok: true; packet: Packet; direction: Direction } | { ok: false; reason: string };

/**
 * Validates one untrusted packet.
 *
 * @example parsePacketInput({ protocol: 'tcp', src: '192.168.0.10:40000', dst: '192.168.0.144:80' }).ok // true
 */
export function parsePacketInput(input: unknown): ParsedPacket {
  try {
    if (typeof input === 'string') return { ok: true, packet: parsePacketText(input), direction: 'inbound' };
    const parsed = PacketInputSchema.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
      return { ok: false, reason: `${where}${issue?.message ?? 'not a packet'}` };
    }
    const { protocol: protocolText, src, dst, direction = 'inbound', tcpFlags } = parsed.data;
    const protocol = protocolText.toLowerCase();
    if (!isProtocol(protocol)) return { ok: false, reason: `protocol '${protocolText}' is not tcp or udp` };
    const source = endpointOf(src, 'src');
    const destination = endpointOf(dst, 'dst');
    if (tcpFlags !== undefined && protocol !== 'tcp') {
      return { ok: false, reason: 'tcpFlags: a udp packet has no TCP flags' };
    }
    const flags =
      tcpFlags === undefined
        ? undefined
        : parseTcpFlags(typeof tcpFlags === 'string' ? tcpFlags.split(',') : tcpFlags);
    const packet: Packet = { protocol, src: source, dst: destination, ...(flags ? { tcpFlags: flags } : {}) };
    return { ok: true, packet, direction };
  } catch (error) {
    if (error instanceof NatflowError) return { ok: false, reason: error.message };
    throw error;
  }
}

function endpointOf(value: string | { ip: string | number; port: number }, field: string): Endpoint {
  if (typeof value === 'string') {
    const endpoint = tryParseEndpoint(value);
    if (endpoint) return endpoint;
    throw new InvalidPacketError(`${field} '${value}' is not ip:port (an IPv4 address and a port 1–65535)`);
  }
  const ip =
    typeof value.ip === 'number'
      ? Number.isInteger(value.ip) && value.ip >= 0 && value.ip <= 0xffffffff
        ? (value.ip as Ipv4)
        : undefined
      : tryParseIpv4(value.ip);
  if (ip === undefined)
    throw new InvalidPacketError(`${field}.ip ${JSON.stringify(value.ip)} is not an IPv4 address`);
  if (!isPort(value.port)) throw new InvalidPacketError(`${field}.port ${value.port} is not a port 1–65535`);
  return { ip, port: value.port };
}

/**
 * Evaluates a batch in order against a fresh session table of the gateway (its spec's capacity).
 * Malformed packets get INVALID_PACKET; the others are answered.
 *
 * @example
 * evaluateBatch(gateway, rules, [
 *   { protocol: 'tcp', src: '192.168.0.10:40000', dst: '192.168.0.144:80', tcpFlags: ['syn'] },
 *   { protocol: 'tcp', src: '10.0.0.7:80', dst: '10.0.0.9:1024', direction: 'reply', tcpFlags: ['syn', 'ack'] },
 * ]).map((r) => r.verdict) // ['TRANSLATED', 'TRANSLATED']
 */
export function evaluateBatch(
  gateway: PrivateNatGateway,
  rules: readonly DnatRule[],
  packets: readonly unknown[],
  options: { clock?: Clock } = {},
): DnatResult[] {
  const engine = new DnatGateway(compileRuleIndex(gateway, rules), { clock: options.clock ?? systemClock });
  return packets.map((input) => {
    const parsed = parsePacketInput(input);
    if (!parsed.ok) return { verdict: 'INVALID_PACKET', reason: parsed.reason };
    return engine.process(parsed.packet, parsed.direction);
  });
}
