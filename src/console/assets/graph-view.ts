/**
 * Draws a laid-out state machine (graph.ts) as SVG and recolours it as the execution goes on. States are
 * focusable buttons: a click, Enter or Space selects one.
 */
import { s } from './dom.ts';
import type { GraphLayout } from './graph.ts';
import type { ExecutionRun, StateStatus } from './status.ts';

export interface GraphView {
  svg: SVGElement;
  update(run: ExecutionRun | undefined, selected: string | undefined): void;
}

const STATUS_TEXT: Record<StateStatus, string> = {
  'not-started': 'not started',
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  caught: 'caught error (recovered)',
  cancelled: 'cancelled',
};

export function renderGraph(layout: GraphLayout, onSelect: (state: string) => void): GraphView {
  const groups = new Map<string, SVGElement>();
  const titles = new Map<string, SVGElement>();
  const errorTags = new Map<string, SVGElement>();
  const svg = s('svg', {
    class: 'graph',
    viewBox: `0 0 ${layout.width} ${layout.height}`,
    width: layout.width,
    height: layout.height,
    role: 'group',
    'aria-label': 'State machine graph',
  });
  svg.append(
    s(
      'defs',
      {},
      ...['next', 'catch', 'back'].map((kind) =>
        s(
          'marker',
          {
            id: `arrow-${kind}`,
            viewBox: '0 0 10 10',
            refX: 9,
            refY: 5,
            markerWidth: 7,
            markerHeight: 7,
            orient: 'auto-start-reverse',
          },
          s('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: `arrowhead arrowhead-${kind}` }),
        ),
      ),
    ),
  );

  // Containers first (behind), then edges, then the plain states on top.
  const containers = layout.nodes.filter((n) => n.type === 'Parallel' || n.type === 'Map');
  const plain = layout.nodes.filter((n) => !(n.type === 'Parallel' || n.type === 'Map'));
  const stateGroup = (node: (typeof layout.nodes)[number], frame: boolean) => {
    const title = s('title', {}, `${node.id}: not started`);
    const g = s(
      'g',
      {
        class: `state ${frame ? 'frame' : ''} status-not-started`,
        'data-state': node.id,
        'data-kind': 'state',
        'data-type': node.type ?? '',
        'data-id': node.id,
        'data-status': 'not-started',
        role: 'button',
        tabindex: 0,
        'aria-label': `${node.id} (${node.type}): not started`,
        transform: `translate(${node.x} ${node.y})`,
      },
      title,
      s('rect', { class: 'box', width: node.w, height: node.h, rx: frame ? 8 : 6 }),
      s(
        'text',
        {
          class: 'name',
          x: frame ? 12 : node.w / 2,
          y: frame ? 18 : 19,
          'text-anchor': frame ? 'start' : 'middle',
        },
        node.id,
      ),
      frame
        ? s('text', { class: 'subtitle', x: node.w - 12, y: 18, 'text-anchor': 'end' }, node.subtitle)
        : s('text', { class: 'subtitle', x: node.w / 2, y: 34, 'text-anchor': 'middle' }, node.subtitle),
    );
    const select = () => onSelect(node.id);
    g.addEventListener('click', (event) => {
      event.stopPropagation();
      select();
    });
    g.addEventListener('keydown', (event) => {
      const key = (event as KeyboardEvent).key;
      if (key === 'Enter' || key === ' ') {
        event.preventDefault();
        select();
      }
    });
    groups.set(node.id, g);
    titles.set(node.id, title);
    return g;
  };
  for (const node of containers) svg.append(stateGroup(node, true));
  for (const branch of layout.branches) {
    svg.append(
      s('rect', { class: 'branch', x: branch.x, y: branch.y, width: branch.w, height: branch.h, rx: 6 }),
    );
  }
  const edgePaths: { edge: (typeof layout.edges)[number]; path: SVGElement }[] = [];
  const labels: SVGElement[] = [];
  for (const edge of layout.edges) {
    const d = edge.points.map(([x, y], i) => `${i === 0 ? 'M' : 'L'} ${x} ${y}`).join(' ');
    const kind = edge.back ? 'back' : edge.kind === 'catch' ? 'catch' : 'next';
    const path = s('path', {
      class: `edge edge-${edge.kind}${edge.back ? ' edge-back' : ''}`,
      d,
      'data-kind': edge.kind,
      'data-id': `${edge.from}→${edge.to}`,
      'data-status': 'not-taken',
      'data-from': edge.from,
      'data-to': edge.to,
      'marker-end': `url(#arrow-${kind})`,
    });
    edgePaths.push({ edge, path });
    svg.append(path);
    // The label where the layout placed it (clear of the boxes).
    const box = edge.labelBox;
    if (box)
      labels.push(
        s(
          'text',
          { class: 'edge-label', 'data-kind': 'label', x: box.x + 3, y: box.y + box.h - 3 },
          box.text,
        ),
      );
  }
  svg.append(...labels);
  for (const node of plain) {
    if (node.kind === 'state') svg.append(stateGroup(node, false));
    else {
      svg.append(
        s(
          'g',
          { class: 'marker', transform: `translate(${node.x} ${node.y})` },
          s('rect', { width: node.w, height: node.h, rx: node.h / 2 }),
          s('text', { x: node.w / 2, y: node.h / 2 + 4, 'text-anchor': 'middle' }, node.id),
        ),
      );
    }
  }
  const nodeOf = new Map(layout.nodes.map((n) => [n.id, n]));

  return {
    svg,
    update(run, selected) {
      // An edge was taken when both its ends ran (its target entered after its source).
      for (const { edge, path } of edgePaths) {
        const from =
          edge.from === 'Start' ? run?.startedAt !== undefined : run?.states.get(edge.from)?.entries;
        const to =
          edge.to === 'End'
            ? run?.status !== undefined && run.status !== 'RUNNING'
            : run?.states.get(edge.to)?.entries;
        path.setAttribute('data-status', from && to ? 'taken' : 'not-taken');
      }
      for (const [name, g] of groups) {
        const state = run?.states.get(name);
        const status: StateStatus = state?.status ?? 'not-started';
        const failing = run?.failedState === name;
        g.setAttribute(
          'class',
          `state${g.classList.contains('frame') ? ' frame' : ''} status-${status}${failing ? ' failing' : ''}${selected === name ? ' selected' : ''}`,
        );
        g.setAttribute('data-status', status);
        g.setAttribute('aria-pressed', String(selected === name));
        const extra = [
          state && state.entries > 1 ? `${state.entries} entries` : '',
          state && state.retries > 0 ? `${state.retries} retries` : '',
          state?.error ? `${state.error}` : '',
        ]
          .filter(Boolean)
          .join(', ');
        const text = `${name}: ${STATUS_TEXT[status]}${extra ? ` (${extra})` : ''}${state?.waiting && status === 'running' ? ` — ${state.waiting}` : ''}`;
        titles.get(name)!.textContent = text;
        g.setAttribute('aria-label', text);
        const waiting = state?.waiting;
        if (waiting && state?.status === 'running') g.setAttribute('data-waiting', waiting);
        else g.removeAttribute('data-waiting');
        const sub = g.querySelector('text.subtitle');
        if (sub && !g.classList.contains('frame')) {
          const node = nodeOf.get(name)!;
          sub.textContent = waiting && state?.status === 'running' ? waiting : node.subtitle;
        }
        // The failing state carries its error on the picture itself.
        const node = nodeOf.get(name)!;
        const tag = errorTags.get(name);
        if (failing && state?.error && !tag) {
          const label = state.error.length > 40 ? `${state.error.slice(0, 39)}…` : state.error;
          const width = Math.max(60, label.length * 6.6 + 16);
          const badge = s(
            'g',
            { class: 'error-tag', transform: `translate(${node.x + node.w - width / 2} ${node.y - 10})` },
            s('rect', { width, height: 18, rx: 9 }),
            s('text', { x: width / 2, y: 13, 'text-anchor': 'middle' }, label),
          );
          errorTags.set(name, badge);
          svg.append(badge);
        } else if (!failing && tag) {
          tag.remove();
          errorTags.delete(name);
        }
      }
    },
  };
}
