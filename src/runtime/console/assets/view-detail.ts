/**
 * One execution: its state machine graph coloured from the history (live while it runs), the selected
 * state's input, output, error and cause, a banner for a failure, and the event history as a table.
 */
import {
  ApiError,
  api,
  type ExecutionDetail,
  executionPath,
  type StateMachineInfo,
  stateMachines,
  workflowOf,
} from './api.ts';
import { badge, formatDuration, formatTime, h, json, replace } from './dom.ts';
import { layoutStateMachine } from './graph.ts';
import { type GraphView, renderGraph } from './graph-view.ts';
import { type ExecutionRun, type HistoryEvent, readCause, replayHistory, timeOf } from './status.ts';
import { type Cleanup, errorBox, poll } from './ui.ts';

export function mountExecutionDetail(root: HTMLElement, id: string): Cleanup {
  const title = h('h1', { id: 'execution-title', class: 'mono' }, id);
  const status = h('span', {}, badge('…'));
  const facts = h('dl', { class: 'facts' });
  const banner = h('div', { id: 'failure-banner' });
  const errors = h('div', { 'aria-live': 'polite' });
  const graphBox = h(
    'div',
    { class: 'graph-box', id: 'graph' },
    h('p', { class: 'muted' }, 'loading the state machine…'),
  );
  const panel = h('aside', { class: 'panel', id: 'state-panel', 'aria-live': 'polite' });
  const historyBody = h('tbody');
  const stopButton = h('button', { type: 'button', class: 'danger', hidden: true }, 'Stop execution');

  let machine: StateMachineInfo | undefined;
  let view: GraphView | undefined;
  let run: ExecutionRun | undefined;
  let detail: ExecutionDetail | undefined;
  let events: HistoryEvent[] = [];
  let selected: string | undefined;
  let userSelected = false;
  let renderedEvents = 0;

  const select = (state: string | undefined, byUser = true) => {
    selected = state;
    if (byUser) userSelected = true;
    view?.update(run, selected);
    renderPanel();
    for (const row of historyBody.querySelectorAll('tr')) {
      row.classList.toggle('selected', state !== undefined && row.getAttribute('data-state') === state);
    }
  };

  const renderPanel = () => {
    if (!selected || !run) {
      replace(
        panel,
        h('h2', {}, 'Execution'),
        h('p', { class: 'muted' }, 'Select a state in the graph to see its input and output.'),
        h('h3', {}, 'Input'),
        h('pre', { class: 'json' }, json(detail?.input)),
        h('h3', {}, 'Output'),
        h('pre', { class: 'json' }, json(detail?.output)),
      );
      return;
    }
    const state = run.states.get(selected);
    const failing = run.failedState === selected;
    replace(
      panel,
      h('h2', { class: 'mono' }, selected),
      h(
        'p',
        {},
        badge(state?.status ?? 'not-started'),
        ' ',
        h('span', { class: 'muted' }, state?.type ?? ''),
        state && state.entries > 1
          ? h('span', { class: 'muted' }, ` · entered ${state.entries} times`)
          : null,
        state && state.retries > 0
          ? h('span', { class: 'muted' }, ` · ${state.retries} retried (${state.retriedError})`)
          : null,
      ),
      state?.error
        ? h(
            'div',
            { class: `alert ${state.status === 'caught' ? 'alert-warn' : 'alert-error'}`, id: 'state-error' },
            h(
              'strong',
              {},
              failing ? 'Failed here: ' : state.status === 'caught' ? 'Caught error: ' : 'Error: ',
            ),
            h('code', {}, state.error),
            ...causeOf(state.cause),
            state.caughtBy ? h('p', { class: 'muted' }, `handled by ${state.caughtBy}`) : null,
          )
        : null,
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, 'Entered'),
        h('dd', { class: 'mono' }, formatTime(state?.enteredAt)),
        h('dt', {}, 'Exited'),
        h('dd', { class: 'mono' }, formatTime(state?.exitedAt)),
      ),
      h('h3', {}, 'Input'),
      h('pre', { class: 'json', id: 'state-input' }, json(state?.input)),
      h('h3', {}, 'Output'),
      h('pre', { class: 'json', id: 'state-output' }, json(state?.output)),
      h(
        'button',
        { type: 'button', class: 'secondary', onclick: () => select(undefined) },
        'Show the execution',
      ),
    );
  };

  const renderHeader = () => {
    if (!detail) return;
    title.textContent = detail.name;
    replace(status, badge(detail.status));
    const started = timeOf(detail.startDate);
    const stopped = detail.stopDate ? timeOf(detail.stopDate) : undefined;
    replace(
      facts,
      h('dt', {}, 'Workflow'),
      h('dd', {}, machine?.key ?? '—'),
      h('dt', {}, 'Started'),
      h('dd', { class: 'mono' }, formatTime(started)),
      h('dt', {}, 'Duration'),
      h('dd', { class: 'mono' }, formatDuration((stopped ?? Date.now()) - started)),
      h('dt', {}, 'ARN'),
      h('dd', { class: 'mono small' }, detail.executionArn),
    );
    stopButton.hidden = detail.status !== 'RUNNING';
    if (detail.status === 'FAILED' || detail.status === 'TIMED_OUT' || detail.status === 'ABORTED') {
      const at = run?.failedState;
      replace(
        banner,
        h(
          'div',
          { class: 'alert alert-error banner', role: 'alert' },
          h(
            'strong',
            {},
            `Execution ${detail.status.toLowerCase().replace('_', ' ')}`,
            at ? ' at ' : '',
            at ? h('button', { type: 'button', class: 'link mono', onclick: () => select(at) }, at) : null,
            ': ',
          ),
          h('code', { id: 'execution-error' }, detail.error ?? '(no error)'),
          ...causeOf(detail.cause, 'execution-cause'),
        ),
      );
    } else replace(banner);
  };

  const renderHistory = () => {
    if (!run || events.length === renderedEvents) return;
    const start = run.startedAt ?? timeOf(events[0]?.timestamp);
    const rows = events.slice(renderedEvents).map((event) => {
      const at = timeOf(event.timestamp);
      const state = run?.stateOfEvent.get(event.id);
      const details = Object.fromEntries(
        Object.entries(event).filter(([k]) => !['id', 'previousEventId', 'type', 'timestamp'].includes(k)),
      );
      const failed = /Failed|TimedOut|Aborted/.test(event.type);
      return h(
        'tr',
        { 'data-state': state ?? '', class: failed ? 'row-failed' : '' },
        h('td', { class: 'mono num' }, event.id),
        h('td', {}, event.type),
        h(
          'td',
          {},
          state
            ? h('button', { type: 'button', class: 'link mono', onclick: () => select(state) }, state)
            : '',
        ),
        h('td', { class: 'mono' }, formatTime(at)),
        h('td', { class: 'mono num' }, `${Math.max(0, Math.round(at - start))} ms`),
        h(
          'td',
          {},
          Object.keys(details).length > 0
            ? h(
                'details',
                {},
                h('summary', {}, 'details'),
                h('pre', { class: 'json' }, json(expandJson(details))),
              )
            : '',
        ),
      );
    });
    historyBody.append(...rows);
    renderedEvents = events.length;
  };

  const loadHistory = async (): Promise<HistoryEvent[]> => {
    const all: HistoryEvent[] = [];
    let token: string | undefined;
    do {
      const q = new URLSearchParams(token ? { nextToken: token } : {});
      const page = await api<{ events: HistoryEvent[]; nextToken?: string }>(
        `${executionPath(id)}/history${token ? `?${q}` : ''}`,
      );
      all.push(...page.events);
      token = page.nextToken;
    } while (token);
    return all;
  };

  const refresh = async (): Promise<boolean> => {
    try {
      const [d, history, machines] = await Promise.all([
        api<ExecutionDetail>(executionPath(id)),
        loadHistory(),
        stateMachines(),
      ]);
      detail = d;
      if (!machine) {
        machine = workflowOf(d.stateMachineArn, machines);
        if (!machine) throw new Error(`no state machine of this stack is named by ${d.stateMachineArn}`);
        const layout = layoutStateMachine(machine.definition);
        view = renderGraph(layout, (state) => select(state));
        replace(graphBox, view.svg);
      }
      // Events arrive in order and never change: a shorter history means another execution (never here).
      events = history.sort((a, b) => a.id - b.id);
      run = replayHistory(machine.definition, events);
      if (!userSelected && run.failedState) selected = run.failedState;
      view?.update(run, selected);
      renderHeader();
      renderPanel();
      renderHistory();
      replace(errors);
      // Keep polling until the history has caught up with a closed execution (they are read concurrently).
      const closedInHistory = events.some((e) =>
        /^Execution(Succeeded|Failed|Aborted|TimedOut)$/.test(e.type),
      );
      return d.status === 'RUNNING' || !closedInHistory;
    } catch (error) {
      replace(errors, errorBox(error, 'Could not load this execution'));
      // A missing execution will not appear by waiting.
      return !(error instanceof ApiError && error.status === 404);
    }
  };

  stopButton.addEventListener('click', async () => {
    stopButton.disabled = true;
    try {
      await api(`${executionPath(id)}/stop`, {
        method: 'POST',
        body: JSON.stringify({ cause: 'stopped from the console' }),
      });
    } catch (error) {
      replace(errors, errorBox(error, 'Could not stop the execution'));
    } finally {
      stopButton.disabled = false;
    }
  });

  replace(
    root,
    h(
      'section',
      { 'aria-labelledby': 'execution-title', class: 'detail' },
      h('p', { class: 'crumbs' }, h('a', { href: '#/executions' }, '← Executions')),
      h('header', { class: 'view-header' }, h('div', { class: 'title-line' }, title, status), stopButton),
      facts,
      banner,
      errors,
      h(
        'div',
        { class: 'split' },
        h(
          'section',
          { class: 'card', 'aria-labelledby': 'graph-title' },
          h('h2', { id: 'graph-title' }, 'Graph'),
          legend(),
          graphBox,
        ),
        panel,
      ),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'history-title' },
        h('h2', { id: 'history-title' }, 'Event history'),
        h(
          'table',
          { class: 'grid', id: 'history' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ...['ID', 'Type', 'State', 'Timestamp', 'Elapsed', ''].map((t) => h('th', { scope: 'col' }, t)),
            ),
          ),
          historyBody,
        ),
      ),
    ),
  );
  renderPanel();
  return poll(refresh, 1000);
}

