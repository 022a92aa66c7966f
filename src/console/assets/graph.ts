/**
 * Lays out an ASL state machine as a picture the console draws in SVG (graph-view.ts), with elkjs
 * (elk.ts): ELK's layered algorithm, top to bottom, with orthogonal edge routing and edge labels placed
 * by the library.
 *
 * - Each flow (the top-level `States`, a Parallel branch, a Map iterator) is a graph of its states; its
 *   edges are `Next`, each Choice rule and `Default`, and each `Catch`. A depth-first walk from `StartAt`
 *   marks the edges that close a loop (the Choice/Wait polling loops) as back edges, drawn as such; ELK
 *   reverses them for layering, so loops read as loops.
 * - Parallel and Map states are compound nodes: one frame per branch (or the iterator) inside, side by
 *   side, each holding its flow; the whole hierarchy is laid out in one pass (INCLUDE_CHILDREN), so a
 *   Catch from a Parallel to the rollback is routed around the boxes like any other edge.
 * - The top-level flow gets Start and End markers.
 *
 * The module is pure (no DOM): Node tests import it with `new ELK()`, the browser passes elk.ts's.
 */
import {
  type Elk,
  type ElkEdge,
  type ElkNode,
  estimate,
  type Measure,
  pointsOf,
  ROOT_COORDINATES,
} from './elk.ts';

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
  /** Where ELK placed the label (choice and default edges), and its text as drawn. */
  labelBox?: { x: number; y: number; w: number; h: number; text: string };
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
const FRAME_HEADER = 30;
const FRAME_PAD = 12;
const MARKER_WIDTH = 64;
const MARKER_HEIGHT = 26;
/** Edge labels longer than this are cut (the full rule is in the definition). */
const LABEL_CHARS = 34;

/**
 * Lays out a whole state machine.
 *
 * @example
 *   const layout = await layoutStateMachine(JSON.parse(text), new ELK());
 *   layout.nodes.find((n) => n.id === 'ValidatePlan'); // { x, y, w, h, … }
 */
