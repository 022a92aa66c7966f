/**
 * Lays out the virtual cloud as a picture: VPCs side by side (those holding transit IPs on the left, the
 * gateways' VPCs after them, so traffic reads left to right), each with its subnets stacked inside, each
 * subnet with its servers, load balancers, transit IPs and private NAT gateways (with their addresses).
 * Each DNAT rule is an arrow from its transit IP to its target, labelled `tcp 80 → 80`; each probe result
 * (a verify entry of the last provisioning or verify run) is a dashed arrow from its source to its
 * destination, green when it held and red when it did not, and colours the DNAT rule it went through.
 * Each load balancer has an arrow to every backend member its listeners forward to, coloured by the
 * member's last health check (green healthy, red unhealthy, grey not checked yet); each SNAT rule is an
 * arrow from its source subnet through the gateway to the transit IP its traffic leaves from. Resources
 * imported from a real cloud (`imported: true`) are drawn dashed and tagged with their cloud.
 *
 * Pure (no DOM): Node tests import it; the console's server strips its types for the browser.
 */

/** The resource fields the picture reads (see src/cloud/resources.ts). */
export interface TopologyResource {
  id: string;
  type: string;
  name: string;
  status?: string;
  plan?: string | null;
  cidr?: string;
  vpcId?: string;
  subnetId?: string;
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
  /** A listener's load balancer and backend group. */
  loadBalancerId?: string;
  backendGroupId?: string;
  port?: number;
  /** A backend group's members. */
  members?: { serverId: string; port: number; weight?: number }[];
  /** Found on a real cloud by `natflow import`, not created by natflow. */
  imported?: boolean;
  cloud?: string;
}

/** The last health check of a load balancer's backend members (GET /dataplane `health`). */
export interface MemberHealth {
  loadBalancerId: string;
  backendGroupId: string;
  members: { serverId: string; port: number; healthy: boolean | null }[];
}

/** One verify entry's result, as the provision output and the Connectivity* events carry them. */
export interface ProbeResult {
  plan: string;
  entry: { from: string; to: string; protocol: string; port: number };
  expected?: string;
  verdict: string;
  ok: boolean;
  code?: string;
  /** Where the result comes from (an execution name or an event), and when. */
  source?: string;
  at?: number;
}

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export type ItemKind = 'server' | 'load-balancer' | 'transit-ip' | 'private-nat-gateway' | 'address';

export interface TopologyItem extends Rect {
  id: string;
  kind: ItemKind;
  name: string;
  /** The addresses shown under the name. */
  addresses: string[];
  status?: string;
  /** The cloud it was imported from, when it was. */
  importedFrom?: string;
}

export interface TopologySubnet extends Rect {
  id: string;
  name: string;
  cidr: string;
  items: TopologyItem[];
}

export interface TopologyVpc extends Rect {
  id: string;
  name: string;
  cidr: string;
  plan?: string | null;
  subnets: TopologySubnet[];
  importedFrom?: string;
}

export type PathStatus = 'ok' | 'fail' | 'unknown';

export interface TopologyArrow {
  id: string;
  kind: 'dnat' | 'probe' | 'member' | 'snat';
  from: string;
  to: string;
  label: string;
  status: PathStatus;
  /** Cubic Béziers drawn one after the other: start, two control points, end. */
  segments: Cubic[];
  labelAt: [number, number];
  title: string;
}

export type Point = [number, number];
export type Cubic = [Point, Point, Point, Point];

export interface TopologyLayout {
  width: number;
  height: number;
  vpcs: TopologyVpc[];
  arrows: TopologyArrow[];
}

export const ITEM_W = 184;
export const ITEM_H = 70;
/** Room under a subnet's items for the probe arcs and their labels. */
const PROBE_ROOM = 72;
const ITEM_GAP = 16;
const ITEMS_PER_ROW = 2;
const SUBNET_HEADER = 34;
const SUBNET_PAD = 14;
const VPC_HEADER = 40;
const VPC_PAD = 18;
const VPC_GAP = 150;
const MARGIN = 20;

const KIND_RANK: Record<string, number> = {
  server: 0,
  'transit-ip': 1,
  'private-nat-gateway': 2,
  'load-balancer': 3,
  address: 5,
};

/**
 * @example
 *   const picture = layoutTopology(resources, probes);
 *   picture.arrows.find((a) => a.kind === 'dnat')?.label; // 'tcp 80 → 80'
 */
