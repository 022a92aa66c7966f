/**
 * The expected translation of each DNAT rule of a plan, computed by the DNAT engine itself: a client of
 * the transit VPC sends one packet to the transit IP and port, and the target replies. This is what the
 * provision workflow's EvaluateTranslation state records, and what `natflow up` prints:
 *
 *     tcp 192.168.0.10:40000 > 192.168.0.144:80   becomes   tcp 10.0.0.9:1024 > 10.0.0.7:80
 *     reply tcp 10.0.0.7:80 > 10.0.0.9:1024       becomes   tcp 192.168.0.144:80 > 192.168.0.10:40000
 *
 * The client is the plan's first server in the transit IP's VPC (a sample address in the transit
 * subnet when the VPC has none); an all-ports rule is shown on the port of the plan's first verify entry
 * for that transit IP, else 80.
 */
import type { DnatRule, PrivateNatGateway, Resource, Server, Subnet, TransitIp } from '../cloud/resources.ts';
import type { StoreReader } from '../cloud/store.ts';
import { compileRuleIndex, DnatGateway } from '../dnat/index.ts';
import { ManualClock } from '../net/clock.ts';
import { cidrNth, formatIpv4, parseCidr, parseIpv4 } from '../net/ipv4.ts';
import { formatEndpoint, formatTuple, type Packet, replyOf } from '../net/packet.ts';
import type { Port } from '../net/ports.ts';

export interface ExpectedTranslation {
  rule: string;
  ruleId: string;
  gateway: string;
  packet: string;
  verdict: string;
  translated?: { src: string; dst: string };
  reply?: { packet: string; verdict: string; translated?: { src: string; dst: string } };
}

const CLIENT_PORT = 40000 as Port;

export async function expectedTranslations(store: StoreReader, plan: string): Promise<ExpectedTranslation[]> {
  const rules = (await store.list({ plan, type: 'dnat-rule' })) as DnatRule[];
  const record = await store.getPlan(plan);
  const verifyPorts = verifyPortsOf(record?.document);
  const results: ExpectedTranslation[] = [];
  for (const rule of rules) {
    const gateway = (await store.get(rule.gatewayId)) as PrivateNatGateway | undefined;
    const transitIp = (await store.get(rule.transitIpId)) as TransitIp | undefined;
    if (!gateway || !transitIp) continue;
    const gatewayRules = ((await store.referrers(gateway.id)) as Resource[]).filter(
      (r): r is DnatRule => r.type === 'dnat-rule',
    );
    const client = await clientAddress(store, plan, transitIp);
    const port = rule.protocol === 'any' ? (verifyPorts.get(transitIp.name) ?? 80) : rule.transitPort;
    const engine = new DnatGateway(compileRuleIndex(gateway, gatewayRules), { clock: new ManualClock(0) });
    const packet: Packet = {
      protocol: rule.protocol === 'udp' ? 'udp' : 'tcp',
      src: { ip: parseIpv4(client), port: CLIENT_PORT },
      dst: { ip: parseIpv4(transitIp.ip), port: port as Port },
      ...(rule.protocol === 'udp' ? {} : { tcpFlags: ['syn'] as const }),
    };
    const inbound = engine.process(packet, 'inbound');
    const entry: ExpectedTranslation = {
      rule: rule.name,
      ruleId: rule.id,
      gateway: gateway.name,
      packet: formatTuple(packet),
      verdict: inbound.verdict,
    };
    if (inbound.translated) {
      entry.translated = {
        src: formatEndpoint(inbound.translated.src),
        dst: formatEndpoint(inbound.translated.dst),
      };
      const replyPacket: Packet = {
        ...replyOf(inbound.translated),
        ...(packet.protocol === 'tcp' ? { tcpFlags: ['syn', 'ack'] as const } : {}),
      };
      const reply = engine.process(replyPacket, 'reply');
      entry.reply = {
        packet: formatTuple(replyPacket),
        verdict: reply.verdict,
        ...(reply.translated
          ? {
              translated: {
                src: formatEndpoint(reply.translated.src),
                dst: formatEndpoint(reply.translated.dst),
              },
            }
          : {}),
      };
    }
    results.push(entry);
  }
  return results;
}

/** The plan's first server in the transit IP's VPC, else a sample host of the transit subnet. */
async function clientAddress(store: StoreReader, plan: string, transitIp: TransitIp): Promise<string> {
  const servers = (await store.list({ plan, type: 'server' })) as Server[];
  const inVpc = servers.find((s) => s.vpcId === transitIp.vpcId);
  if (inVpc) return inVpc.ip;
  const subnet = (await store.get(transitIp.subnetId)) as Subnet | undefined;
  if (!subnet) return transitIp.ip;
  return formatIpv4(cidrNth(parseCidr(subnet.cidr), 10));
}

/** Transit IP name → the port of the plan's first verify entry to it. */
function verifyPortsOf(document: unknown): Map<string, number> {
  const ports = new Map<string, number>();
  const verify = (document as { verify?: { to?: unknown; port?: unknown }[] } | undefined)?.verify ?? [];
  for (const entry of verify) {
    if (typeof entry.to === 'string' && typeof entry.port === 'number' && !ports.has(entry.to))
      ports.set(entry.to, entry.port);
  }
  return ports;
}
