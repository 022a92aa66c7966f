/**
 * The state the topology tells, keyed by resource — never by address: two plans may both hold a transit
 * IP 192.168.0.144 in VPCs named VPC-A, and a verification or a freeze of one says nothing of the other.
 *
 * - Each resource's status is its lifecycle (`ACTIVE`, `PENDING`, `FROZEN`, `INACTIVE`), unless standing
 *   drift names it (`gone` from the cloud, or `changed` with the fields that differ).
 * - Each verification row is resolved inside its plan: `from` and `to` name resources of that plan (or
 *   resources the plan's rules use, when it reuses another plan's), or are addresses among those; the
 *   DNAT rules it concerns are those on the resolved transit IP whose protocol and port it matches.
 * - Each DNAT rule's path status, first match wins:
 *     `frozen`     the rule or its gateway is FROZEN (whatever an older verification said);
 *     `drift`      the rule, its gateway, its transit IP or its target has drifted;
 *     `pending`    the rule or its gateway is still PENDING;
 *     `failed`     a row through it did not hold — unless it failed because the rule was not usable
 *                  (RULE_INACTIVE) and rule and gateway are ACTIVE now: then that row is `stale`;
 *     `stale`      its only failures are such stale rows;
 *     `verified`   every row through it held and found it reachable;
 *     `unverified` no row concerns it.
 *
 * Pure (no DOM): Node tests import it; the console's server strips its types for the browser.
 */
import type { DriftItem, DriftReport, VerificationRow } from './verification.ts';

/** The resource fields the console reads (docs/plan-format.md#resources). */
export interface TopologyResource {
  id: string;
  type: string;
  name: string;
  status?: string;
  plan?: string | null;
  cloud?: string;
  externalId?: string;
  imported?: boolean;
  cidr?: string;
  vpcId?: string;
  subnetId?: string | null;
  frontendSubnetId?: string;
  ip?: string;
  backendIp?: string;
  downlinkIp?: string;
  spec?: string;
  gatewayId?: string;
  transitIpId?: string;
  transitIp?: string;
  protocol?: string;
  transitPort?: number;
  internalPort?: number;
  target?: {
    kind: 'server' | 'load-balancer' | 'ip';
    serverId?: string;
    loadBalancerId?: string;
    ip: string;
  };
  loadBalancerId?: string;
  backendGroupId?: string;
  port?: number;
  members?: { serverId: string; port: number; weight?: number }[];
}

/** The last health check of a load balancer's backend members (GET /dataplane `health`). */
export interface MemberHealth {
  loadBalancerId: string;
  backendGroupId: string;
  members: { serverId: string; port: number; healthy: boolean | null }[];
}

export type PathStatus = 'verified' | 'failed' | 'frozen' | 'drift' | 'pending' | 'stale' | 'unverified';

export interface ResourceState {
  /** `data-status`: `active`, `pending`, `frozen`, `inactive`, `gone` or `changed`. */
  status: string;
  /** What the box says: `ACTIVE`, `FROZEN`, `gone from the cloud`, `changed: spec Small → Medium`. */
  text: string;
  drift?: DriftItem;
}

export interface RuleState {
  path: PathStatus;
  /** What the arrow says: `verified 12:03:04`, `FROZEN (gateway pnat-b)`, `not verified`. */
  text: string;
  rows: VerificationRow[];
}

/** A verification row with the resources it resolved to. */
export interface ResolvedRow extends VerificationRow {
  fromId?: string;
  toId?: string;
  /** The DNAT rules it went through (by id). */
  ruleIds: string[];
  /** `held`, `failed`, or `stale` (failed while a rule was not usable, which it is again now). */
  status: 'held' | 'failed' | 'stale';
}

export interface TopologyState {
  resources: Map<string, ResourceState>;
  rules: Map<string, RuleState>;
  rows: ResolvedRow[];
  /** Drift that names no resource natflow still records (drawn in a table only). */
  unplaced: (DriftItem & { plan: string })[];
}

/** Verification codes that say a rule was not usable then, rather than that the path is wrong. */
const STATE_CODES = new Set(['RULE_INACTIVE']);

/**
 * @example
 *   const state = topologyState(resources, rows, drift, (t) => new Date(t).toLocaleTimeString());
 *   state.rules.get('dnat-1')?.path; // 'verified'
 */
