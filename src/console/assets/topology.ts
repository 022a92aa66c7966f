/**
 * The virtual cloud (or a real one natflow drives) as a picture, laid out by elkjs (elk.ts):
 *
 * - compound nodes, VPC → subnet → resources (servers, load balancers, transit IPs, private NAT gateways,
 *   a custom-IP DNAT target as an `address`, an SNAT rule's source block as an `snat-source`);
 * - edges: each DNAT rule from its transit IP to its target (labelled with protocol, ports, gateway,
 *   plan, cloud and its path status), each SNAT rule from its source block to its transit IP, each load
 *   balancer to its backend members (with their health), and each verification row from its source to
 *   its destination;
 * - the VPCs joined by edges form a group, laid out left to right by ELK's layered algorithm with
 *   orthogonal edge routing around the boxes and edge labels placed between the layers; the groups are
 *   packed into rows no wider than `targetWidth` by ELK's rectangle packing, so several plans fit the
 *   console's width instead of running on in one row.
 *
 * Every box and edge carries its resource id, kind and status (topology-state.ts) for the drawing's
 * `data-id`, `data-kind` and `data-status`; every frame and edge label says its plan and cloud.
 *
 * Pure (no DOM): the caller hands in an `Elk` and a text `Measure`; Node tests import it.
 */
import {
  type Elk,
  type ElkEdge,
  type ElkNode,
  estimate,
  type Measure,
  pointsOf,
  ROOT_COORDINATES,
} from './elk.ts';
import {
  cidrContains,
  type MemberHealth,
  type ResolvedRow,
  type TopologyResource,
  type TopologyState,
} from './topology-state.ts';

export type BoxKind =
  | 'vpc'
  | 'subnet'
  | 'server'
  | 'load-balancer'
  | 'transit-ip'
  | 'private-nat-gateway'
  | 'address'
  | 'snat-source';

export type EdgeKind = 'dnat' | 'snat' | 'member' | 'probe';

export interface Line {
  text: string;
  /** CSS class of the line: `name`, `cidr`, `kind`, `address`, `meta`, `status`. */
  cls: string;
  font: 'title' | 'text' | 'small';
}

export interface TopologyBox {
  id: string;
  kind: BoxKind;
  /** A frame (VPC, subnet) holds other boxes; its lines are its header. */
  frame: boolean;
  x: number;
  y: number;
  w: number;
  h: number;
  status: string;
  lines: Line[];
  title: string;
  plan?: string | null;
  importedFrom?: string;
}

export interface TopologyLabel {
  x: number;
  y: number;
  w: number;
  h: number;
  lines: Line[];
}

export interface TopologyEdge {
  id: string;
  kind: EdgeKind;
  from: string;
  to: string;
  status: string;
  points: [number, number][];
  label?: TopologyLabel;
  title: string;
  plan?: string | null;
}

export interface TopologyPicture {
  width: number;
  height: number;
  boxes: TopologyBox[];
  edges: TopologyEdge[];
}

export interface TopologyOptions {
  measure?: Measure;
  /** Rows of groups are packed to about this width (the drawing area's; default 1360). */
  targetWidth?: number;
  health?: readonly MemberHealth[];
}

const KIND_LABEL: Record<string, string> = {
  server: 'ECS',
  'load-balancer': 'LOAD BALANCER',
  'transit-ip': 'TRANSIT IP',
  'private-nat-gateway': 'PRIVATE NAT GATEWAY',
  address: 'CUSTOM IP',
  'snat-source': 'SNAT SOURCE',
};

const LINE = { title: 16, text: 15, small: 14 } as const;
/** The lines the stylesheet sets in bold (style.css: `.line-name`, `.line-status`). */
const bold = (line: Line) => line.cls === 'name' || line.cls === 'status' || line.font === 'title';
const PAD = 10;
const MIN_ITEM_WIDTH = 132;

