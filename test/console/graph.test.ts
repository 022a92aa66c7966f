import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AslMachine,
  describeChoiceRule,
  type GraphLayout,
  type GraphNode,
  layoutStateMachine,
  statesOf,
} from '../../src/console/assets/graph.ts';
import { newElk } from './elk.ts';

const elk = newElk();

const machine = (name: string) =>
  JSON.parse(
    readFileSync(new URL(`../../statemachines/${name}.asl.json`, import.meta.url), 'utf8'),
  ) as AslMachine;

const inside = (inner: GraphNode, outer: GraphNode) =>
  inner.x >= outer.x &&
  inner.y >= outer.y &&
  inner.x + inner.w <= outer.x + outer.w &&
  inner.y + inner.h <= outer.y + outer.h;

const overlap = (a: GraphNode, b: GraphNode) =>
  a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

function node(layout: GraphLayout, id: string): GraphNode {
  const found = layout.nodes.find((n) => n.id === id);
  if (!found) throw new Error(`no node ${id}`);
  return found;
}

/** Invariants every layout keeps, whatever the machine. */
function assertWellFormed(definition: AslMachine, layout: GraphLayout) {
  const states = statesOf(definition);
  // Every state is drawn exactly once, plus the Start and End markers.
  expect(
    layout.nodes
      .filter((n) => n.kind === 'state')
      .map((n) => n.id)
      .sort(),
  ).toEqual([...states.keys()].sort());
  expect(
    layout.nodes
      .filter((n) => n.kind !== 'state')
      .map((n) => n.id)
      .sort(),
  ).toEqual(['End', 'Start']);
  for (const n of layout.nodes) {
    // Inside the picture…
    expect(n.x).toBeGreaterThanOrEqual(0);
    expect(n.y).toBeGreaterThanOrEqual(0);
    expect(n.x + n.w).toBeLessThanOrEqual(layout.width);
    expect(n.y + n.h).toBeLessThanOrEqual(layout.height);
    // …inside its container's frame…
    if (n.container !== undefined) expect(inside(n, node(layout, n.container))).toBe(true);
    // …and over no other box of its flow.
    for (const other of layout.nodes) {
      if (other === n || other.container !== n.container) continue;
      expect(overlap(n, other), `${n.id} overlaps ${other.id}`).toBe(false);
    }
  }
  for (const edge of layout.edges) {
    const [first, last] = [edge.points[0]!, edge.points.at(-1)!];
    const from = node(layout, edge.from);
    const to = node(layout, edge.to);
    const onBorder = (p: [number, number], n: GraphNode) =>
      p[0] >= n.x - 0.5 && p[0] <= n.x + n.w + 0.5 && p[1] >= n.y - 0.5 && p[1] <= n.y + n.h + 0.5;
    expect(onBorder(first, from), `${edge.from}→${edge.to} starts on its source`).toBe(true);
    expect(onBorder(last, to), `${edge.from}→${edge.to} ends on its target`).toBe(true);
    // Orthogonal polylines: every segment is horizontal or vertical.
    for (let i = 1; i < edge.points.length; i++) {
      const [a, b] = [edge.points[i - 1]!, edge.points[i]!];
      expect(Math.abs(a[0] - b[0]) < 0.01 || Math.abs(a[1] - b[1]) < 0.01).toBe(true);
    }
  }
}

