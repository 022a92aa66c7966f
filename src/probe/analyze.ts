/**
 * Path analysis (docs/probe.md): walks the virtual cloud hop by hop from a server to a destination and says
 * where and why a path stops, as a reachability analyzer does — without sending anything.
 *
 *     server ─ security group (egress: all) ─ route in the source VPC ─┬─ transit IP ─ DNAT ─┬─ load balancer ─ listener ─ backend group ─ member ─ its security group ─ application
 *                                                                     │                     └─ server ─ its security group ─ application
 *                                                                     ├─ load balancer … (same VPC, no translation)
 *                                                                     └─ server … (same VPC, no translation)
 *
 * Invariants of the walk:
 * - Addresses resolve within a VPC (CIDRs may overlap): a destination address is looked up in the source
 *   VPC; anything outside it has no route (NO_ROUTE) — the only way out of a VPC is a transit IP local to it.
 * - Full NAT: after a DNAT rule the target sees the gateway's downlink address, so a load balancer's
 *   access control and a server target's security group are checked against it; a member behind a load
 *   balancer sees the load balancer's backend address. Each hop records the source it saw.
 * - Ports in `seenSource` are nominal: the client's first ephemeral port (40000), the gateway's first
 *   allocation (1024, docs/dnat-engine.md) and the load balancer's first ephemeral port (32768); live flows get
 *   their own.
 * - Every step is a map lookup in the `Topology` (and an O(1) DNAT rule lookup), so a path costs the
 *   same on ten resources as on ten thousand.
 */
import type { BackendMember, LoadBalancer, Server, TransitIp } from '../cloud/resources.ts';
import { DEFAULT_GATEWAY_PORTS, type LookupVerdict, lookupRule, type RuleLookup } from '../dnat/index.ts';
import { cidrContainsIp, type Ipv4, tryParseIpv4 } from '../net/ipv4.ts';
import type { Port } from '../net/ports.ts';
import type { Topology } from './model.ts';
import {
  accessControlAllows,
  appServing,
  describeListening,
  findListener,
  memberHealth,
  memberProtocol,
  membersInOrder,
  type ProbeProtocol,
  securityGroupAllows,
  transportOf,
} from './policy.ts';

export const EXPLANATION_CODES = [
  'NO_ROUTE',
  'NOT_A_TRANSIT_IP',
  'NO_MATCHING_RULE',
  'RULE_INACTIVE',
  'LISTENER_NOT_FOUND',
  'PROTOCOL_MISMATCH',
  'LB_ACL_DENIED',
  'NO_BACKEND_MEMBERS',
  'NO_HEALTHY_MEMBER',
  'SECURITY_GROUP_DENIED',
  'PORT_NOT_LISTENING',
  /** An imported server (a real cloud reports no applications) not known to serve the port (docs/clouds.md). */
  'APP_UNKNOWN',
] as const;
export type ExplanationCode = (typeof EXPLANATION_CODES)[number];

export type HopComponent =
  | 'server'
  | 'security-group'
  | 'route'
  | 'transit-ip'
  | 'dnat'
  | 'load-balancer'
  | 'listener'
  | 'backend-group'
  | 'application';

export interface Hop {
  component: HopComponent;
  id: string;
  name: string;
  result: 'pass' | 'fail';
  detail: string;
  /** The source address this component saw, `ip:port`. */
  seenSource?: string;
  /** The DNAT rewrite applied here. */
  translation?: { src: string; dst: string };
}

export interface ProbeAnalysis {
  verdict: 'REACHABLE' | 'UNREACHABLE';
  code?: ExplanationCode;
  component?: HopComponent;
  hops: Hop[];
}

export interface AnalyzeRequest {
  /** A server's name or id. */
  from: string;
  /** An address (resolved in the source VPC), or a transit IP's, server's or load balancer's name or id. */
  to: string;
  protocol: ProbeProtocol;
  port: number;
  /** Names resolve within this plan first. */
  plan?: string | undefined;
}

/** Where a probe is addressed: an address inside a VPC, and what the user named, if anything. */
export interface ProbeDestination {
  vpcId: string;
  ip: string;
  named?: TransitIp | Server | LoadBalancer;
}

export const NOMINAL_CLIENT_PORT = 40000;
export const NOMINAL_GATEWAY_PORT = DEFAULT_GATEWAY_PORTS.from;
export const NOMINAL_LB_PORT = 32768;

/** The source server and the destination of a probe request (NOT_FOUND / AMBIGUOUS_NAME when unresolved). */
export function resolveProbe(
  topology: Topology,
  request: Pick<AnalyzeRequest, 'from' | 'to' | 'plan'>,
): { source: Server; destination: ProbeDestination } {
  const source = topology.resolve(['server'], request.from, request.plan);
  if (tryParseIpv4(request.to) !== undefined) {
    return { source, destination: { vpcId: source.vpcId, ip: request.to } };
  }
  const named = topology.resolve(['transit-ip', 'server', 'load-balancer'], request.to, request.plan);
  return { source, destination: { vpcId: named.vpcId, ip: named.ip, named } };
}

