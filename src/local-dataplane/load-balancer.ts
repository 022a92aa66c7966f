/**
 * Load balancer listeners as real proxies on the load balancer's frontend loopback address, over the
 * members of the listener's backend group that passed their last health check (round robin; weighted
 * round robin repeats a member by its weight). Access control is applied to the connecting source as the
 * load balancer sees it — for traffic through a DNAT rule, the gateway's downlink address. Every
 * connection to a member (traffic and health checks) leaves FROM the load balancer's backend address, so
 * members see, and their security groups judge, that address.
 *
 * - HTTP listener: an HTTP reverse proxy; it adds `X-Forwarded-For` (the source it saw) as the product's
 *   listeners do, and answers `503` when no member is healthy, `502` when the member fails.
 * - TCP listener: a byte pipe; a connection with no healthy member is reset.
 * - UDP listener: a datagram relay with one upstream socket per client flow.
 *
 * Health checks are real requests on the group's `healthCheck` (HTTP GET path expecting 2xx/3xx, a TCP
 * exchange, a UDP echo), one round at start and then every `intervalSeconds`.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import type { BackendGroup, BackendMember, Listener, LoadBalancer } from '../cloud/resources.ts';
import { tryParseIpv4 } from '../net/ipv4.ts';
import type { Protocol } from '../net/packet.ts';
import { accessControlAllows } from '../probe/policy.ts';
import { httpGet, tcpPing, udpPing } from './client.ts';
import {
  type DataPlaneContext,
  type EndpointSpec,
  type RunningEndpoint,
  seenSourceOf,
  serveTcp,
  serveUdp,
} from './context.ts';
import { bindUdp, connectTcp, requestHttp, sendUdp } from './guard.ts';

const UDP_FLOW_IDLE_MS = 30_000;

interface ListenerView {
  listener: Listener;
  lb: LoadBalancer;
}

function viewOf(ctx: DataPlaneContext, spec: EndpointSpec): ListenerView | undefined {
  const listener = ctx.topology.find('listener', spec.resourceId);
  const lb = listener && ctx.topology.find('load-balancer', listener.loadBalancerId);
  if (!listener || !lb || lb.ip !== spec.ip || listener.port !== spec.port) return undefined;
  return { listener, lb };
}

/** Access control against the peer as the load balancer sees it. */
function admits(ctx: DataPlaneContext, view: ListenerView, address: string | undefined): boolean {
  const source = ctx.addresses.reverse(address);
  if (!source) return ctx.trustHost;
  if (source.vpcId !== view.lb.vpcId) return false;
  const ip = tryParseIpv4(source.ip);
  return ip !== undefined && accessControlAllows(view.listener, ip).allowed;
}

interface MemberAddress {
  name: string;
  host: string;
  port: number;
  localAddress: string;
}

/** Picks the next healthy member in round-robin order and where to reach it from the load balancer. */
class MemberPicker {
  #next = 0;

