import { describe, expect, it } from 'vitest';
import { analyze, EXPLANATION_CODES } from '../../src/probe/analyze.ts';
import { Topology } from '../../src/probe/model.ts';
import { REF, referenceScenario, TopologyBuilder } from './builder.ts';
import { scenarios } from './scenarios.ts';

describe('Function: analyze', () => {
  it.each(scenarios())('$name', ({ resources, request, verdict, code, component }) => {
    // Act
    const result = analyze(Topology.from(resources), request);

    // Assess
    expect(result.verdict).toBe(verdict);
    expect(result.code).toBe(code);
    expect(result.component).toBe(component);
    const last = result.hops.at(-1);
    expect(last?.result).toBe(verdict === 'REACHABLE' ? 'pass' : 'fail');
    expect(result.hops.filter((h) => h.result === 'fail')).toHaveLength(verdict === 'REACHABLE' ? 0 : 1);
  });

  it('has a scenario for every explanation code', () => {
    const covered = new Set(scenarios().map((s) => s.code));
    for (const code of EXPLANATION_CODES) expect(covered, code).toContain(code);
  });

  it('records the source each hop saw and the translation on the reference path', () => {
    // Act
    const { hops } = analyze(referenceScenario().b.topology(), {
      from: 'ECS-A',
      to: REF.TRANSIT_IP,
      protocol: 'http',
      port: 80,
    });

    // Assess
    expect(hops.map((h) => h.component)).toEqual([
      'server',
      'security-group',
      'route',
      'transit-ip',
      'dnat',
      'load-balancer',
      'listener',
      'backend-group',
      'server',
      'security-group',
      'application',
    ]);
    const dnat = hops.find((h) => h.component === 'dnat');
    expect(dnat?.translation).toEqual({ src: `${REF.GATEWAY_IP}:1024`, dst: `${REF.ELB_IP}:80` });
    expect(hops.find((h) => h.component === 'load-balancer')?.seenSource).toBe(`${REF.GATEWAY_IP}:1024`);
    expect(hops.find((h) => h.component === 'listener')?.seenSource?.startsWith(`${REF.GATEWAY_IP}:`)).toBe(
      true,
    );
    expect(hops.at(-1)?.seenSource?.startsWith(`${REF.ELB_BACKEND_IP}:`)).toBe(true);
    expect(hops.at(-1)?.name).toBe('ECS-B:80');
  });

  it('shows the gateway as the source a server target sees', () => {
    // Prepare
    const s = referenceScenario();
    s.b.replace({ ...s.rule, target: { kind: 'server', serverId: s.ecsB.id, ip: s.ecsB.ip } });

    // Act
    const result = analyze(s.b.topology(), { from: 'ECS-A', to: 'transit-ip-A', protocol: 'http', port: 80 });

    // Assess
    expect(result.verdict).toBe('REACHABLE');
    expect(result.hops.at(-1)?.seenSource).toBe(`${REF.GATEWAY_IP}:1024`);
  });

  it('translates an all-ports rule keeping the port', () => {
    // Prepare
    const s = referenceScenario();
    s.b.replace({ ...s.ecsB, apps: [{ protocol: 'tcp', port: 5432 }] });
    const sg = s.b.resources.find((r) => r.type === 'security-group' && r.name === 'sg-ECS-B');
    if (sg?.type === 'security-group')
      s.b.replace({
        ...sg,
        inbound: [{ protocol: 'any', fromPort: 1, toPort: 65535, source: REF.VPC_B_CIDR }],
      });
    s.b.replace({
      ...s.rule,
      protocol: 'any',
      transitPort: 0,
      internalPort: 0,
      target: { kind: 'server', serverId: s.ecsB.id, ip: s.ecsB.ip },
    });

    // Act
    const result = analyze(s.b.topology(), {
      from: 'ECS-A',
      to: 'transit-ip-A',
      protocol: 'tcp',
      port: 5432,
    });

    // Assess
    expect(result.verdict).toBe('REACHABLE');
    expect(result.hops.find((h) => h.component === 'dnat')?.translation?.dst).toBe(`${REF.ECS_B_IP}:5432`);
  });

  it('reaches a rule of type ip through the server that holds the address', () => {
    // Prepare
    const s = referenceScenario();
    s.b.replace({ ...s.rule, target: { kind: 'ip', ip: REF.ELB_IP } });

    // Act
    const result = analyze(s.b.topology(), { from: 'ECS-A', to: 'transit-ip-A', protocol: 'http', port: 80 });

    // Assess
    expect(result.verdict).toBe('REACHABLE');
    expect(result.hops.some((h) => h.component === 'load-balancer')).toBe(true);
  });

  it('reports RULE_INACTIVE for a rule that is still PENDING', () => {
    // Prepare
    const s = referenceScenario();
    s.b.replace({ ...s.rule, status: 'PENDING' });

    // Act
    const result = analyze(s.b.topology(), { from: 'ECS-A', to: 'transit-ip-A', protocol: 'http', port: 80 });

    // Assess
    expect(result.code).toBe('RULE_INACTIVE');
  });

  it('picks a healthy member when another is down', () => {
    // Prepare
    const s = referenceScenario();
    const ecsC = s.b.server(s.subnetB, 'ECS-C', '10.0.0.20');
    s.b.replace({ ...s.group, members: [{ serverId: ecsC.id, port: 80, weight: 1 }, ...s.group.members] });

    // Act
    const result = analyze(s.b.topology(), { from: 'ECS-A', to: 'transit-ip-A', protocol: 'http', port: 80 });

    // Assess
    expect(result.verdict).toBe('REACHABLE');
    expect(result.hops.find((h) => h.component === 'backend-group')?.detail).toContain('1 of 2');
    expect(result.hops.at(-1)?.name).toBe('ECS-B:80');
  });

  it.each([
    { what: 'an unknown source', from: 'ECS-Z', to: 'transit-ip-A', code: 'NOT_FOUND' },
    { what: 'an unknown destination name', from: 'ECS-A', to: 'no-such-thing', code: 'NOT_FOUND' },
  ])('throws $code for $what', ({ from, to, code }) => {
    expect(() => analyze(referenceScenario().b.topology(), { from, to, protocol: 'http', port: 80 })).toThrow(
      expect.objectContaining({ name: code }),
    );
  });

  it('throws AMBIGUOUS_NAME when a name is used by two servers outside the plan', () => {
    // Prepare
    const b = new TopologyBuilder(null);
    const vpc = b.vpc('V', '10.1.0.0/16');
    const subnet = b.subnet(vpc, 's', '10.1.0.0/24');
    b.server(subnet, 'twin', '10.1.0.5');
    b.server(subnet, 'twin', '10.1.0.6');

    // Act, Assess
    expect(() => analyze(b.topology(), { from: 'twin', to: '10.1.0.5', protocol: 'tcp', port: 1 })).toThrow(
      expect.objectContaining({ name: 'AMBIGUOUS_NAME' }),
    );
  });

  it('resolves names within the plan first', () => {
    // Prepare: two plans both name a server ECS-A, in different VPCs
    const first = referenceScenario(new TopologyBuilder('plan-one'));
    const second = referenceScenario(new TopologyBuilder('plan-two'));
    const resources = [...first.b.resources, ...second.b.resources.map((r) => ({ ...r, id: `two-${r.id}` }))];

    // Act
    const result = analyze(Topology.from(resources), {
      from: 'ECS-A',
      to: REF.ECS_A_IP,
      protocol: 'http',
      port: 80,
      plan: 'plan-one',
    });

    // Assess
    expect(result.hops[0]?.id).toBe(first.ecsA.id);
  });
});