export function layoutTopology(
  resources: readonly TopologyResource[],
  probes: readonly ProbeResult[] = [],
  health: readonly MemberHealth[] = [],
): TopologyLayout {
  const byType = (type: string) => resources.filter((r) => r.type === type);
  const vpcs = byType('vpc');
  const subnets = byType('subnet');
  const rules = byType('dnat-rule');
  const hasTransit = new Set(byType('transit-ip').map((t) => t.vpcId));
  const hasGateway = new Set(byType('private-nat-gateway').map((g) => g.vpcId));
  const vpcRank = (v: TopologyResource) => (hasTransit.has(v.id) ? 0 : hasGateway.has(v.id) ? 1 : 2);
  const orderedVpcs = [...vpcs].sort((a, b) => vpcRank(a) - vpcRank(b) || a.name.localeCompare(b.name));

  // Items per subnet; a custom-IP DNAT target becomes an `address` item in the subnet that holds it.
  const itemsOf = new Map<string, TopologyResource[]>();
  const add = (subnetId: string | undefined, r: TopologyResource) => {
    if (!subnetId) return;
    itemsOf.set(subnetId, [...(itemsOf.get(subnetId) ?? []), r]);
  };
  for (const r of resources) {
    if (r.type === 'server' || r.type === 'transit-ip' || r.type === 'private-nat-gateway')
      add(r.subnetId, r);
    if (r.type === 'load-balancer') add(r.frontendSubnetId, r);
  }
  const addressItems = new Map<string, TopologyResource>();
  for (const rule of rules) {
    if (rule.target?.kind !== 'ip' || addressItems.has(rule.target.ip)) continue;
    const subnet = subnets.find((s) => s.cidr && cidrContains(s.cidr, rule.target!.ip));
    const pseudo: TopologyResource = {
      id: `ip:${rule.target.ip}`,
      type: 'address',
      name: 'custom IP',
      ip: rule.target.ip,
    };
    addressItems.set(rule.target.ip, pseudo);
    if (subnet) add(subnet.id, pseudo);
  }

  // Subnets whose servers are probe sources get room under their items for the probe arcs.
  const probeSubnets = new Set(
    probes.map(
      (p) =>
        (
          resources.find((r) => r.type === 'server' && r.name === p.entry.from && r.plan === p.plan) ??
          resources.find((r) => r.type === 'server' && (r.name === p.entry.from || r.id === p.entry.from))
        )?.subnetId,
    ),
  );
  const placed = new Map<string, TopologyItem>();
  const outVpcs: TopologyVpc[] = [];
  let x = MARGIN;
  let height = 0;
  for (const vpc of orderedVpcs) {
    const gatewayVpc = hasGateway.has(vpc.id);
    const rank = (r: TopologyResource) => (gatewayVpc && r.type === 'server' ? 4 : (KIND_RANK[r.type] ?? 6));
    const own = subnets
      .filter((s) => s.vpcId === vpc.id)
      .sort((a, b) => compareCidr(a.cidr ?? '', b.cidr ?? ''));
    const subnetBoxes: TopologySubnet[] = [];
    let y = MARGIN + VPC_HEADER;
    let innerW = ITEM_W + 2 * SUBNET_PAD;
    for (const subnet of own) {
      const items = [...(itemsOf.get(subnet.id) ?? [])].sort(
        (a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name),
      );
      const columns = Math.max(1, Math.min(ITEMS_PER_ROW, items.length));
      const rows = Math.ceil(items.length / ITEMS_PER_ROW);
      const w = columns * ITEM_W + (columns - 1) * ITEM_GAP + 2 * SUBNET_PAD;
      const h =
        SUBNET_HEADER +
        Math.max(rows, 0) * (ITEM_H + ITEM_GAP) +
        (rows === 0 ? 12 : SUBNET_PAD - ITEM_GAP) +
        (rows > 0 && probeSubnets.has(subnet.id) ? PROBE_ROOM : 0);
      const box: TopologySubnet = {
        id: subnet.id,
        name: subnet.name,
        cidr: subnet.cidr ?? '',
        x: 0,
        y,
        w,
        h,
        items: [],
      };
      items.forEach((r, i) => {
        const item: TopologyItem = {
          id: r.id,
          kind: (r.type === 'address' ? 'address' : r.type) as ItemKind,
          name: r.name,
          addresses: addressesOf(r),
          x: SUBNET_PAD + (i % ITEMS_PER_ROW) * (ITEM_W + ITEM_GAP),
          y: y + SUBNET_HEADER + Math.floor(i / ITEMS_PER_ROW) * (ITEM_H + ITEM_GAP),
          w: ITEM_W,
          h: ITEM_H,
          ...(r.status ? { status: r.status } : {}),
          ...(r.imported ? { importedFrom: r.cloud ?? 'cloud' } : {}),
        };
        box.items.push(item);
      });
      subnetBoxes.push(box);
      innerW = Math.max(innerW, w);
      y += h + ITEM_GAP;
    }
    const w = innerW + 2 * VPC_PAD;
    const h = Math.max(y - ITEM_GAP + VPC_PAD, MARGIN + VPC_HEADER + 30) - MARGIN;
    // Now that the VPC's width is known, move its subnets and items into place.
    for (const box of subnetBoxes) {
      const dx = x + VPC_PAD;
      box.x = dx;
      box.w = innerW;
      for (const item of box.items) {
        item.x += dx;
        placed.set(item.id, item);
      }
    }
    outVpcs.push({
      id: vpc.id,
      name: vpc.name,
      cidr: vpc.cidr ?? '',
      plan: vpc.plan ?? null,
      x,
      y: MARGIN,
      w,
      h,
      subnets: subnetBoxes,
      ...(vpc.imported ? { importedFrom: vpc.cloud ?? 'cloud' } : {}),
    });
    x += w + VPC_GAP;
    height = Math.max(height, MARGIN + h);
  }
  const width = Math.max(x - VPC_GAP + MARGIN, 320);

  // Probe results first: they decide the colour of the DNAT rules they went through.
  const arrows: TopologyArrow[] = [];
  const ruleStatus = new Map<string, PathStatus>();
  const pairCount = new Map<string, number>();
  const nextOffset = (a: string, b: string) => {
    const key = [a, b].sort().join('|');
    const n = pairCount.get(key) ?? 0;
    pairCount.set(key, n + 1);
    return n;
  };
  const probeArrows: TopologyArrow[] = [];
  probes.forEach((probe, i) => {
    const from = findItem(resources, placed, probe.entry.from, probe.plan, ['server']);
    const to = findItem(resources, placed, probe.entry.to, probe.plan, [
      'transit-ip',
      'server',
      'load-balancer',
      'address',
    ]);
    const status: PathStatus = probe.ok ? 'ok' : 'fail';
    const toResource = to ? resources.find((r) => r.id === to.id) : undefined;
    const toIp = toResource?.ip ?? (isAddress(probe.entry.to) ? probe.entry.to : undefined);
    for (const rule of rules) {
      if (rule.transitIp !== toIp) continue;
      const portMatches =
        rule.protocol === 'any' ||
        (rule.transitPort === probe.entry.port && protocolMatches(rule.protocol, probe.entry.protocol));
      if (!portMatches) continue;
      const reached = probe.verdict.toLowerCase() === 'reachable';
      const previous = ruleStatus.get(rule.id);
      const mine: PathStatus = reached
        ? 'ok'
        : probe.expected?.toLowerCase() === 'reachable'
          ? 'fail'
          : 'unknown';
      if (mine === 'fail' || previous === undefined || previous === 'unknown') ruleStatus.set(rule.id, mine);
    }
    if (!from || !to) return;
    const offset = nextOffset(from.id, to.id);
    const arrow = arc(from, to, offset);
    const verdict = probe.ok ? '✓' : '✗';
    probeArrows.push({
      id: `probe-${i}`,
      kind: 'probe',
      from: from.id,
      to: to.id,
      label: `${verdict} ${probe.entry.protocol} ${probe.entry.port} ${probe.verdict.toLowerCase()}`,
      status,
      ...arrow,
      title: `${probe.entry.from} → ${probe.entry.to} ${probe.entry.protocol}/${probe.entry.port}: expected ${probe.expected ?? '?'}, found ${probe.verdict}${probe.code ? ` (${probe.code})` : ''}${probe.source ? ` — ${probe.source}` : ''}`,
    });
  });

  for (const rule of rules) {
    const from = placed.get(rule.transitIpId ?? '');
    const targetId =
      rule.target?.kind === 'server'
        ? rule.target.serverId
        : rule.target?.kind === 'load-balancer'
          ? rule.target.loadBalancerId
          : `ip:${rule.target?.ip}`;
    const to = placed.get(targetId ?? '');
    if (!from || !to) continue;
    const offset = nextOffset(from.id, to.id);
    const gatewayItem = placed.get(rule.gatewayId ?? '');
    // Through the gateway, where the translation happens: transit IP → gateway → target.
    const path =
      gatewayItem && gatewayItem !== to && gatewayItem !== from
        ? (() => {
            const first = curve(from, gatewayItem, offset);
            const second = curve(gatewayItem, to, offset);
            return { segments: [...first.segments, ...second.segments], labelAt: first.labelAt };
          })()
        : curve(from, to, offset);
    const ports = rule.protocol === 'any' ? 'all ports' : `${rule.transitPort} → ${rule.internalPort}`;
    const gateway = resources.find((r) => r.id === rule.gatewayId);
    arrows.push({
      id: rule.id,
      kind: 'dnat',
      from: from.id,
      to: to.id,
      label: `${rule.protocol} ${ports}`,
      status: ruleStatus.get(rule.id) ?? 'unknown',
      ...path,
      title: `DNAT ${rule.name || rule.id}: ${rule.transitIp}:${rule.transitPort} ${rule.protocol} → ${rule.target?.ip}:${rule.internalPort} via ${gateway?.name ?? rule.gatewayId}${rule.status ? ` (${rule.status})` : ''}`,
    });
  }
  // Load balancer → each backend member its listeners forward to, with the member's health.
  const drawn = new Set<string>();
  for (const listener of byType('listener')) {
    const lb = placed.get(listener.loadBalancerId ?? '');
    const group = resources.find((r) => r.id === listener.backendGroupId);
    if (!lb || !group) continue;
    const checks = health.find((c) => c.loadBalancerId === lb.id && c.backendGroupId === group.id);
    for (const member of group.members ?? []) {
      const server = placed.get(member.serverId);
      const key = `${lb.id}|${member.serverId}|${member.port}`;
      if (!server || drawn.has(key)) continue;
      drawn.add(key);
      const healthy = checks?.members.find(
        (m) => m.serverId === member.serverId && m.port === member.port,
      )?.healthy;
      const status: PathStatus = healthy === true ? 'ok' : healthy === false ? 'fail' : 'unknown';
      const state = healthy === true ? 'healthy' : healthy === false ? 'unhealthy' : 'not checked';
      arrows.push({
        id: `member-${key}`,
        kind: 'member',
        from: lb.id,
        to: server.id,
        label: `:${member.port} ${state}`,
        status,
        ...memberPath(lb, server, nextOffset(lb.id, server.id)),
        title: `${lb.name} → ${server.name}:${member.port} (backend group ${group.name}, weight ${member.weight ?? 1}): ${state}`,
      });
    }
  }

  // SNAT: the source subnet's traffic leaves through the gateway from the transit IP.
  const subnetBoxes = outVpcs.flatMap((v) => v.subnets);
  for (const rule of byType('snat-rule')) {
    const transit = placed.get(rule.transitIpId ?? '');
    const source =
      subnetBoxes.find((b) => b.id === rule.subnetId) ?? subnetBoxes.find((b) => b.cidr === rule.cidr);
    if (!transit || !source) continue;
    const gateway = placed.get(rule.gatewayId ?? '');
    const anchor: Rect = { x: source.x, y: source.y, w: source.w, h: SUBNET_HEADER };
    const offset = nextOffset(source.id, transit.id);
    const path =
      gateway && !(gateway.x >= source.x && gateway.x < source.x + source.w)
        ? (() => {
            const first = curve(anchor, gateway, offset);
            const second = curve(gateway, transit, offset);
            return { segments: [...first.segments, ...second.segments], labelAt: second.labelAt };
          })()
        : curve(anchor, transit, offset);
    // Above the DNAT rule's label, which sits on the same stretch between the VPCs.
    path.labelAt = [path.labelAt[0], path.labelAt[1] - 22];
    const tip = resources.find((r) => r.id === rule.transitIpId);
    arrows.push({
      id: rule.id,
      kind: 'snat',
      from: source.id,
      to: transit.id,
      label: `SNAT ${rule.cidr}`,
      status: 'unknown',
      ...path,
      title: `SNAT ${rule.name || rule.id}: source ${rule.cidr} (${source.name}) leaves from ${tip?.name ?? ''} ${tip?.ip ?? ''}${rule.status ? ` (${rule.status})` : ''}`,
    });
  }
  arrows.push(...probeArrows);
  return { width, height: height + MARGIN + 24, vpcs: outVpcs, arrows };
}