  pick(ctx: DataPlaneContext, view: ListenerView, transport: Protocol): MemberAddress | undefined {
    const group = ctx.topology.backendGroup(view.listener.backendGroupId);
    if (!group) return undefined;
    const healthy = expand(group, ctx.healthyMembers(view.lb.id, group.id));
    if (healthy.length === 0) return undefined;
    const member = healthy[this.#next++ % healthy.length] as BackendMember;
    return memberAddress(ctx, view.lb, member, member.port, transport);
  }
}

function expand(group: BackendGroup, members: readonly BackendMember[]): readonly BackendMember[] {
  if (group.algorithm !== 'weighted-round-robin') return members;
  return members.flatMap((m) => Array.from({ length: Math.min(Math.max(m.weight, 0), 100) }, () => m));
}

function memberAddress(
  ctx: DataPlaneContext,
  lb: LoadBalancer,
  member: BackendMember,
  port: number,
  transport: Protocol,
): MemberAddress | undefined {
  const server = ctx.topology.find('server', member.serverId);
  if (!server || server.vpcId !== lb.vpcId) return undefined;
  const host = ctx.addresses.lookup(server.vpcId, server.ip);
  const localAddress = ctx.addresses.lookup(lb.vpcId, lb.backendIp);
  const realPort = ctx.realPort(server.vpcId, server.ip, transport, port);
  if (!host || !localAddress || realPort === undefined) return undefined;
  return { name: server.name, host, port: realPort, localAddress };
}

export async function startListener(
  ctx: DataPlaneContext,
  spec: EndpointSpec,
  loopback: string,
): Promise<RunningEndpoint> {
  if (spec.protocol === 'UDP') return startUdpListener(ctx, spec, loopback);
  const picker = new MemberPicker();
  const server =
    spec.protocol === 'HTTP'
      ? createHttpServer({ keepAliveTimeout: 2000 }, (req, res) => proxyHttp(ctx, spec, picker, req, res))
      : createTcpServer((socket) => proxyTcp(ctx, spec, picker, socket));
  server.prependListener('connection', (socket: Socket) => {
    ctx.track(socket);
    socket.once('close', () => ctx.untrack(socket));
    socket.on('error', () => socket.destroy());
    const view = viewOf(ctx, spec);
    if (!view || !admits(ctx, view, socket.remoteAddress)) socket.resetAndDestroy();
  });
  return serveTcp(ctx, server, spec, loopback);
}

function proxyHttp(
  ctx: DataPlaneContext,
  spec: EndpointSpec,
  picker: MemberPicker,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const view = viewOf(ctx, spec);
  const seen = seenSourceOf(ctx, req.socket.remoteAddress, req.socket.remotePort).text;
  const lbHeaders = { 'X-Natflow-Lb': view?.lb.name ?? spec.name, 'X-Natflow-Lb-Seen-Source': seen };
  const member = view && picker.pick(ctx, view, 'tcp');
  if (!member) {
    res.writeHead(503, { ...lbHeaders, 'Content-Type': 'text/plain', Connection: 'close' });
    res.end(`503 Service Unavailable: ${spec.name} has no healthy backend server\n`);
    return;
  }
  const headers = { ...req.headers, 'x-forwarded-for': seen.slice(0, seen.lastIndexOf(':')) };
  const upstream = requestHttp(
    { ...member, method: req.method, path: req.url, headers, agent: false, timeout: ctx.timeoutMs },
    (response) => {
      res.writeHead(response.statusCode ?? 502, { ...response.headers, ...lbHeaders });
      response.pipe(res);
    },
  );
  const fail = () => {
    if (!res.headersSent) {
      res.writeHead(502, { ...lbHeaders, 'Content-Type': 'text/plain', Connection: 'close' });
      res.end(`502 Bad Gateway: ${member.name} did not answer\n`);
    } else res.destroy();
  };
  upstream.on('error', fail);
  upstream.on('timeout', () => upstream.destroy(new Error('timeout')));
  req.pipe(upstream);
}

function proxyTcp(ctx: DataPlaneContext, spec: EndpointSpec, picker: MemberPicker, client: Socket): void {
  if (client.destroyed) return;
  const view = viewOf(ctx, spec);
  const member = view && picker.pick(ctx, view, 'tcp');
  if (!member) {
    client.resetAndDestroy();
    return;
  }
  pipeTcp(ctx, client, connectTcp(member));
}

/** Joins two TCP sockets; a failure before the upstream connects resets the client. */
export function pipeTcp(
  ctx: DataPlaneContext,
  client: Socket,
  upstream: Socket,
  hooks: { onConnect?: () => void; onClose?: () => void } = {},
): void {
  ctx.track(upstream);
  let connected = false;
  client.pause();
  upstream.once('connect', () => {
    connected = true;
    hooks.onConnect?.();
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
  });
  const closeBoth = () => {
    if (!connected && !client.destroyed) client.resetAndDestroy();
    upstream.destroy();
    client.destroy();
  };
  upstream.on('error', closeBoth);
  client.on('error', closeBoth);
  upstream.once('close', (hadError) => {
    ctx.untrack(upstream);
    hooks.onClose?.();
    if (hadError || !connected) closeBoth();
  });
  client.once('close', () => upstream.destroy());
}

async function startUdpListener(
  ctx: DataPlaneContext,
  spec: EndpointSpec,
  loopback: string,
): Promise<RunningEndpoint> {
  const socket = createSocket('udp4');
  const picker = new MemberPicker();
  const relay = new UdpRelay(ctx);
  socket.on('error', () => undefined);
  socket.on('message', (message, peer) => {
    const view = viewOf(ctx, spec);
    if (!view || !admits(ctx, view, peer.address)) return;
    relay.forward(socket, peer, message, () => picker.pick(ctx, view, 'udp'));
  });
  return serveUdp(ctx, socket, spec, loopback, () => relay.close());
}

interface UdpFlow {
  upstream: UdpSocket;
  target: { host: string; port: number };
  timer: NodeJS.Timeout;
}

/**
 * One upstream socket per client flow, bound to the relay's source address; replies go back to the
 * client from the listening socket. Idle flows close after 30 s.
 */
export class UdpRelay {
  readonly #flows = new Map<string, UdpFlow>();
  readonly #ctx: DataPlaneContext;