/** A box of the graph before layout: what it says and where it sits in the hierarchy. */
interface Draft {
  id: string;
  kind: BoxKind;
  parent?: string;
  status: string;
  lines: Line[];
  title: string;
  plan?: string | null;
  importedFrom?: string;
}

interface EdgeDraft {
  id: string;
  kind: EdgeKind;
  from: string;
  to: string;
  status: string;
  lines: Line[];
  title: string;
  plan?: string | null;
}

/**
 * Lays out the resources with the state told on them.
 *
 * @example
 *   const picture = await layoutTopology(resources, state, new ELK());
 *   picture.edges.find((e) => e.kind === 'dnat'); // { from: transit IP id, to: target id, points, label }
 */
export async function layoutTopology(
  resources: readonly TopologyResource[],
  state: TopologyState,
  elk: Elk,
  options: TopologyOptions = {},
): Promise<TopologyPicture> {
  const measure = options.measure ?? estimate;
  const { boxes, edges } = draftTopology(resources, state, options.health ?? []);
  if (boxes.length === 0) return { width: 0, height: 0, boxes: [], edges: [] };

  // Groups: VPCs joined by an edge (union-find over the edges' VPCs).
  const vpcOf = new Map<string, string>();
  const byId = new Map(boxes.map((b) => [b.id, b]));
  const vpcIdOf = (id: string): string => {
    let box = byId.get(id);
    while (box?.parent !== undefined) box = byId.get(box.parent);
    return box?.id ?? id;
  };
  const parentOf = new Map<string, string>();
  const find = (v: string): string => {
    const p = parentOf.get(v) ?? v;
    if (p === v) return v;
    const root = find(p);
    parentOf.set(v, root);
    return root;
  };
  for (const box of boxes) if (box.kind === 'vpc') parentOf.set(box.id, box.id);
  for (const edge of edges) {
    const a = find(vpcIdOf(edge.from));
    const b = find(vpcIdOf(edge.to));
    if (a !== b) parentOf.set(a, b);
  }
  for (const box of boxes) if (box.kind !== 'vpc') vpcOf.set(box.id, vpcIdOf(box.id));

  const nodeOf = (draft: Draft): ElkNode => {
    const children = boxes.filter((b) => b.parent === draft.id);
    const textWidth = Math.max(...draft.lines.map((l) => measure(l.text, l.font, bold(l))));
    const textHeight = draft.lines.reduce((sum, l) => sum + LINE[l.font], 0);
    if (children.length === 0 && draft.kind !== 'vpc' && draft.kind !== 'subnet') {
      return {
        id: draft.id,
        width: Math.max(MIN_ITEM_WIDTH, textWidth + 2 * PAD),
        height: textHeight + 2 * PAD - 2,
      };
    }
    const top = textHeight + PAD + 6;
    return {
      id: draft.id,
      children: children.map(nodeOf),
      layoutOptions: {
        'elk.padding': `[top=${top},left=${PAD + 2},bottom=${PAD + 2},right=${PAD + 2}]`,
        'elk.nodeSize.constraints': 'MINIMUM_SIZE',
        'elk.nodeSize.minimum': `(${textWidth + 2 * PAD + 4}, ${top + 24})`,
      },
    };
  };

  const groups = new Map<string, Draft[]>();
  for (const box of boxes)
    if (box.kind === 'vpc') groups.set(find(box.id), [...(groups.get(find(box.id)) ?? []), box]);
  const elkEdges = (group: string): ElkEdge[] =>
    edges
      .filter((e) => find(vpcIdOf(e.from)) === group)
      .map((e) => {
        const width = Math.max(...e.lines.map((l) => measure(l.text, l.font, bold(l))), 0) + 10;
        const height = e.lines.reduce((sum, l) => sum + LINE[l.font], 0) + 4;
        // An SNAT rule's traffic leaves the gateway's VPC towards the transit IP, against the DNAT rules'
        // direction: laid out transit IP first (so transit VPCs stay before gateway VPCs), drawn reversed.
        const reversed = e.kind === 'snat';
        return {
          id: e.id,
          sources: [reversed ? e.to : e.from],
          targets: [reversed ? e.from : e.to],
          ...(e.lines.length > 0 ? { labels: [{ id: `${e.id}#label`, text: e.id, width, height }] } : {}),
        };
      });

  const graph: ElkNode = {
    id: 'topology',
    layoutOptions: {
      ...ROOT_COORDINATES,
      'elk.algorithm': 'rectpacking',
      'elk.rectpacking.widthApproximation.strategy': 'TARGET_WIDTH',
      'elk.rectpacking.widthApproximation.targetWidth': String(options.targetWidth ?? 1360),
      'elk.spacing.nodeNode': '28',
      'elk.padding': '[top=12,left=12,bottom=12,right=12]',
    },
    children: [...groups.entries()]
      .sort(([, a], [, b]) => (a[0]?.plan ?? '').localeCompare(b[0]?.plan ?? ''))
      .map(([group, vpcs]) => ({
        id: `group:${group}`,
        layoutOptions: {
          'elk.algorithm': 'layered',
          'elk.direction': 'DOWN',
          'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
          'elk.edgeRouting': 'ORTHOGONAL',
          'elk.edgeLabels.placement': 'CENTER',
          'elk.layered.edgeLabels.centerLabelPlacementStrategy': 'SPACE_EFFICIENT_LAYER',
          'elk.layered.spacing.nodeNodeBetweenLayers': '36',
          'elk.layered.spacing.edgeNodeBetweenLayers': '18',
          'elk.spacing.nodeNode': '22',
          'elk.spacing.edgeNode': '14',
          'elk.spacing.edgeEdge': '10',
          'elk.spacing.edgeLabel': '4',
          'elk.spacing.labelNode': '6',
          'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
          'elk.padding': '[top=0,left=0,bottom=0,right=0]',
        },
        children: vpcs.map(nodeOf),
        edges: elkEdges(group),
      })),
  };
  const laid = await elk.layout(graph);

  const placed = new Map<string, ElkNode>();
  const visit = (node: ElkNode) => {
    placed.set(node.id, node);
    for (const child of node.children ?? []) visit(child);
  };
  visit(laid);
  const laidEdges = new Map<string, ElkEdge>();
  for (const group of laid.children ?? []) for (const edge of group.edges ?? []) laidEdges.set(edge.id, edge);

  const outBoxes: TopologyBox[] = [];
  for (const draft of boxes) {
    const node = placed.get(draft.id);
    if (!node) continue;
    outBoxes.push({
      id: draft.id,
      kind: draft.kind,
      frame: draft.kind === 'vpc' || draft.kind === 'subnet',
      x: node.x ?? 0,
      y: node.y ?? 0,
      w: node.width ?? 0,
      h: node.height ?? 0,
      status: draft.status,
      lines: draft.lines,
      title: draft.title,
      ...(draft.plan !== undefined ? { plan: draft.plan } : {}),
      ...(draft.importedFrom !== undefined ? { importedFrom: draft.importedFrom } : {}),
    });
  }
  const outEdges: TopologyEdge[] = [];
  for (const draft of edges) {
    const edge = laidEdges.get(draft.id);
    if (!edge) continue;
    const label = edge.labels?.[0];
    outEdges.push({
      id: draft.id,
      kind: draft.kind,
      from: draft.from,
      to: draft.to,
      status: draft.status,
      points: draft.kind === 'snat' ? pointsOf(edge).reverse() : pointsOf(edge),
      title: draft.title,
      ...(draft.plan !== undefined ? { plan: draft.plan } : {}),
      ...(label && draft.lines.length > 0
        ? { label: { x: label.x ?? 0, y: label.y ?? 0, w: label.width, h: label.height, lines: draft.lines } }
        : {}),
    });
  }
  return {
    width: Math.ceil(laid.width ?? 0),
    height: Math.ceil(laid.height ?? 0),
    boxes: outBoxes,
    edges: outEdges,
  };
}

