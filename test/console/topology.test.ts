/**
 * The topology's state and layout, without a browser: verification rows resolved inside their plan (two
 * plans with the same transit IP address never colour each other's rule), FROZEN, stale and drifted paths,
 * rows only for plans that exist and each with its time and source, every SNAT rule drawn (a /25 source
 * inside a /24 subnet too), and the laid-out picture — boxes inside their frames, no two boxes or labels
 * overlapping, every DNAT edge from its transit IP to its target, several plans packed to the width.
 *
 * The scenario: the reference plan twice (app-a and app-b: VPC-A 192.168.0.0/16 with transit IP
 * 192.168.0.144 → ELB01 in VPC-B 10.0.0.0/16 through a private NAT gateway, both with the same addresses)
 * and an SNAT plan whose second rule's source is 10.0.2.0/25 inside subnet 10.0.2.0/24.
 */
import { describe, expect, it } from 'vitest';
import { layoutTopology, type TopologyPicture } from '../../src/console/assets/topology.ts';
import {
  cidrContains,
  filterResources,
  type TopologyResource,
  topologyState,
} from '../../src/console/assets/topology-state.ts';
import {
  type BusEvent,
  type ExecutionRecord,
  latestVerification,
  standingDrift,
  toRow,
  type VerificationRow,
} from '../../src/console/assets/verification.ts';
import { newElk } from './elk.ts';

const elk = newElk();
const hhmmss = (at: number) => new Date(at).toISOString().slice(11, 19);

function referencePlan(plan: string, gatewayStatus = 'ACTIVE'): TopologyResource[] {
  const id = (s: string) => `${s}-${plan}`;
  const base = { status: 'ACTIVE', plan };
  return [
    { ...base, id: id('vpc-a'), type: 'vpc', name: 'VPC-A', cidr: '192.168.0.0/16' },
    { ...base, id: id('vpc-b'), type: 'vpc', name: 'VPC-B', cidr: '10.0.0.0/16' },
    {
      ...base,
      id: id('subnet-a'),
      type: 'subnet',
      name: 'subnet-A01',
      vpcId: id('vpc-a'),
      cidr: '192.168.0.0/24',
    },
    {
      ...base,
      id: id('subnet-b'),
      type: 'subnet',
      name: 'subnet-B01',
      vpcId: id('vpc-b'),
      cidr: '10.0.0.0/24',
    },
    {
      ...base,
      id: id('ecs-a'),
      type: 'server',
      name: 'ECS-A',
      vpcId: id('vpc-a'),
      subnetId: id('subnet-a'),
      ip: '192.168.0.2',
    },
    {
      ...base,
      id: id('ecs-b'),
      type: 'server',
      name: 'ECS-B',
      vpcId: id('vpc-b'),
      subnetId: id('subnet-b'),
      ip: '10.0.0.2',
    },
    {
      ...base,
      id: id('elb'),
      type: 'load-balancer',
      name: 'ELB01',
      vpcId: id('vpc-b'),
      frontendSubnetId: id('subnet-b'),
      ip: '10.0.0.3',
      backendIp: '10.0.0.4',
    },
    {
      ...base,
      id: id('tip'),
      type: 'transit-ip',
      name: 'transit-ip-A',
      vpcId: id('vpc-a'),
      subnetId: id('subnet-a'),
      ip: '192.168.0.144',
    },
    {
      ...base,
      status: gatewayStatus,
      id: id('pnat'),
      type: 'private-nat-gateway',
      name: 'private_nat_gateway',
      vpcId: id('vpc-b'),
      subnetId: id('subnet-b'),
      downlinkIp: '10.0.0.5',
      spec: 'Small',
      externalId: `ext-pnat-${plan}`,
    },
    {
      ...base,
      id: id('dnat'),
      type: 'dnat-rule',
      name: 'transit-ip-A-tcp-80',
      gatewayId: id('pnat'),
      transitIpId: id('tip'),
      transitIp: '192.168.0.144',
      protocol: 'tcp',
      transitPort: 80,
      internalPort: 80,
      target: { kind: 'load-balancer', loadBalancerId: id('elb'), ip: '10.0.0.3' },
    },
  ];
}

