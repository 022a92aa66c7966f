/** Shared pieces of the views: polling with cleanup, and error alerts that show every problem path. */
import { ApiError } from './api.ts';
import { h } from './dom.ts';

export type Cleanup = () => void;

/** Runs `task` now and again `every` ms after each run settles, until the returned cleanup runs. */
export function poll(task: () => Promise<unknown>, every: number): Cleanup {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = async () => {
    if (stopped) return;
    let again = true;
    try {
      again = (await task()) !== false;
    } catch {
      // The task shows its own errors; polling goes on so the view recovers when the stack does.
    }
    if (!stopped && again) timer = setTimeout(tick, every);
  };
  void tick();
  return () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
  };
}

/** A problem document (or any error) as an alert, with each error's path. */
export function errorBox(error: unknown, heading = 'Request failed'): HTMLElement {
  if (error instanceof ApiError) {
    const p = error.problem;
    return h(
      'div',
      { class: 'alert alert-error', role: 'alert' },
      h('strong', {}, `${heading}: `, h('code', {}, p.code ?? p.title ?? `HTTP ${p.status}`)),
      p.detail ? h('p', {}, p.detail) : null,
      p.errors && p.errors.length > 0
        ? h(
            'ul',
            { class: 'issues' },
            ...p.errors.map((issue) =>
              h(
                'li',
                {},
                h('code', { class: 'path' }, issue.path || '(plan)'),
                ' ',
                h('code', { class: 'code' }, issue.code),
                ' ',
                issue.message,
              ),
            ),
          )
        : null,
    );
  }
  return h(
    'div',
    { class: 'alert alert-error', role: 'alert' },
    h('strong', {}, `${heading}: `),
    error instanceof Error ? error.message : String(error),
  );
}
