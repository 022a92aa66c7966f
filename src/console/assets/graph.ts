/**
 * Lays out an ASL state machine as a picture the console draws in SVG: a simple layered layout,
 * computed here, with no graph library (the console has no build step and fetches nothing).
 *
 * Each flow (the top-level `States`, a Parallel branch, a Map iterator) is laid out on its own:
 * - the edges are `Next`, each Choice rule and `Default`, and each `Catch`; a depth-first walk from
 *   `StartAt` marks the edges that close a loop (the Choice/Wait polling loops) as back edges;
 * - a state's layer is its longest path from `StartAt` over the other (forward) edges;
 * - within a layer, a state goes as close as it can to the mean position of its predecessors, states that
 *   lead further down first, so a chain stays one straight column and a loop's Wait state sits beside it;
 * - an edge between adjacent layers is drawn straight down (with one horizontal jog); an edge that skips
 *   layers (a Catch to the rollback) runs down a lane on the right, one lane per target; a back edge runs
 *   up a lane on the left, so loops are visible as loops.
 * Parallel and Map states are frames: their branches (or their iterator) are laid out the same way,
 * recursively, and placed side by side inside the frame. The top-level flow gets Start and End markers.
 *
 * The module is pure (no DOM): Node tests import it, and the server strips its types for the browser.
 */

export type StateType = 'Task' | 'Parallel' | 'Map' | 'Pass' | 'Wait' | 'Choice' | 'Succeed' | 'Fail';