export async function layoutStateMachine(
  machine: AslMachine,
  elk: Elk,
  options: { measure?: Measure } = {},
): Promise<GraphLayout> {
  const measure = options.measure ?? estimate;
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const branches: GraphFrame[] = [];
  /** ELK id → what it is. */
  const info = new Map<string, { node?: GraphNode; branch?: GraphFrame }>();
  const edgeInfo = new Map<string, GraphEdge>();
  let edgeCount = 0;
  const START = 'm:start';
  const END = 'm:end';
  const idOf = (name: string) => `s:${name}`;

  const stateNode = (name: string, state: AslState, container: string | undefined): ElkNode => {
    const subtitle = subtitleOf(state);
    const width = Math.max(MIN_NODE_WIDTH, measure(name, 'title') + 28, measure(subtitle, 'small') + 28);
    const node: GraphNode = {
      id: name,
      kind: 'state',
      type: state.Type as StateType,
      subtitle,
      x: 0,
      y: 0,
      w: width,
      h: NODE_HEIGHT,
      ...(container !== undefined ? { container } : {}),
    };
    info.set(idOf(name), { node });
    nodes.push(node);
    const flows = innerFlowsOf(state);
    if (flows.length === 0 && state.Type !== 'Parallel' && state.Type !== 'Map')
      return { id: idOf(name), width, height: NODE_HEIGHT };
    return {
      id: idOf(name),
      layoutOptions: {
        'elk.padding': `[top=${FRAME_HEADER},left=${FRAME_PAD},bottom=${FRAME_PAD},right=${FRAME_PAD}]`,
        'elk.nodeSize.constraints': 'MINIMUM_SIZE',
        'elk.nodeSize.minimum': `(${width}, ${FRAME_HEADER + 2 * FRAME_PAD})`,
      },
      children: flows.map((flow, index) => {
        const branch: GraphFrame = { state: name, index, x: 0, y: 0, w: 0, h: 0 };
        const id = `b:${name}:${index}`;
        info.set(id, { branch });
        branches.push(branch);
        const inner = flowGraph(flow, name, false);
        return {
          id,
          layoutOptions: { 'elk.padding': '[top=8,left=8,bottom=8,right=8]' },
          children: inner.children,
          edges: inner.edges,
        };
      }),
    };
  };

  /** A flow's nodes and edges (the edges declared where their ends live). */
  const flowGraph = (flow: AslMachine, container: string | undefined, markers: boolean) => {
    const states = flow.States ?? {};
    const children: ElkNode[] = [];
    const flowEdges: ElkEdge[] = [];
    if (markers) {
      for (const [id, name] of [
        [START, 'Start'],
        [END, 'End'],
      ] as const) {
        const node: GraphNode = {
          id: name,
          kind: id === START ? 'start' : 'end',
          subtitle: '',
          x: 0,
          y: 0,
          w: MARKER_WIDTH,
          h: MARKER_HEIGHT,
        };
        info.set(id, { node });
        nodes.push(node);
        children.push({ id, width: MARKER_WIDTH, height: MARKER_HEIGHT });
      }
    }
    for (const [name, state] of Object.entries(states)) children.push(stateNode(name, state, container));
    for (const raw of flowEdges_(flow, markers)) {
      const id = `e${edgeCount++}`;
      const edge: GraphEdge = {
        from: raw.from === START ? 'Start' : raw.from,
        to: raw.to === END ? 'End' : raw.to,
        kind: raw.kind,
        back: raw.back,
        points: [],
        ...(raw.label !== undefined ? { label: raw.label } : {}),
      };
      edgeInfo.set(id, edge);
      edges.push(edge);
      const drawnLabel = raw.label !== undefined && raw.kind !== 'catch' && !raw.back;
      const text = drawnLabel ? clipLabel(raw.label!) : '';
      flowEdges.push({
        id,
        sources: [raw.from === START ? START : idOf(raw.from)],
        targets: [raw.to === END ? END : idOf(raw.to)],
        ...(drawnLabel
          ? { labels: [{ id: `${id}#label`, text, width: measure(text, 'small') + 6, height: 14 }] }
          : {}),
      });
    }
    return { children, edges: flowEdges };
  };

  const top = flowGraph(machine, undefined, true);
  const laid = await elk.layout({
    id: 'machine',
    layoutOptions: {
      ...ROOT_COORDINATES,
      'elk.algorithm': 'layered',
      'elk.direction': 'DOWN',
      'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
      'elk.edgeRouting': 'ORTHOGONAL',
      'elk.edgeLabels.placement': 'CENTER',
      'elk.layered.spacing.nodeNodeBetweenLayers': '34',
      'elk.layered.spacing.edgeNodeBetweenLayers': '14',
      'elk.spacing.nodeNode': '26',
      'elk.spacing.edgeNode': '12',
      'elk.spacing.edgeEdge': '8',
      'elk.spacing.edgeLabel': '3',
      'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
      'elk.layered.nodePlacement.strategy': 'NETWORK_SIMPLEX',
      'elk.layered.cycleBreaking.strategy': 'DEPTH_FIRST',
      'elk.padding': '[top=8,left=8,bottom=8,right=8]',
    },
    children: top.children,
    edges: top.edges,
  });

  const visit = (node: ElkNode) => {
    const found = info.get(node.id);
    const box = found?.node ?? found?.branch;
    if (box) {
      box.x = node.x ?? 0;
      box.y = node.y ?? 0;
      box.w = node.width ?? box.w;
      box.h = node.height ?? box.h;
    }
    for (const edge of node.edges ?? []) {
      const drawn = edgeInfo.get(edge.id);
      if (!drawn) continue;
      drawn.points = pointsOf(edge);
      const label = edge.labels?.[0];
      if (label && label.x !== undefined && label.y !== undefined)
        drawn.labelBox = { x: label.x, y: label.y, w: label.width, h: label.height, text: label.text };
    }
    for (const child of node.children ?? []) visit(child);
  };
  visit(laid);
  return {
    width: Math.ceil(laid.width ?? 0),
    height: Math.ceil(laid.height ?? 0),
    nodes,
    edges,
    branches,
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

interface RawEdge {
  from: string;
  to: string;
  kind: EdgeKind;
  label?: string;
  back: boolean;
}

/**
 * A flow's edges, each marked `back` when it closes a loop (it leads to a state on the depth-first path
 * from `StartAt`). A Catch to the state `Next` already goes to adds nothing to the picture. With
 * markers, `START` leads to `StartAt` and every terminal state to `END`.
 */
function flowEdges_(machine: AslMachine, markers: boolean): RawEdge[] {
  const states = machine.States ?? {};
  const START = 'm:start';
  const END = 'm:end';
  const edges: RawEdge[] = [];
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
  const onPath = new Set<string>();
  const done = new Set<string>();
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
      if (!done.has(edge.to)) walk(edge.to);
    }
    onPath.delete(name);
    done.add(name);
  };
  if (markers) walk(START);
  else if (machine.StartAt in states) walk(machine.StartAt);
  // States no path reaches are still drawn, with their edges.
  for (const name of Object.keys(states)) if (!done.has(name)) walk(name);
  return edges.filter(
    (edge) =>
      !(
        edge.kind === 'catch' &&
        edges.some((o) => o !== edge && o.kind !== 'catch' && o.from === edge.from && o.to === edge.to)
      ),
  );
}

function clipLabel(text: string): string {
  return text.length > LABEL_CHARS ? `${text.slice(0, LABEL_CHARS - 1)}…` : text;
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