describe('layoutStateMachine', () => {
  it.each(['provision', 'verify', 'teardown'])(
    'lays out statemachines/%s.asl.json without overlaps',
    async (name) => {
      // Act
      const definition = machine(name);
      const layout = await layoutStateMachine(definition, elk);

      // Assess
      assertWellFormed(definition, layout);
    },
  );

  it('draws the provision Parallel branches side by side inside their frame', async () => {
    const layout = await layoutStateMachine(machine('provision'), elk);

    const servers = node(layout, 'CreateServersAndSecurityGroups');
    const transit = node(layout, 'AssignTransitIp');
    expect(servers.container).toBe('ProvisionInParallel');
    expect(transit.container).toBe('ProvisionInParallel');
    // Each in its own branch frame, the frames side by side (no horizontal overlap), inside the state.
    const frames = layout.branches.filter((b) => b.state === 'ProvisionInParallel');
    const frameOf = (n: GraphNode) =>
      frames.find((f) => inside(n, { ...f, id: '', kind: 'state', subtitle: '' }));
    const [a, b] = [frameOf(servers), frameOf(transit)];
    expect(a && b && a !== b).toBe(true);
    expect(a!.x + a!.w <= b!.x || b!.x + b!.w <= a!.x).toBe(true);
    for (const f of frames)
      expect(inside({ ...f, id: '', kind: 'state', subtitle: '' }, node(layout, 'ProvisionInParallel'))).toBe(
        true,
      );
    expect(layout.branches.filter((b) => b.state === 'ProvisionInParallel')).toHaveLength(2);
    expect(layout.branches.filter((b) => b.state === 'AddRules')).toHaveLength(2);
  });

  it('keeps the polling loops visible as back edges from the Wait states', async () => {
    const layout = await layoutStateMachine(machine('provision'), elk);

    const back = layout.edges.filter((e) => e.back).map((e) => `${e.from}→${e.to}`);
    // The rollback's own loop (Wait → RollbackAgain → DeletionsPending) closes at its Choice.
    expect(back.sort()).toEqual([
      'RollbackAgain→DeletionsPending',
      'WaitForGateways→CheckGatewaysActive',
      'WaitForRules→CheckRulesActive',
    ]);
    // Drawn as loops: each back edge climbs from its Wait state up to the state it returns to.
    for (const edge of layout.edges.filter((e) => e.back)) {
      const from = node(layout, edge.from);
      const to = node(layout, edge.to);
      expect(to.y + to.h, `${edge.from}→${edge.to}`).toBeLessThanOrEqual(from.y);
    }
    // The chain goes on below the Choice, the Wait beside it: neither overlaps the other.
    const choice = node(layout, 'RulesActive?');
    const next = node(layout, 'EvaluateTranslation');
    const wait = node(layout, 'WaitForRules');
    expect(next.y).toBeGreaterThan(choice.y + choice.h);
    expect(overlap(wait, next)).toBe(false);
  });

  it('draws Catch edges as such, the rollback beside the main column, and labels the Choice rules', async () => {
    const layout = await layoutStateMachine(machine('provision'), elk);

    const catches = layout.edges.filter((e) => e.kind === 'catch' && e.to === 'Rollback').map((e) => e.from);
    expect(catches).toEqual(
      expect.arrayContaining([
        'ValidatePlan',
        'CreateNetworks',
        'ProvisionInParallel',
        'AddRules',
        'VerifyConnectivity',
      ]),
    );
    // The rollback is off the main column: beside the state that follows the verification.
    const rollback = node(layout, 'Rollback');
    const succeeded = node(layout, 'PublishProvisioningSucceeded');
    expect(overlap(rollback, succeeded)).toBe(false);
    expect(
      rollback.x + rollback.w <= succeeded.x ||
        succeeded.x + succeeded.w <= rollback.x ||
        rollback.y > succeeded.y + succeeded.h,
    ).toBe(true);
    // The Choice rules' labels are placed by the layout, clear of every state box.
    const labelled = layout.edges.filter((e) => e.labelBox);
    expect(labelled.length).toBeGreaterThan(0);
    for (const edge of labelled)
      for (const n of layout.nodes.filter((n) => n.type !== 'Parallel' && n.type !== 'Map'))
        expect(overlap({ ...n, ...edge.labelBox!, id: 'label' }, n), `${edge.label} over ${n.id}`).toBe(
          false,
        );
    const choice = layout.edges.find((e) => e.from === 'RulesActive?' && e.kind === 'choice');
    expect(choice?.label).toBe('$.activateRules.ready == true');
    expect(layout.edges.find((e) => e.from === 'RulesActive?' && e.kind === 'default')?.label).toBe(
      'Default',
    );
  });

  it('draws a Map state as a frame around its iterator', async () => {
    const layout = await layoutStateMachine(machine('verify'), elk);

    const map = node(layout, 'VerifyEachPlan');
    const iterator = node(layout, 'VerifyPlan');
    expect(map.type).toBe('Map');
    expect(iterator.container).toBe('VerifyEachPlan');
    expect(inside(iterator, map)).toBe(true);
    expect(layout.branches.filter((b) => b.state === 'VerifyEachPlan')).toHaveLength(1);
  });

  it('still draws states no path reaches', async () => {
    const definition: AslMachine = {
      StartAt: 'A',
      States: { A: { Type: 'Pass', End: true }, Orphan: { Type: 'Pass', End: true } },
    };
    assertWellFormed(definition, await layoutStateMachine(definition, elk));
  });

  it('keeps its invariants on random machines of chains, choices, loops, catches and parallels', async () => {
    const arbitraryMachine = fc
      .record({
        size: fc.integer({ min: 1, max: 12 }),
        links: fc.array(
          fc.record({
            kind: fc.constantFrom('next', 'choice', 'catch', 'parallel'),
            a: fc.nat(),
            b: fc.nat(),
          }),
          {
            maxLength: 12,
          },
        ),
      })
      .map(({ size, links }) => {
        const names = Array.from({ length: size }, (_, i) => `S${i}`);
        const states: AslMachine['States'] = {};
        names.forEach((name, i) => {
          states[name] =
            i + 1 < size
              ? { Type: 'Task', Resource: 'arn:aws:lambda:r:1:function:f', Next: names[i + 1] }
              : { Type: 'Succeed' };
        });
        for (const link of links) {
          const from = names[link.a % size]!;
          const to = names[link.b % size]!;
          const state = states[from]!;
          if (link.kind === 'choice' && state.Type === 'Task' && state.Next)
            states[from] = {
              Type: 'Choice',
              Choices: [{ Variable: '$.x', BooleanEquals: true, Next: to }],
              Default: state.Next,
            };
          else if (link.kind === 'catch' && state.Type === 'Task')
            state.Catch = [{ ErrorEquals: ['States.ALL'], Next: to }];
          else if (link.kind === 'parallel' && state.Type === 'Task' && state.Next)
            states[from] = {
              Type: 'Parallel',
              Next: state.Next,
              Branches: [
                { StartAt: `${from}a`, States: { [`${from}a`]: { Type: 'Pass', End: true } } },
                {
                  StartAt: `${from}b`,
                  States: {
                    [`${from}b`]: { Type: 'Wait', Seconds: 1, Next: `${from}c` },
                    [`${from}c`]: { Type: 'Pass', End: true },
                  },
                },
              ],
            };
        }
        return { StartAt: 'S0', States: states } as AslMachine;
      });
    await fc.assert(
      fc.asyncProperty(arbitraryMachine, async (definition) => {
        assertWellFormed(definition, await layoutStateMachine(definition, elk));
      }),
      { numRuns: 60 },
    );
  });
});

describe('describeChoiceRule', () => {
  it.each([
    [{ Variable: '$.ready', BooleanEquals: true, Next: 'x' }, '$.ready == true'],
    [{ Variable: '$.n', NumericGreaterThan: 3, Next: 'x' }, '$.n > 3'],
    [{ Variable: '$.s', StringEqualsPath: '$.t', Next: 'x' }, '$.s == $.t'],
    [{ Variable: '$.v', IsPresent: true, Next: 'x' }, '$.v is present'],
    [
      {
        And: [
          { Variable: '$.a', BooleanEquals: true },
          { Variable: '$.b', NumericLessThan: 2 },
        ],
        Next: 'x',
      },
      '$.a == true and $.b < 2',
    ],
    [{ Not: { Variable: '$.a', StringEquals: 'x' }, Next: 'x' }, 'not ($.a == "x")'],
  ])('describes %j as %s', (rule, text) => {
    expect(describeChoiceRule(rule)).toBe(text);
  });
});
