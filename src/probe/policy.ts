/**
 * The rules a packet meets on its way, as pure functions over the topology. The path analysis
 * (`analyze.ts`) and the live data plane (`src/stack/dataplane`) both decide with these, so a
 * disagreement between the two modes points at a real difference in behaviour, never at two copies of a
 * rule drifting apart.
 *
 * - Security groups are stateful and allow every egress; inbound, a packet passes when one rule of one of
 *   the server's groups matches its transport, destination port and source address.
 * - A listener's access control sees the source *as the load balancer sees it*: the gateway's downlink
 *   address for traffic that came through a DNAT rule.
 * - An application answers a probe when it listens on the port with a compatible protocol: `http` needs
 *   an HTTP server; `tcp` is satisfied by any TCP server (an HTTP server accepts a TCP connection);
 *   `udp` needs a UDP server.
 * - The HTTP application answers like `python3 -m http.server` in an empty directory: 200 with a listing
 *   at `/`, 404 for any other path — so an HTTP health check on `/health` fails, as it would for real.
 * - A backend member is healthy when the group's health check, sent from the load balancer's backend
 *   address, passes its security group and finds a compatible application on the check's port.
 */
import type {
  App,
  AppProtocol,
  BackendGroup,
  BackendMember,
  Listener,
  LoadBalancer,
  Server,
} from '../cloud/resources.ts';
import { type Cidr, cidrContainsIp, formatIpv4, type Ipv4, tryParseCidr, tryParseIpv4 } from '../net/ipv4.ts';
import type { Protocol } from '../net/packet.ts';
import type { Topology } from './model.ts';

export type ProbeProtocol = AppProtocol;

/** The transport a probe protocol travels on. */
export function transportOf(protocol: ProbeProtocol): Protocol {
  return protocol === 'udp' ? 'udp' : 'tcp';
}

export interface Decision {
  allowed: boolean;
  detail: string;
}

/**
 * Whether the server's security groups let `source` in on (transport, port).
 *
 * @example securityGroupAllows(topology, ecsB, 'tcp', 80, parseIpv4('10.0.0.9')).allowed
 */
export function securityGroupAllows(
  topology: Topology,
  server: Server,
  transport: Protocol,
  port: number,
  source: Ipv4,
): Decision {
  const groups = topology.securityGroupsOf(server);
  for (const group of groups) {
    for (const rule of topology.securityRules(group)) {
      if (rule.protocol !== 'any' && rule.protocol !== transport) continue;
      if (port < rule.fromPort || port > rule.toPort) continue;
      if (!rule.source || !cidrContainsIp(rule.source, source)) continue;
      return { allowed: true, detail: `${group.name} allows ${rule.text}` };
    }
  }
  const names = groups.map((g) => g.name).join(', ') || 'no security group';
  return {
    allowed: false,
    detail: `${names}: no inbound rule allows ${transport} ${port} from ${formatIpv4(source)}`,
  };
}

const aclCache = new WeakMap<Listener, { mode: 'allow' | 'deny'; blocks: (Cidr | undefined)[] }>();

/** Whether the listener's access control admits `source` (the address the load balancer sees). */
export function accessControlAllows(listener: Listener, source: Ipv4): Decision {
  const acl = listener.accessControl;
  if (acl === 'all') return { allowed: true, detail: 'access control: all IP addresses' };
  let parsed = aclCache.get(listener);
  if (!parsed) {
    parsed =
      'allow' in acl
        ? { mode: 'allow', blocks: acl.allow.map(tryParseCidr) }
        : { mode: 'deny', blocks: acl.deny.map(tryParseCidr) };
    aclCache.set(listener, parsed);
  }
  const listed = parsed.blocks.some((b) => b !== undefined && cidrContainsIp(b, source));
  const blocks = ('allow' in acl ? acl.allow : acl.deny).join(', ');
  if (parsed.mode === 'allow') {
    return listed
      ? { allowed: true, detail: `access control allows ${formatIpv4(source)} (whitelist ${blocks})` }
      : { allowed: false, detail: `access control whitelist ${blocks} does not hold ${formatIpv4(source)}` };
  }
  return listed
    ? { allowed: false, detail: `access control blacklist ${blocks} holds ${formatIpv4(source)}` }
    : { allowed: true, detail: `access control blacklist ${blocks} does not hold ${formatIpv4(source)}` };
}

/** The application of `server` that answers `protocol` on `port`, if any. */
export function appServing(server: Server, protocol: ProbeProtocol, port: number): App | undefined {
  let tcpFallback: App | undefined;
  for (const app of server.apps) {
    if (app.port !== port) continue;
    if (app.protocol === protocol) return app;
    if (protocol === 'tcp' && app.protocol === 'http') tcpFallback = app;
  }
  return tcpFallback;
}

/** Describes what `server` runs on `port`, for a PORT_NOT_LISTENING detail. */
export function describeListening(server: Server, port: number): string {
  const onPort = server.apps.filter((a) => a.port === port).map((a) => a.protocol);
  return onPort.length === 0 ? `nothing listens on ${port}` : `only ${onPort.join(', ')} listens on ${port}`;
}

/** The HTTP application serves `/` (a directory listing) and nothing else. */
export function httpPathServed(path: string | undefined): boolean {
  const bare = (path ?? '/').split('?')[0] ?? '/';
  return bare === '/' || bare === '';
}