export function topologyState(
  resources: readonly TopologyResource[],
  rows: readonly VerificationRow[],
  drift: readonly DriftReport[],
  formatTime: (at: number) => string,
): TopologyState {
  const byId = new Map(resources.map((r) => [r.id, r]));
  const unplaced: TopologyState['unplaced'] = [];
  const driftOf = new Map<string, DriftItem>();
  for (const report of drift) {
    for (const item of report.drift) {
      const found =
        (item.externalId ? resources.find((r) => r.externalId === item.externalId) : undefined) ??
        resources.find((r) => r.plan === report.plan && r.name === item.name && sameKind(r.type, item.kind));
      if (found) driftOf.set(found.id, item);
      else unplaced.push({ ...item, plan: report.plan });
    }
  }

  const states = new Map<string, ResourceState>();
  for (const r of resources) states.set(r.id, resourceState(r, driftOf.get(r.id)));

  const resolved = rows.map((row) => resolveRow(row, resources, byId));
  const rules = new Map<string, RuleState>();
  for (const rule of resources.filter((r) => r.type === 'dnat-rule')) {
    const gateway = byId.get(rule.gatewayId ?? '');
    const through = resolved.filter((row) => row.ruleIds.includes(rule.id));
    const targetId = rule.target?.serverId ?? rule.target?.loadBalancerId;
    const drifted = [rule.id, rule.gatewayId, rule.transitIpId, targetId].find(
      (id) => id !== undefined && driftOf.has(id),
    );
    const usable = rule.status === 'ACTIVE' && gateway?.status === 'ACTIVE';
    for (const row of through)
      if (!row.ok && row.code !== undefined && STATE_CODES.has(row.code) && usable) row.status = 'stale';
    let path: PathStatus;
    let text: string;
    if (rule.status === 'FROZEN' || gateway?.status === 'FROZEN') {
      path = 'frozen';
      text = rule.status === 'FROZEN' ? 'FROZEN' : `FROZEN (gateway ${gateway?.name ?? rule.gatewayId})`;
    } else if (drifted !== undefined) {
      path = 'drift';
      const item = driftOf.get(drifted)!;
      text = `drift: ${byId.get(drifted)?.name ?? item.name} ${item.change === 'gone' ? 'gone' : 'changed'}`;
    } else if (rule.status === 'PENDING' || gateway?.status === 'PENDING') {
      path = 'pending';
      text = 'PENDING';
    } else if (through.some((row) => row.status === 'failed')) {
      const row = through.find((r) => r.status === 'failed')!;
      path = 'failed';
      text = `failed ${formatTime(row.at)}${row.code ? ` ${row.code}` : ''}`;
    } else if (through.some((row) => row.status === 'stale')) {
      path = 'stale';
      text = 'not verified since it changed';
    } else if (through.some((row) => row.ok && row.verdict === 'REACHABLE')) {
      const at = Math.max(...through.map((row) => row.at));
      path = 'verified';
      text = `verified ${formatTime(at)}`;
    } else {
      path = 'unverified';
      text = 'not verified';
    }
    rules.set(rule.id, { path, text, rows: through });
  }
  return { resources: states, rules, rows: resolved, unplaced };
}

function resourceState(r: TopologyResource, drift: DriftItem | undefined): ResourceState {
  if (drift?.change === 'gone') return { status: 'gone', text: 'gone from the cloud', drift };
  if (drift?.change === 'changed') {
    const fields = (drift.fields ?? [])
      .map((f) => `${f.field} ${String(f.recorded)} → ${String(f.actual)}`)
      .join(', ');
    return { status: 'changed', text: `changed${fields ? `: ${fields}` : ''}`, drift };
  }
  const lifecycle = r.status ?? 'ACTIVE';
  return { status: lifecycle.toLowerCase(), text: lifecycle };
}

/** `dnat-rule` against a drift's kind (`dnat-rule`, `dnatRule`, `dnat_rule`, `DNAT rule`). */
function sameKind(type: string, kind: string): boolean {
  const norm = (s: string) => s.toLowerCase().replace(/[^a-z]/g, '');
  const aliases: Record<string, string[]> = {
    server: ['server', 'ecs'],
    loadbalancer: ['loadbalancer', 'elb'],
    privatenatgateway: ['privatenatgateway', 'gateway', 'natgateway'],
    transitip: ['transitip'],
  };
  const t = norm(type);
  return (aliases[t] ?? [t]).includes(norm(kind));
}

/**
 * The resources a plan owns and those its own resources reference (another plan's gateway it reuses).
 */
function planScope(resources: readonly TopologyResource[], plan: string): TopologyResource[] {
  const own = resources.filter((r) => r.plan === plan);
  const refs = new Set(
    own.flatMap((r) => [
      r.vpcId,
      r.subnetId,
      r.gatewayId,
      r.transitIpId,
      r.target?.serverId,
      r.target?.loadBalancerId,
    ]),
  );
  return [...own, ...resources.filter((r) => r.plan !== plan && refs.has(r.id))];
}

const isAddress = (text: string) => /^\d{1,3}(\.\d{1,3}){3}$/.test(text);

