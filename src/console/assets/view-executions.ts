/** The executions list: filters by workflow and status, newest first, live (see live.ts). */
import { api, type ExecutionSummary, stateMachines, workflowOf } from './api.ts';
import { badge, formatDuration, formatTime, h, replace } from './dom.ts';
import { watch } from './live.ts';
import { timeOf } from './status.ts';
import { type Cleanup, errorBox } from './ui.ts';

const STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];
const PAGE = 50;

export function mountExecutions(root: HTMLElement): Cleanup {
  const params = new URLSearchParams(sessionStorage.getItem('natflow.filters') ?? '');
  const workflow = h(
    'select',
    { id: 'filter-workflow', name: 'workflow' },
    h('option', { value: '' }, 'All workflows'),
  );
  const status = h(
    'select',
    { id: 'filter-status', name: 'status' },
    h('option', { value: '' }, 'All statuses'),
    ...STATUSES.map((s) => h('option', { value: s }, s.replace('_', ' '))),
  );
  status.value = params.get('status') ?? '';
  const updated = h('span', { class: 'muted live', 'aria-live': 'off' }, 'loading…');
  const errors = h('div', { 'aria-live': 'polite' });
  const body = h('tbody');
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Load more');
  let extra: ExecutionSummary[] = [];
  let nextToken: string | undefined;
  let machines: Awaited<ReturnType<typeof stateMachines>> = [];

  const query = (token?: string) => {
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (workflow.value) q.set('workflow', workflow.value);
    if (status.value) q.set('status', status.value);
    if (token) q.set('nextToken', token);
    return `/executions?${q}`;
  };

  const render = (executions: ExecutionSummary[]) => {
    if (executions.length === 0) {
      replace(
        body,
        h(
          'tr',
          {},
          h(
            'td',
            { colspan: 6, class: 'empty' },
            workflow.value || status.value ? 'No execution matches these filters. ' : 'No executions yet. ',
            h('a', { href: '#/start' }, 'Start a provisioning'),
          ),
        ),
      );
      return;
    }
    replace(
      body,
      ...executions.map((e) => {
        const started = timeOf(e.startDate);
        const stopped = e.stopDate ? timeOf(e.stopDate) : undefined;
        const wf = e.workflow ?? workflowOf(e.stateMachineArn, machines)?.key ?? '—';
        return h(
          'tr',
          { 'data-status': e.status },
          h(
            'td',
            {},
            h(
              'a',
              {
                href: `#/executions/${encodeURIComponent(e.executionArn)}`,
                class: 'mono',
                title: e.executionArn,
              },
              e.name,
            ),
          ),
          h(
            'td',
            {},
            wf,
            e.onFailure === 'keep'
              ? h('span', { class: 'tag', title: 'onFailure: keep — a failure keeps its resources' }, 'keep')
              : null,
          ),
          h(
            'td',
            {},
            badge(e.status),
            e.redriveCount
              ? h(
                  'span',
                  { class: 'tag', title: `redriven ${e.redriveCount}×` },
                  `redriven ${e.redriveCount}×`,
                )
              : null,
          ),
          h('td', { class: 'mono' }, formatTime(started)),
          h('td', { class: 'mono' }, stopped === undefined ? '—' : formatTime(stopped)),
          h('td', { class: 'mono num' }, formatDuration((stopped ?? Date.now()) - started)),
        );
      }),
    );
  };

  const refresh = async () => {
    try {
      const page = await api<{ executions: ExecutionSummary[]; nextToken?: string }>(query());
      if (extra.length === 0) nextToken = page.nextToken;
      const seen = new Set(page.executions.map((e) => e.executionArn));
      render([...page.executions, ...extra.filter((e) => !seen.has(e.executionArn))]);
      more.hidden = !nextToken;
      updated.textContent = `updated ${new Date().toLocaleTimeString()}`;
      replace(errors);
    } catch (error) {
      updated.textContent = 'not updating';
      replace(errors, errorBox(error, 'Could not list executions'));
    }
  };

  const live = () => watch(refresh, (m) => m.topic === 'executions', 3000);
  let stop = live();
  const restart = () => {
    sessionStorage.setItem(
      'natflow.filters',
      new URLSearchParams({ workflow: workflow.value, status: status.value }).toString(),
    );
    extra = [];
    nextToken = undefined;
    stop();
    stop = live();
  };
  workflow.addEventListener('change', restart);
  status.addEventListener('change', restart);
  more.addEventListener('click', async () => {
    if (!nextToken) return;
    more.disabled = true;
    try {
      const page = await api<{ executions: ExecutionSummary[]; nextToken?: string }>(query(nextToken));
      extra = [...extra, ...page.executions];
      nextToken = page.nextToken;
      await refresh();
    } catch (error) {
      replace(errors, errorBox(error, 'Could not load more executions'));
    } finally {
      more.disabled = false;
    }
  });

  stateMachines()
    .then((all) => {
      machines = all;
      // provision-keep is provision with onFailure: keep: listed (and filtered) under provision.
      const workflows = all.filter((m) => !m.key.endsWith('-keep'));
      workflow.append(...workflows.map((m) => h('option', { value: m.key }, m.key)));
      workflow.value = params.get('workflow') ?? '';
    })
    .catch((error: unknown) => errors.append(errorBox(error, 'Could not load the workflows')));

  replace(
    root,
    h(
      'section',
      { 'aria-labelledby': 'executions-title' },
      h(
        'header',
        { class: 'view-header' },
        h('h1', { id: 'executions-title' }, 'Executions'),
        h('a', { class: 'button', href: '#/start' }, 'Start provisioning'),
      ),
      h(
        'form',
        { class: 'filters', role: 'search', onsubmit: (e: Event) => e.preventDefault() },
        h('label', { for: 'filter-workflow' }, 'Workflow'),
        workflow,
        h('label', { for: 'filter-status' }, 'Status'),
        status,
        updated,
      ),
      errors,
      h(
        'table',
        { class: 'grid', id: 'executions' },
        h('caption', { class: 'visually-hidden' }, 'Executions, newest first'),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...['Name', 'Workflow', 'Status', 'Started', 'Stopped', 'Duration'].map((t) =>
              h('th', { scope: 'col' }, t),
            ),
          ),
        ),
        body,
      ),
      more,
    ),
  );
  return () => stop();
}
