/**
 * A transit IP as a real TCP/UDP forwarder on the transit IP's loopback address. For every new flow it
 * asks the DNAT engine of each gateway with rules on this transit IP (`DnatGateway.process`, direction
 * `inbound`); on TRANSLATED it opens the flow FROM the gateway's downlink loopback address TO the
 * loopback address and bound port of the translated destination, in the gateway's VPC — so the target
 * sees the gateway as the source, exactly as the engine's full NAT says. Replies come back through the
 * same forwarder (the TCP pipe, the UDP flow's upstream socket). Any other verdict refuses the flow: a
 * TCP client is reset, a datagram dropped.
 *
 * The engine keeps one session table per gateway for as long as the data plane runs: a TCP flow's
 * handshake and close are reported to it (SYN, SYN+ACK, ACK, RST) so its sessions mirror the sockets.
 */
import { createSocket } from 'node:dgram';
import { createServer as createTcpServer, type Socket } from 'node:net';
import type { DnatResult } from '../dnat/index.ts';
import { formatIpv4, type Ipv4, tryParseIpv4 } from '../net/ipv4.ts';
import type { Packet, Protocol, TcpFlag } from '../net/packet.ts';
import type { Port } from '../net/ports.ts';
import {
  type DataPlaneContext,
  type EndpointSpec,
  type GatewayEngine,
  type RunningEndpoint,
  serveTcp,
  serveUdp,
} from './context.ts';
import { connectTcp } from './guard.ts';
import { pipeTcp, UdpRelay } from './load-balancer.ts';

interface Translation {
  engine: GatewayEngine;
  result: DnatResult & { translated: Packet };
  target: { host: string; port: number; localAddress: string };
}

/** Asks the gateways' engines for a new flow; the first TRANSLATED wins. */
function translate(
  ctx: DataPlaneContext,
  spec: EndpointSpec,
  transport: Protocol,
  peer: { address: string | undefined; port: number | undefined },
): Translation | undefined {
  const virtual = ctx.addresses.reverse(peer.address);
  if (virtual && virtual.vpcId !== spec.vpcId) return undefined; // no route from another VPC
  if (!virtual && !ctx.trustHost) return undefined;
  const srcIp = tryParseIpv4(virtual?.ip ?? peer.address ?? '');
  if (srcIp === undefined) return undefined;
  const packet: Packet = {
    protocol: transport,
    src: { ip: srcIp, port: (peer.port ?? 1) as Port },
    dst: { ip: tryParseIpv4(spec.ip) as Ipv4, port: spec.port as Port },
    ...(transport === 'tcp' ? { tcpFlags: ['syn'] as TcpFlag[] } : {}),
  };
  for (const engine of ctx.gatewaysOf(spec.resourceId)) {
    const result = engine.engine.process(packet, 'inbound');
    if (result.verdict !== 'TRANSLATED' || !result.translated) continue;
    const translated = result.translated;
    const gateway = engine.gateway;
    const targetIp = formatIpv4(translated.dst.ip);
    const host = ctx.addresses.lookup(gateway.vpcId, targetIp);
    const port = ctx.realPort(gateway.vpcId, targetIp, transport, translated.dst.port);
    const localAddress = ctx.addresses.lookup(gateway.vpcId, gateway.downlinkIp);
    if (!host || port === undefined || !localAddress) {
      // Nothing listens behind the rule: the flow dies like a SYN answered by RST.
      report(engine, translated, 'reply', ['rst']);
      return undefined;
    }
    return { engine, result: { ...result, translated }, target: { host, port, localAddress } };
  }
  return undefined;
}

/** Feeds a packet of an existing flow to the engine, so its session follows the sockets. */
function report(
  engine: GatewayEngine,
  translated: Packet,
  direction: 'inbound' | 'reply',
  flags: TcpFlag[],
): void {
  if (direction === 'reply') {
    engine.engine.process(
      { protocol: translated.protocol, src: translated.dst, dst: translated.src, tcpFlags: flags },
      'reply',
    );
  }
}

export async function startForwarder(
  ctx: DataPlaneContext,
  spec: EndpointSpec,
  loopback: string,
): Promise<RunningEndpoint> {
  return spec.transport === 'udp'
    ? startUdpForwarder(ctx, spec, loopback)
    : startTcpForwarder(ctx, spec, loopback);
}

async function startTcpForwarder(
  ctx: DataPlaneContext,
  spec: EndpointSpec,
  loopback: string,
): Promise<RunningEndpoint> {
  const server = createTcpServer((client: Socket) => {
    ctx.track(client);
    client.once('close', () => ctx.untrack(client));
    client.on('error', () => client.destroy());
    const flow = translate(ctx, spec, 'tcp', { address: client.remoteAddress, port: client.remotePort });
    if (!flow) {
      client.resetAndDestroy();
      return;
    }
    const { translated } = flow.result;
    pipeTcp(ctx, client, connectTcp(flow.target), {
      onConnect: () => report(flow.engine, translated, 'reply', ['syn', 'ack']),
      onClose: () => report(flow.engine, translated, 'reply', ['rst']),
    });
  });
  return serveTcp(ctx, server, spec, loopback);
}

async function startUdpForwarder(
  ctx: DataPlaneContext,
  spec: EndpointSpec,
  loopback: string,
): Promise<RunningEndpoint> {
  const socket = createSocket('udp4');
  const relay = new UdpRelay(ctx);
  socket.on('error', () => undefined);
  socket.on('message', (message, peer) => {
    let flow: Translation | undefined;
    relay.forward(
      socket,
      peer,
      message,
      () => {
        flow = translate(ctx, spec, 'udp', { address: peer.address, port: peer.port });
        return flow?.target;
      },
      () => {
        if (!flow) return true;
        const t = flow.result.translated;
        const reply = flow.engine.engine.process({ protocol: 'udp', src: t.dst, dst: t.src }, 'reply');
        return reply.verdict === 'TRANSLATED';
      },
    );
  });
  return serveUdp(ctx, socket, spec, loopback, () => relay.close());
}