function resolveRef(
  scope: readonly TopologyResource[],
  byId: ReadonlyMap<string, TopologyResource>,
  ref: string,
  types: readonly string[],
): TopologyResource | undefined {
  const direct = byId.get(ref);
  if (direct && types.includes(direct.type)) return direct;
  const candidates = scope.filter((r) => types.includes(r.type));
  return (
    candidates.find((r) => r.name === ref) ??
    (isAddress(ref) ? candidates.find((r) => r.ip === ref) : undefined)
  );
}

function resolveRow(
  row: VerificationRow,
  resources: readonly TopologyResource[],
  byId: ReadonlyMap<string, TopologyResource>,
): ResolvedRow {
  const scope = planScope(resources, row.plan);
  const from = resolveRef(scope, byId, row.from, ['server']);
  const to = resolveRef(scope, byId, row.to, ['transit-ip', 'server', 'load-balancer']);
  const ruleIds: string[] = [];
  if (to?.type === 'transit-ip') {
    const rules = resources.filter((r) => r.type === 'dnat-rule' && r.transitIpId === to.id);
    const mine = rules.filter((r) => r.plan === row.plan);
    for (const rule of mine.length > 0 ? mine : rules)
      if (
        rule.protocol === 'any' ||
        (rule.transitPort === row.port && protocolMatches(rule.protocol, row.protocol))
      )
        ruleIds.push(rule.id);
  }
  return {
    ...row,
    ruleIds,
    status: row.ok ? 'held' : 'failed',
    ...(from ? { fromId: from.id } : {}),
    ...(to ? { toId: to.id } : {}),
  };
}

function protocolMatches(ruleProtocol: string | undefined, probeProtocol: string): boolean {
  if (ruleProtocol === 'any') return true;
  if (ruleProtocol === 'tcp') return probeProtocol === 'tcp' || probeProtocol === 'http';
  return ruleProtocol === probeProtocol;
}

/** Whether `cidr` (`10.0.0.0/24`) holds `ip` (a dotted address or a block's base). */
export function cidrContains(cidr: string, ip: string): boolean {
  const [base, bits] = cidr.split('/');
  const address = ip.split('/')[0] ?? '';
  if (!base || bits === undefined || !isAddress(address) || !isAddress(base)) return false;
  const size = 2 ** (32 - Number(bits));
  const start = Math.floor(toNumber(base) / size) * size;
  const n = toNumber(address);
  return n >= start && n < start + size;
}

function toNumber(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

/**
 * What a filter keeps: with a plan, its resources and those its resources use (another plan's gateway,
 * transit IP or VPC), with the VPCs and subnets that hold them; with a gateway (an id), the gateway, its
 * DNAT and SNAT rules, their transit IPs and targets (a load balancer's listeners, backend groups and
 * members too), and what holds them. Both may be given: a resource must pass both.
 */
export function filterResources(
  resources: readonly TopologyResource[],
  filter: { plan?: string | undefined; gateway?: string | undefined },
): TopologyResource[] {
  const byId = new Map(resources.map((r) => [r.id, r]));
  const keep = (seed: readonly TopologyResource[]): Set<string> => {
    const ids = new Set<string>();
    const add = (id: string | null | undefined) => {
      if (!id || ids.has(id) || !byId.has(id)) return;
      ids.add(id);
      const r = byId.get(id)!;
      // What holds it, and what a rule points at.
      for (const ref of [
        r.vpcId,
        r.subnetId,
        r.frontendSubnetId,
        r.gatewayId,
        r.transitIpId,
        r.target?.serverId,
        r.target?.loadBalancerId,
      ])
        add(ref);
    };
    for (const r of seed) add(r.id);
    // A load balancer's listeners, backend groups and members.
    for (const listener of resources.filter(
      (r) => r.type === 'listener' && ids.has(r.loadBalancerId ?? ''),
    )) {
      add(listener.id);
      add(listener.backendGroupId);
      for (const m of byId.get(listener.backendGroupId ?? '')?.members ?? []) add(m.serverId);
    }
    return ids;
  };
  let kept: Set<string> | undefined;
  if (filter.plan) kept = keep(resources.filter((r) => r.plan === filter.plan));
  if (filter.gateway) {
    const rules = resources.filter(
      (r) => (r.type === 'dnat-rule' || r.type === 'snat-rule') && r.gatewayId === filter.gateway,
    );
    const gatewayIds = keep([...resources.filter((r) => r.id === filter.gateway), ...rules]);
    kept = kept ? new Set([...kept].filter((id) => gatewayIds.has(id))) : gatewayIds;
  }
  return kept ? resources.filter((r) => kept.has(r.id)) : [...resources];
}
