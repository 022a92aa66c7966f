/**
 * The topology view: the picture (topology.ts laid out by elkjs, drawn by topology-svg.ts) with plan and
 * gateway filters and zoom/pan, and beside it the tables that say the same in words — DNAT rules, SNAT
 * rules, the last verification of every plan that exists (each row with its time and source), and
 * standing drift. Live: reloaded when the stream says resources changed (live.ts).
 */
import { api, type ExecutionDetail, type ExecutionSummary } from './api.ts';
import { formatTime, h, replace } from './dom.ts';
import { canvasMeasure, type Elk, loadElk } from './elk.ts';
import { exportPng, exportSvg } from './export.ts';
import { watch } from './live.ts';
import { layoutTopology } from './topology.ts';
import {
  filterResources,
  type MemberHealth,
  type ResolvedRow,
  type TopologyResource,
  type TopologyState,
  topologyState,
} from './topology-state.ts';
import { drawTopology } from './topology-svg.ts';
import { type Cleanup, errorBox } from './ui.ts';
import {
  type BusEvent,
  type DriftReport,
  type ExecutionRecord,
  latestVerification,
  standingDrift,
} from './verification.ts';
import { createZoom } from './zoom.ts';

/** `12:03:04`, the time an arrow shows (the tables show the date too). */
export const clockTime = (at: number) => {
  const d = new Date(at);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
};

const LIFECYCLE_CLASS: Record<string, string> = {
  active: 'ok',
  frozen: 'frozen',
  pending: 'warn',
  inactive: 'idle',
  gone: 'fail',
  changed: 'warn',
};