/** A side-to-side curve between two boxes (around the right side when they share a column). */
function curve(from: Rect, to: Rect, offset: number): Pick<TopologyArrow, 'segments' | 'labelAt'> {
  const shift = offset * 14;
  const rightward = to.x >= from.x + from.w;
  const leftward = to.x + to.w <= from.x;
  if (rightward || leftward) {
    const sx = rightward ? from.x + from.w : from.x;
    const tx = rightward ? to.x : to.x + to.w;
    const sy = from.y + from.h / 2 + shift;
    const ty = to.y + to.h / 2 + shift;
    const bend = Math.max(30, Math.abs(tx - sx) / 2);
    const dir = rightward ? 1 : -1;
    return {
      segments: [
        [
          [sx, sy],
          [sx + dir * bend, sy],
          [tx - dir * bend, ty],
          [tx, ty],
        ],
      ],
      labelAt: [(sx + tx) / 2, (sy + ty) / 2 - 6],
    };
  }
  const sx = from.x + from.w;
  const tx = to.x + to.w;
  const sy = from.y + from.h / 2 + shift;
  const ty = to.y + to.h / 2 + shift;
  const reach = 48 + offset * 14;
  return {
    segments: [
      [
        [sx, sy],
        [sx + reach, sy],
        [tx + reach, ty],
        [tx, ty],
      ],
    ],
    labelAt: [Math.max(sx, tx) + reach * 0.75 + 4, (sy + ty) / 2],
  };
}