/** The boxes and edges to draw, with what each says (no positions yet). */
export function draftTopology(
  resources: readonly TopologyResource[],
  state: TopologyState,
  health: readonly MemberHealth[],
): { boxes: Draft[]; edges: EdgeDraft[] } {
  const byId = new Map(resources.map((r) => [r.id, r]));
  const statusOf = (r: TopologyResource) =>
    state.resources.get(r.id) ?? { status: (r.status ?? 'ACTIVE').toLowerCase(), text: r.status ?? 'ACTIVE' };
  const cloudOf = (r: TopologyResource | undefined) => r?.cloud ?? 'virtual';
  const planText = (r: TopologyResource | undefined) =>
    r?.imported ? `imported · ${cloudOf(r)}` : `${r?.plan ?? 'no plan'} · ${cloudOf(r)}`;

  const boxes: Draft[] = [];
  const vpcs = resources.filter((r) => r.type === 'vpc');
  const subnets = resources.filter((r) => r.type === 'subnet' && byId.has(r.vpcId ?? ''));
  for (const vpc of vpcs) {
    const s = statusOf(vpc);
    boxes.push({
      id: vpc.id,
      kind: 'vpc',
      status: s.status,
      plan: vpc.plan ?? null,
      lines: [
        { text: `${vpc.name}  ${vpc.cidr ?? ''}`, cls: 'name', font: 'title' },
        { text: `${planText(vpc)} · ${s.text}`, cls: 'meta', font: 'small' },
      ],
      title: `VPC ${vpc.name} ${vpc.cidr ?? ''} (${vpc.id}) — ${planText(vpc)}: ${s.text}`,
      ...(vpc.imported ? { importedFrom: cloudOf(vpc) } : {}),
    });
  }
  for (const subnet of subnets) {
    const s = statusOf(subnet);
    boxes.push({
      id: subnet.id,
      kind: 'subnet',
      parent: subnet.vpcId!,
      status: s.status,
      plan: subnet.plan ?? null,
      lines: [
        { text: `${subnet.name}  ${subnet.cidr ?? ''}`, cls: 'name', font: 'text' },
        { text: `${s.text} · ${planText(subnet)}`, cls: 'meta', font: 'small' },
      ],
      title: `subnet ${subnet.name} ${subnet.cidr ?? ''} (${subnet.id}) — ${planText(subnet)}: ${s.text}`,
      ...(subnet.imported ? { importedFrom: cloudOf(subnet) } : {}),
    });
  }
  const subnetIds = new Set(subnets.map((s) => s.id));
  const vpcIds = new Set(vpcs.map((v) => v.id));
  const holderOf = (subnetId: string | null | undefined, vpcId: string | undefined) =>
    subnetId && subnetIds.has(subnetId) ? subnetId : vpcId && vpcIds.has(vpcId) ? vpcId : undefined;
  const item = (r: TopologyResource, parent: string | undefined, addresses: string[]) => {
    if (!parent) return;
    const s = statusOf(r);
    const kind = KIND_LABEL[r.type] ?? r.type.toUpperCase();
    boxes.push({
      id: r.id,
      kind: r.type as BoxKind,
      parent,
      status: s.status,
      plan: r.plan ?? null,
      lines: [
        { text: r.imported ? `${kind} · imported · ${cloudOf(r)}` : kind, cls: 'kind', font: 'small' },
        { text: r.name, cls: 'name', font: 'text' },
        ...addresses.map((a) => ({ text: a, cls: 'address', font: 'small' as const })),
        { text: s.text, cls: 'status', font: 'small' },
      ],
      title: `${kind} ${r.name} (${r.id}) — ${planText(r)}: ${s.text}`,
      ...(r.imported ? { importedFrom: cloudOf(r) } : {}),
    });
  };
  for (const r of resources) {
    if (r.type === 'server') item(r, holderOf(r.subnetId, r.vpcId), r.ip ? [r.ip] : []);
    if (r.type === 'transit-ip') item(r, holderOf(r.subnetId, r.vpcId), r.ip ? [r.ip] : []);
    if (r.type === 'private-nat-gateway')
      item(r, holderOf(r.subnetId, r.vpcId), [
        `downlink ${r.downlinkIp ?? '?'}${r.spec ? ` · ${r.spec}` : ''}`,
      ]);
    if (r.type === 'load-balancer')
      item(r, holderOf(r.frontendSubnetId, r.vpcId), [
        [r.ip, r.backendIp ? `backend ${r.backendIp}` : ''].filter(Boolean).join(' · '),
      ]);
  }
  const placed = new Set(boxes.map((b) => b.id));
  const subnetHolding = (address: string, near?: string) => {
    const candidates = subnets.filter((s) => s.cidr && cidrContains(s.cidr, address));
    return candidates.find((s) => s.vpcId === near) ?? candidates[0];
  };

  const edges: EdgeDraft[] = [];
  for (const rule of resources.filter((r) => r.type === 'dnat-rule')) {
    const gateway = byId.get(rule.gatewayId ?? '');
    let targetId = rule.target?.serverId ?? rule.target?.loadBalancerId;
    if (rule.target?.kind === 'ip') {
      targetId = `ip:${rule.id}`;
      const subnet = subnetHolding(rule.target.ip, gateway?.vpcId);
      if (subnet && !placed.has(targetId)) {
        boxes.push({
          id: targetId,
          kind: 'address',
          parent: subnet.id,
          status: statusOf(rule).status,
          plan: rule.plan ?? null,
          lines: [
            { text: KIND_LABEL.address!, cls: 'kind', font: 'small' },
            { text: rule.target.ip, cls: 'name', font: 'text' },
            { text: `target of ${rule.name || rule.id}`, cls: 'status', font: 'small' },
          ],
          title: `custom IP ${rule.target.ip}, the target of DNAT rule ${rule.name || rule.id}`,
        });
        placed.add(targetId);
      }
    }
    if (!placed.has(rule.transitIpId ?? '') || !targetId || !placed.has(targetId)) continue;
    const path = state.rules.get(rule.id) ?? { path: 'unverified', text: 'not verified', rows: [] };
    const ports = rule.protocol === 'any' ? 'all ports' : `${rule.transitPort} → ${rule.internalPort}`;
    const ruleState = statusOf(rule);
    edges.push({
      id: rule.id,
      kind: 'dnat',
      from: rule.transitIpId!,
      to: targetId,
      status: path.path,
      plan: rule.plan ?? null,
      lines: [
        {
          text: `${rule.protocol} ${ports} via ${gateway?.name ?? rule.gatewayId}`,
          cls: 'name',
          font: 'small',
        },
        { text: `${planText(rule)} · ${ruleState.text}`, cls: 'meta', font: 'small' },
        { text: path.text, cls: 'status', font: 'small' },
      ],
      title: `DNAT ${rule.name || rule.id} (${rule.id}): ${rule.transitIp}:${rule.transitPort} ${rule.protocol} → ${rule.target?.ip}:${rule.internalPort} via ${gateway?.name ?? rule.gatewayId} — ${planText(rule)}, rule ${ruleState.text}, path ${path.text}`,
    });
  }
  for (const rule of resources.filter((r) => r.type === 'snat-rule')) {
    const gateway = byId.get(rule.gatewayId ?? '');
    const subnet =
      (rule.subnetId ? subnets.find((s) => s.id === rule.subnetId) : undefined) ??
      subnetHolding(rule.cidr ?? '', gateway?.vpcId);
    if (!subnet || !placed.has(rule.transitIpId ?? '')) continue;
    const sourceId = `snat-source:${rule.id}`;
    const s = statusOf(rule);
    const gatewayStatus = gateway ? statusOf(gateway) : undefined;
    const status = gatewayStatus?.status === 'frozen' ? 'frozen' : s.status;
    boxes.push({
      id: sourceId,
      kind: 'snat-source',
      parent: subnet.id,
      status,
      plan: rule.plan ?? null,
      lines: [
        { text: KIND_LABEL['snat-source']!, cls: 'kind', font: 'small' },
        { text: rule.cidr ?? '', cls: 'name', font: 'text' },
        { text: `rule ${rule.name || rule.id}`, cls: 'address', font: 'small' },
        { text: s.text, cls: 'status', font: 'small' },
      ],
      title: `SNAT source ${rule.cidr} of rule ${rule.name || rule.id} (${rule.id}) in ${subnet.name}`,
    });
    placed.add(sourceId);
    const tip = byId.get(rule.transitIpId ?? '');
    edges.push({
      id: rule.id,
      kind: 'snat',
      from: sourceId,
      to: rule.transitIpId!,
      status,
      plan: rule.plan ?? null,
      lines: [
        { text: `SNAT ${rule.cidr} via ${gateway?.name ?? rule.gatewayId}`, cls: 'name', font: 'small' },
        {
          text: `${planText(rule)} · ${status === 'frozen' && s.status !== 'frozen' ? `FROZEN (gateway ${gateway?.name})` : s.text}`,
          cls: 'meta',
          font: 'small',
        },
      ],
      title: `SNAT ${rule.name || rule.id}: source ${rule.cidr} (${subnet.name}) leaves from ${tip?.name ?? ''} ${tip?.ip ?? ''} via ${gateway?.name ?? ''} — ${planText(rule)}: ${s.text}`,
    });
  }
  const drawn = new Set<string>();
  for (const listener of resources.filter((r) => r.type === 'listener')) {
    const lb = byId.get(listener.loadBalancerId ?? '');
    const group = byId.get(listener.backendGroupId ?? '');
    if (!lb || !group || !placed.has(lb.id)) continue;
    const checks = health.find((c) => c.loadBalancerId === lb.id && c.backendGroupId === group.id);
    for (const member of group.members ?? []) {
      const key = `member:${lb.id}|${member.serverId}|${member.port}`;
      if (!placed.has(member.serverId) || drawn.has(key)) continue;
      drawn.add(key);
      const healthy = checks?.members.find(
        (m) => m.serverId === member.serverId && m.port === member.port,
      )?.healthy;
      const status = healthy === true ? 'healthy' : healthy === false ? 'unhealthy' : 'unchecked';
      const said = healthy === true ? 'healthy' : healthy === false ? 'unhealthy' : 'not checked';
      const server = byId.get(member.serverId);
      edges.push({
        id: key,
        kind: 'member',
        from: lb.id,
        to: member.serverId,
        status,
        plan: lb.plan ?? null,
        lines: [{ text: `:${member.port} ${said}`, cls: 'name', font: 'small' }],
        title: `${lb.name} → ${server?.name}:${member.port} (backend group ${group.name}, weight ${member.weight ?? 1}): ${said}`,
      });
    }
  }
  state.rows.forEach((row: ResolvedRow, i) => {
    if (!row.fromId || !row.toId || !placed.has(row.fromId) || !placed.has(row.toId)) return;
    const mark = row.status === 'held' ? '✓' : row.status === 'stale' ? '?' : '✗';
    edges.push({
      id: `probe:${row.plan}:${i}`,
      kind: 'probe',
      from: row.fromId,
      to: row.toId,
      status: row.status,
      plan: row.plan,
      lines: [
        {
          text: `${mark} ${row.protocol} ${row.port} ${row.verdict.toLowerCase()}${row.code && !row.ok ? ` ${row.code}` : ''}`,
          cls: 'name',
          font: 'small',
        },
      ],
      title: `${row.plan}: ${row.from} → ${row.to} ${row.protocol}/${row.port}: expected ${row.expect}, found ${row.verdict}${row.code ? ` (${row.code})` : ''} — ${row.source.label}`,
    });
  });
  return { boxes, edges };
}
