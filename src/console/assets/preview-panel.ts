/**
 * The preview of a plan in the console (docs/preview.md): what `POST /plans/preview` answers, shown before
 * anything starts — each entry's action in a table, the summary line, and the paths the plan's DNAT rules
 * touch drawn on the topology picture as dashed arrows (opened green, closed red, still closed amber with
 * the code that blocks them), the picture being the resources those paths go through after the plan.
 *
 * The picture is `layoutTopology`'s (topology.ts): each path is handed to it as a probe result, so it is
 * placed as a verify entry's arrow is, and then classed by what the preview says about it.
 */
import { h, s } from './dom.ts';
import { layoutTopology, type ProbeResult, type TopologyArrow, type TopologyResource } from './topology.ts';

export interface PreviewPath {
  from: string;
  to: string;
  protocol: string;
  port: number;
  before: { verdict: string; code?: string };
  after: { verdict: string; code?: string };
  rule: string;
}

export interface PreviewAnswer {
  plan: string;
  mode: 'apply' | 'destroy';
  actions: Array<{
    entry: string;
    kind: string;
    name: string;
    action: string;
    code?: string;
    address?: string;
    errors?: Array<{ path: string; code: string; message: string }>;
  }>;
  summary: {
    create: number;
    unchanged: number;
    differs: number;
    conflicts: number;
    existing: number;
    destroy: number;
  };
  reachability: {
    opened: PreviewPath[];
    closed: PreviewPath[];
    stillClosed: PreviewPath[];
    unchanged: number;
  };
  topology?: TopologyResource[];
}

type PathClass = 'opened' | 'closed' | 'still-closed';

const SYMBOL: Record<string, string> = {
  create: '+',
  unchanged: '=',
  differs: '~',
  conflict: '!',
  existing: '·',
  destroy: '-',
};

/** The contract's summary line. */
export function summaryLine(preview: PreviewAnswer): string {
  const p = preview.summary;
  return `Plan: ${p.create} to create, ${p.unchanged} unchanged, ${p.differs} differ, ${p.conflicts} conflicts.`;
}

/** Whether the plan would fail (a conflict, or an entry that differs): then it is not started. */
export function previewFails(preview: PreviewAnswer): boolean {
  return preview.summary.conflicts > 0 || preview.summary.differs > 0;
}

export function previewPanel(preview: PreviewAnswer): HTMLElement {
  const fails = previewFails(preview);
  const paths: Array<{ path: PreviewPath; kind: PathClass }> = [
    ...preview.reachability.opened.map((path) => ({ path, kind: 'opened' as const })),
    ...preview.reachability.closed.map((path) => ({ path, kind: 'closed' as const })),
    ...preview.reachability.stillClosed.map((path) => ({ path, kind: 'still-closed' as const })),
  ];
  return h(
    'section',
    { id: 'preview-result', class: 'card preview', 'aria-labelledby': 'preview-title' },
    h('h2', { id: 'preview-title' }, `Preview of ${preview.plan}`),
    h(
      'p',
      { class: `alert ${fails ? 'alert-error' : 'alert-ok'}`, role: 'status', id: 'preview-summary' },
      h('strong', {}, summaryLine(preview)),
      preview.mode === 'destroy' ? ` ${preview.summary.destroy} to destroy.` : '',
      fails ? ' It would fail: fix the conflicts before starting it.' : '',
    ),
    actionsTable(preview),
    h('h3', {}, 'Paths the plan’s DNAT rules touch'),
    pathsList(paths, preview.reachability.unchanged),
    picture(preview, paths),
  );
}

