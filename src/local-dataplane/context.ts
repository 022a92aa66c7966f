/**
 * What the data plane's endpoints share: the current topology (swapped whole by `sync`, read at every
 * new connection, so a changed security group or listener applies to the next flow without a restart),
 * the loopback map in both directions, the ports endpoints actually bound, the gateways' DNAT engines and
 * the listeners' member health. Endpoints never hold resources; they hold keys into this.
 */
import type { Socket as UdpSocket } from 'node:dgram';
import type { Server as NetServer, Socket } from 'node:net';
import type { BackendMember, PrivateNatGateway, Server } from '../cloud/resources.ts';
import type { DnatGateway } from '../dnat/index.ts';
import { tryParseIpv4 } from '../net/ipv4.ts';
import type { Protocol } from '../net/packet.ts';
import type { Topology } from '../probe/model.ts';
import { securityGroupAllows } from '../probe/policy.ts';
import type { LoopbackAllocator, VirtualAddress } from './addresses.ts';
import { type BindPolicy, bindUdp, listenTcp } from './guard.ts';

export type EndpointKind = 'server-app' | 'listener' | 'transit-ip';

export interface EndpointSpec {
  /** Identity across syncs: an endpoint whose key survives a sync keeps running. */
  key: string;
  kind: EndpointKind;
  vpcId: string;
  ip: string;
  transport: Protocol;
  port: number;
  /** What it speaks: an app's `http|tcp|udp`, a listener's `HTTP|TCP|UDP`, a forwarder's transport. */
  protocol: string;
  /** The server, listener or transit IP it realises. */
  resourceId: string;
  name: string;
}

export interface RunningEndpoint {
  spec: EndpointSpec;
  loopback: string;
  realPort: number;
  close(): Promise<void>;
}

/** Who answered a probe's token: the server application that saw it, and the source it saw. */
export interface Answer {
  server: string;
  seenSource: string;
}

export interface GatewayEngine {
  gateway: PrivateNatGateway;
  engine: DnatGateway;
}

export interface DataPlaneContext {
  readonly topology: Topology;
  readonly addresses: LoopbackAllocator;
  readonly bindPolicy: BindPolicy;
  readonly timeoutMs: number;
  /** Admit clients that are no virtual host (an operator's `curl` from 127.0.0.1). */
  readonly trustHost: boolean;
  realPort(vpcId: string, ip: string, transport: Protocol, port: number): number | undefined;
  recordAnswer(token: string, answer: Answer): void;
  /** The DNAT engines of the gateways with rules on a transit IP. */
  gatewaysOf(transitIpId: string): readonly GatewayEngine[];
  /** The members of a listener's group that passed their last health check, in round-robin order. */
  healthyMembers(loadBalancerId: string, backendGroupId: string): readonly BackendMember[];
  /** Sockets to destroy on close. */
  track(socket: Socket | UdpSocket | NetServer): void;
  untrack(socket: Socket | UdpSocket | NetServer): void;
}

/** A probe's token, as clients embed it (`/?natflow-probe=…`, or in a TCP or UDP payload). */
export const TOKEN_PATTERN = /natflow-probe=([A-Za-z0-9_-]{1,64})/;

/** The virtual source of a peer, `ip:port` as the receiving virtual host sees it. */
export function seenSourceOf(
  ctx: DataPlaneContext,
  address: string | undefined,
  port: number | undefined,
): {
  virtual: VirtualAddress | undefined;
  text: string;
} {
  const virtual = ctx.addresses.reverse(address);
  return { virtual, text: `${virtual?.ip ?? address ?? '?'}:${port ?? 0}` };
}

/**
 * The receiving side of a security group: whether `server` admits a peer at `address` on
 * (transport, port). Sources from another VPC never arrive (there is no route); an unknown loopback
 * peer is the host's operator, admitted when the data plane trusts the host.
 */
export function securityGroupAdmits(
  ctx: DataPlaneContext,
  server: Server,
  transport: Protocol,
  port: number,
  address: string | undefined,
): boolean {
  const virtual = ctx.addresses.reverse(address);
  if (!virtual) return ctx.trustHost;
  if (virtual.vpcId !== server.vpcId) return false;
  const ip = tryParseIpv4(virtual.ip);
  return ip !== undefined && securityGroupAllows(ctx.topology, server, transport, port, ip).allowed;
}

/**
 * Binds a TCP (or HTTP) server of an endpoint on its loopback address, tracked so `close` of the data
 * plane destroys it; the returned endpoint's `close` ends its connections and the listener.
 */
export async function serveTcp(
  ctx: DataPlaneContext,
  server: NetServer,
  spec: EndpointSpec,
  loopback: string,
): Promise<RunningEndpoint> {
  ctx.track(server);
  const realPort = await listenTcp(server, loopback, spec.port, ctx.bindPolicy);
  return {
    spec,
    loopback,
    realPort,
    close: () =>
      new Promise<void>((resolve) => {
        ctx.untrack(server);
        if ('closeAllConnections' in server && typeof server.closeAllConnections === 'function') {
          server.closeAllConnections();
        }
        server.close(() => resolve());
      }),
  };
}

/** Binds a UDP socket of an endpoint on its loopback address; `beforeClose` stops what it relays. */
export async function serveUdp(
  ctx: DataPlaneContext,
  socket: UdpSocket,
  spec: EndpointSpec,
  loopback: string,
  beforeClose: () => void = () => undefined,
): Promise<RunningEndpoint> {
  ctx.track(socket);
  const realPort = await bindUdp(socket, loopback, spec.port, ctx.bindPolicy);
  return {
    spec,
    loopback,
    realPort,
    close: async () => {
      beforeClose();
      ctx.untrack(socket);
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}
