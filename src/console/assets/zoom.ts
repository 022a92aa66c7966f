/**
 * Zoom and pan for a drawn SVG (the topology, the state machine graph) inside a scrolling box: the SVG
 * keeps its natural coordinates (viewBox) and is drawn at `zoom` × its size; the box scrolls. Fit to view
 * (the default) draws it at the box's width, never larger than its natural size. Buttons −, +, Fit and
 * 1:1; Ctrl+wheel zooms at the pointer; dragging the background pans.
 */
import { h } from './dom.ts';

export interface Zoom {
  /** The controls, to put above the box. */
  controls: HTMLElement;
  /** Shows a new drawing, keeping the zoom the person chose (or fitting, if they chose none). */
  show(svg: SVGSVGElement, width: number, height: number): void;
  /** The current zoom factor. */
  factor(): number;
  /** Stops listening to the window. */
  dispose(): void;
}

const STEPS = [0.25, 0.33, 0.5, 0.67, 0.8, 0.9, 1, 1.25, 1.5, 2, 3];

export function createZoom(box: HTMLElement, idPrefix: string): Zoom {
  let svg: SVGSVGElement | undefined;
  let size = { width: 0, height: 0 };
  let zoom = 1;
  let fit = true;
  const readout = h(
    'span',
    { class: 'zoom-readout mono', id: `${idPrefix}-zoom`, 'aria-live': 'polite' },
    '100%',
  );

  const listening = new AbortController();
  const fitFactor = () => {
    if (box.clientWidth === 0) {
      // Not laid out yet (the box was just attached): fit once the browser has sized it.
      requestAnimationFrame(() => {
        if (fit && box.clientWidth > 0) apply();
      });
      return 1;
    }
    const available = Math.max(200, box.clientWidth - 4);
    return size.width > 0 ? Math.min(1, available / size.width) : 1;
  };
  const apply = () => {
    if (!svg) return;
    if (fit) zoom = fitFactor();
    svg.setAttribute('width', String(Math.round(size.width * zoom)));
    svg.setAttribute('height', String(Math.round(size.height * zoom)));
    readout.textContent = `${Math.round(zoom * 100)}%${fit ? ' (fit)' : ''}`;
    box.dataset.zoom = String(zoom);
  };
  const set = (next: number, at?: { x: number; y: number }) => {
    const before = zoom;
    fit = false;
    zoom = Math.min(3, Math.max(0.2, next));
    const px = at?.x ?? box.clientWidth / 2;
    const py = at?.y ?? box.clientHeight / 2;
    const sx = (box.scrollLeft + px) / before;
    const sy = (box.scrollTop + py) / before;
    apply();
    box.scrollLeft = sx * zoom - px;
    box.scrollTop = sy * zoom - py;
  };
  const step = (direction: 1 | -1) => {
    const next =
      direction > 0
        ? STEPS.find((s) => s > zoom + 0.001)
        : [...STEPS].reverse().find((s) => s < zoom - 0.001);
    set(next ?? zoom);
  };
  const button = (label: string, title: string, onclick: () => void, id: string) =>
    h(
      'button',
      { type: 'button', class: 'secondary small-button', title, 'aria-label': title, id, onclick },
      label,
    );

  box.addEventListener(
    'wheel',
    (event) => {
      if (!event.ctrlKey && !event.metaKey) return;
      event.preventDefault();
      const rect = box.getBoundingClientRect();
      set(zoom * (event.deltaY < 0 ? 1.1 : 1 / 1.1), {
        x: event.clientX - rect.left,
        y: event.clientY - rect.top,
      });
    },
    { passive: false },
  );
  let drag: { x: number; y: number; left: number; top: number } | undefined;
  box.addEventListener('pointerdown', (event) => {
    const target = event.target as Element;
    if (event.button !== 0 || target.closest('button, a, [role="button"]')) return;
    drag = { x: event.clientX, y: event.clientY, left: box.scrollLeft, top: box.scrollTop };
    box.classList.add('panning');
  });
  const signal = listening.signal;
  window.addEventListener(
    'pointermove',
    (event) => {
      if (!drag) return;
      box.scrollLeft = drag.left - (event.clientX - drag.x);
      box.scrollTop = drag.top - (event.clientY - drag.y);
    },
    { signal },
  );
  window.addEventListener(
    'pointerup',
    () => {
      drag = undefined;
      box.classList.remove('panning');
    },
    { signal },
  );
  window.addEventListener(
    'resize',
    () => {
      if (fit) apply();
    },
    { signal },
  );

  const controls = h(
    'div',
    { class: 'zoom-controls', role: 'group', 'aria-label': 'Zoom' },
    button('−', 'Zoom out', () => step(-1), `${idPrefix}-zoom-out`),
    button('+', 'Zoom in', () => step(1), `${idPrefix}-zoom-in`),
    button(
      'Fit',
      'Fit to view',
      () => {
        fit = true;
        apply();
      },
      `${idPrefix}-zoom-fit`,
    ),
    button('1:1', 'Actual size', () => set(1), `${idPrefix}-zoom-actual`),
    readout,
  );
  return {
    controls,
    show(next, width, height) {
      svg = next;
      size = { width, height };
      apply();
    },
    factor: () => zoom,
    dispose: () => listening.abort(),
  };
}