const SNAT: TopologyResource[] = (() => {
  const base = { status: 'ACTIVE', plan: 'snat-egress' };
  return [
    { ...base, id: 'vpc-sa', type: 'vpc', name: 'VPC-A', cidr: '192.168.0.0/16' },
    { ...base, id: 'vpc-sb', type: 'vpc', name: 'VPC-B', cidr: '10.0.0.0/16' },
    { ...base, id: 'sub-sa', type: 'subnet', name: 'subnet-A01', vpcId: 'vpc-sa', cidr: '192.168.0.0/24' },
    { ...base, id: 'sub-web', type: 'subnet', name: 'subnet-web', vpcId: 'vpc-sb', cidr: '10.0.1.0/24' },
    { ...base, id: 'sub-batch', type: 'subnet', name: 'subnet-batch', vpcId: 'vpc-sb', cidr: '10.0.2.0/24' },
    {
      ...base,
      id: 'tip-out',
      type: 'transit-ip',
      name: 'transit-out',
      vpcId: 'vpc-sa',
      subnetId: 'sub-sa',
      ip: '192.168.0.3',
    },
    {
      ...base,
      id: 'tip-batch',
      type: 'transit-ip',
      name: 'transit-batch',
      vpcId: 'vpc-sa',
      subnetId: 'sub-sa',
      ip: '192.168.0.4',
    },
    {
      ...base,
      id: 'pnat-s',
      type: 'private-nat-gateway',
      name: 'pnat-b',
      vpcId: 'vpc-sb',
      subnetId: 'sub-web',
      downlinkIp: '10.0.1.3',
    },
    {
      ...base,
      id: 'snat-web',
      type: 'snat-rule',
      name: 'web-out',
      gatewayId: 'pnat-s',
      subnetId: 'sub-web',
      cidr: '10.0.1.0/24',
      transitIpId: 'tip-out',
    },
    {
      ...base,
      id: 'snat-batch',
      type: 'snat-rule',
      name: 'batch-out',
      gatewayId: 'pnat-s',
      subnetId: null,
      cidr: '10.0.2.0/25',
      transitIpId: 'tip-batch',
    },
  ];
})();

const row = (plan: string, over: Partial<VerificationRow> = {}): VerificationRow => ({
  plan,
  from: 'ECS-A',
  to: 'transit-ip-A',
  protocol: 'http',
  port: 80,
  expect: 'reachable',
  verdict: 'REACHABLE',
  ok: true,
  at: Date.UTC(2026, 0, 2, 3, 4, 5),
  source: { kind: 'execution', id: `arn:${plan}`, label: `provision ${plan}`, executionArn: `arn:${plan}` },
  ...over,
});

describe('topologyState', () => {
  it('colours only the rule its plan resolves to, never another plan’s rule on the same address', () => {
    // Prepare
    const resources = [...referencePlan('app-a'), ...referencePlan('app-b')];

    // Act
    const state = topologyState(
      resources,
      [row('app-a', { verdict: 'UNREACHABLE', ok: false, code: 'SECURITY_GROUP_DENIED' })],
      [],
      hhmmss,
    );

    // Assess
    expect(state.rules.get('dnat-app-a')).toMatchObject({
      path: 'failed',
      text: 'failed 03:04:05 SECURITY_GROUP_DENIED',
    });
    expect(state.rules.get('dnat-app-b')).toMatchObject({ path: 'unverified', text: 'not verified' });
    expect(state.rows[0]).toMatchObject({
      fromId: 'ecs-a-app-a',
      toId: 'tip-app-a',
      ruleIds: ['dnat-app-a'],
    });
  });

  it('says FROZEN on a frozen gateway and its rule, whatever an older verification said', () => {
    const resources = [...referencePlan('app-a', 'FROZEN'), ...referencePlan('app-b')];
    const state = topologyState(resources, [row('app-a'), row('app-b')], [], hhmmss);
    expect(state.resources.get('pnat-app-a')).toEqual({ status: 'frozen', text: 'FROZEN' });
    expect(state.rules.get('dnat-app-a')).toMatchObject({
      path: 'frozen',
      text: 'FROZEN (gateway private_nat_gateway)',
    });
    expect(state.rules.get('dnat-app-b')).toMatchObject({ path: 'verified', text: 'verified 03:04:05' });
  });

  it('is no longer red after an unfreeze: a failure because the rule was not usable is stale once it is', () => {
    const failedWhileFrozen = row('app-a', { verdict: 'UNREACHABLE', ok: false, code: 'RULE_INACTIVE' });
    const state = topologyState(referencePlan('app-a'), [failedWhileFrozen], [], hhmmss);
    expect(state.rules.get('dnat-app-a')?.path).toBe('stale');
    expect(state.rows[0]?.status).toBe('stale');
    // Still frozen: frozen, not stale.
    expect(
      topologyState(referencePlan('app-a', 'FROZEN'), [failedWhileFrozen], [], hhmmss).rules.get('dnat-app-a')
        ?.path,
    ).toBe('frozen');
  });

  it('draws drift on the resource it names (by externalId), and lists drift it cannot place', () => {
    const drift = [
      {
        plan: 'app-a',
        at: 1,
        source: { kind: 'event' as const, id: 'e1', label: 'DriftDetected event' },
        drift: [
          {
            kind: 'private-nat-gateway',
            name: 'private_nat_gateway',
            externalId: 'ext-pnat-app-a',
            change: 'changed' as const,
            fields: [{ field: 'spec', recorded: 'Small', actual: 'Medium' }],
          },
          { kind: 'dnat-rule', name: 'deleted-by-hand', change: 'gone' as const },
        ],
      },
    ];
    const state = topologyState(referencePlan('app-a'), [row('app-a')], drift, hhmmss);
    expect(state.resources.get('pnat-app-a')).toMatchObject({
      status: 'changed',
      text: 'changed: spec Small → Medium',
    });
    expect(state.rules.get('dnat-app-a')).toMatchObject({
      path: 'drift',
      text: 'drift: private_nat_gateway changed',
    });
    expect(state.unplaced).toEqual([
      { kind: 'dnat-rule', name: 'deleted-by-hand', change: 'gone', plan: 'app-a' },
    ]);
  });
});

