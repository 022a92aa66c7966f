/**
 * The executions list: a search over name, plan and input text (`GET /executions?q=`, within the executions
 * the API reads per request), filters by plan, workflow and status, failures first (then newest first),
 * each row with its plan and, when it failed, its error and cause. Live (see live.ts).
 */
import { api, type ExecutionDetail, type ExecutionSummary, stateMachines, workflowOf } from './api.ts';
import { badge, formatDuration, formatTime, h, replace } from './dom.ts';
import { watch } from './live.ts';
import { readCause, timeOf } from './status.ts';
import { type Cleanup, errorBox } from './ui.ts';

/** Failures first, as the list sorts them. */
const STATUSES = ['FAILED', 'TIMED_OUT', 'ABORTED', 'RUNNING', 'SUCCEEDED', 'PENDING_REDRIVE'];
const FAILURES = new Set(['FAILED', 'TIMED_OUT', 'ABORTED']);
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
  const search = h('input', {
    type: 'search',
    id: 'filter-q',
    name: 'q',
    placeholder: 'name, plan or input text',
    autocomplete: 'off',
    value: params.get('q') ?? '',
  });
  const plan = h('select', { id: 'filter-plan', name: 'plan' }, h('option', { value: '' }, 'All plans'));
  const failuresFirst = h('input', {
    type: 'checkbox',
    id: 'filter-failures-first',
    name: 'failuresFirst',
    checked: params.get('failuresFirst') !== 'false',
  });
  const scannedNote = h('p', { class: 'muted small', id: 'search-scope', hidden: true });
  /** Each execution's detail, read once it is closed (its plan from the input, a failure's error and cause). */
  const details = new Map<string, ExecutionDetail>();
  const knownPlans = new Set<string>(params.get('plan') ? [params.get('plan') as string] : []);
  const updated = h('span', { class: 'muted live', 'aria-live': 'off' }, 'loading…');
  const errors = h('div', { 'aria-live': 'polite' });
  const body = h('tbody');
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Load more');
  let extra: ExecutionSummary[] = [];
  let extraScanned = 0;
  let nextToken: string | undefined;
  let machines: Awaited<ReturnType<typeof stateMachines>> = [];

  const query = (token?: string) => {
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (workflow.value) q.set('workflow', workflow.value);
    if (status.value) q.set('status', status.value);
    if (search.value.trim()) q.set('q', search.value.trim());
    if (plan.value) q.set('plan', plan.value);
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
            { colspan: 8, class: 'empty' },
            workflow.value || status.value || plan.value || search.value.trim()
              ? 'No execution matches these filters. '
              : 'No executions yet. ',
            h('a', { href: '#/start' }, 'Start a provisioning'),
          ),
        ),
      );
      return;
    }
    const ordered = failuresFirst.checked
      ? [...executions].sort((a, b) => Number(FAILURES.has(b.status)) - Number(FAILURES.has(a.status)))
      : executions;
    replace(
      body,
      ...ordered.map((e) => {
        const started = timeOf(e.startDate);
        const stopped = e.stopDate ? timeOf(e.stopDate) : undefined;
        const wf = e.workflow ?? workflowOf(e.stateMachineArn, machines)?.key ?? '—';
        const detail = details.get(e.executionArn);
        const planName = e.plan ?? planOfInput(detail?.input);
        const failed = FAILURES.has(e.status);
        return h(
          'tr',
          { 'data-status': e.status, 'data-plan': planName ?? '', 'data-arn': e.executionArn },
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
          h('td', { class: 'plan-cell' }, planName ?? (detail ? '—' : '…')),
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
          h(
            'td',
            { class: 'error-cell' },
            failed && detail
              ? h('code', { class: 'execution-error' }, detail.error ?? '(no error)')
              : failed
                ? '…'
                : '',
            failed && detail?.cause
              ? h(
                  'div',
                  { class: 'execution-cause small', title: readCause(detail.cause).message },
                  clip(readCause(detail.cause).message, 240),
                )
              : null,
          ),
        );
      }),
    );
  };

  /** Reads the details a row needs (a failure's error and cause, a plan its name does not tell), once each. */
  const fillDetails = async (executions: ExecutionSummary[]) => {
    const wanted = executions.filter(
      (e) => !details.has(e.executionArn) && e.status !== 'RUNNING' && (FAILURES.has(e.status) || !e.plan),
    );
    let changed = false;
    for (let i = 0; i < wanted.length; i += 8) {
      const batch = await Promise.all(
        wanted
          .slice(i, i + 8)
          .map((e) =>
            api<ExecutionDetail>(`/executions/${encodeURIComponent(e.executionArn)}`).catch(() => undefined),
          ),
      );
      for (const d of batch) {
        if (!d) continue;
        details.set(d.executionArn, d);
        changed = true;
      }
    }
    return changed;
  };

  const addPlans = (names: (string | undefined)[]) => {
    let added = false;
    for (const name of names) {
      if (!name || knownPlans.has(name)) continue;
      knownPlans.add(name);
      added = true;
    }
    if (!added) return;
    const value = plan.value;
    replace(
      plan,
      h('option', { value: '' }, 'All plans'),
      ...[...knownPlans].sort().map((p) => h('option', { value: p }, p)),
    );
    plan.value = value;
  };

  const refresh = async () => {
    try {
      const page = await api<{ executions: ExecutionSummary[]; nextToken?: string; scanned?: number }>(
        query(),
      );
      if (extra.length === 0) nextToken = page.nextToken;
      const seen = new Set(page.executions.map((e) => e.executionArn));
      const shown = [...page.executions, ...extra.filter((e) => !seen.has(e.executionArn))];
      render(shown);
      if (await fillDetails(shown)) render(shown);
      addPlans(shown.map((e) => e.plan ?? planOfInput(details.get(e.executionArn)?.input)));
      more.hidden = !nextToken;
      more.textContent = page.scanned !== undefined ? 'Search further' : 'Load more';
      scannedNote.hidden = page.scanned === undefined;
      scannedNote.textContent =
        page.scanned !== undefined
          ? `Searched the newest ${page.scanned + extraScanned} executions${nextToken ? ' — older ones are not searched yet' : ''}.`
          : '';
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
      new URLSearchParams({
        workflow: workflow.value,
        status: status.value,
        q: search.value.trim(),
        plan: plan.value,
        failuresFirst: String(failuresFirst.checked),
      }).toString(),
    );
    extra = [];
    extraScanned = 0;
    nextToken = undefined;
    stop();
    stop = live();
  };
  workflow.addEventListener('change', restart);
  status.addEventListener('change', restart);
  plan.addEventListener('change', restart);
  failuresFirst.addEventListener('change', restart);
  let typing: ReturnType<typeof setTimeout> | undefined;
  search.addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(restart, 300);
  });
  more.addEventListener('click', async () => {
    if (!nextToken) return;
    more.disabled = true;
    try {
      const page = await api<{ executions: ExecutionSummary[]; nextToken?: string; scanned?: number }>(
        query(nextToken),
      );
      extra = [...extra, ...page.executions];
      extraScanned += page.scanned ?? 0;
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
        h('label', { for: 'filter-q' }, 'Search'),
        search,
        h('label', { for: 'filter-plan' }, 'Plan'),
        plan,
        h('label', { for: 'filter-workflow' }, 'Workflow'),
        workflow,
        h('label', { for: 'filter-status' }, 'Status'),
        status,
        h('label', { class: 'check' }, failuresFirst, ' Failures first'),
        updated,
      ),
      scannedNote,
      errors,
      h(
        'table',
        { class: 'grid', id: 'executions' },
        h('caption', { class: 'visually-hidden' }, 'Executions, failures first, then newest first'),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...['Name', 'Plan', 'Workflow', 'Status', 'Started', 'Stopped', 'Duration', 'Error'].map((t) =>
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

/** The plan an execution's input names: a provisioning's plan `name`, a verify or teardown's `plan`. */
function planOfInput(input: unknown): string | undefined {
  if (!input || typeof input !== 'object') return undefined;
  const { plan, name } = input as { plan?: unknown; name?: unknown };
  if (typeof plan === 'string') return plan;
  return typeof name === 'string' ? name : undefined;
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
