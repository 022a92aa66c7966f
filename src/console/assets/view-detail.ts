/**
 * One execution: its state machine graph coloured from the history (live while it runs) or the table
 * view with its timeline, the selected state's input, output, error and cause (and the data flow through
 * InputPath → … → OutputPath), a banner for a failure, the event history as a table, and for a kept
 * failure (`onFailure: keep`) the Redrive and Roll back buttons.
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
import { canvasMeasure, loadElk } from './elk.ts';
import { layoutStateMachine, statesOf } from './graph.ts';
import { type GraphView, renderGraph } from './graph-view.ts';
import { watch } from './live.ts';
import {
  type ExecutionRun,
  type HistoryEvent,
  readCause,
  replayHistory,
  type StateRun,
  timeOf,
} from './status.ts';
import { timelineOf } from './timeline.ts';
import { type Cleanup, errorBox } from './ui.ts';
import { createTableView } from './view-table.ts';
import { createZoom } from './zoom.ts';

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
  const zoom = createZoom(graphBox, 'graph');
  const historyBody = h('tbody');
  const stopButton = h('button', { type: 'button', class: 'danger', hidden: true }, 'Stop execution');
  const redriveButton = h(
    'button',
    { type: 'button', id: 'redrive-button', hidden: true, title: 'Continue from the state where it failed' },
    'Redrive',
  );
  const rollbackButton = h(
    'button',
    { type: 'button', id: 'rollback-button', class: 'danger', hidden: true },
    'Roll back',
  );
  const actionNote = h('p', { class: 'muted small action-note', id: 'action-note', hidden: true });
  const notice = h('div', { 'aria-live': 'polite', id: 'action-result' });
  const tableView = createTableView((state) => select(state));
  const graphTab = h(
    'button',
    { type: 'button', role: 'tab', id: 'tab-graph', 'aria-selected': 'true', 'aria-controls': 'graph' },
    'Graph view',
  );
  const tableTab = h(
    'button',
    { type: 'button', role: 'tab', id: 'tab-table', 'aria-selected': 'false', 'aria-controls': 'table-view' },
    'Table view',
  );
  let rolledBack = false;
  /** The "continuing from the failed state" notice is up until the redriven execution closes. */
  let redriveNotice = false;
  let redrivesBefore = 0;
  const graphLegend = legend();
  const split = h('div', { class: 'split' });

  let machine: StateMachineInfo | undefined;
  let view: GraphView | undefined;
  let run: ExecutionRun | undefined;
  let detail: ExecutionDetail | undefined;
  let events: HistoryEvent[] = [];
  let selected: string | undefined;
  let userSelected = false;
  let renderedEvents = 0;

  const showTab = (which: 'graph' | 'table') => {
    graphTab.setAttribute('aria-selected', String(which === 'graph'));
    tableTab.setAttribute('aria-selected', String(which === 'table'));
    graphBox.hidden = which !== 'graph';
    graphLegend.hidden = which !== 'graph';
    zoom.controls.hidden = which !== 'graph';
    tableView.element.hidden = which !== 'table';
    // The table needs the width: the state panel goes below it.
    split.classList.toggle('table-mode', which === 'table');
    sessionStorage.setItem('natflow.detailTab', which);
  };
  graphTab.addEventListener('click', () => showTab('graph'));
  tableTab.addEventListener('click', () => showTab('table'));

  const renderTable = () => {
    if (!machine || !run) return;
    tableView.update(timelineOf(machine.definition, events, run, Date.now()), selected);
  };

  const select = (state: string | undefined, byUser = true) => {
    selected = state;
    if (byUser) userSelected = true;
    view?.update(run, selected);
    renderPanel();
    renderTable();
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
      state?.waiting && state.status === 'running'
        ? h('p', { class: 'alert alert-info', id: 'state-waiting' }, state.waiting)
        : null,
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
      dataFlowBox(selected, state),
      h(
        'button',
        { type: 'button', class: 'secondary', onclick: () => select(undefined) },
        'Show the execution',
      ),
    );
  };

  /** The advanced view: the data after each stage, computed by the engine (POST /console/api/dataflow). */
  const dataFlowBox = (name: string, state: StateRun | undefined) => {
    const definition = machine ? statesOf(machine.definition).get(name)?.state : undefined;
    const box = h('div', { class: 'dataflow', id: 'dataflow' });
    const toggle = h(
      'details',
      { id: 'dataflow-details', open: dataFlowOpen },
      h('summary', {}, 'Data flow (advanced)'),
      box,
    );
    toggle.addEventListener('toggle', () => {
      dataFlowOpen = toggle.open;
      if (toggle.open) void load();
    });
    const load = async () => {
      if (!definition || !state || state.input === undefined || !detail) {
        replace(box, h('p', { class: 'muted' }, 'This state has not run yet.'));
        return;
      }
      replace(box, h('p', { class: 'muted' }, 'computing…'));
      try {
        const { stages } = await api<{ stages: DataFlowStage[] }>('/console/api/dataflow', {
          method: 'POST',
          body: JSON.stringify({
            state: definition,
            input: state.input,
            ...(state.result !== undefined ? { result: state.result } : {}),
            context: {
              Execution: {
                Id: detail.executionArn,
                Name: detail.name,
                StartTime: detail.startDate,
                Input: detail.input,
              },
              StateMachine: { Id: detail.stateMachineArn, Name: machine?.name },
              State: { Name: name, EnteredTime: new Date(state.enteredAt ?? Date.now()).toISOString() },
            },
          }),
        });
        replace(box, ...stages.map((stage) => stageOf(stage)));
      } catch (error) {
        replace(box, errorBox(error, 'Could not compute the data flow'));
      }
    };
    if (dataFlowOpen) void load();
    return toggle;
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
      h('dd', {}, detail.workflow ?? machine?.key ?? '—'),
      h('dt', {}, 'Started'),
      h('dd', { class: 'mono' }, formatTime(started)),
      h('dt', {}, 'Duration'),
      h('dd', { class: 'mono' }, formatDuration((stopped ?? Date.now()) - started)),
      detail.onFailure ? h('dt', {}, 'On failure') : null,
      detail.onFailure
        ? h(
            'dd',
            { id: 'execution-on-failure' },
            detail.onFailure !== 'keep'
              ? 'rollback'
              : rolledBack
                ? 'keep (rolled back)'
                : ['FAILED', 'ABORTED', 'TIMED_OUT'].includes(detail.status) &&
                    detail.redriveStatus !== 'NOT_REDRIVABLE'
                  ? 'keep (redrivable)'
                  : 'keep',
          )
        : null,
      detail.redriveCount ? h('dt', {}, 'Redriven') : null,
      detail.redriveCount
        ? h(
            'dd',
            { class: 'mono', id: 'execution-redrives' },
            `${detail.redriveCount}× · last ${formatTime(detail.redriveDate ? timeOf(detail.redriveDate) : undefined)}`,
          )
        : null,
      h('dt', {}, 'ARN'),
      h('dd', { class: 'mono small' }, detail.executionArn),
    );
    stopButton.hidden = detail.status !== 'RUNNING';
    if (redriveNotice && detail.status !== 'RUNNING' && (detail.redriveCount ?? 0) > redrivesBefore) {
      redriveNotice = false;
      replace(
        notice,
        h(
          'p',
          { class: `alert ${detail.status === 'SUCCEEDED' ? 'alert-ok' : 'alert-error'}`, role: 'status' },
          `Redrive ${detail.redriveCount}: the execution ${detail.status.toLowerCase().replace('_', ' ')}.`,
        ),
      );
    }
    renderActions();
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

  /** Redrive and Roll back: offered for a kept failure; a rolled-back provisioning says why it has none. */
  const renderActions = () => {
    if (!detail) return;
    const closedUnsuccessfully = ['FAILED', 'ABORTED', 'TIMED_OUT'].includes(detail.status);
    const kept = detail.onFailure === 'keep';
    redriveButton.hidden = !(detail.workflow === 'provision' && closedUnsuccessfully);
    rollbackButton.hidden = !(kept && closedUnsuccessfully) || rolledBack;
    let note = '';
    if (closedUnsuccessfully && detail.onFailure === 'rollback')
      note =
        'Rolled back when it failed (onFailure: rollback): nothing is left to redrive. Provision the plan again, or use onFailure: keep.';
    else if (closedUnsuccessfully && kept && rolledBack)
      note = 'Rolled back: nothing is left to redrive. Provision the plan again.';
    else if (closedUnsuccessfully && kept && detail.redriveStatus === 'NOT_REDRIVABLE')
      note = `Not redrivable: ${detail.redriveStatusReason ?? 'Step Functions refuses it'}.`;
    else if (closedUnsuccessfully && kept)
      note = 'Kept failure: Redrive continues from the failed state; Roll back removes what it created.';
    redriveButton.disabled = note !== '' && !note.startsWith('Kept failure');
    actionNote.hidden = note === '';
    actionNote.textContent = note;
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
        const found = workflowOf(d.stateMachineArn, machines);
        if (!found) throw new Error(`no state machine of this stack is named by ${d.stateMachineArn}`);
        const layout = await layoutStateMachine(found.definition, await loadElk(), {
          measure: canvasMeasure(),
        });
        machine = found;
        view = renderGraph(layout, (state) => select(state));
        replace(graphBox, view.svg);
        zoom.show(view.svg as SVGSVGElement, layout.width, layout.height);
      }
      // Events arrive in order and never change: a shorter history means another execution (never here).
      events = history.sort((a, b) => a.id - b.id);
      run = replayHistory(machine.definition, events);
      if (!userSelected && run.failedState) selected = run.failedState;
      view?.update(run, selected);
      renderHeader();
      renderPanel();
      renderHistory();
      renderTable();
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

  redriveButton.addEventListener('click', async () => {
    redriveButton.disabled = true;
    replace(notice);
    try {
      await api(`${executionPath(detail?.executionArn ?? id)}/redrive`, { method: 'POST' });
      userSelected = false;
      redrivesBefore = detail?.redriveCount ?? 0;
      redriveNotice = true;
      replace(
        notice,
        h('p', { class: 'alert alert-info', role: 'status' }, 'Redriven: continuing from the failed state…'),
      );
    } catch (error) {
      replace(notice, errorBox(error, 'Could not redrive'));
      redriveButton.disabled = false;
    }
  });

  rollbackButton.addEventListener('click', async () => {
    if (!globalThis.confirm?.('Delete every resource this failed execution created?')) return;
    rollbackButton.disabled = true;
    replace(notice);
    try {
      const result = await api<{ deleted: string[]; rollbackExecutionArn?: string }>(
        `${executionPath(detail?.executionArn ?? id)}/rollback`,
        { method: 'POST' },
      );
      rolledBack = true;
      renderHeader();
      replace(
        notice,
        h(
          'p',
          { class: 'alert alert-info', role: 'status', id: 'rollback-result' },
          result.rollbackExecutionArn
            ? `Rollback started: ${result.rollbackExecutionArn}`
            : `Rolled back: ${result.deleted.length} resource${result.deleted.length === 1 ? '' : 's'} deleted.`,
        ),
      );
    } catch (error) {
      replace(notice, errorBox(error, 'Could not roll back'));
    } finally {
      rollbackButton.disabled = false;
    }
  });

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
      h(
        'header',
        { class: 'view-header' },
        h('div', { class: 'title-line' }, title, status),
        h('div', { class: 'actions' }, redriveButton, rollbackButton, stopButton),
      ),
      facts,
      actionNote,
      banner,
      notice,
      errors,
      split,
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
  split.append(
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'graph-title' },
      h(
        'div',
        { class: 'card-head' },
        h('h2', { id: 'graph-title' }, 'Execution'),
        h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'View' }, graphTab, tableTab),
        zoom.controls,
      ),
      graphLegend,
      graphBox,
      tableView.element,
    ),
    panel,
  );
  renderPanel();
  showTab(sessionStorage.getItem('natflow.detailTab') === 'table' ? 'table' : 'graph');
  // Live: reload when this execution's history grows (a redrive reopens a closed one); poll only while
  // the live stream is down, every second while it runs and every 5 s otherwise.
  const stop = watch(
    refresh,
    (m) => m.topic === 'history' && (m.executionArn === detail?.executionArn || m.executionArn === id),
    () => (detail?.status === 'RUNNING' || !detail ? 1000 : 5000),
  );
  return () => {
    stop();
    zoom.dispose();
  };
}

