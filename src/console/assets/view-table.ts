/**
 * The table view beside the graph (as in the Step Functions console): one row per state entered —
 * name (a tree: Parallel branches and Map processors indented under their state), type, status, the
 * Lambda function, when it started after the execution, its duration — and a timeline column drawing
 * each attempt (green succeeded, red failed, blue running, grey cancelled), the backoff pause before a
 * retry (amber) and the wait before a redrive (violet). Locally Retry pauses are shortened to nothing,
 * so attempts are drawn at least 6 px wide, one after the other: the count stays readable however short.
 */
import { badge, formatDuration, h, replace, s } from './dom.ts';
import { type Attempt, filterRows, type Timeline, type TimelineRow } from './timeline.ts';

const WIDTH = 170;
const MIN_ATTEMPT = 6;
const STATUSES = ['succeeded', 'failed', 'caught', 'running', 'cancelled'];

export interface TableView {
  element: HTMLElement;
  update(timeline: Timeline, selected: string | undefined): void;
}

export function createTableView(onSelect: (state: string) => void): TableView {
  const filter = h(
    'select',
    { id: 'table-status-filter', name: 'table-status' },
    h('option', { value: '' }, 'All statuses'),
    ...STATUSES.map((status) => h('option', { value: status }, status)),
  );
  const body = h('tbody');
  const summary = h('span', { class: 'muted small', id: 'table-summary' });
  let last: { timeline: Timeline; selected: string | undefined } | undefined;

  const render = () => {
    if (!last) return;
    const { timeline, selected } = last;
    const rows = filterRows(timeline.rows, filter.value);
    const retries = timeline.rows.reduce((n, row) => n + row.retries, 0);
    summary.textContent = `${timeline.rows.length} states entered · ${retries} retried attempt${retries === 1 ? '' : 's'}`;
    if (rows.length === 0) {
      replace(body, h('tr', {}, h('td', { colspan: 7, class: 'empty' }, 'No state has this status.')));
      return;
    }
    replace(body, ...rows.map((row) => rowOf(row, timeline, row.name === selected, onSelect)));
  };
  filter.addEventListener('change', render);

  const element = h(
    'div',
    { class: 'table-view', id: 'table-view' },
    h(
      'div',
      { class: 'table-tools' },
      h('label', { for: 'table-status-filter' }, 'Status'),
      filter,
      summary,
      legend(),
    ),
    h(
      'table',
      { class: 'grid states-table', id: 'states-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['Name', 'Type', 'Status', 'Resource', 'Started after', 'Duration', 'Timeline'].map((t) =>
            h('th', { scope: 'col', class: t === 'Timeline' ? 'timeline-col' : '' }, t),
          ),
        ),
      ),
      body,
    ),
  );
  return {
    element,
    update(timeline, selected) {
      last = { timeline, selected };
      render();
    },
  };
}

function rowOf(
  row: TimelineRow,
  timeline: Timeline,
  selected: boolean,
  onSelect: (state: string) => void,
): HTMLTableRowElement {
  const isContainer = row.type === 'Parallel' || row.type === 'Map';
  return h(
    'tr',
    {
      'data-state': row.name,
      'data-status': row.status,
      'data-attempts': row.attempts.length,
      'data-retries': row.retries,
      class: selected ? 'selected' : '',
    },
    h(
      'td',
      { class: `tree depth-${Math.min(row.depth, 5)}` },
      h('span', { class: 'tree-mark', 'aria-hidden': 'true' }, isContainer ? '▾' : row.depth > 0 ? '└' : ''),
      h('button', { type: 'button', class: 'link mono', onclick: () => onSelect(row.name) }, row.name),
    ),
    h('td', {}, row.type),
    h('td', {}, badge(row.status)),
    h('td', { class: 'mono small' }, row.resource ?? ''),
    h('td', { class: 'mono num' }, formatDuration(row.startedAfterMs)),
    h('td', { class: 'mono num' }, formatDuration(row.durationMs)),
    h('td', { class: 'timeline-col' }, timelineOf(row, timeline)),
  );
}

/** The row's attempts and pauses on the execution's time axis. */
function timelineOf(row: TimelineRow, timeline: Timeline): SVGElement {
  const span = Math.max(1, timeline.end - timeline.start);
  const x = (t: number) => ((t - timeline.start) / span) * WIDTH;
  const parts: SVGElement[] = [s('line', { x1: 0, y1: 9, x2: WIDTH, y2: 9, class: 'axis' })];
  let cursor = -Infinity;
  const placed: { attempt: Attempt; left: number; right: number }[] = [];
  for (const attempt of row.attempts) {
    const left = Math.max(x(attempt.start), cursor + 2);
    const right = Math.max(left + MIN_ATTEMPT, x(attempt.end ?? timeline.end));
    placed.push({ attempt, left, right });
    cursor = right;
  }
  placed.forEach(({ left }, i) => {
    if (i === 0) return;
    const previous = placed[i - 1] as (typeof placed)[number];
    const gap = row.gaps.find((g) => g.to === row.attempts[i]?.start);
    if (!gap || left - previous.right < 1) return;
    parts.push(
      s('rect', {
        x: previous.right,
        y: 7,
        width: left - previous.right,
        height: 4,
        class: `gap gap-${gap.kind}`,
      }),
    );
  });
  placed.forEach(({ attempt, left, right }, i) => {
    parts.push(
      s(
        'rect',
        {
          x: left,
          y: 3,
          width: right - left,
          height: 12,
          rx: 2,
          class: `attempt attempt-${attempt.outcome}`,
          'data-attempt': i + 1,
        },
        s(
          'title',
          {},
          `attempt ${i + 1}: ${attempt.outcome}${attempt.error ? ` (${attempt.error})` : ''}${
            attempt.end !== undefined ? `, ${Math.round(attempt.end - attempt.start)} ms` : ''
          }`,
        ),
      ),
    );
  });
  const label =
    row.attempts.length > 1
      ? `${row.attempts.length} attempts${row.retries > 0 ? ` · ${row.retries} retried` : ''}`
      : '';
  return s(
    'svg',
    {
      class: 'timeline',
      width: WIDTH + 150,
      height: 18,
      viewBox: `0 0 ${WIDTH + 150} 18`,
      role: 'img',
      'aria-label': `${row.name}: ${row.attempts.map((a) => a.outcome).join(', ')}`,
    },
    ...parts,
    label ? s('text', { x: Math.min(cursor, WIDTH) + 6, y: 13, class: 'timeline-label' }, label) : null,
  );
}

function legend(): HTMLElement {
  const items: [string, string][] = [
    ['attempt-succeeded', 'attempt succeeded'],
    ['attempt-failed', 'attempt failed'],
    ['attempt-running', 'running'],
    ['gap-backoff', 'retry backoff'],
    ['gap-redrive', 'until redrive'],
  ];
  return h(
    'ul',
    { class: 'legend timeline-legend', 'aria-label': 'Timeline legend' },
    ...items.map(([cls, text]) => h('li', {}, h('span', { class: `swatch ${cls}` }), text)),
  );
}