export function mountTopology(root: HTMLElement): Cleanup {
  const planSelect = h(
    'select',
    { id: 'topology-plan', name: 'plan' },
    h('option', { value: '' }, 'All plans'),
  );
  const gatewaySelect = h(
    'select',
    { id: 'topology-gateway', name: 'gateway' },
    h('option', { value: '' }, 'All gateways'),
  );
  const picture = h('div', { class: 'topology-box', id: 'topology' }, h('p', { class: 'muted' }, 'loading…'));
  const zoom = createZoom(picture, 'topology');
  const errors = h('div', { 'aria-live': 'polite' });
  const dnatBody = h('tbody');
  const snatBody = h('tbody');
  const rowsBody = h('tbody');
  const driftSection = h('section', { class: 'card', 'aria-labelledby': 'drift-title', hidden: true });
  const updated = h('span', { class: 'muted live' }, '');
  const details = new Map<string, ExecutionDetail>();
  let elk: Elk | undefined;
  let lastKey = '';
  let drawing = 0;

  /** Closed executions' outputs (a provisioning's verify rows, a verify run's), each read once. */
  const outputsOf = async (summaries: ExecutionSummary[]): Promise<ExecutionRecord[]> => {
    const out: ExecutionRecord[] = [];
    for (const summary of summaries) {
      let detail = details.get(summary.executionArn);
      if (!detail) {
        detail = await api<ExecutionDetail>(`/executions/${encodeURIComponent(summary.executionArn)}`);
        details.set(summary.executionArn, detail);
      }
      out.push(detail);
    }
    return out;
  };

  const refresh = async () => {
    try {
      const [{ resources }, bus, provisions, verifies, health] = await Promise.all([
        api<{ resources: TopologyResource[] }>('/resources'),
        // The bus's list is local (GET /events); elsewhere the outputs below are what there is.
        api<{ events: BusEvent[] }>('/events?limit=1000').catch(() => ({ events: [] as BusEvent[] })),
        api<{ executions: ExecutionSummary[] }>('/executions?workflow=provision&status=SUCCEEDED&limit=50'),
        api<{ executions: ExecutionSummary[] }>('/executions?workflow=verify&status=SUCCEEDED&limit=20'),
        api<{ health?: MemberHealth[] }>('/dataplane')
          .then((map) => map.health ?? [])
          .catch(() => [] as MemberHealth[]),
      ]);
      const executions = await outputsOf([...provisions.executions, ...verifies.executions]);
      const plans = new Set(resources.map((r) => r.plan).filter((p): p is string => typeof p === 'string'));
      const rows = latestVerification(bus.events, executions, plans);
      const drift = standingDrift(bus.events, executions, plans);
      syncOptions(
        planSelect,
        [...plans].sort().map((p) => [p, p]),
      );
      syncOptions(
        gatewaySelect,
        resources
          .filter((r) => r.type === 'private-nat-gateway')
          .map((g) => [g.id, `${g.name} (${g.plan ?? g.cloud ?? 'no plan'})`]),
      );
      const shown = filterResources(resources, {
        plan: planSelect.value || undefined,
        gateway: gatewaySelect.value || undefined,
      });
      const shownIds = new Set(shown.map((r) => r.id));
      const shownRows = rows.filter((r) => !planSelect.value || r.plan === planSelect.value);
      const state = topologyState(shown, shownRows, drift, clockTime);
      const key = JSON.stringify([shown, shownRows, drift, health]);
      if (key !== lastKey) {
        lastKey = key;
        await draw(shown, state, health);
        tables(
          shown,
          state,
          drift.filter((d) => !planSelect.value || d.plan === planSelect.value),
          shownIds,
        );
      }
      updated.textContent = `updated ${new Date().toLocaleTimeString()}`;
      replace(errors);
    } catch (error) {
      updated.textContent = 'not updating';
      replace(errors, errorBox(error, 'Could not load the topology'));
    }
  };

  const draw = async (resources: TopologyResource[], state: TopologyState, health: MemberHealth[]) => {
    const turn = ++drawing;
    elk ??= await loadElk();
    const targetWidth = Math.max(640, (picture.clientWidth || root.clientWidth || 1360) - 24);
    const layout = await layoutTopology(resources, state, elk, {
      measure: canvasMeasure(),
      targetWidth,
      health,
    });
    if (turn !== drawing) return;
    if (layout.boxes.length === 0) {
      replace(
        picture,
        h(
          'p',
          { class: 'empty' },
          'Nothing is provisioned yet. ',
          h('a', { href: '#/start' }, 'Start a provisioning'),
        ),
      );
      return;
    }
    const vpcs = layout.boxes.filter((b) => b.kind === 'vpc');
    const svg = drawTopology(layout, {
      label: `Topology: ${vpcs.map((v) => `${v.lines[0]?.text} (${v.plan ?? 'no plan'})`).join(', ')}`,
    });
    replace(picture, svg);
    zoom.show(svg, layout.width, layout.height);
  };

  const tables = (
    resources: TopologyResource[],
    state: TopologyState,
    drift: DriftReport[],
    shownIds: Set<string>,
  ) => {
    const byId = new Map(resources.map((r) => [r.id, r]));
    const nameOf = (id: string | undefined | null) => (id ? (byId.get(id)?.name ?? id) : '—');
    const cloudOf = (r: TopologyResource | undefined) => r?.cloud ?? 'virtual';
    const lifecycle = (r: TopologyResource) => {
      const s = state.resources.get(r.id) ?? { status: 'active', text: r.status ?? 'ACTIVE' };
      return h(
        'span',
        { class: `state-badge state-${LIFECYCLE_CLASS[s.status] ?? 'idle'}`, 'data-status': s.status },
        s.text,
      );
    };
    const dnat = resources.filter((r) => r.type === 'dnat-rule');
    replace(
      dnatBody,
      ...(dnat.length === 0
        ? [h('tr', {}, h('td', { colspan: 7, class: 'empty' }, 'No DNAT rules.'))]
        : dnat.map((r) => {
            const path = state.rules.get(r.id);
            const tip = byId.get(r.transitIpId ?? '');
            return h(
              'tr',
              { 'data-id': r.id, 'data-plan': r.plan ?? '', 'data-status': path?.path ?? 'unverified' },
              h('td', {}, r.plan ?? '—', h('div', { class: 'muted small' }, cloudOf(r))),
              h('td', { class: 'mono' }, r.name || r.id, h('div', { class: 'muted small' }, r.id)),
              h('td', {}, nameOf(r.gatewayId)),
              h(
                'td',
                { class: 'mono' },
                `${r.protocol} ${r.transitIp}:${r.transitPort}`,
                h('div', { class: 'muted small' }, tip?.name ?? ''),
              ),
              h(
                'td',
                { class: 'mono' },
                `${r.target?.ip}:${r.internalPort}`,
                h(
                  'div',
                  { class: 'muted small' },
                  r.target?.kind === 'ip'
                    ? 'custom IP'
                    : nameOf(r.target?.serverId ?? r.target?.loadBalancerId),
                ),
              ),
              h('td', {}, lifecycle(r)),
              h(
                'td',
                {},
                h(
                  'span',
                  { class: `path-badge path-${path?.path ?? 'unverified'}` },
                  path?.text ?? 'not verified',
                ),
              ),
            );
          })),
    );
    const snat = resources.filter((r) => r.type === 'snat-rule');
    replace(
      snatBody,
      ...(snat.length === 0
        ? [h('tr', {}, h('td', { colspan: 6, class: 'empty' }, 'No SNAT rules.'))]
        : snat.map((r) => {
            const tip = byId.get(r.transitIpId ?? '');
            const gateway = byId.get(r.gatewayId ?? '');
            const gatewayFrozen = gateway?.status === 'FROZEN';
            return h(
              'tr',
              {
                'data-id': r.id,
                'data-plan': r.plan ?? '',
                'data-status': (r.status ?? 'ACTIVE').toLowerCase(),
              },
              h('td', {}, r.plan ?? '—', h('div', { class: 'muted small' }, cloudOf(r))),
              h('td', { class: 'mono' }, r.name || r.id, h('div', { class: 'muted small' }, r.id)),
              h('td', {}, nameOf(r.gatewayId), gatewayFrozen ? h('span', { class: 'tag' }, 'FROZEN') : null),
              h('td', { class: 'mono' }, `${r.cidr}${r.subnetId ? ` (${nameOf(r.subnetId)})` : ''}`),
              h('td', { class: 'mono' }, `${tip?.name ?? ''} ${tip?.ip ?? ''}`),
              h('td', {}, lifecycle(r)),
            );
          })),
    );
    replace(
      rowsBody,
      ...(state.rows.length === 0
        ? [h('tr', {}, h('td', { colspan: 9, class: 'empty' }, 'No verification of a provisioned plan yet.'))]
        : state.rows.map((row: ResolvedRow) =>
            h(
              'tr',
              {
                'data-plan': row.plan,
                'data-status': row.status,
                'data-rules': row.ruleIds.filter((id) => shownIds.has(id)).join(' '),
              },
              h('td', {}, row.plan),
              h('td', {}, row.cloud ?? cloudOf(resources.find((r) => r.plan === row.plan))),
              h('td', { class: 'mono' }, `${row.from} → ${row.to}:${row.port}/${row.protocol}`),
              h('td', {}, row.expect),
              h(
                'td',
                {},
                h(
                  'span',
                  { class: `path-badge path-${row.status === 'held' ? 'verified' : row.status}` },
                  `${row.verdict}${row.code ? ` (${row.code})` : ''}`,
                  row.status === 'stale' ? ' · stale: the rule changed since' : '',
                ),
              ),
              h('td', {}, row.mode ?? '—'),
              h('td', { class: 'mono', 'data-at': new Date(row.at).toISOString() }, formatTime(row.at)),
              h(
                'td',
                { class: 'small' },
                row.source.executionArn
                  ? h(
                      'a',
                      { href: `#/executions/${encodeURIComponent(row.source.executionArn)}`, class: 'mono' },
                      row.source.label,
                    )
                  : row.source.label,
                row.source.kind === 'event' ? h('div', { class: 'muted mono' }, row.source.id) : null,
              ),
            ),
          )),
    );
    const driftRows = [
      ...drift.flatMap((report) =>
        report.drift.map((item) => ({ ...item, plan: report.plan, cloud: report.cloud, at: report.at })),
      ),
    ];
    driftSection.hidden = driftRows.length === 0;
    replace(
      driftSection,
      h('h2', { id: 'drift-title' }, 'Drift'),
      h(
        'table',
        { class: 'grid', id: 'drift-rows' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...['Plan', 'Cloud', 'Kind', 'Name', 'External id', 'Change', 'Detected'].map((t) =>
              h('th', { scope: 'col' }, t),
            ),
          ),
        ),
        h(
          'tbody',
          {},
          ...driftRows.map((d) =>
            h(
              'tr',
              { 'data-plan': d.plan, 'data-status': d.change },
              h('td', {}, d.plan),
              h('td', {}, d.cloud ?? '—'),
              h('td', {}, d.kind),
              h('td', { class: 'mono' }, d.name),
              h('td', { class: 'mono small' }, d.externalId ?? '—'),
              h(
                'td',
                {},
                d.change === 'gone'
                  ? 'gone from the cloud'
                  : `changed: ${(d.fields ?? []).map((f) => `${f.field} ${String(f.recorded)} → ${String(f.actual)}`).join(', ')}`,
              ),
              h('td', { class: 'mono' }, formatTime(d.at)),
            ),
          ),
        ),
      ),
    );
  };

  let stop = watch(refresh, (m) => m.topic === 'topology', 5000);
  const restart = () => {
    stop();
    lastKey = '';
    stop = watch(refresh, (m) => m.topic === 'topology', 5000);
  };
  planSelect.addEventListener('change', restart);
  gatewaySelect.addEventListener('change', restart);

  const table = (id: string, title: string, heads: string[], body: HTMLElement) =>
    h(
      'section',
      { class: 'card', 'aria-labelledby': `${id}-title` },
      h('h2', { id: `${id}-title` }, title),
      h(
        'div',
        { class: 'table-scroll' },
        h(
          'table',
          { class: 'grid', id },
          h('thead', {}, h('tr', {}, ...heads.map((t) => h('th', { scope: 'col' }, t)))),
          body,
        ),
      ),
    );

  replace(
    root,
    h(
      'section',
      { 'aria-labelledby': 'topology-title' },
      h(
        'header',
        { class: 'view-header' },
        h('h1', { id: 'topology-title' }, 'Topology'),
        h(
          'div',
          { class: 'actions' },
          h(
            'button',
            { type: 'button', class: 'secondary', id: 'export-svg', onclick: () => exportFrom('svg') },
            'Export SVG',
          ),
          h(
            'button',
            { type: 'button', class: 'secondary', id: 'export-png', onclick: () => exportFrom('png') },
            'Export PNG',
          ),
        ),
      ),
      h(
        'form',
        { class: 'filters', onsubmit: (e: Event) => e.preventDefault() },
        h('label', { for: 'topology-plan' }, 'Plan'),
        planSelect,
        h('label', { for: 'topology-gateway' }, 'Gateway'),
        gatewaySelect,
        zoom.controls,
        updated,
      ),
      errors,
      legend(),
      h('div', { class: 'card' }, picture),
      h(
        'div',
        { class: 'tables-side' },
        table(
          'dnat-rules',
          'DNAT rules',
          ['Plan', 'Rule', 'Gateway', 'Transit', 'Target', 'Status', 'Path'],
          dnatBody,
        ),
        table(
          'snat-rules',
          'SNAT rules',
          ['Plan', 'Rule', 'Gateway', 'Source', 'Transit IP', 'Status'],
          snatBody,
        ),
      ),
      table(
        'verification-rows',
        'Last verification',
        ['Plan', 'Cloud', 'Path', 'Expected', 'Found', 'Mode', 'When', 'Source'],
        rowsBody,
      ),
      driftSection,
    ),
  );
  const exportFrom = (format: 'svg' | 'png') => {
    const svg = picture.querySelector<SVGSVGElement>('svg.topology');
    if (!svg) {
      replace(errors, errorBox(new Error('nothing to export: no topology is drawn'), 'Export'));
      return;
    }
    const name = `natflow-topology${planSelect.value ? `-${planSelect.value}` : ''}`;
    if (format === 'svg') exportSvg(svg, `${name}.svg`);
    else
      exportPng(svg, `${name}.png`).catch((error: unknown) =>
        replace(errors, errorBox(error, 'Could not export the PNG')),
      );
  };

  return () => {
    stop();
    zoom.dispose();
  };
}