  constructor(ctx: DataPlaneContext) {
    this.#ctx = ctx;
  }

  forward(
    front: UdpSocket,
    peer: { address: string; port: number },
    message: Buffer,
    open: () => { host: string; port: number; localAddress: string } | undefined,
    onReply?: (message: Buffer) => boolean,
  ): void {
    const key = `${peer.address}:${peer.port}`;
    const flow = this.#flows.get(key);
    if (flow) {
      flow.timer.refresh();
      sendUdp(flow.upstream, message, flow.target.host, flow.target.port);
      return;
    }
    const target = open();
    if (!target) return;
    const upstream = createSocket('udp4');
    upstream.on('error', () => undefined);
    const timer = setTimeout(() => this.#drop(key), UDP_FLOW_IDLE_MS).unref();
    const created: UdpFlow = { upstream, target, timer };
    this.#flows.set(key, created);
    this.#ctx.track(upstream);
    upstream.on('message', (reply) => {
      timer.refresh();
      if (onReply && !onReply(reply)) return;
      sendUdp(front, reply, peer.address, peer.port);
    });
    bindUdp(upstream, target.localAddress, 0).then(
      () => sendUdp(upstream, message, target.host, target.port),
      () => this.#drop(key),
    );
  }

  #drop(key: string): void {
    const flow = this.#flows.get(key);
    if (!flow) return;
    this.#flows.delete(key);
    clearTimeout(flow.timer);
    this.#ctx.untrack(flow.upstream);
    try {
      flow.upstream.close();
    } catch {
      // already closed
    }
  }

  close(): void {
    for (const key of [...this.#flows.keys()]) this.#drop(key);
  }
}

/** A load balancer's health checks of one backend group's members. */
export class HealthChecker {
  readonly lbId: string;
  readonly groupId: string;
  readonly signature: string;
  readonly #ctx: DataPlaneContext;
  readonly #healthy = new Map<string, boolean>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(ctx: DataPlaneContext, lbId: string, groupId: string, signature: string) {
    this.#ctx = ctx;
    this.lbId = lbId;
    this.groupId = groupId;
    this.signature = signature;
  }

  /** Runs one round now, then every interval. */
  async start(): Promise<void> {
    await this.runOnce();
    const group = this.#ctx.topology.backendGroup(this.groupId);
    const interval = Math.max(1, group?.healthCheck.intervalSeconds ?? 5) * 1000;
    this.#timer = setInterval(() => void this.runOnce(), interval).unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** One round of checks over every member (a round already running is awaited instead). */
  runOnce(): Promise<void> {
    this.#running ??= this.#round().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** Every member with its last health check: true, false, or null before the first check. */
  memberHealth(): { serverId: string; port: number; healthy: boolean | null }[] {
    const group = this.#ctx.topology.backendGroup(this.groupId);
    return (group?.members ?? []).map((m) => ({
      serverId: m.serverId,
      port: m.port,
      healthy: this.#healthy.get(memberKey(m)) ?? null,
    }));
  }

  healthyMembers(): BackendMember[] {
    const group = this.#ctx.topology.backendGroup(this.groupId);
    return (group?.members ?? []).filter((m) => this.#healthy.get(memberKey(m)) === true);
  }

  async #round(): Promise<void> {
    const ctx = this.#ctx;
    const group = ctx.topology.backendGroup(this.groupId);
    const lb = ctx.topology.find('load-balancer', this.lbId);
    if (!group || !lb) return;
    await Promise.all(
      group.members.map(async (member) => {
        this.#healthy.set(memberKey(member), await this.#check(lb, group, member));
      }),
    );
  }

  async #check(lb: LoadBalancer, group: BackendGroup, member: BackendMember): Promise<boolean> {
    const check = group.healthCheck;
    const transport: Protocol = check.protocol === 'UDP' ? 'udp' : 'tcp';
    const target = memberAddress(this.#ctx, lb, member, check.port, transport);
    if (!target) return false;
    const timeoutMs = Math.min(this.#ctx.timeoutMs, 1000);
    if (check.protocol === 'HTTP') {
      const outcome = await httpGet({ ...target, path: check.path ?? '/', timeoutMs });
      return typeof outcome.status === 'number' && outcome.status >= 200 && outcome.status < 400;
    }
    if (check.protocol === 'TCP') return (await tcpPing({ ...target, timeoutMs })).status === 'connected';
    return (await udpPing({ ...target, timeoutMs })).status === 'echoed';
  }
}

function memberKey(member: BackendMember): string {
  return `${member.serverId}:${member.port}`;
}