/** A cause as its message, with a Lambda's stack trace folded away. */
function causeOf(cause: string | undefined, id?: string): HTMLElement[] {
  if (!cause) return [];
  const read = readCause(cause);
  const out: HTMLElement[] = [h('p', { class: 'cause', ...(id ? { id } : {}) }, read.message)];
  if (read.trace && read.trace.length > 0)
    out.push(
      h('details', {}, h('summary', {}, 'stack trace'), h('pre', { class: 'json' }, read.trace.join('\n'))),
    );
  return out;
}

function legend(): HTMLElement {
  const items: [string, string][] = [
    ['not-started', 'Not started'],
    ['running', 'Running'],
    ['succeeded', 'Succeeded'],
    ['failed', 'Failed'],
    ['caught', 'Caught error'],
    ['cancelled', 'Cancelled'],
  ];
  return h(
    'ul',
    { class: 'legend', 'aria-label': 'Legend' },
    ...items.map(([status, text]) => h('li', {}, h('span', { class: `swatch status-${status}` }), text)),
  );
}

/** History details hold JSON as text (`input`, `output`, `parameters`): show it as JSON. */
function expandJson(value: unknown): unknown {
  if (typeof value === 'string' && /^[[{"]/.test(value)) {
    try {
      return expandJson(JSON.parse(value));
    } catch {
      return value;
    }
  }
  if (Array.isArray(value)) return value.map(expandJson);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expandJson(v)]));
  return value;
}
