/**
 * The virtual cloud as a picture (topology.ts lays it out): VPCs, subnets, the resources in them, the
 * DNAT rules as arrows and the last verification's results on the paths. Refreshed every two seconds.
 */
import { api, type ExecutionDetail, type ExecutionSummary } from './api.ts';
import { h, replace, s } from './dom.ts';
import { exportPng, exportSvg } from './export.ts';
import { watch } from './live.ts';
import { timeOf } from './status.ts';
import {
  layoutTopology,
  type MemberHealth,
  type ProbeResult,
  type TopologyArrow,
  type TopologyResource,
} from './topology.ts';
import { type Cleanup, errorBox } from './ui.ts';

interface BusEvent {
  id?: string;
  time?: string;
  'detail-type'?: string;
  detail?: { plan?: string; executionArn?: string; results?: unknown[]; verify?: unknown[] };
}

const KIND_LABEL: Record<string, string> = {
  server: 'ECS',
  'load-balancer': 'Load balancer',
  'transit-ip': 'Transit IP',
  'private-nat-gateway': 'Private NAT gateway',
  address: 'Address',
};

export function mountTopology(root: HTMLElement): Cleanup {
  const planSelect = h(
    'select',
    { id: 'topology-plan', name: 'plan' },
    h('option', { value: '' }, 'All plans'),
  );
  const picture = h('div', { class: 'topology-box', id: 'topology' }, h('p', { class: 'muted' }, 'loading…'));
  const errors = h('div', { 'aria-live': 'polite' });
  const rulesBody = h('tbody');
  const probesBody = h('tbody');
  const updated = h('span', { class: 'muted live' }, '');
  const detailCache = new Map<string, ExecutionDetail>();
  let lastKey = '';

  const probesOf = async (): Promise<ProbeResult[]> => {
    const latest = new Map<string, ProbeResult[]>();
    const times = new Map<string, number>();
    const consider = (plan: string, at: number, results: ProbeResult[]) => {
      if ((times.get(plan) ?? -1) >= at) return;
      times.set(plan, at);
      latest.set(plan, results);
    };
    // The verify workflow's events carry every result, ProvisioningSucceeded its own verification; the
    // events live in memory, so the provisionings' outputs (kept in the store) come in too.
    const [bus, provisions] = await Promise.all([
      api<{ events: BusEvent[] }>('/events?limit=200').catch(() => ({ events: [] as BusEvent[] })),
      api<{ executions: ExecutionSummary[] }>('/executions?workflow=provision&status=SUCCEEDED&limit=20'),
    ]);
    for (const event of bus.events) {
      const type = event['detail-type'];
      const plan = event.detail?.plan;
      if (!plan) continue;
      if (type === 'ConnectivityVerified' || type === 'ConnectivityLost')
        consider(plan, timeOf(event.time), toResults(plan, event.detail?.results, `${type} event`));
      else if (type === 'ProvisioningSucceeded')
        consider(
          plan,
          timeOf(event.time),
          toResults(plan, event.detail?.verify, 'ProvisioningSucceeded event'),
        );
    }
    for (const summary of provisions.executions) {
      let detail = detailCache.get(summary.executionArn);
      if (!detail) {
        detail = await api<ExecutionDetail>(`/executions/${encodeURIComponent(summary.executionArn)}`);
        detailCache.set(summary.executionArn, detail);
      }
      const output = detail.output as { plan?: string; verify?: unknown[] } | undefined;
      if (!output?.plan) continue;
      consider(
        output.plan,
        timeOf(detail.stopDate ?? detail.startDate),
        toResults(output.plan, output.verify, `provisioning ${detail.name}`),
      );
    }
    return [...latest.values()].flat();
  };

  const refresh = async () => {
    try {
      const plan = planSelect.value;
      const [{ resources }, probes, health] = await Promise.all([
        api<{ resources: TopologyResource[] }>('/resources'),
        probesOf(),
        // Local only (the live data plane's health checks); elsewhere members show as not checked.
        api<{ health?: MemberHealth[] }>('/dataplane')
          .then((map) => map.health ?? [])
          .catch(() => [] as MemberHealth[]),
      ]);
      const plans = [
        ...new Set(resources.map((r) => r.plan).filter((p): p is string => typeof p === 'string')),
      ].sort();
      const known = [...planSelect.options].map((o) => o.value);
      for (const p of plans) if (!known.includes(p)) planSelect.append(h('option', { value: p }, p));
      const shown = plan
        ? resources.filter((r) => r.plan === plan || relatedTo(r, resources, plan))
        : resources;
      const shownProbes = plan ? probes.filter((p) => p.plan === plan) : probes;
      const key = JSON.stringify([shown, shownProbes, health]);
      if (key !== lastKey) {
        lastKey = key;
        draw(shown, shownProbes, health);
      }
      updated.textContent = `live · updated ${new Date().toLocaleTimeString()}`;
      replace(errors);
    } catch (error) {
      updated.textContent = 'not updating';
      replace(errors, errorBox(error, 'Could not load the topology'));
    }
  };

  const draw = (resources: TopologyResource[], probes: ProbeResult[], health: MemberHealth[]) => {
    const layout = layoutTopology(resources, probes, health);
    if (layout.vpcs.length === 0) {
      replace(
        picture,
        h(
          'p',
          { class: 'empty' },
          'Nothing is provisioned yet. ',
          h('a', { href: '#/start' }, 'Start a provisioning'),
        ),
      );
    } else {
      const svg = s(
        'svg',
        {
          class: 'topology',
          viewBox: `0 0 ${layout.width} ${layout.height}`,
          width: layout.width,
          height: layout.height,
          role: 'img',
          'aria-label': `Topology: ${layout.vpcs.map((v) => `${v.name} ${v.cidr}`).join(', ')}`,
        },
        s(
          'defs',
          {},
          ...['ok', 'fail', 'unknown'].map((status) =>
            s(
              'marker',
              {
                id: `topo-arrow-${status}`,
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
            {
              class: `vpc${vpc.importedFrom ? ' imported' : ''}`,
              'data-id': vpc.id,
              'data-name': vpc.name,
              ...(vpc.importedFrom ? { 'data-imported': vpc.importedFrom } : {}),
            },
            s('rect', { x: vpc.x, y: vpc.y, width: vpc.w, height: vpc.h, rx: 10 }),
            s('text', { class: 'vpc-name', x: vpc.x + 14, y: vpc.y + 22 }, `${vpc.name}`),
            vpc.importedFrom
              ? s(
                  'text',
                  { class: 'imported-tag', x: vpc.x + 14, y: vpc.y + 36 },
                  `imported · ${vpc.importedFrom}`,
                )
              : null,
            s(
              'text',
              { class: 'cidr', x: vpc.x + vpc.w - 14, y: vpc.y + 22, 'text-anchor': 'end' },
              vpc.cidr,
            ),
          ),
        );
        for (const subnet of vpc.subnets) {
          svg.append(
            s(
              'g',
              { class: 'subnet', 'data-id': subnet.id, 'data-name': subnet.name },
              s('rect', { x: subnet.x, y: subnet.y, width: subnet.w, height: subnet.h, rx: 8 }),
              s('text', { class: 'subnet-name', x: subnet.x + 12, y: subnet.y + 21 }, subnet.name),
              s(
                'text',
                { class: 'cidr', x: subnet.x + subnet.w - 12, y: subnet.y + 21, 'text-anchor': 'end' },
                subnet.cidr,
              ),
            ),
          );
          for (const item of subnet.items) {
            svg.append(
              s(
                'g',
                {
                  class: `item item-${item.kind}${item.importedFrom ? ' imported' : ''}`,
                  'data-id': item.id,
                  'data-name': item.name,
                  ...(item.importedFrom ? { 'data-imported': item.importedFrom } : {}),
                  transform: `translate(${item.x} ${item.y})`,
                },
                s(
                  'title',
                  {},
                  `${KIND_LABEL[item.kind] ?? item.kind} ${item.name} (${item.id})${item.status ? ` ${item.status}` : ''}${item.importedFrom ? ` — imported from ${item.importedFrom}` : ''}`,
                ),
                s('rect', { width: item.w, height: item.h, rx: 6 }),
                s(
                  'text',
                  { class: 'kind', x: 10, y: 16 },
                  (KIND_LABEL[item.kind] ?? item.kind).toUpperCase(),
                ),
                s('text', { class: 'item-name', x: 10, y: 32 }, item.name),
                item.importedFrom
                  ? s(
                      'text',
                      { class: 'imported-tag', x: item.w - 8, y: 16, 'text-anchor': 'end' },
                      `imported · ${item.importedFrom}`,
                    )
                  : null,
                ...item.addresses.map((address, line) =>
                  s('text', { class: 'address', x: 10, y: 50 + line * 14 }, address),
                ),
              ),
            );
          }
        }
      }
      for (const arrow of layout.arrows) svg.append(drawArrow(arrow));
      replace(picture, svg);
    }
    const rules = resources.filter((r) => r.type === 'dnat-rule');
    const nameOf = (id: string | undefined) => resources.find((r) => r.id === id)?.name ?? id ?? '—';
    const status = new Map(layout.arrows.filter((a) => a.kind === 'dnat').map((a) => [a.id, a.status]));
    replace(
      rulesBody,
      ...(rules.length === 0
        ? [h('tr', {}, h('td', { colspan: 6, class: 'empty' }, 'No DNAT rules.'))]
        : rules.map((r) =>
            h(
              'tr',
              {},
              h('td', { class: 'mono' }, r.id),
              h('td', {}, nameOf(r.gatewayId)),
              h('td', { class: 'mono' }, `${r.transitIp}:${r.transitPort}`),
              h('td', {}, r.protocol ?? ''),
              h(
                'td',
                { class: 'mono' },
                `${nameOf(r.target?.serverId ?? r.target?.loadBalancerId) ?? ''} ${r.target?.ip}:${r.internalPort}`,
              ),
              h(
                'td',
                {},
                h('span', { class: `path-badge path-${status.get(r.id) ?? 'unknown'}` }, r.status ?? ''),
              ),
            ),
          )),
    );
    replace(
      probesBody,
      ...(probes.length === 0
        ? [h('tr', {}, h('td', { colspan: 5, class: 'empty' }, 'No verification has run yet.'))]
        : probes.map((p) =>
            h(
              'tr',
              {},
              h('td', {}, p.plan),
              h(
                'td',
                { class: 'mono' },
                `${p.entry.from} → ${p.entry.to}:${p.entry.port}/${p.entry.protocol}`,
              ),
              h('td', {}, p.expected ?? '—'),
              h(
                'td',
                {},
                h(
                  'span',
                  { class: `path-badge path-${p.ok ? 'ok' : 'fail'}` },
                  `${p.verdict}${p.code ? ` (${p.code})` : ''}`,
                ),
              ),
              h('td', { class: 'muted' }, p.source ?? ''),
            ),
          )),
    );
  };

  let stop = watch(refresh, (m) => m.topic === 'topology', 5000);
  planSelect.addEventListener('change', () => {
    stop();
    lastKey = '';
    stop = watch(refresh, (m) => m.topic === 'topology', 5000);
  });

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
        updated,
      ),
      errors,
      h(
        'ul',
        { class: 'legend', 'aria-label': 'Legend' },
        h('li', {}, h('span', { class: 'line path-unknown' }), 'DNAT rule (transit IP → target)'),
        h('li', {}, h('span', { class: 'line path-ok' }), 'path verified'),
        h('li', {}, h('span', { class: 'line path-fail' }), 'path failed'),
        h('li', {}, h('span', { class: 'line dashed' }), 'verify entry (probe)'),
        h('li', {}, h('span', { class: 'line member' }), 'load balancer → backend member (health)'),
        h('li', {}, h('span', { class: 'line snat' }), 'SNAT rule (source → transit IP)'),
        h('li', {}, h('span', { class: 'line imported' }), 'imported from a real cloud'),
      ),
      h('div', { class: 'card' }, picture),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'rules-title' },
        h('h2', { id: 'rules-title' }, 'DNAT rules'),
        h(
          'table',
          { class: 'grid' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ...['Rule', 'Gateway', 'Transit', 'Protocol', 'Target', 'Status'].map((t) =>
                h('th', { scope: 'col' }, t),
              ),
            ),
          ),
          rulesBody,
        ),
      ),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'probes-title' },
        h('h2', { id: 'probes-title' }, 'Last verification'),
        h(
          'table',
          { class: 'grid' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ...['Plan', 'Path', 'Expected', 'Found', 'From'].map((t) => h('th', { scope: 'col' }, t)),
            ),
          ),
          probesBody,
        ),
      ),
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

  return () => stop();
}

