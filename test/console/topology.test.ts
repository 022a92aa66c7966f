import { describe, expect, it } from 'vitest';
import {
  cidrContains,
  layoutTopology,
  type ProbeResult,
  type Rect,
  type TopologyResource,
} from '../../src/console/assets/topology.ts';

/**
 * The reference walkthrough: ECS-A in VPC-A (192.168.0.0/16) reaches ELB01 in VPC-B (10.0.0.0/16) through
 * transit IP 192.168.0.144 and a DNAT rule (tcp 80 → 80) on the private NAT gateway in subnet-B01.
 */
const PLAN = 'app-a-to-elb01';
const base = { status: 'ACTIVE', plan: PLAN };
const REFERENCE: TopologyResource[] = [
  { ...base, id: 'vpc-b', type: 'vpc', name: 'VPC-B', cidr: '10.0.0.0/16' },
  { ...base, id: 'vpc-a', type: 'vpc', name: 'VPC-A', cidr: '192.168.0.0/16' },
  { ...base, id: 'subnet-a', type: 'subnet', name: 'subnet-A01', vpcId: 'vpc-a', cidr: '192.168.0.0/24' },
  { ...base, id: 'subnet-b', type: 'subnet', name: 'subnet-B01', vpcId: 'vpc-b', cidr: '10.0.0.0/24' },
  {
    ...base,
    id: 'ecs-a',
    type: 'server',
    name: 'ECS-A',
    vpcId: 'vpc-a',
    subnetId: 'subnet-a',
    ip: '192.168.0.10',
  },
  {
    ...base,
    id: 'ecs-b',
    type: 'server',
    name: 'ECS-B',
    vpcId: 'vpc-b',
    subnetId: 'subnet-b',
    ip: '10.0.0.10',
  },
  {
    ...base,
    id: 'elb-1',
    type: 'load-balancer',
    name: 'ELB01',
    vpcId: 'vpc-b',
    frontendSubnetId: 'subnet-b',
    ip: '10.0.0.11',
    backendIp: '10.0.0.12',
  },
  {
    ...base,
    id: 'tip-1',
    type: 'transit-ip',
    name: 'transit-ip-A',
    vpcId: 'vpc-a',
    subnetId: 'subnet-a',
    ip: '192.168.0.144',
  },
  {
    ...base,
    id: 'pnat-1',
    type: 'private-nat-gateway',
    name: 'private_nat_gateway',
    vpcId: 'vpc-b',
    subnetId: 'subnet-b',
    downlinkIp: '10.0.0.13',
    spec: 'Small',
  },
  {
    ...base,
    id: 'dnat-1',
    type: 'dnat-rule',
    name: '',
    gatewayId: 'pnat-1',
    transitIpId: 'tip-1',
    transitIp: '192.168.0.144',
    protocol: 'tcp',
    transitPort: 80,
    internalPort: 80,
    target: { kind: 'load-balancer', loadBalancerId: 'elb-1', ip: '10.0.0.11' },
  },
];

const probe = (port: number, verdict: string, expected: string, ok: boolean): ProbeResult => ({
  plan: PLAN,
  entry: { from: 'ECS-A', to: 'transit-ip-A', protocol: port === 80 ? 'http' : 'tcp', port },
  expected,
  verdict,
  ok,
});

const within = (inner: Rect, outer: Rect) =>
  inner.x >= outer.x &&
  inner.y >= outer.y &&
  inner.x + inner.w <= outer.x + outer.w &&
  inner.y + inner.h <= outer.y + outer.h;

