/**
 * The layout library both drawings use: elkjs (the Eclipse Layout Kernel compiled to JavaScript) —
 * layered layout, compound nodes, orthogonal edge routing and edge-label placement.
 *
 * The console serves elk's browser bundle from its own origin (`/console/assets/vendor/elk.bundled.js`,
 * read from node_modules), so nothing comes from a CDN. It runs under the console's Content Security
 * Policy: the bundle uses no eval, and without a `workerUrl` elk lays out on the page's thread through
 * its in-bundle fake worker — no Worker, no blob URL. It is a classic (UMD) script that defines
 * `window.ELK`; it is loaded once, when a view first draws.
 *
 * The layout modules (graph.ts, topology.ts) take an `Elk` as a parameter: the browser passes the one
 * loaded here, Node tests pass `new ELK()` from the `elkjs` package.
 */

/** An ELK graph node (the JSON format of elkjs; only the fields natflow uses). */
export interface ElkNode {
  id: string;
  x?: number;
  y?: number;
  width?: number;
  height?: number;
  children?: ElkNode[];
  edges?: ElkEdge[];
  labels?: ElkLabel[];
  layoutOptions?: Record<string, string>;
}

export interface ElkLabel {
  id?: string;
  text: string;
  x?: number;
  y?: number;
  width: number;
  height: number;
  layoutOptions?: Record<string, string>;
}

export interface ElkPoint {
  x: number;
  y: number;
}

export interface ElkEdgeSection {
  startPoint: ElkPoint;
  endPoint: ElkPoint;
  bendPoints?: ElkPoint[];
}

export interface ElkEdge {
  id: string;
  sources: string[];
  targets: string[];
  labels?: ElkLabel[];
  sections?: ElkEdgeSection[];
  layoutOptions?: Record<string, string>;
}

/** What natflow needs of an `ELK` instance. */
export interface Elk {
  layout(graph: ElkNode): Promise<ElkNode>;
}

/** Options every layout asks for: coordinates relative to the root, so drawing needs no offsets. */
export const ROOT_COORDINATES = {
  'elk.json.shapeCoords': 'ROOT',
  'elk.json.edgeCoords': 'ROOT',
} as const;

/** The polyline of a laid-out edge: start, bends, end. */
export function pointsOf(edge: ElkEdge): [number, number][] {
  return (edge.sections ?? []).flatMap((section) => [
    [section.startPoint.x, section.startPoint.y] as [number, number],
    ...(section.bendPoints ?? []).map((p) => [p.x, p.y] as [number, number]),
    [section.endPoint.x, section.endPoint.y] as [number, number],
  ]);
}

let loading: Promise<Elk> | undefined;

/** The page's ELK, loading the bundle on first use. */
export function loadElk(): Promise<Elk> {
  loading ??= new Promise<Elk>((resolve, reject) => {
    const ready = () => {
      const ELK = (globalThis as { ELK?: new () => Elk }).ELK;
      if (ELK) resolve(new ELK());
      else reject(new Error('the layout library (elkjs) did not load'));
    };
    if ((globalThis as { ELK?: unknown }).ELK) {
      ready();
      return;
    }
    const script = document.createElement('script');
    script.src = '/console/assets/vendor/elk.bundled.js';
    script.onload = ready;
    script.onerror = () => {
      loading = undefined;
      reject(new Error('the layout library (elkjs) could not be fetched'));
    };
    document.head.append(script);
  });
  return loading;
}

/** Width of a text, for sizing boxes and labels: a canvas measures in the page, an estimate elsewhere. */
export type Measure = (text: string, font: 'title' | 'text' | 'small', bold?: boolean) => number;

const FONTS = {
  title: '600 13px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  text: '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  small: '11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
} as const;

/** An estimate that errs wide (Node tests; no canvas). */
export const estimate: Measure = (text, font, bold = false) =>
  Math.ceil(text.length * (font === 'title' ? 8 : font === 'text' ? 7.2 : 6.6) * (bold ? 1.08 : 1));

/** Measures with a canvas in the page's fonts, with a margin for the renderer's rounding. */
export function canvasMeasure(): Measure {
  const context = document.createElement('canvas').getContext('2d');
  if (!context) return estimate;
  return (text, font, bold = false) => {
    context.font = bold ? FONTS[font].replace(/^(\d+px)/, '600 $1') : FONTS[font];
    return Math.ceil(context.measureText(text).width * 1.06 + 2);
  };
}