function actionsTable(preview: PreviewAnswer): HTMLElement {
  return h(
    'table',
    { class: 'grid preview-actions', id: 'preview-actions' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...['', 'Kind', 'Name', 'Entry', 'Address', 'Code'].map((t) => h('th', { scope: 'col' }, t)),
      ),
    ),
    h(
      'tbody',
      {},
      ...preview.actions.map((a) =>
        h(
          'tr',
          { class: `action-${a.action}`, 'data-entry': a.entry, 'data-action': a.action },
          h('td', { class: 'mono symbol', title: a.action }, SYMBOL[a.action] ?? '?'),
          h('td', {}, a.kind),
          h('td', {}, a.name),
          h('td', { class: 'mono' }, a.entry),
          h('td', { class: 'mono' }, a.address ?? ''),
          h(
            'td',
            {},
            a.code
              ? h('code', { title: a.errors?.map((e) => `${e.path}: ${e.message}`).join('\n') ?? '' }, a.code)
              : '',
          ),
        ),
      ),
    ),
  );
}

function pathsList(paths: Array<{ path: PreviewPath; kind: PathClass }>, unchanged: number): HTMLElement {
  const label: Record<PathClass, string> = {
    opened: 'opened',
    closed: 'closed',
    'still-closed': 'still closed',
  };
  return h(
    'ul',
    { class: 'preview-paths', id: 'preview-paths' },
    ...paths.map(({ path, kind }) =>
      h(
        'li',
        { class: `preview-${kind}`, 'data-kind': kind },
        h('strong', {}, label[kind]),
        ' ',
        h('span', { class: 'mono' }, `${path.from} → ${path.to}/${path.protocol}`),
        ' ',
        h(
          'span',
          { class: 'muted' },
          kind === 'opened'
            ? `(before: ${path.before.code ?? 'reachable'})`
            : `(after: ${path.after.code ?? path.after.verdict.toLowerCase()})`,
        ),
      ),
    ),
    h('li', { class: 'muted' }, `${unchanged} path${unchanged === 1 ? '' : 's'} unchanged`),
  );
}