describe('layoutTopology', () => {
  it('nests items in subnets in VPCs, the transit VPC on the left, with their addresses', () => {
    // Act
    const layout = layoutTopology(REFERENCE);

    // Assess
    expect(layout.vpcs.map((v) => `${v.name} ${v.cidr}`)).toEqual([
      'VPC-A 192.168.0.0/16',
      'VPC-B 10.0.0.0/16',
    ]);
    for (const vpc of layout.vpcs) {
      expect(within(vpc, { x: 0, y: 0, w: layout.width, h: layout.height })).toBe(true);
      for (const subnet of vpc.subnets) {
        expect(within(subnet, vpc)).toBe(true);
        for (const item of subnet.items) expect(within(item, subnet), item.name).toBe(true);
      }
    }
    const [a, b] = layout.vpcs;
    expect(a!.x + a!.w).toBeLessThan(b!.x);
    const items = layout.vpcs.flatMap((v) => v.subnets.flatMap((s) => s.items));
    expect(Object.fromEntries(items.map((i) => [i.name, i.addresses]))).toEqual({
      'ECS-A': ['192.168.0.10'],
      'transit-ip-A': ['192.168.0.144'],
      private_nat_gateway: ['downlink 10.0.0.13', 'spec Small'],
      ELB01: ['10.0.0.11', 'backend 10.0.0.12'],
      'ECS-B': ['10.0.0.10'],
    });
    // No two items overlap.
    for (const i of items)
      for (const j of items)
        if (i !== j)
          expect(i.x + i.w <= j.x || j.x + j.w <= i.x || i.y + i.h <= j.y || j.y + j.h <= i.y).toBe(true);
  });

  it('draws the DNAT rule from the transit IP to the load balancer, labelled with protocol and ports', () => {
    const layout = layoutTopology(REFERENCE);

    const arrow = layout.arrows.find((a) => a.kind === 'dnat');
    expect(arrow).toMatchObject({ from: 'tip-1', to: 'elb-1', label: 'tcp 80 → 80', status: 'unknown' });
    const tip = layout.vpcs[0]!.subnets[0]!.items.find((i) => i.id === 'tip-1')!;
    const elb = layout.vpcs[1]!.subnets[0]!.items.find((i) => i.id === 'elb-1')!;
    const gateway = layout.vpcs[1]!.subnets[0]!.items.find((i) => i.id === 'pnat-1')!;
    // Through the gateway: transit IP → gateway, then gateway → load balancer.
    expect(arrow!.segments).toHaveLength(2);
    expect(arrow!.segments[0]![0][0]).toBe(tip.x + tip.w);
    expect(arrow!.segments[0]![3][0]).toBe(gateway.x);
    expect(arrow!.segments[1]![0][0]).toBe(gateway.x + gateway.w);
    expect(arrow!.segments[1]![3][0]).toBe(elb.x);
    // Its label sits between the VPCs, over neither.
    const [a, b] = layout.vpcs;
    expect(arrow!.labelAt[0]).toBeGreaterThan(a!.x + a!.w);
    expect(arrow!.labelAt[0]).toBeLessThan(b!.x);
    expect(arrow!.title).toContain('via private_nat_gateway');
  });

  it.each([
    ['a reachable probe colours the rule green', [probe(80, 'REACHABLE', 'reachable', true)], 'ok'],
    [
      'a probe that expected reachable and was not colours it red',
      [probe(80, 'UNREACHABLE', 'reachable', false)],
      'fail',
    ],
    ['a probe on another port leaves it neutral', [probe(22, 'UNREACHABLE', 'unreachable', true)], 'unknown'],
  ])('%s', (_name, probes, status) => {
    const layout = layoutTopology(REFERENCE, probes);
    expect(layout.arrows.find((a) => a.kind === 'dnat')?.status).toBe(status);
    const paths = layout.arrows.filter((a) => a.kind === 'probe');
    expect(paths).toHaveLength(1);
    expect(paths[0]).toMatchObject({ from: 'ecs-a', to: 'tip-1', status: probes[0]!.ok ? 'ok' : 'fail' });
  });

  it('labels an all-ports rule and places a custom-IP target in the subnet that holds it', () => {
    const resources = REFERENCE.map((r) =>
      r.id === 'dnat-1'
        ? {
            ...r,
            protocol: 'any',
            transitPort: 0,
            internalPort: 0,
            target: { kind: 'ip' as const, ip: '10.0.0.99' },
          }
        : r,
    );
    const layout = layoutTopology(resources);
    expect(layout.arrows.find((a) => a.kind === 'dnat')).toMatchObject({
      to: 'ip:10.0.0.99',
      label: 'any all ports',
    });
    const subnetB = layout.vpcs[1]!.subnets[0]!;
    expect(subnetB.items.map((i) => i.id)).toContain('ip:10.0.0.99');
  });

  it('draws an empty cloud as nothing, and skips what it cannot place', () => {
    expect(layoutTopology([]).vpcs).toEqual([]);
    const orphanRule = REFERENCE.filter((r) => r.type === 'dnat-rule');
    expect(layoutTopology(orphanRule).arrows).toEqual([]);
  });
});

describe('cidrContains', () => {
  it.each([
    ['10.0.0.0/24', '10.0.0.255', true],
    ['10.0.0.0/24', '10.0.1.0', false],
    ['192.168.0.0/16', '192.168.200.1', true],
    ['0.0.0.0/0', '8.8.8.8', true],
    ['10.0.0.0/24', 'nope', false],
  ])('%s holds %s: %s', (cidr, ip, expected) => {
    expect(cidrContains(cidr, ip)).toBe(expected);
  });
});