export type ListenerLookup =
  | { listener: Listener; code?: undefined; detail: string }
  | { listener?: undefined; code: 'LISTENER_NOT_FOUND' | 'PROTOCOL_MISMATCH'; detail: string };

/** Whether a listener of this protocol accepts a probe of that protocol. */
export function listenerAccepts(listener: Listener, protocol: ProbeProtocol): boolean {
  return listener.protocol === 'UDP' ? protocol === 'udp' : protocol !== 'udp';
}

/**
 * The load balancer's listener that takes a probe on `port`: LISTENER_NOT_FOUND when none listens there,
 * PROTOCOL_MISMATCH when only listeners of the other transport do (UDP to a TCP/HTTP listener or the
 * reverse; a TCP connect to an HTTP listener is fine).
 */
export function findListener(
  topology: Topology,
  lb: LoadBalancer,
  protocol: ProbeProtocol,
  port: number,
): ListenerLookup {
  const candidates = topology.listenersAt(lb.id, port);
  // An HTTP probe prefers an HTTP listener; any accepting listener will do otherwise.
  const accepting = candidates.filter((l) => listenerAccepts(l, protocol));
  const listener =
    (protocol === 'http' ? accepting.find((l) => l.protocol === 'HTTP') : undefined) ?? accepting[0];
  if (listener) return { listener, detail: `${listener.protocol} listener on ${port}` };
  if (candidates.length > 0) {
    const kinds = candidates.map((l) => l.protocol).join(', ');
    return {
      code: 'PROTOCOL_MISMATCH',
      detail: `${lb.name} listens on ${port} with ${kinds}, which does not take ${protocol}`,
    };
  }
  const ports = topology
    .listenersOf(lb.id)
    .map((l) => `${l.protocol}:${l.port}`)
    .join(', ');
  return {
    code: 'LISTENER_NOT_FOUND',
    detail: `${lb.name} has no listener on ${port}${ports ? ` (it listens on ${ports})` : ' (it has no listeners)'}`,
  };
}

/**
 * The protocol the load balancer speaks to a member: an HTTP listener proxies HTTP; a TCP listener passes
 * the probe's bytes through (HTTP stays HTTP); a UDP listener UDP.
 */
export function memberProtocol(listener: Listener, protocol: ProbeProtocol): ProbeProtocol {
  if (listener.protocol === 'HTTP') return 'http';
  if (listener.protocol === 'UDP') return 'udp';
  return protocol === 'http' ? 'http' : 'tcp';
}

export interface MemberHealth {
  healthy: boolean;
  /** The cause of an unhealthy verdict, as the path analysis names it. */
  code?: 'SECURITY_GROUP_DENIED' | 'PORT_NOT_LISTENING' | 'APP_UNKNOWN' | 'NO_HEALTHY_MEMBER';
  detail: string;
}

/** The health check's outcome for one member, from `lb`'s backend address. */
export function memberHealth(
  topology: Topology,
  lb: LoadBalancer,
  group: BackendGroup,
  member: BackendMember,
): MemberHealth {
  const check = group.healthCheck;
  const server = topology.find('server', member.serverId);
  const what = `${check.protocol} health check on ${check.port}${check.protocol === 'HTTP' ? ` ${check.path ?? '/'}` : ''}`;
  if (!server)
    return {
      healthy: false,
      code: 'NO_HEALTHY_MEMBER',
      detail: `member ${member.serverId} no longer exists`,
    };
  if (server.vpcId !== lb.vpcId) {
    return {
      healthy: false,
      code: 'NO_HEALTHY_MEMBER',
      detail: `${server.name} is in another VPC than ${lb.name}: the ${what} cannot reach it`,
    };
  }
  const source = tryParseIpv4(lb.backendIp);
  const protocol: ProbeProtocol =
    check.protocol === 'HTTP' ? 'http' : check.protocol === 'UDP' ? 'udp' : 'tcp';
  const sg =
    source === undefined
      ? undefined
      : securityGroupAllows(topology, server, transportOf(protocol), check.port, source);
  if (!sg?.allowed) {
    return {
      healthy: false,
      code: 'SECURITY_GROUP_DENIED',
      detail: `${what} from ${lb.backendIp} denied: ${sg?.detail ?? 'no backend address'}`,
    };
  }
  if (!appServing(server, protocol, check.port)) {
    return {
      healthy: false,
      code: server.imported ? 'APP_UNKNOWN' : 'PORT_NOT_LISTENING',
      detail: `${what} fails: on ${server.name} ${describeListening(server, check.port)}`,
    };
  }
  if (protocol === 'http' && !httpPathServed(check.path)) {
    return {
      healthy: false,
      code: 'NO_HEALTHY_MEMBER',
      detail: `${what} fails: ${server.name} answers 404 for ${check.path}`,
    };
  }
  return { healthy: true, detail: `${what} passes` };
}

/** Members in round-robin order, each once, heaviest first for weighted groups. */
export function membersInOrder(group: BackendGroup): BackendMember[] {
  const members = group.members.filter((m) => m.weight > 0 || group.algorithm === 'round-robin');
  if (group.algorithm === 'weighted-round-robin') return [...members].sort((a, b) => b.weight - a.weight);
  return members;
}