export interface GraphNode {
  /** The state's name, or `Start` / `End` for the markers. */
  id: string;
  kind: 'state' | 'start' | 'end';
  type?: StateType;
  /** A second line under the name: the type and what it calls or waits for. */
  subtitle: string;
  /** The Parallel or Map state this one is inside (undefined at the top level). */
  container?: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

export type EdgeKind = 'next' | 'choice' | 'default' | 'catch' | 'end';

export interface GraphEdge {
  from: string;
  to: string;
  kind: EdgeKind;
  /** True when the edge goes back up (a loop). */
  back: boolean;
  label?: string;
  /** The polyline, in drawing order; the arrow head is at the last point. */
  points: [number, number][];
}

export interface GraphFrame {
  /** The Parallel or Map state. */
  state: string;
  index: number;
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface GraphLayout {
  width: number;
  height: number;
  nodes: GraphNode[];
  edges: GraphEdge[];
  /** One frame per Parallel branch or Map iterator, inside its state's node. */
  branches: GraphFrame[];
}

/** The parts of an ASL definition the layout reads. */
export interface AslMachine {
  StartAt: string;
  States: Record<string, AslState>;
}

export interface AslState {
  Type: string;
  Next?: string;
  End?: boolean;
  Default?: string;
  Choices?: AslChoiceRule[];
  Catch?: { ErrorEquals: string[]; Next: string }[];
  Branches?: AslMachine[];
  Iterator?: AslMachine;
  ItemProcessor?: AslMachine;
  Resource?: unknown;
  Seconds?: number;
  SecondsPath?: string;
  Timestamp?: string;
  TimestampPath?: string;
  ItemsPath?: string;
  MaxConcurrency?: number;
  Error?: string;
  [key: string]: unknown;
}

export interface AslChoiceRule {
  Next?: string;
  Variable?: string;
  And?: AslChoiceRule[];
  Or?: AslChoiceRule[];
  Not?: AslChoiceRule;
  [key: string]: unknown;
}

export const NODE_HEIGHT = 44;
const MIN_NODE_WIDTH = 132;
const CHAR_WIDTH = 7.2;
const LAYER_GAP = 40;
const NODE_GAP = 28;
const LANE_GAP = 12;
const FRAME_HEADER = 30;
const FRAME_PAD = 14;
const BRANCH_GAP = 18;
const MARKER_WIDTH = 64;
const MARKER_HEIGHT = 26;

/**
 * Lays out a whole state machine.
 *
 * @example
 *   const layout = layoutStateMachine(JSON.parse(text));
 *   layout.nodes.find((n) => n.id === 'ValidatePlan'); // { x, y, w, h, … }
 */
export function layoutStateMachine(machine: AslMachine): GraphLayout {
  const flow = layoutFlow(machine, undefined, true);
  const margin = 8;
  const shifted = translate(flow, margin, margin);
  return {
    width: Math.ceil(flow.w + 2 * margin),
    height: Math.ceil(flow.h + 2 * margin),
    nodes: shifted.nodes,
    edges: shifted.edges,
    branches: shifted.branches,
  };
}

/** Every state of a definition, nested ones included, with the container each is in. */
export function statesOf(machine: AslMachine): Map<string, { state: AslState; container?: string }> {
  const all = new Map<string, { state: AslState; container?: string }>();
  const visit = (flow: AslMachine, container: string | undefined) => {
    for (const [name, state] of Object.entries(flow.States ?? {})) {
      all.set(name, container === undefined ? { state } : { state, container });
      for (const inner of innerFlowsOf(state)) visit(inner, name);
    }
  };
  visit(machine, undefined);
  return all;
}

export function innerFlowsOf(state: AslState): AslMachine[] {
  if (state.Type === 'Parallel') return state.Branches ?? [];
  if (state.Type === 'Map') {
    const inner = state.ItemProcessor ?? state.Iterator;
    return inner ? [inner] : [];
  }
  return [];
}

/** The short text a Choice rule's edge carries: `$.ready == true`. */
export function describeChoiceRule(rule: AslChoiceRule): string {
  if (rule.And) return rule.And.map(describeChoiceRule).join(' and ');
  if (rule.Or) return rule.Or.map(describeChoiceRule).join(' or ');
  if (rule.Not) return `not (${describeChoiceRule(rule.Not)})`;
  const operators: Record<string, string> = {
    Equals: '==',
    GreaterThan: '>',
    GreaterThanEquals: '>=',
    LessThan: '<',
    LessThanEquals: '<=',
    Matches: '~',
  };
  for (const [key, value] of Object.entries(rule)) {
    if (key === 'Variable' || key === 'Next') continue;
    if (key === 'IsPresent' || key === 'IsNull' || key.startsWith('Is'))
      return `${rule.Variable} ${key.replace(/^Is/, 'is ').toLowerCase()}${value === false ? ' (false)' : ''}`;
    const op = Object.entries(operators).find(([suffix]) => key.replace(/Path$/, '').endsWith(suffix));
    const shown = key.endsWith('Path') ? String(value) : JSON.stringify(value);
    if (op) return `${rule.Variable} ${op[1]} ${shown}`;
    return `${rule.Variable} ${key} ${shown}`;
  }
  return String(rule.Variable ?? 'rule');
}

interface FlowLayout {
  w: number;
  h: number;
  nodes: GraphNode[];
  edges: GraphEdge[];
  branches: GraphFrame[];
}

interface Box {
  id: string;
  kind: GraphNode['kind'];
  type?: StateType;
  subtitle: string;
  w: number;
  h: number;
  inner?: { flows: FlowLayout[]; state: string };
  layer: number;
  x: number;
  y: number;
  /** Discovery order of the depth-first walk: ties keep it. */
  order: number;
}

interface RawEdge {
  from: string;
  to: string;
  kind: EdgeKind;
  label?: string;
  back: boolean;
}

function layoutFlow(machine: AslMachine, container: string | undefined, markers: boolean): FlowLayout {
  const states = machine.States ?? {};
  const boxes = new Map<string, Box>();
  const edges: RawEdge[] = [];

  const addBox = (id: string, kind: Box['kind'], state?: AslState): Box => {
    const subtitle = state ? subtitleOf(state) : '';
    let w =
      kind === 'state'
        ? Math.max(MIN_NODE_WIDTH, textWidth(id) + 28, textWidth(subtitle, 6) + 28)
        : MARKER_WIDTH;
    let h = kind === 'state' ? NODE_HEIGHT : MARKER_HEIGHT;
    let inner: Box['inner'];
    if (state && (state.Type === 'Parallel' || state.Type === 'Map')) {
      const flows = innerFlowsOf(state).map((flow) => layoutFlow(flow, id, false));
      const innerW = flows.reduce((sum, f) => sum + f.w, 0) + BRANCH_GAP * Math.max(0, flows.length - 1);
      const innerH = flows.reduce((max, f) => Math.max(max, f.h), 0);
      w = Math.max(w, innerW + 2 * FRAME_PAD);
      h = FRAME_HEADER + innerH + FRAME_PAD;
      inner = { flows, state: id };
    }
    const box: Box = {
      id,
      kind,
      subtitle,
      w,
      h,
      layer: 0,
      x: 0,
      y: 0,
      order: boxes.size,
      ...(state ? { type: state.Type as StateType } : {}),
      ...(inner ? { inner } : {}),
    };
    boxes.set(id, box);
    return box;
  };

  // Depth-first from StartAt: discovery order, and back edges (to a state on the current path).
  const START = '\u0000start';
  const END = '\u0000end';
  if (markers) addBox(START, 'start');
  const onPath = new Set<string>();
  const done = new Set<string>();
  const outEdges = (name: string): RawEdge[] => {
    if (name === START) return [{ from: START, to: machine.StartAt, kind: 'next', back: false }];
    const state = states[name];
    if (!state) return [];
    const out: RawEdge[] = [];
    if (state.Type === 'Choice') {
      for (const rule of state.Choices ?? [])
        if (rule.Next)
          out.push({
            from: name,
            to: rule.Next,
            kind: 'choice',
            label: describeChoiceRule(rule),
            back: false,
          });
      if (state.Default)
        out.push({ from: name, to: state.Default, kind: 'default', label: 'Default', back: false });
    } else if (state.Next) {
      out.push({ from: name, to: state.Next, kind: 'next', back: false });
    }
    for (const handler of state.Catch ?? [])
      out.push({
        from: name,
        to: handler.Next,
        kind: 'catch',
        label: catchLabel(handler.ErrorEquals),
        back: false,
      });
    const terminal = state.End === true || state.Type === 'Succeed' || state.Type === 'Fail';
    if (markers && terminal) out.push({ from: name, to: END, kind: 'end', back: false });
    return out.filter((edge) => edge.to === END || edge.to in states);
  };
  const walk = (name: string) => {
    onPath.add(name);
    for (const edge of outEdges(name)) {
      if (edge.to === END) {
        edges.push(edge);
        continue;
      }
      if (onPath.has(edge.to)) {
        edges.push({ ...edge, back: true });
        continue;
      }
      edges.push(edge);
      if (!done.has(edge.to) && !boxes.has(edge.to)) {
        addBox(edge.to, 'state', states[edge.to]);
        walk(edge.to);
      }
    }
    onPath.delete(name);
    done.add(name);
  };
  if (markers) walk(START);
  else if (machine.StartAt in states) {
    addBox(machine.StartAt, 'state', states[machine.StartAt]);
    walk(machine.StartAt);
  }
  // States no path reaches are still drawn (asl-validator would reject them, but the console must not hide them).
  for (const name of Object.keys(states)) {
    if (!boxes.has(name)) {
      addBox(name, 'state', states[name]);
      walk(name);
    }
  }
  if (markers) addBox(END, 'end');

  // A Catch to the state Next already goes to adds nothing to the picture.
  for (let i = edges.length - 1; i >= 0; i--) {
    const edge = edges[i]!;
    if (
      edge.kind === 'catch' &&
      edges.some((o) => o !== edge && o.kind !== 'catch' && o.from === edge.from && o.to === edge.to)
    )
      edges.splice(i, 1);
  }

  // Layers: longest path over forward edges, in topological order (reverse post-order of the DAG).
  const forward = edges.filter((e) => !e.back);
  const incoming = new Map<string, RawEdge[]>();
  for (const edge of forward) incoming.set(edge.to, [...(incoming.get(edge.to) ?? []), edge]);
  const order = topologicalOrder([...boxes.keys()], forward);
  for (const id of order) {
    const box = boxes.get(id)!;
    for (const edge of incoming.get(id) ?? [])
      box.layer = Math.max(box.layer, boxes.get(edge.from)!.layer + 1);
  }
  const endBox = boxes.get(END);
  if (endBox)
    endBox.layer = Math.max(...[...boxes.values()].filter((b) => b !== endBox).map((b) => b.layer)) + 1;

  // Positions within each layer.
  const layers: Box[][] = [];
  for (const box of boxes.values()) {
    layers[box.layer] ??= [];
    layers[box.layer]!.push(box);
  }
  const reach = descendantsCount(boxes, forward);
  let y = 0;
  for (const layer of layers) {
    if (!layer) continue;
    const height = Math.max(...layer.map((b) => b.h));
    const desired = new Map<Box, number>();
    for (const box of layer) {
      const preds = (incoming.get(box.id) ?? []).filter((e) => boxes.get(e.from)!.layer < box.layer);
      const main = preds.filter((e) => e.kind !== 'catch');
      if (main.length === 0 && preds.length > 0) {
        // An error handler (reached only through Catch) goes beside its nearest catcher, out of the main column.
        const nearest = preds
          .map((e) => boxes.get(e.from)!)
          .sort((a, b) => b.layer - a.layer || b.order - a.order)[0]!;
        desired.set(box, nearest.x + nearest.w + NODE_GAP + box.w / 2);
      } else {
        const centres = main.map((e) => {
          const from = boxes.get(e.from)!;
          return from.x + from.w / 2;
        });
        desired.set(box, centres.length > 0 ? centres.reduce((a, b) => a + b, 0) / centres.length : 0);
      }
      box.y = y + (height - box.h) / 2;
    }
    placeInLayer(layer, desired, reach);
    y += height + LAYER_GAP;
  }
  const contentHeight = Math.max(0, y - LAYER_GAP);

  // Normalise x so the leftmost box starts at 0, then reserve the lanes.
  const minX = Math.min(...[...boxes.values()].map((b) => b.x));
  for (const box of boxes.values()) box.x -= minX;
  const contentWidth = Math.max(...[...boxes.values()].map((b) => b.x + b.w));
  const backEdges = edges.filter((e) => e.back);
  const centre = (b: Box) => b.x + b.w / 2;
  const onRight = (e: RawEdge) => centre(boxes.get(e.from)!) > centre(boxes.get(e.to)!) + 1;
  const leftBack = backEdges.filter((e) => !onRight(e));
  const rightBack = backEdges.filter(onRight);
  const all = [...boxes.values()];
  const laned = new Set(forward.filter((e) => !clearBelow(boxes.get(e.from)!, boxes.get(e.to)!, all)));
  const longTargets = [...new Set([...laned].map((e) => e.to))];
  const offsetX = leftBack.length > 0 ? leftBack.length * LANE_GAP + 8 : 0;
  for (const box of boxes.values()) box.x += offsetX;
  const rightBackStart = offsetX + contentWidth + 12;
  const rightLaneStart = rightBackStart + rightBack.length * LANE_GAP;
  const lanes = longTargets.length + rightBack.length;
  const width = lanes > 0 ? rightLaneStart + longTargets.length * LANE_GAP : offsetX + contentWidth;

  // Nodes (boxes and the nested flows inside frames).
  const nodes: GraphNode[] = [];
  const branches: GraphFrame[] = [];
  const innerEdges: GraphEdge[] = [];
  for (const box of boxes.values()) {
    const id = box.kind === 'start' ? 'Start' : box.kind === 'end' ? 'End' : box.id;
    nodes.push({
      id,
      kind: box.kind,
      subtitle: box.subtitle,
      x: box.x,
      y: box.y,
      w: box.w,
      h: box.h,
      ...(box.type ? { type: box.type } : {}),
      ...(container !== undefined ? { container } : {}),
    });
    if (box.inner) {
      const flows = box.inner.flows;
      const innerW = flows.reduce((sum, f) => sum + f.w, 0) + BRANCH_GAP * Math.max(0, flows.length - 1);
      let fx = box.x + (box.w - innerW) / 2;
      flows.forEach((flow, index) => {
        const fy = box.y + FRAME_HEADER;
        const placed = translate(flow, fx, fy);
        const innerH = box.h - FRAME_HEADER - FRAME_PAD;
        branches.push({ state: box.id, index, x: fx - 6, y: fy - 6, w: flow.w + 12, h: innerH + 12 });
        nodes.push(...placed.nodes);
        innerEdges.push(...placed.edges);
        branches.push(...placed.branches);
        fx += flow.w + BRANCH_GAP;
      });
    }
  }

  // Edges.
  const routed: GraphEdge[] = [];
  const nameOf = (id: string) => (id === START ? 'Start' : id === END ? 'End' : id);
  for (const edge of backEdges) {
    const from = boxes.get(edge.from)!;
    const to = boxes.get(edge.to)!;
    const right = onRight(edge);
    const lane = right
      ? rightBackStart + rightBack.indexOf(edge) * LANE_GAP
      : offsetX - 8 - leftBack.indexOf(edge) * LANE_GAP;
    const fx = right ? from.x + from.w : from.x;
    const tx = right ? to.x + to.w : to.x;
    const fy = from.y + from.h / 2;
    const ty = to.y + to.h / 2;
    routed.push({
      ...withLabel(edge),
      from: nameOf(edge.from),
      to: nameOf(edge.to),
      points: [
        [fx, fy],
        [lane, fy],
        [lane, ty],
        [tx, ty],
      ],
    });
  }
  for (const edge of forward) {
    const from = boxes.get(edge.from)!;
    const to = boxes.get(edge.to)!;
    const base = { ...withLabel(edge), from: nameOf(edge.from), to: nameOf(edge.to) };
    if (laned.has(edge)) {
      const lane = rightLaneStart + longTargets.indexOf(edge.to) * LANE_GAP;
      const fy = from.y + from.h / 2 + (edge.kind === 'catch' ? 6 : 0);
      const ty = to.y + to.h / 2;
      routed.push({
        ...base,
        points: [
          [from.x + from.w, fy],
          [lane, fy],
          [lane, ty],
          [to.x + to.w, ty],
        ],
      });
      continue;
    }
    const fx = from.x + from.w / 2;
    const tx = to.x + to.w / 2;
    const fy = from.y + from.h;
    const ty = to.y;
    if (Math.abs(fx - tx) < 1) {
      routed.push({
        ...base,
        points: [
          [fx, fy],
          [tx, ty],
        ],
      });
    } else {
      const mid = ty - LAYER_GAP / 2;
      routed.push({
        ...base,
        points: [
          [fx, fy],
          [fx, mid],
          [tx, mid],
          [tx, ty],
        ],
      });
    }
  }
  return { w: width, h: contentHeight, nodes, edges: [...routed, ...innerEdges], branches };
}

/**
 * Whether an edge can go straight down (with one jog just above its target): true between adjacent
 * layers, and across layers when no box stands in the way of either vertical segment.
 */
function clearBelow(from: Box, to: Box, all: Box[]): boolean {
  if (to.layer - from.layer <= 1) return true;
  const fx = from.x + from.w / 2;
  const tx = to.x + to.w / 2;
  const jog = to.y - LAYER_GAP / 2;
  return all.every((box) => {
    if (box === from || box === to) return true;
    const top = box.y;
    const bottom = box.y + box.h;
    const hits = (x: number, y1: number, y2: number) =>
      x >= box.x - 4 && x <= box.x + box.w + 4 && bottom > y1 && top < y2;
    return !hits(fx, from.y + from.h, jog) && !hits(tx, jog, to.y);
  });
}

function withLabel(edge: RawEdge): Pick<GraphEdge, 'kind' | 'back' | 'label'> {
  return { kind: edge.kind, back: edge.back, ...(edge.label !== undefined ? { label: edge.label } : {}) };
}

/**
 * Places a layer's boxes: those that lead furthest down first, each at the free spot nearest its desired
 * centre, so a chain keeps its column and side states (a loop's Wait) move aside.
 */
function placeInLayer(layer: Box[], desired: Map<Box, number>, reach: Map<string, number>): void {
  const byPriority = [...layer].sort(
    (a, b) => (reach.get(b.id) ?? 0) - (reach.get(a.id) ?? 0) || a.order - b.order,
  );
  const placed: { left: number; right: number }[] = [];
  for (const box of byPriority) {
    const want = (desired.get(box) ?? 0) - box.w / 2;
    const candidates = [want];
    for (const p of placed) {
      candidates.push(p.right + NODE_GAP, p.left - NODE_GAP - box.w);
    }
    const free = (left: number) =>
      placed.every((p) => left + box.w + NODE_GAP <= p.left || left >= p.right + NODE_GAP);
    const best = candidates
      .filter(free)
      .sort((a, b) => Math.abs(a - want) - Math.abs(b - want) || b - a)[0] as number;
    box.x = best;
    placed.push({ left: best, right: best + box.w });
  }
}

function descendantsCount(boxes: Map<string, Box>, forward: RawEdge[]): Map<string, number> {
  const out = new Map<string, string[]>();
  for (const edge of forward)
    if (edge.kind !== 'catch') out.set(edge.from, [...(out.get(edge.from) ?? []), edge.to]);
  const counts = new Map<string, number>();
  for (const id of boxes.keys()) {
    const seen = new Set<string>();
    const stack = [...(out.get(id) ?? [])];
    while (stack.length > 0) {
      const next = stack.pop()!;
      if (seen.has(next)) continue;
      seen.add(next);
      stack.push(...(out.get(next) ?? []));
    }
    counts.set(id, seen.size);
  }
  return counts;
}

function topologicalOrder(ids: string[], edges: RawEdge[]): string[] {
  const out = new Map<string, string[]>();
  for (const edge of edges) out.set(edge.from, [...(out.get(edge.from) ?? []), edge.to]);
  const visited = new Set<string>();
  const post: string[] = [];
  const visit = (id: string) => {
    if (visited.has(id)) return;
    visited.add(id);
    for (const next of out.get(id) ?? []) visit(next);
    post.push(id);
  };
  for (const id of ids) visit(id);
  return post.reverse();
}

function translate(flow: FlowLayout, dx: number, dy: number): FlowLayout {
  return {
    w: flow.w,
    h: flow.h,
    nodes: flow.nodes.map((n) => ({ ...n, x: n.x + dx, y: n.y + dy })),
    edges: flow.edges.map((e) => ({
      ...e,
      points: e.points.map(([x, y]) => [x + dx, y + dy] as [number, number]),
    })),
    branches: flow.branches.map((b) => ({ ...b, x: b.x + dx, y: b.y + dy })),
  };
}

function subtitleOf(state: AslState): string {
  switch (state.Type) {
    case 'Task': {
      const fn = functionOfResource(state.Resource);
      return fn ? `Task · ${fn}` : 'Task';
    }
    case 'Wait':
      if (state.Seconds !== undefined) return `Wait · ${state.Seconds} s`;
      return `Wait · ${state.SecondsPath ?? state.TimestampPath ?? state.Timestamp ?? ''}`;
    case 'Map':
      return `Map · ${state.ItemsPath ?? '$'}${state.MaxConcurrency ? ` · ${state.MaxConcurrency} at a time` : ''}`;
    case 'Parallel':
      return `Parallel · ${state.Branches?.length ?? 0} branches`;
    case 'Fail':
      return state.Error ? `Fail · ${state.Error}` : 'Fail';
    default:
      return state.Type;
  }
}

/** The Lambda function a Task's Resource names (`{"Fn::GetAtt": ["fn", "Arn"]}` or an ARN). */
export function functionOfResource(resource: unknown): string | undefined {
  if (typeof resource === 'string') return /:function:([^:]+)/.exec(resource)?.[1] ?? resource;
  if (resource && typeof resource === 'object' && 'Fn::GetAtt' in resource) {
    const value = (resource as { 'Fn::GetAtt': unknown })['Fn::GetAtt'];
    if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
    if (typeof value === 'string') return value.split('.')[0];
  }
  return undefined;
}

function catchLabel(errors: string[]): string {
  return errors.length === 1 && errors[0] === 'States.ALL' ? 'catch' : `catch ${errors.join(', ')}`;
}

function textWidth(text: string, perChar = CHAR_WIDTH): number {
  return Math.ceil(text.length * perChar);
}
