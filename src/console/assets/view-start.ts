/**
 * Start a provisioning: paste a plan (YAML or JSON) or pick one of the examples, validate it (every
 * problem listed by path), preview it (its actions and the paths it opens or closes, preview-panel.ts),
 * start it, and go to its execution to watch it run.
 */
import { api } from './api.ts';
import { h, replace } from './dom.ts';
import { type PreviewAnswer, previewPanel } from './preview-panel.ts';
import { type Cleanup, errorBox } from './ui.ts';

interface Example {
  file: string;
  name: string;
  text: string;
}

export function mountStart(root: HTMLElement): Cleanup {
  const example = h(
    'select',
    { id: 'plan-example', name: 'example' },
    h('option', { value: '' }, 'Paste your own plan'),
  );
  const text = h('textarea', {
    id: 'plan-text',
    name: 'plan',
    rows: 24,
    spellcheck: 'false',
    autocomplete: 'off',
    placeholder: 'name: my-plan\nvpcs:\n  - name: VPC-A\n    cidr: 192.168.0.0/16\n…',
    'aria-describedby': 'plan-help',
  });
  text.value = sessionStorage.getItem('natflow.plan') ?? '';
  const name = h('input', {
    id: 'execution-name',
    name: 'name',
    type: 'text',
    autocomplete: 'off',
    placeholder: 'generated from the plan name and the time',
    pattern: '[A-Za-z0-9_-]{1,80}',
  });
  const onFailure = h(
    'select',
    { id: 'on-failure', name: 'onFailure', 'aria-describedby': 'on-failure-help' },
    h('option', { value: '' }, 'as the plan says (default: rollback)'),
    h('option', { value: 'rollback' }, 'rollback — remove what a failed run created'),
    h('option', { value: 'keep' }, 'keep — leave it, to redrive or roll back later'),
  );
  const result = h('div', { id: 'start-result', 'aria-live': 'polite' });
  const validate = h('button', { type: 'button', class: 'secondary' }, 'Validate');
  const preview = h('button', { type: 'button', id: 'preview-button', class: 'secondary' }, 'Preview');
  const start = h('button', { type: 'submit', id: 'start-button' }, 'Start provisioning');
  let examples: Example[] = [];
  let cancelled = false;

  const busy = (on: boolean) => {
    validate.disabled = on;
    preview.disabled = on;
    start.disabled = on;
  };
  const parse = async (): Promise<unknown> =>
    (
      await api<{ plan: unknown }>('/console/api/parse-plan', {
        method: 'POST',
        body: text.value,
        headers: { 'Content-Type': 'text/plain' },
      })
    ).plan;

  validate.addEventListener('click', async () => {
    busy(true);
    replace(result, h('p', { class: 'muted' }, 'validating…'));
    try {
      const plan = await parse();
      const answer = await api<{ valid: boolean; summary?: unknown }>('/plans/validate', {
        method: 'POST',
        body: JSON.stringify(plan),
      });
      replace(
        result,
        h(
          'div',
          { class: 'alert alert-ok', role: 'status' },
          h('strong', {}, 'The plan is valid. '),
          answer.summary ? h('pre', { class: 'json' }, JSON.stringify(answer.summary, null, 2)) : null,
        ),
      );
    } catch (error) {
      replace(result, errorBox(error, 'The plan is not valid'));
    } finally {
      busy(false);
    }
  });

  preview.addEventListener('click', async () => {
    busy(true);
    replace(result, h('p', { class: 'muted' }, 'previewing…'));
    try {
      const plan = await parse();
      const answer = await api<PreviewAnswer>('/plans/preview', {
        method: 'POST',
        body: JSON.stringify({ plan, topology: true }),
      });
      if (!cancelled) replace(result, previewPanel(answer));
    } catch (error) {
      replace(result, errorBox(error, 'The plan cannot be previewed'));
    } finally {
      busy(false);
    }
  });

  const submit = async (event: Event) => {
    event.preventDefault();
    busy(true);
    replace(result, h('p', { class: 'muted' }, 'starting…'));
    try {
      const parsed = await parse();
      // The choice overrides the plan's own onFailure (the CLI's --on-failure does the same).
      const plan =
        onFailure.value && parsed && typeof parsed === 'object'
          ? { ...(parsed as Record<string, unknown>), onFailure: onFailure.value }
          : parsed;
      const body: Record<string, unknown> = { workflow: 'provision', input: plan };
      if (name.value.trim()) body.name = name.value.trim();
      const started = await api<{ executionArn: string }>('/executions', {
        method: 'POST',
        body: JSON.stringify(body),
      });
      if (!cancelled) location.hash = `#/executions/${encodeURIComponent(started.executionArn)}`;
    } catch (error) {
      replace(result, errorBox(error, 'Nothing was started'));
    } finally {
      busy(false);
    }
  };

  example.addEventListener('change', () => {
    const chosen = examples.find((e) => e.file === example.value);
    if (chosen) text.value = chosen.text;
    sessionStorage.setItem('natflow.plan', text.value);
    replace(result);
  });
  text.addEventListener('input', () => sessionStorage.setItem('natflow.plan', text.value));

  api<{ examples: Example[] }>('/console/api/examples')
    .then((answer) => {
      examples = answer.examples;
      example.append(...examples.map((e) => h('option', { value: e.file }, `${e.file} (${e.name})`)));
    })
    .catch((error: unknown) => result.append(errorBox(error, 'Could not list the examples')));

  replace(
    root,
    h(
      'section',
      { 'aria-labelledby': 'start-title' },
      h('header', { class: 'view-header' }, h('h1', { id: 'start-title' }, 'Start a provisioning')),
      h(
        'form',
        { class: 'start-form', onsubmit: submit },
        h('div', { class: 'field' }, h('label', { for: 'plan-example' }, 'Example plan'), example),
        h(
          'div',
          { class: 'field' },
          h('label', { for: 'plan-text' }, 'Plan (YAML or JSON)'),
          text,
          h(
            'p',
            { id: 'plan-help', class: 'muted small' },
            'The plan format is described in docs/plan-format.md (in the repository); every problem is listed with its path before anything starts.',
          ),
        ),
        h(
          'div',
          { class: 'field' },
          h('label', { for: 'on-failure' }, 'On failure'),
          onFailure,
          h(
            'p',
            { id: 'on-failure-help', class: 'muted small' },
            'keep runs the workflow without its rollback: a failed run stops at the failing step with what it created, and the execution offers Redrive and Roll back.',
          ),
        ),
        h(
          'div',
          { class: 'field' },
          h('label', { for: 'execution-name' }, 'Execution name (optional)'),
          name,
        ),
        h('div', { class: 'actions' }, preview, start, validate),
        result,
      ),
    ),
  );
  return () => {
    cancelled = true;
  };
}