const RANK: Record<LookupVerdict, number> = {
  TRANSLATED: 3,
  RULE_INACTIVE: 2,
  NO_MATCHING_RULE: 1,
  NOT_A_TRANSIT_IP: 0,
};

/**
 * Analyses the path of one probe.
 *
 * @example
 * analyze(topology, { from: 'ECS-A', to: '192.168.0.144', protocol: 'http', port: 80 }).verdict // 'REACHABLE'
 */
export function analyze(topology: Topology, request: AnalyzeRequest): ProbeAnalysis {
  const { source, destination } = resolveProbe(topology, request);
  return new PathWalk(topology, request.protocol, request.port).run(source, destination);
}

class PathWalk {
  readonly hops: Hop[] = [];
  readonly topology: Topology;
  readonly protocol: ProbeProtocol;
  readonly port: number;

  constructor(topology: Topology, protocol: ProbeProtocol, port: number) {
    this.topology = topology;
    this.protocol = protocol;
    this.port = port;
  }

  run(source: Server, destination: ProbeDestination): ProbeAnalysis {
    const t = this.topology;
    const vpcName = (id: string) => t.vpcOf(id)?.name ?? id;
    this.pass('server', source.id, source.name, `${source.name} ${source.ip} in ${vpcName(source.vpcId)}`);
    const groups = t.securityGroupsOf(source);
    this.pass(
      'security-group',
      groups.map((g) => g.id).join(',') || source.id,
      groups.map((g) => g.name).join(',') || source.name,
      'egress allows all traffic',
    );

    const vpc = t.vpcOf(source.vpcId);
    const routeId = vpc?.id ?? source.vpcId;
    const routeName = vpc?.name ?? source.vpcId;
    const what = destination.named ? `${destination.named.name} (${destination.ip})` : destination.ip;
    if (destination.vpcId !== source.vpcId) {
      return this.fail(
        'route',
        routeId,
        routeName,
        'NO_ROUTE',
        `${what} is in ${vpcName(destination.vpcId)}; ${routeName} has no route to another VPC (VPCs are isolated: reach it through a transit IP in ${routeName})`,
      );
    }
    const ip = tryParseIpv4(destination.ip);
    const cidr = t.vpcCidr(source.vpcId);
    if (ip === undefined || !cidr || !cidrContainsIp(cidr, ip)) {
      return this.fail(
        'route',
        routeId,
        routeName,
        'NO_ROUTE',
        `${what} is outside ${routeName} (${vpc?.cidr ?? '?'}) and ${routeName} has no route to it`,
      );
    }
    this.pass('route', routeId, routeName, `${what} is local to ${routeName} (${vpc?.cidr})`);

    const client = `${source.ip}:${NOMINAL_CLIENT_PORT}`;
    const owners = t.at(source.vpcId, destination.ip);
    if (owners?.transitIp) return this.viaTransitIp(owners.transitIp, ip, client);
    if (owners?.loadBalancer) return this.toLoadBalancer(owners.loadBalancer, this.port, source.ip, client);
    if (owners?.server) return this.toServer(owners.server, this.port, this.protocol, source.ip, client);
    return this.fail(
      'transit-ip',
      destination.ip,
      destination.ip,
      'NOT_A_TRANSIT_IP',
      `no transit IP, server or load balancer holds ${destination.ip} in ${routeName}`,
    );
  }

