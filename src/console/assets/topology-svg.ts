/**
 * Draws a laid-out topology (topology.ts) as SVG. Every box is a `<g>` with `data-kind` (vpc, subnet,
 * server, load-balancer, transit-ip, private-nat-gateway, address, snat-source), `data-id` (the resource
 * id), `data-status` and `data-plan`; every edge a `<g>` with `data-kind` (dnat, snat, member, probe),
 * `data-id`, `data-status`, `data-from` and `data-to` (the ids of the boxes it joins), its polyline and
 * its label (`data-kind="label"`). Status is written on each box and label, not only in tooltips.
 */
import { s } from './dom.ts';
import type { Line, TopologyBox, TopologyEdge, TopologyPicture } from './topology.ts';

const LINE = { title: 16, text: 15, small: 14 } as const;
const ASCENT = { title: 12, text: 11, small: 10 } as const;

/** Statuses an edge can be drawn in (one arrowhead each). */
const EDGE_STATUSES = [
  'verified',
  'failed',
  'frozen',
  'drift',
  'pending',
  'stale',
  'unverified',
  'held',
  'healthy',
  'unhealthy',
  'unchecked',
  'active',
  'gone',
  'changed',
  'inactive',
  'opened',
  'closed',
  'still-closed',
];

function textLines(lines: readonly Line[], x: number, y: number): SVGElement[] {
  let at = y;
  return lines.map((line) => {
    const text = s(
      'text',
      { class: `line line-${line.cls} font-${line.font}`, x, y: at + ASCENT[line.font] },
      line.text,
    );
    at += LINE[line.font];
    return text;
  });
}

function drawBox(box: TopologyBox): SVGElement {
  return s(
    'g',
    {
      class: `box box-${box.kind}${box.frame ? ' frame' : ''} status-${box.status}${box.importedFrom ? ' imported' : ''}`,
      'data-kind': box.kind,
      'data-id': box.id,
      'data-status': box.status,
      'data-name': box.lines[box.frame ? 0 : 1]?.text.split('  ')[0] ?? box.id,
      ...(box.plan ? { 'data-plan': box.plan } : {}),
      ...(box.importedFrom ? { 'data-imported': box.importedFrom } : {}),
    },
    s('title', {}, box.title),
    s('rect', { class: 'shape', x: box.x, y: box.y, width: box.w, height: box.h, rx: box.frame ? 9 : 6 }),
    ...textLines(box.lines, box.x + (box.frame ? 12 : 10), box.y + (box.frame ? 8 : 9)),
  );
}

function drawEdge(edge: TopologyEdge, markerPrefix: string): SVGElement {
  const d = edge.points.map(([x, y], i) => `${i === 0 ? 'M' : 'L'} ${x} ${y}`).join(' ');
  return s(
    'g',
    {
      class: `edge edge-${edge.kind} status-${edge.status}`,
      'data-kind': edge.kind,
      'data-id': edge.id,
      'data-status': edge.status,
      'data-from': edge.from,
      'data-to': edge.to,
      ...(edge.plan ? { 'data-plan': edge.plan } : {}),
    },
    s('title', {}, edge.title),
    s('path', { class: 'wire', d, 'marker-end': `url(#${markerPrefix}-${edge.status})` }),
    edge.label
      ? s(
          'g',
          {
            class: `edge-label edge-label-${edge.kind} status-${edge.status}`,
            'data-kind': 'label',
            'data-for': edge.id,
            'data-status': edge.status,
          },
          s('rect', { x: edge.label.x, y: edge.label.y, width: edge.label.w, height: edge.label.h, rx: 3 }),
          ...textLines(edge.label.lines, edge.label.x + 4, edge.label.y + 2),
        )
      : null,
  );
}

/** The picture as an `<svg class="topology">` at its natural size (zoom.ts scales it). */
export function drawTopology(
  picture: TopologyPicture,
  options: { id?: string; className?: string; label: string; markerPrefix?: string },
): SVGSVGElement {
  const prefix = options.markerPrefix ?? 'topo-arrow';
  const svg = s(
    'svg',
    {
      class: `topology${options.className ? ` ${options.className}` : ''}`,
      ...(options.id ? { id: options.id } : {}),
      viewBox: `0 0 ${picture.width} ${picture.height}`,
      width: picture.width,
      height: picture.height,
      role: 'img',
      'aria-label': options.label,
    },
    s(
      'defs',
      {},
      ...EDGE_STATUSES.map((status) =>
        s(
          'marker',
          {
            id: `${prefix}-${status}`,
            viewBox: '0 0 10 10',
            refX: 9,
            refY: 5,
            markerWidth: 7,
            markerHeight: 7,
            orient: 'auto-start-reverse',
          },
          s('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: `arrowhead status-${status}` }),
        ),
      ),
    ),
  ) as SVGSVGElement;
  // Frames first (a VPC before its subnets), then the resources, then the edges over them.
  const depth = (b: TopologyBox) => (b.kind === 'vpc' ? 0 : b.kind === 'subnet' ? 1 : 2);
  const boxes = [...picture.boxes].sort((a, b) => depth(a) - depth(b));
  svg.append(s('g', { class: 'boxes' }, ...boxes.map(drawBox)));
  const edges = picture.edges.map((edge) => drawEdge(edge, prefix));
  svg.append(s('g', { class: 'edges' }, ...edges));
  // Labels above every wire.
  const labels = s('g', { class: 'edge-labels' });
  for (const edge of edges) {
    const label = edge.querySelector('.edge-label');
    if (label) labels.append(label);
  }
  svg.append(labels);
  return svg;
}