describe('verification rows', () => {
  const event = (
    type: string,
    plan: string,
    time: string,
    results: unknown[],
    executionArn = `arn:verify:${time}`,
  ): BusEvent => ({
    id: `${type}-${time}`,
    time,
    source: 'natflow',
    'detail-type': type,
    detail: { plan, executionArn, results },
  });
  const old = {
    entry: { from: 'ECS-A', to: 'transit-ip-A', protocol: 'http', port: 80, expect: 'reachable' },
    verdict: 'REACHABLE',
    expected: 'reachable',
    ok: true,
  };
  const newer = {
    from: 'ECS-A',
    to: 'transit-ip-A',
    protocol: 'tcp',
    port: 22,
    expect: 'unreachable',
    verdict: 'UNREACHABLE',
    code: 'NO_MATCHING_RULE',
    mode: 'analyze',
  };

  it('reads both shapes of a result', () => {
    const base = { plan: 'p', at: 5, source: { kind: 'event' as const, id: 'x', label: 'x' } };
    expect(toRow(old, base)).toMatchObject({
      from: 'ECS-A',
      port: 80,
      expect: 'reachable',
      verdict: 'REACHABLE',
      ok: true,
    });
    expect(toRow(newer, base)).toMatchObject({
      port: 22,
      expect: 'unreachable',
      ok: true,
      code: 'NO_MATCHING_RULE',
      mode: 'analyze',
    });
    expect(toRow({ ...newer, verdict: 'REACHABLE' }, base)?.ok).toBe(false);
    expect(toRow({ nonsense: true }, base)).toBeUndefined();
  });

  it('keeps the latest verification of each plan that exists, with its time and source', () => {
    // Prepare: app-a verified twice (events), app-gone torn down, app-b only by its provisioning's output.
    const events = [
      event('ConnectivityVerified', 'app-a', '2026-01-02T03:00:00.000Z', [old]),
      event('ConnectivityLost', 'app-a', '2026-01-02T04:00:00.000Z', [newer]),
      event('ConnectivityVerified', 'app-gone', '2026-01-02T05:00:00.000Z', [old]),
    ];
    const executions: ExecutionRecord[] = [
      {
        executionArn: 'arn:prov-b',
        name: 'prov-b',
        workflow: 'provision',
        status: 'SUCCEEDED',
        startDate: '2026-01-02T01:00:00.000Z',
        stopDate: '2026-01-02T01:00:01.000Z',
        output: { plan: 'app-b', verify: [old] },
      },
      {
        executionArn: 'arn:prov-a',
        name: 'prov-a',
        workflow: 'provision',
        status: 'SUCCEEDED',
        startDate: '2026-01-02T02:00:00.000Z',
        stopDate: '2026-01-02T02:00:01.000Z',
        output: { plan: 'app-a', verify: [old] },
      },
    ];

    // Act
    const rows = latestVerification(events, executions, new Set(['app-a', 'app-b']));

    // Assess
    expect(rows.map((r) => [r.plan, r.port, new Date(r.at).toISOString(), r.source.label])).toEqual([
      ['app-a', 22, '2026-01-02T04:00:00.000Z', 'ConnectivityLost event'],
      ['app-b', 80, '2026-01-02T01:00:01.000Z', 'provision prov-b'],
    ]);
    expect(rows[0]?.source.executionArn).toBe('arn:verify:2026-01-02T04:00:00.000Z');
  });

  it('keeps drift until a later verify run or provisioning of the plan', () => {
    const drift: BusEvent = {
      id: 'd1',
      time: '2026-01-02T04:00:00.500Z',
      source: 'natflow',
      'detail-type': 'DriftDetected',
      detail: {
        plan: 'app-a',
        cloud: 'huaweicloud',
        drift: [{ kind: 'dnat-rule', name: 'r', externalId: 'x', change: 'gone' }],
      },
    };
    const sameRun = event('ConnectivityLost', 'app-a', '2026-01-02T04:00:01.000Z', [newer], 'arn:run-1');
    const plans = new Set(['app-a']);
    expect(standingDrift([drift, sameRun], [], plans).map((d) => d.plan)).toEqual(['app-a']);
    const laterRun = event('ConnectivityVerified', 'app-a', '2026-01-02T04:05:00.000Z', [old], 'arn:run-2');
    expect(standingDrift([drift, sameRun, laterRun], [], plans)).toEqual([]);
    const repaired: ExecutionRecord = {
      executionArn: 'p',
      name: 'p',
      status: 'SUCCEEDED',
      startDate: '2026-01-02T04:01:00.000Z',
      stopDate: '2026-01-02T04:01:05.000Z',
      output: { plan: 'app-a', verify: [] },
    };
    expect(standingDrift([drift, sameRun], [repaired], plans)).toEqual([]);
    expect(standingDrift([drift], [], new Set())).toEqual([]);
  });
});