/** Keeps a select's options equal to `options` (value, text) after its first, and its value if still offered. */
function syncOptions(select: HTMLSelectElement, options: [string, string][]): void {
  const current = [...select.options].slice(1).map((o) => `${o.value}\u0000${o.textContent}`);
  const wanted = options.map(([v, t]) => `${v}\u0000${t}`);
  if (current.join('\u0001') === wanted.join('\u0001')) return;
  const value = select.value;
  while (select.options.length > 1) select.remove(1);
  for (const [v, t] of options) select.append(h('option', { value: v }, t));
  select.value = options.some(([v]) => v === value) ? value : '';
}

function legend(): HTMLElement {
  const line = (cls: string, text: string) => h('li', {}, h('span', { class: `line ${cls}` }), text);
  return h(
    'ul',
    { class: 'legend', 'aria-label': 'Legend' },
    line('status-unverified', 'DNAT rule, not verified'),
    line('status-verified', 'path verified'),
    line('status-failed', 'path failed'),
    line('status-frozen', 'frozen (rule or gateway)'),
    line('status-stale', 'stale: changed since verified'),
    line('status-drift', 'drift'),
    line('dashed', 'verify entry'),
    line('member', 'load balancer → member (health)'),
    line('snat', 'SNAT rule (source → transit IP)'),
    line('imported', 'imported from a real cloud'),
  );
}
