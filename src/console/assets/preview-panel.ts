/**
 * The preview of a plan in the console (docs/preview.md): what `POST /plans/preview` answers, shown before
 * anything starts — each entry's action in a table, the summary line, and the paths the plan's DNAT rules
 * touch drawn on the topology picture as dashed arrows (opened green, closed red, still closed amber with
 * the code that blocks them), the picture being the resources those paths go through after the plan.
 *
 * The picture is `layoutTopology`'s (topology.ts): each path is handed to it as a verification row, so it
 * is placed as a verify entry's arrow is, and then classed by what the preview says about it.
 */
import { h, replace } from './dom.ts';
import { canvasMeasure, loadElk } from './elk.ts';
import { layoutTopology } from './topology.ts';
import { type TopologyResource, topologyState } from './topology-state.ts';
import { drawTopology } from './topology-svg.ts';
import type { VerificationRow } from './verification.ts';

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
  const box = h(
    'div',
    { class: 'topology-box', id: 'preview-picture' },
    h('p', { class: 'muted' }, 'drawing…'),
  );
  if (resources.length === 0) {
    replace(box, h('p', { class: 'empty' }, 'No resources to draw.'));
    return box;
  }
  // The path's ends by id: names and addresses can repeat across VPCs (overlapping CIDRs).
  const ends = (path: PreviewPath) => {
    const ip = path.to.slice(0, path.to.lastIndexOf(':'));
    const tips = resources.filter((r) => r.type === 'transit-ip' && r.ip === ip);
    const servers = resources.filter((r) => r.type === 'server' && r.name === path.from);
    const server = servers.find((sv) => tips.some((t) => t.vpcId === sv.vpcId)) ?? servers[0];
    const tip = tips.find((t) => t.vpcId === server?.vpcId) ?? tips[0];
    return { from: server?.id ?? path.from, to: tip?.id ?? ip };
  };
  // Each path as a verification row of the plan, so it is placed as a verify entry's arrow is.
  const rows: VerificationRow[] = paths.map(({ path, kind }) => ({
    plan: preview.plan,
    ...ends(path),
    protocol: path.protocol,
    port: path.port,
    expect: kind === 'still-closed' ? 'unreachable' : 'reachable',
    verdict: path.after.verdict,
    ok: kind === 'opened',
    at: 0,
    source: { kind: 'event', id: 'preview', label: `preview: ${kind}` },
    ...(path.after.code ? { code: path.after.code } : {}),
  }));
  const state = topologyState(resources, rows, [], () => 'in this preview');
  void (async () => {
    try {
      const layout = await layoutTopology(resources, state, await loadElk(), { measure: canvasMeasure() });
      const svg = drawTopology(layout, {
        id: 'preview-topology',
        className: 'preview-topology',
        markerPrefix: 'preview-arrow',
        label: `The paths of ${preview.plan}`,
      });
      // The probe edges are the paths, in order: class each by what the preview says of it.
      for (const edge of svg.querySelectorAll<SVGGElement>('g.edge[data-kind="probe"]')) {
        const index = Number(edge.dataset.id?.split(':').at(-1));
        const entry = paths[index];
        if (!entry) continue;
        const text =
          `${entry.kind === 'still-closed' ? 'still closed' : entry.kind} ${entry.path.protocol} ${entry.path.port}${
            entry.kind === 'opened' ? '' : ` ${entry.path.after.code ?? ''}`
          }`.trim();
        edge.classList.add(`preview-${entry.kind}`, `status-${entry.kind}`);
        edge.dataset.status = entry.kind;
        edge.dataset.path = `${entry.path.from} ${entry.path.to}/${entry.path.protocol}`;
        edge.querySelector('path')?.setAttribute('marker-end', `url(#preview-arrow-${entry.kind})`);
        const title = edge.querySelector('title');
        if (title)
          title.textContent = `${entry.path.from} → ${entry.path.to}/${entry.path.protocol}: ${text}`;
        const label = svg.querySelector<SVGGElement>(
          `g.edge-label[data-for="${CSS.escape(edge.dataset.id ?? '')}"]`,
        );
        if (label) {
          label.classList.add(`status-${entry.kind}`);
          const line = label.querySelector('text');
          if (line) line.textContent = text;
        }
      }
      replace(box, svg);
    } catch (error) {
      replace(
        box,
        h('p', { class: 'alert alert-error' }, `The picture could not be drawn: ${String(error)}`),
      );
    }
  })();
  return box;
}