  viaTransitIp(tip: TransitIp, ip: Ipv4, client: string): ProbeAnalysis {
    const t = this.topology;
    this.pass(
      'transit-ip',
      tip.id,
      tip.name,
      `transit IP ${tip.ip} in ${t.vpcOf(tip.vpcId)?.name ?? tip.vpcId}`,
      client,
    );
    const transport = transportOf(this.protocol);
    const gateways = t.gatewaysOfTransitIp(tip.id);
    if (gateways.length === 0) {
      return this.fail(
        'dnat',
        tip.id,
        tip.name,
        'NO_MATCHING_RULE',
        `no DNAT rule uses transit IP ${tip.ip}`,
      );
    }
    let best: { lookup: RuleLookup; gatewayIndex: number } | undefined;
    for (let i = 0; i < gateways.length; i++) {
      const gateway = gateways[i];
      if (!gateway) continue;
      const lookup = lookupRule(t.ruleIndex(gateway), transport, { ip, port: this.port as Port });
      if (!best || RANK[lookup.verdict] > RANK[best.lookup.verdict]) best = { lookup, gatewayIndex: i };
      if (lookup.verdict === 'TRANSLATED') break;
    }
    const gateway = gateways[best?.gatewayIndex ?? 0];
    const lookup = best?.lookup;
    if (!gateway || !lookup) throw new Error('unreachable: a transit IP with rules has a gateway');
    const rule = lookup.rule;
    if (lookup.verdict !== 'TRANSLATED' || !rule) {
      const detail =
        lookup.verdict === 'RULE_INACTIVE' && rule
          ? `rule ${rule.name} (${rule.protocol} ${rule.transitPort}) is ${rule.status} on ${gateway.name} (${gateway.status}): only ACTIVE rules of ACTIVE gateways translate`
          : lookup.verdict === 'NO_MATCHING_RULE'
            ? `no DNAT rule for ${transport} ${this.port} on transit IP ${tip.ip} (${describeRules(t.rulesOfTransitIp(tip.id))})`
            : `no DNAT rule names ${tip.ip}`;
      const code = lookup.verdict === 'TRANSLATED' ? 'NO_MATCHING_RULE' : lookup.verdict;
      return this.fail('dnat', rule?.id ?? gateway.id, rule?.name ?? gateway.name, code, detail);
    }
    const targetPort = rule.transitPort === 0 ? this.port : rule.internalPort;
    const gatewaySource = `${gateway.downlinkIp}:${NOMINAL_GATEWAY_PORT}`;
    const translation = { src: gatewaySource, dst: `${rule.target.ip}:${targetPort}` };
    this.hops.push({
      component: 'dnat',
      id: rule.id,
      name: rule.name,
      result: 'pass',
      detail: `${gateway.name}: ${rule.protocol === 'any' ? 'all ports' : `${rule.protocol} ${rule.transitPort}`} → ${rule.target.kind} ${rule.target.ip}:${targetPort}; the source becomes the gateway's ${gateway.downlinkIp}`,
      seenSource: client,
      translation,
    });
    const target = rule.target;
    if (target.kind === 'load-balancer') {
      const lb = t.find('load-balancer', target.loadBalancerId);
      if (lb) return this.toLoadBalancer(lb, targetPort, gateway.downlinkIp, gatewaySource);
    } else if (target.kind === 'server') {
      const server = t.find('server', target.serverId);
      if (server) return this.toServer(server, targetPort, this.protocol, gateway.downlinkIp, gatewaySource);
    } else {
      const owners = t.at(gateway.vpcId, target.ip);
      if (owners?.loadBalancer)
        return this.toLoadBalancer(owners.loadBalancer, targetPort, gateway.downlinkIp, gatewaySource);
      if (owners?.server)
        return this.toServer(owners.server, targetPort, this.protocol, gateway.downlinkIp, gatewaySource);
    }
    return this.fail(
      'application',
      rule.id,
      target.ip,
      'PORT_NOT_LISTENING',
      `nothing holds the rule's target ${target.ip} in ${t.vpcOf(gateway.vpcId)?.name ?? gateway.vpcId}: nothing listens on ${targetPort}`,
    );
  }

  toLoadBalancer(lb: LoadBalancer, port: number, sourceIp: string, seen: string): ProbeAnalysis {
    const t = this.topology;
    this.pass(
      'load-balancer',
      lb.id,
      lb.name,
      `${lb.name} ${lb.ip} (backend ${lb.backendIp}) in ${t.vpcOf(lb.vpcId)?.name ?? lb.vpcId}`,
      seen,
    );
    const found = findListener(t, lb, this.protocol, port);
    if (!found.listener) return this.fail('listener', lb.id, `${lb.name}:${port}`, found.code, found.detail);
    const listener = found.listener;
    const listenerName = `${lb.name} ${listener.protocol}:${listener.port}`;
    const acl = accessControlAllows(listener, tryParseIpv4(sourceIp) as Ipv4);
    if (!acl.allowed)
      return this.fail(
        'listener',
        listener.id,
        listenerName,
        'LB_ACL_DENIED',
        `${acl.detail} (the source ${lb.name} sees)`,
        seen,
      );
    this.pass('listener', listener.id, listenerName, `${found.detail}; ${acl.detail}`, seen);

    const group = t.backendGroup(listener.backendGroupId);
    if (!group || group.members.length === 0) {
      return this.fail(
        'backend-group',
        listener.backendGroupId,
        group?.name ?? listener.backendGroupId,
        'NO_BACKEND_MEMBERS',
        `${group?.name ?? listener.backendGroupId} has no members`,
      );
    }
    const protocol = memberProtocol(listener, this.protocol);
    const members = membersInOrder(group);
    const healthy: BackendMember[] = [];
    const causes: string[] = [];
    for (const member of members) {
      const health = memberHealth(t, lb, group, member);
      if (health.healthy) healthy.push(member);
      else
        causes.push(
          `${t.find('server', member.serverId)?.name ?? member.serverId}:${member.port} ${health.detail}`,
        );
    }
    const lbSeen = `${lb.backendIp}:${NOMINAL_LB_PORT}`;
    if (healthy.length === 0) {
      const only = group.members.length === 1 ? group.members[0] : undefined;
      const server = only ? t.find('server', only.serverId) : undefined;
      if (
        only &&
        server &&
        server.vpcId === lb.vpcId &&
        this.memberFails(server, only.port, protocol, lb.backendIp)
      ) {
        this.pass(
          'backend-group',
          group.id,
          group.name,
          `its only member is unhealthy: ${causes.join('; ')}`,
        );
        return this.toServer(server, only.port, protocol, lb.backendIp, lbSeen);
      }
      return this.fail(
        'backend-group',
        group.id,
        group.name,
        'NO_HEALTHY_MEMBER',
        `no healthy member of ${members.length}: ${causes.join('; ')}`,
      );
    }
    const chosen =
      healthy.find((m) => {
        const s = t.find('server', m.serverId);
        return s !== undefined && !this.memberFails(s, m.port, protocol, lb.backendIp);
      }) ?? healthy[0];
    const server = chosen && t.find('server', chosen.serverId);
    if (!chosen || !server) throw new Error('unreachable: a healthy member has a server');
    this.pass(
      'backend-group',
      group.id,
      group.name,
      `${healthy.length} of ${members.length} member(s) healthy; ${group.algorithm} → ${server.name}:${chosen.port} (${protocol})`,
    );
    return this.toServer(server, chosen.port, protocol, lb.backendIp, lbSeen);
  }