/**
 * A load balancer's edge to a backend member: out of its bottom and into the member's side when the
 * member lies below (the usual place: servers sort after load balancers in their subnet), so it stays
 * clear of the DNAT arrow that enters the load balancer from the side; a side-to-side curve otherwise.
 */
function memberPath(lb: Rect, server: Rect, offset: number): Pick<TopologyArrow, 'segments' | 'labelAt'> {
  if (server.y < lb.y + lb.h) return curve(lb, server, offset);
  const sx = lb.x + lb.w / 2 + offset * 12;
  const sy = lb.y + lb.h;
  const fromRight = server.x + server.w <= sx;
  const tx = fromRight ? server.x + server.w : server.x + server.w / 2;
  const ty = fromRight ? server.y + server.h / 2 : server.y;
  return {
    segments: [
      [
        [sx, sy],
        [sx, ty],
        [sx, ty],
        [tx, ty],
      ],
    ],
    labelAt: [sx + 48, sy + (ty - sy) / 2 + 4],
  };
}

/** An arc under two boxes, bottom to bottom: a probe from its source to its destination. */
function arc(from: Rect, to: Rect, offset: number): Pick<TopologyArrow, 'segments' | 'labelAt'> {
  const fx = from.x + from.w / 2 - 12;
  const tx = to.x + to.w / 2 + 12 * (offset % 2 === 0 ? -1 : 1);
  const fy = from.y + from.h;
  const ty = to.y + to.h;
  const depth = 24 + offset * 34;
  const low = Math.max(fy, ty) + depth;
  return {
    segments: [
      [
        [fx, fy],
        [fx, low],
        [tx, low],
        [tx, ty],
      ],
    ],
    labelAt: [(fx + tx) / 2, Math.max(fy, ty) + depth * 0.75 + 12],
  };
}