function picture(preview: PreviewAnswer, paths: Array<{ path: PreviewPath; kind: PathClass }>): HTMLElement {
  const resources = preview.topology ?? [];
  // The path's ends by id: names and addresses can repeat across VPCs (overlapping CIDRs).
  const ends = (path: PreviewPath) => {
    const ip = path.to.slice(0, path.to.lastIndexOf(':'));
    const tips = resources.filter((r) => r.type === 'transit-ip' && r.ip === ip);
    const servers = resources.filter((r) => r.type === 'server' && r.name === path.from);
    const server = servers.find((sv) => tips.some((t) => t.vpcId === sv.vpcId)) ?? servers[0];
    const tip = tips.find((t) => t.vpcId === server?.vpcId) ?? tips[0];
    return { from: server?.id ?? path.from, to: tip?.id ?? ip };
  };
  const probes: ProbeResult[] = paths.map(({ path, kind }) => ({
    plan: preview.plan,
    entry: { ...ends(path), protocol: path.protocol, port: path.port },
    verdict: path.after.verdict,
    ok: kind === 'opened',
    expected: kind === 'closed' ? 'reachable' : kind === 'opened' ? 'reachable' : 'unreachable',
    ...(path.after.code ? { code: path.after.code } : {}),
    source: `preview: ${kind}`,
  }));
  const layout = layoutTopology(resources, probes);
  if (layout.vpcs.length === 0) return h('p', { class: 'empty' }, 'No resources to draw.');
  const svg = s(
    'svg',
    {
      class: 'topology preview-topology',
      id: 'preview-topology',
      viewBox: `0 0 ${layout.width} ${layout.height}`,
      width: layout.width,
      height: layout.height,
      role: 'img',
      'aria-label': `The paths of ${preview.plan} on ${layout.vpcs.map((v) => v.name).join(', ')}`,
    },
    s(
      'defs',
      {},
      ...['ok', 'fail', 'unknown', 'warn'].map((status) =>
        s(
          'marker',
          {
            id: `preview-arrow-${status}`,
            viewBox: '0 0 10 10',
            refX: 9,
            refY: 5,
            markerWidth: 8,
            markerHeight: 8,
            orient: 'auto-start-reverse',
          },
          s('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: `arrowhead path-${status}` }),
        ),
      ),
    ),
  );
  for (const vpc of layout.vpcs) {
    svg.append(
      s(
        'g',
        { class: 'vpc', 'data-id': vpc.id, 'data-name': vpc.name },
        s('rect', { x: vpc.x, y: vpc.y, width: vpc.w, height: vpc.h, rx: 10 }),
        s('text', { class: 'vpc-name', x: vpc.x + 14, y: vpc.y + 22 }, vpc.name),
        s('text', { class: 'cidr', x: vpc.x + vpc.w - 14, y: vpc.y + 22, 'text-anchor': 'end' }, vpc.cidr),
      ),
    );
    for (const subnet of vpc.subnets) {
      svg.append(
        s(
          'g',
          { class: 'subnet', 'data-name': subnet.name },
          s('rect', { x: subnet.x, y: subnet.y, width: subnet.w, height: subnet.h, rx: 8 }),
          s('text', { class: 'subnet-name', x: subnet.x + 12, y: subnet.y + 21 }, subnet.name),
        ),
      );
      for (const item of subnet.items) {
        svg.append(
          s(
            'g',
            {
              class: `item item-${item.kind}`,
              'data-name': item.name,
              transform: `translate(${item.x} ${item.y})`,
            },
            s('rect', { width: item.w, height: item.h, rx: 6 }),
            s('text', { class: 'kind', x: 10, y: 16 }, item.kind.toUpperCase()),
            s('text', { class: 'item-name', x: 10, y: 32 }, item.name),
            ...item.addresses.map((address, line) =>
              s('text', { class: 'address', x: 10, y: 50 + line * 14 }, address),
            ),
          ),
        );
      }
    }
  }
  for (const arrow of layout.arrows) {
    const index = arrow.kind === 'probe' ? Number(arrow.id.slice('probe-'.length)) : -1;
    const path = paths[index];
    svg.append(drawArrow(arrow, path ? { kind: path.kind, path: path.path } : undefined));
  }
  return h('div', { class: 'topology-box' }, svg);
}

function drawArrow(
  arrow: TopologyArrow,
  preview: { kind: PathClass; path: PreviewPath } | undefined,
): SVGElement {
  const d = arrow.segments
    .map(
      ([[x0, y0], [x1, y1], [x2, y2], [x3, y3]]) => `M ${x0} ${y0} C ${x1} ${y1}, ${x2} ${y2}, ${x3} ${y3}`,
    )
    .join(' ');
  const status = preview
    ? preview.kind === 'opened'
      ? 'ok'
      : preview.kind === 'closed'
        ? 'fail'
        : 'warn'
    : 'unknown';
  const label = preview
    ? `${preview.kind === 'still-closed' ? 'still closed' : preview.kind} ${preview.path.protocol} ${preview.path.port}${
        preview.kind === 'opened' ? '' : ` ${preview.path.after.code ?? ''}`
      }`.trim()
    : arrow.label;
  const [lx, ly] = arrow.labelAt;
  const width = label.length * 6.6 + 14;
  return s(
    'g',
    {
      class: `arrow arrow-${arrow.kind} path-${status}${preview ? ` preview-${preview.kind}` : ''}`,
      'data-from': arrow.from,
      'data-to': arrow.to,
      ...(preview ? { 'data-path': `${preview.path.from} ${preview.path.to}/${preview.path.protocol}` } : {}),
    },
    s(
      'title',
      {},
      preview ? `${preview.path.from} → ${preview.path.to}/${preview.path.protocol}: ${label}` : arrow.title,
    ),
    s('path', { d, 'marker-end': `url(#preview-arrow-${status})` }),
    s('rect', { class: 'label-bg', x: lx - width / 2, y: ly - 12, width, height: 17, rx: 4 }),
    s('text', { class: 'arrow-label', x: lx, y: ly, 'text-anchor': 'middle' }, label),
  );
}