  /** Whether traffic of `protocol` from `sourceIp` to member `server:port` would stop there. */
  memberFails(server: Server, port: number, protocol: ProbeProtocol, sourceIp: string): boolean {
    const source = tryParseIpv4(sourceIp);
    if (source === undefined) return true;
    return (
      !securityGroupAllows(this.topology, server, transportOf(protocol), port, source).allowed ||
      !appServing(server, protocol, port)
    );
  }

  toServer(
    server: Server,
    port: number,
    protocol: ProbeProtocol,
    sourceIp: string,
    seen: string,
  ): ProbeAnalysis {
    const t = this.topology;
    this.pass(
      'server',
      server.id,
      server.name,
      `${server.name} ${server.ip} in ${t.vpcOf(server.vpcId)?.name ?? server.vpcId}`,
      seen,
    );
    const groups = t.securityGroupsOf(server);
    const groupId = groups.map((g) => g.id).join(',') || server.id;
    const groupName = groups.map((g) => g.name).join(',') || server.name;
    const transport = transportOf(protocol);
    const sg = securityGroupAllows(t, server, transport, port, tryParseIpv4(sourceIp) as Ipv4);
    if (!sg.allowed)
      return this.fail(
        'security-group',
        groupId,
        groupName,
        'SECURITY_GROUP_DENIED',
        `inbound ${sg.detail}`,
        seen,
      );
    this.pass('security-group', groupId, groupName, `inbound: ${sg.detail}`, seen);
    const app = appServing(server, protocol, port);
    if (!app) {
      return this.fail(
        'application',
        server.id,
        `${server.name}:${port}`,
        server.imported ? 'APP_UNKNOWN' : 'PORT_NOT_LISTENING',
        server.imported
          ? `${protocol} to ${server.name}:${port}: ${server.name} was imported from a real cloud, which reports no applications, and it is no ONLINE load balancer member on ${port}`
          : `${protocol} to ${server.name}:${port}: ${describeListening(server, port)}`,
        seen,
      );
    }
    this.pass(
      'application',
      server.id,
      `${server.name}:${port}`,
      `${app.protocol} server listening on ${port}`,
      seen,
    );
    return { verdict: 'REACHABLE', hops: this.hops };
  }

  pass(component: HopComponent, id: string, name: string, detail: string, seenSource?: string): void {
    this.hops.push({ component, id, name, result: 'pass', detail, ...(seenSource ? { seenSource } : {}) });
  }

  fail(
    component: HopComponent,
    id: string,
    name: string,
    code: ExplanationCode,
    detail: string,
    seenSource?: string,
  ): ProbeAnalysis {
    this.hops.push({ component, id, name, result: 'fail', detail, ...(seenSource ? { seenSource } : {}) });
    return { verdict: 'UNREACHABLE', code, component, hops: this.hops };
  }
}

function describeRules(rules: readonly { protocol: string; transitPort: number }[]): string {
  if (rules.length === 0) return 'it has none';
  return `it has ${rules.map((r) => (r.protocol === 'any' ? 'all ports' : `${r.protocol} ${r.transitPort}`)).join(', ')}`;
}