function drawArrow(arrow: TopologyArrow): SVGElement {
  const d = arrow.segments
    .map(
      ([[x0, y0], [x1, y1], [x2, y2], [x3, y3]]) => `M ${x0} ${y0} C ${x1} ${y1}, ${x2} ${y2}, ${x3} ${y3}`,
    )
    .join(' ');
  const [lx, ly] = arrow.labelAt;
  const width = arrow.label.length * 6.6 + 14;
  return s(
    'g',
    {
      class: `arrow arrow-${arrow.kind} path-${arrow.status}`,
      'data-id': arrow.id,
      'data-from': arrow.from,
      'data-to': arrow.to,
    },
    s('title', {}, arrow.title),
    s('path', { d, 'marker-end': `url(#topo-arrow-${arrow.status})` }),
    s('rect', { class: 'label-bg', x: lx - width / 2, y: ly - 12, width, height: 17, rx: 4 }),
    s('text', { class: 'arrow-label', x: lx, y: ly, 'text-anchor': 'middle' }, arrow.label),
  );
}

/** Resources another plan created that this plan's rules use (an existing gateway, transit IP, VPC…). */
function relatedTo(r: TopologyResource, all: TopologyResource[], plan: string): boolean {
  const mine = all.filter((x) => x.plan === plan);
  const refs = new Set(
    mine.flatMap((x) => [
      x.vpcId,
      x.subnetId,
      x.frontendSubnetId,
      x.gatewayId,
      x.transitIpId,
      x.target?.serverId,
      x.target?.loadBalancerId,
    ]),
  );
  if (refs.has(r.id)) return true;
  // The VPC and subnet of a referenced resource, so it is drawn where it lives.
  const referenced = all.filter((x) => refs.has(x.id));
  return (
    referenced.some((x) => x.vpcId === r.id || x.subnetId === r.id || x.frontendSubnetId === r.id) ||
    all.filter((x) => x.type === 'subnet' && refs.has(x.id)).some((subnet) => subnet.vpcId === r.id)
  );
}

/**
 * The verify results of an event or a provisioning's output: the probe's results (`{entry, verdict,
 * ok, …}`, the Connectivity* events' `results`) or verification rows (`{from, to, protocol, port, expect,
 * verdict, code?, mode, ok}`, a provisioning's `output.verify`: docs/real-cloud.md#verification-output).
 */
function toResults(plan: string, value: unknown, source: string): ProbeResult[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item): ProbeResult[] => {
    if (!item || typeof item !== 'object') return [];
    const v = item as Record<string, unknown>;
    const row = typeof v.from === 'string' && typeof v.to === 'string';
    if (typeof v.entry !== 'object' && !row) return [];
    const entry = (
      row ? { from: v.from, to: v.to, protocol: v.protocol, port: v.port, expect: v.expect } : v.entry
    ) as ProbeResult['entry'] & { expect?: unknown };
    const expected = typeof v.expected === 'string' ? v.expected : entry.expect;
    return [
      {
        plan,
        entry,
        verdict: String(v.verdict ?? 'unknown'),
        ok: v.ok === true,
        source,
        ...(typeof expected === 'string' ? { expected } : {}),
        ...(typeof v.code === 'string' ? { code: v.code } : {}),
      },
    ];
  });
}
