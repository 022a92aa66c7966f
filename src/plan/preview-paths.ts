/**
 * Differential reachability (docs/preview.md): every path a plan's DNAT rules touch, analysed by the probe
 * (`analyze`, docs/probe.md) on the state before and on the state after, and sorted into what changes.
 *
 * The paths of one rule: each server in its transit IP's VPC (before or after) × the rule's transport
 * and transit port. A rule of protocol `any` covers tcp and udp; an all-ports rule (transit port 0)
 * covers each port something listens on behind its target — a server's applications, a load
 * balancer's listeners, in either state — so a port nobody wrote in `verify` still shows up.
 *
 *     opened       UNREACHABLE → REACHABLE
 *     closed       REACHABLE   → UNREACHABLE
 *     stillClosed  UNREACHABLE → UNREACHABLE with another code, or on a rule this plan creates:
 *                  the code is what blocks the path after (SECURITY_GROUP_DENIED, PORT_NOT_LISTENING…)
 *     unchanged    the same verdict and code on a rule that already exists (a count)
 *
 * A state without the path's transit IP is NOT_A_TRANSIT_IP (nothing holds that address); a state
 * without its source server (a server the plan creates, or destroys) is NO_ROUTE: there is no source
 * to route from. Both are facts of that state, not errors.
 */
import type { LoadBalancer, Server, TransitIp } from '../cloud/resources.ts';
import { analyze, type ExplanationCode } from '../probe/analyze.ts';
import type { Topology } from '../probe/model.ts';
import { transportOf } from '../probe/policy.ts';

export type Transport = 'tcp' | 'udp';

export interface PathState {
  verdict: 'REACHABLE' | 'UNREACHABLE';
  code?: ExplanationCode;
}

export interface ReachabilityPath {
  /** The source server's name. */
  from: string;
  /** The transit IP's address and port, `192.168.0.144:80`. */
  to: string;
  protocol: Transport;
  port: number;
  before: PathState;
  after: PathState;
  /** The plan path of the DNAT rule the path goes through. */
  rule: string;
}

export interface Reachability {
  opened: ReachabilityPath[];
  closed: ReachabilityPath[];
  stillClosed: ReachabilityPath[];
  unchanged: number;
}

/** One DNAT rule of the plan, with the ids its entry resolved to (undefined: not known in any state). */
export interface PlanRule {
  entry: string;
  protocol: 'tcp' | 'udp' | 'any';
  transitPort: number;
  /** The rule's resource (after for a plan, before for a destroy), when it has one. */
  ruleId: string | undefined;
  transitIpId: string | undefined;
  gatewayId: string | undefined;
  target:
    | { loadBalancerId: string | undefined }
    | { serverId: string | undefined }
    | { ip: string | undefined };
  /** Whether the plan creates it (its unreachable paths are then stillClosed, whatever the codes). */
  isNew: boolean;
}

/**
 * The paths of `rules`, before and after.
 *
 * @example reachabilityOf(before, after, rules).opened[0] // { from: 'ECS-A', to: '192.168.0.144:80', … }
 */
export function reachabilityOf(before: Topology, after: Topology, rules: readonly PlanRule[]): Reachability {
  const out: Reachability = { opened: [], closed: [], stillClosed: [], unchanged: 0 };
  const seen = new Set<string>();
  for (const rule of rules) {
    if (rule.transitIpId === undefined) continue;
    const tip = after.find('transit-ip', rule.transitIpId) ?? before.find('transit-ip', rule.transitIpId);
    if (!tip) continue;
    const servers = serversOf(tip.vpcId, before, after);
    for (const { transport, port } of portsOf(rule, before, after)) {
      for (const server of servers) {
        const key = `${server.id}|${tip.ip}|${transport}|${port}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const path: ReachabilityPath = {
          from: server.name,
          to: `${tip.ip}:${port}`,
          protocol: transport,
          port,
          before: stateOf(before, server.id, tip, transport, port),
          after: stateOf(after, server.id, tip, transport, port),
          rule: rule.entry,
        };
        const was = path.before.verdict === 'REACHABLE';
        const is = path.after.verdict === 'REACHABLE';
        if (!was && is) out.opened.push(path);
        else if (was && !is) out.closed.push(path);
        else if (!is && (rule.isNew || path.before.code !== path.after.code)) out.stillClosed.push(path);
        else out.unchanged++;
      }
    }
  }
  return out;
}

/** The servers of a VPC in either state, each once (by id), in creation order. */
function serversOf(vpcId: string, before: Topology, after: Topology): Server[] {
  const byId = new Map<string, Server>();
  for (const topology of [before, after]) {
    for (const server of topology.ofType('server')) {
      if (server.vpcId === vpcId && !byId.has(server.id)) byId.set(server.id, server);
    }
  }
  return [...byId.values()];
}

/** The (transport, port) pairs of a rule: its own port, or what listens behind an all-ports target. */
function portsOf(
  rule: PlanRule,
  before: Topology,
  after: Topology,
): Array<{ transport: Transport; port: number }> {
  const transports: Transport[] = rule.protocol === 'any' ? ['tcp', 'udp'] : [rule.protocol];
  if (rule.transitPort !== 0) return transports.map((transport) => ({ transport, port: rule.transitPort }));
  const found = new Set<string>();
  for (const topology of [before, after]) {
    const target = targetOf(rule, topology);
    if (!target) continue;
    if (target.type === 'server') {
      for (const app of target.apps) found.add(`${transportOf(app.protocol)}|${app.port}`);
    } else {
      for (const listener of topology.listenersOf(target.id))
        found.add(`${listener.protocol === 'UDP' ? 'udp' : 'tcp'}|${listener.port}`);
    }
  }
  return [...found]
    .map((key) => {
      const [transport, port] = key.split('|') as [Transport, string];
      return { transport, port: Number(port) };
    })
    .filter((p) => transports.includes(p.transport))
    .sort((a, b) => a.port - b.port || (a.transport < b.transport ? -1 : 1));
}

/** What a rule forwards to in one state: a server or a load balancer (by id, or holding its address). */
function targetOf(rule: PlanRule, topology: Topology): Server | LoadBalancer | undefined {
  const target = rule.target;
  if ('serverId' in target) return target.serverId ? topology.find('server', target.serverId) : undefined;
  if ('loadBalancerId' in target)
    return target.loadBalancerId ? topology.find('load-balancer', target.loadBalancerId) : undefined;
  const gateway = rule.gatewayId ? topology.find('private-nat-gateway', rule.gatewayId) : undefined;
  if (!gateway || target.ip === undefined) return undefined;
  const owners = topology.at(gateway.vpcId, target.ip);
  return owners?.loadBalancer ?? owners?.server;
}

function stateOf(
  topology: Topology,
  serverId: string,
  tip: TransitIp,
  transport: Transport,
  port: number,
): PathState {
  if (!topology.find('server', serverId)) {
    return {
      verdict: 'UNREACHABLE',
      code: topology.transitIpAt(tip.vpcId, tip.ip) ? 'NO_ROUTE' : 'NOT_A_TRANSIT_IP',
    };
  }
  const result = analyze(topology, { from: serverId, to: tip.ip, protocol: transport, port });
  return result.code === undefined
    ? { verdict: result.verdict }
    : { verdict: result.verdict, code: result.code };
}