interface DataFlowStage {
  stage: string;
  expression?: unknown;
  value?: unknown;
  skipped?: boolean;
  error?: string;
}

let dataFlowOpen = false;

function stageOf(stage: DataFlowStage): HTMLElement {
  const expression =
    stage.expression === undefined
      ? ''
      : typeof stage.expression === 'string' || stage.expression === null
        ? String(stage.expression)
        : JSON.stringify(stage.expression);
  return h(
    'section',
    { class: `stage${stage.skipped ? ' stage-skipped' : ''}`, 'data-stage': stage.stage },
    h(
      'h4',
      {},
      stage.stage,
      expression ? h('code', { class: 'stage-expression' }, expression) : null,
      stage.skipped
        ? h(
            'span',
            { class: 'muted small' },
            stage.stage === 'Result' ? ' no result recorded' : ' not set: unchanged',
          )
        : null,
    ),
    stage.error
      ? h('p', { class: 'alert alert-error' }, stage.error)
      : stage.skipped && stage.stage !== 'Input'
        ? null
        : h('pre', { class: 'json' }, json(stage.value)),
  );
}

/**
 * A cause as its message, then what the cloud answered and what a rollback left behind, with a
 * Lambda's stack trace (if a handler left one) folded away.
 */
function causeOf(cause: string | Record<string, unknown> | undefined, id?: string): HTMLElement[] {
  if (!cause) return [];
  const read = readCause(cause);
  const out: HTMLElement[] = [h('p', { class: 'cause', ...(id ? { id } : {}) }, read.message)];
  if (read.cloud) out.push(h('p', { class: 'cause' }, `the cloud answered: ${read.cloud}`));
  if (read.leftBehind && read.leftBehind.length > 0)
    out.push(
      h(
        'details',
        { open: true },
        h('summary', {}, `left behind by the rollback (${read.leftBehind.length})`),
        h('pre', { class: 'json' }, read.leftBehind.join('\n')),
      ),
    );
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