type Rect = { x: number; y: number; w: number; h: number };
const overlaps = (a: Rect, b: Rect) =>
  a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
const within = (inner: Rect, outer: Rect) =>
  inner.x >= outer.x - 0.5 &&
  inner.y >= outer.y - 0.5 &&
  inner.x + inner.w <= outer.x + outer.w + 0.5 &&
  inner.y + inner.h <= outer.y + outer.h + 0.5;
const onBorder = ([x, y]: [number, number], r: Rect) =>
  x >= r.x - 0.5 &&
  x <= r.x + r.w + 0.5 &&
  y >= r.y - 0.5 &&
  y <= r.y + r.h + 0.5 &&
  (Math.abs(x - r.x) < 0.6 ||
    Math.abs(x - r.x - r.w) < 0.6 ||
    Math.abs(y - r.y) < 0.6 ||
    Math.abs(y - r.y - r.h) < 0.6);

async function picture(
  resources: TopologyResource[],
  rows: VerificationRow[] = [],
): Promise<TopologyPicture> {
  return layoutTopology(resources, topologyState(resources, rows, [], hhmmss), elk, { targetWidth: 1360 });
}

describe('layoutTopology', () => {
  it('nests boxes VPC → subnet → resource, overlaps no box or label, and packs three plans into the width', async () => {
    // Prepare
    const resources = [...referencePlan('app-a'), ...referencePlan('app-b'), ...SNAT];

    // Act
    const layout = await picture(resources, [
      row('app-a'),
      row('app-b', {
        port: 22,
        protocol: 'tcp',
        expect: 'unreachable',
        verdict: 'UNREACHABLE',
        code: 'NO_MATCHING_RULE',
      }),
    ]);

    // Assess: containment.
    const byId = new Map(layout.boxes.map((b) => [b.id, b]));
    for (const r of resources) {
      const box = byId.get(r.id);
      const holder = byId.get(
        (r.type === 'load-balancer' ? r.frontendSubnetId : r.subnetId) ?? r.vpcId ?? '',
      );
      if (box && holder && r.type !== 'vpc')
        expect(within(box, holder), `${r.id} in ${holder.id}`).toBe(true);
    }
    // No two leaf boxes, no two labels, no label and box overlap.
    const rects = [
      ...layout.boxes.filter((b) => !b.frame).map((b) => ({ ...b, name: `box ${b.id}` })),
      ...layout.edges.flatMap((e) => (e.label ? [{ ...e.label, name: `label ${e.id}` }] : [])),
    ];
    for (const [i, a] of rects.entries())
      for (const b of rects.slice(i + 1)) expect(overlaps(a, b), `${a.name} overlaps ${b.name}`).toBe(false);
    // Frames of different VPCs do not overlap either.
    const vpcs = layout.boxes.filter((b) => b.kind === 'vpc');
    for (const [i, a] of vpcs.entries())
      for (const b of vpcs.slice(i + 1)) expect(overlaps(a, b)).toBe(false);
    // Several plans, not one endless row.
    expect(vpcs).toHaveLength(6);
    expect(layout.width).toBeLessThanOrEqual(1440);
    // Every frame says its plan and cloud.
    for (const vpc of vpcs)
      expect(vpc.lines[1]?.text).toMatch(/^(app-a|app-b|snat-egress) · virtual · ACTIVE$/);
  });

  it('runs every DNAT edge from its transit IP to its target, orthogonally, labelled with gateway, plan and status', async () => {
    const layout = await picture([...referencePlan('app-a'), ...referencePlan('app-b')], [row('app-a')]);
    const byId = new Map(layout.boxes.map((b) => [b.id, b]));
    const dnat = layout.edges.filter((e) => e.kind === 'dnat');
    expect(dnat.map((e) => [e.from, e.to, e.status])).toEqual([
      ['tip-app-a', 'elb-app-a', 'verified'],
      ['tip-app-b', 'elb-app-b', 'unverified'],
    ]);
    for (const edge of dnat) {
      expect(onBorder(edge.points[0]!, byId.get(edge.from)!), `${edge.id} starts on its transit IP`).toBe(
        true,
      );
      expect(onBorder(edge.points.at(-1)!, byId.get(edge.to)!), `${edge.id} ends on its target`).toBe(true);
      for (let i = 1; i < edge.points.length; i++) {
        const [a, b] = [edge.points[i - 1]!, edge.points[i]!];
        expect(Math.abs(a[0] - b[0]) < 0.01 || Math.abs(a[1] - b[1]) < 0.01).toBe(true);
      }
    }
    expect(dnat[0]?.label?.lines.map((l) => l.text)).toEqual([
      'tcp 80 → 80 via private_nat_gateway',
      'app-a · virtual · ACTIVE',
      'verified 03:04:05',
    ]);
  });

  it('draws every SNAT rule, a /25 source inside a /24 subnet too, from its source block to its transit IP', async () => {
    const layout = await picture(SNAT);
    const snat = layout.edges.filter((e) => e.kind === 'snat');
    expect(snat.map((e) => [e.id, e.from, e.to])).toEqual([
      ['snat-web', 'snat-source:snat-web', 'tip-out'],
      ['snat-batch', 'snat-source:snat-batch', 'tip-batch'],
    ]);
    const batchSource = layout.boxes.find((b) => b.id === 'snat-source:snat-batch')!;
    expect(within(batchSource, layout.boxes.find((b) => b.id === 'sub-batch')!)).toBe(true);
    expect(batchSource.lines.map((l) => l.text)).toContain('10.0.2.0/25');
    // Drawn from the source: the first point on the source box, the last on the transit IP.
    const edge = snat[1]!;
    expect(onBorder(edge.points[0]!, batchSource)).toBe(true);
    expect(onBorder(edge.points.at(-1)!, layout.boxes.find((b) => b.id === 'tip-batch')!)).toBe(true);
  });

  it('shows status on every box, and draws nothing for an empty cloud', async () => {
    const layout = await picture(referencePlan('app-a', 'FROZEN'));
    for (const box of layout.boxes) expect(box.status, box.id).toMatch(/^(active|frozen)$/);
    const gateway = layout.boxes.find((b) => b.kind === 'private-nat-gateway')!;
    expect(gateway.status).toBe('frozen');
    expect(gateway.lines.at(-1)?.text).toBe('FROZEN');
    expect((await picture([])).boxes).toEqual([]);
  });
});