function findItem(
  resources: readonly TopologyResource[],
  placed: Map<string, TopologyItem>,
  ref: string,
  plan: string,
  types: string[],
): TopologyItem | undefined {
  const candidates = resources.filter((r) => types.includes(r.type) && placed.has(r.id));
  const match =
    candidates.find((r) => r.id === ref) ??
    candidates.find((r) => r.name === ref && r.plan === plan) ??
    candidates.find((r) => r.name === ref) ??
    candidates.find((r) => r.ip === ref);
  if (match) return placed.get(match.id);
  return isAddress(ref) ? placed.get(`ip:${ref}`) : undefined;
}

function addressesOf(r: TopologyResource): string[] {
  switch (r.type) {
    case 'load-balancer':
      return [r.ip ?? '', r.backendIp ? `backend ${r.backendIp}` : ''].filter(Boolean);
    case 'private-nat-gateway':
      return [`downlink ${r.downlinkIp ?? '?'}`, r.spec ? `spec ${r.spec}` : ''].filter(Boolean);
    default:
      return r.ip ? [r.ip] : [];
  }
}

function protocolMatches(ruleProtocol: string | undefined, probeProtocol: string): boolean {
  if (ruleProtocol === 'any') return true;
  if (ruleProtocol === 'tcp') return probeProtocol === 'tcp' || probeProtocol === 'http';
  return ruleProtocol === probeProtocol;
}

function isAddress(text: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(text);
}

function toNumber(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

/** Whether `cidr` (`10.0.0.0/24`) holds `ip`. */
export function cidrContains(cidr: string, ip: string): boolean {
  const [base, bits] = cidr.split('/');
  if (!base || bits === undefined || !isAddress(ip)) return false;
  const size = 2 ** (32 - Number(bits));
  const start = toNumber(base);
  const n = toNumber(ip);
  return n >= start && n < start + size;
}

function compareCidr(a: string, b: string): number {
  return toNumber(a.split('/')[0] ?? '0.0.0.0') - toNumber(b.split('/')[0] ?? '0.0.0.0');
}
