/**
 * The console's entry point: a hash router over four views. Each view mounts into `<main>` and returns
 * its cleanup (which stops its polling), so leaving a view never leaves a timer behind.
 */
import { h, replace } from './dom.ts';
import { type Cleanup, errorBox } from './ui.ts';
import { mountExecutionDetail } from './view-detail.ts';
import { mountExecutions } from './view-executions.ts';
import { mountStart } from './view-start.ts';
import { mountTopology } from './view-topology.ts';

const main = document.querySelector('main') as HTMLElement;
let cleanup: Cleanup | undefined;

function route(): void {
  cleanup?.();
  cleanup = undefined;
  const hash = location.hash.replace(/^#\/?/, '');
  const [view = 'executions', ...rest] = hash.split('/');
  const arg = rest.length > 0 ? decodeURIComponent(rest.join('/')) : undefined;
  for (const link of document.querySelectorAll<HTMLAnchorElement>('nav a')) {
    const active = link.dataset.view === view;
    if (active) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  replace(main);
  try {
    if (view === 'executions' && arg) cleanup = mountExecutionDetail(main, arg);
    else if (view === 'executions') cleanup = mountExecutions(main);
    else if (view === 'start') cleanup = mountStart(main);
    else if (view === 'topology') cleanup = mountTopology(main);
    else
      replace(
        main,
        h('p', { class: 'empty' }, `No view named ${view}. `, h('a', { href: '#/executions' }, 'Executions')),
      );
  } catch (error) {
    replace(main, errorBox(error));
  }
  main.focus({ preventScroll: true });
}

window.addEventListener('hashchange', route);
window.addEventListener('unhandledrejection', (event) => {
  event.preventDefault();
  main.prepend(errorBox(event.reason, 'Unexpected error'));
});
if (!location.hash) history.replaceState(null, '', '#/executions');
route();