describe('filterResources', () => {
  const all = [...referencePlan('app-a'), ...referencePlan('app-b'), ...SNAT];
  it('keeps a plan’s resources with what holds them', () => {
    const kept = filterResources(all, { plan: 'app-b' });
    expect(new Set(kept.map((r) => r.plan))).toEqual(new Set(['app-b']));
    expect(kept).toHaveLength(10);
  });
  it('keeps a gateway with its rules, their ends and what holds them', () => {
    const kept = filterResources(all, { gateway: 'pnat-s' }).map((r) => r.id);
    expect(kept).toEqual(
      expect.arrayContaining([
        'pnat-s',
        'snat-web',
        'snat-batch',
        'tip-out',
        'tip-batch',
        'sub-web',
        'vpc-sa',
        'vpc-sb',
      ]),
    );
    expect(kept.some((id) => id.endsWith('app-a'))).toBe(false);
  });
});

describe('cidrContains', () => {
  it.each([
    ['10.0.0.0/24', '10.0.0.255', true],
    ['10.0.0.0/24', '10.0.1.0', false],
    ['10.0.2.0/24', '10.0.2.0/25', true],
    ['192.168.0.0/16', '192.168.200.1', true],
    ['0.0.0.0/0', '8.8.8.8', true],
    ['10.0.0.0/24', 'nope', false],
  ])('%s holds %s: %s', (cidr, ip, expected) => {
    expect(cidrContains(cidr, ip)).toBe(expected);
  });
});
