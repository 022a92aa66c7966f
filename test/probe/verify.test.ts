import { describe, expect, it } from 'vitest';
import { probe, verifyEntries } from '../../src/probe/probe.ts';
import { referenceScenario } from './builder.ts';

describe('Function: verifyEntries', () => {
  it('holds an entry when the verdict (and code) is the one expected', async () => {
    // Prepare
    const topology = referenceScenario().b.topology();

    // Act
    const results = await verifyEntries(
      topology,
      [
        { from: 'ECS-A', to: 'transit-ip-A', protocol: 'http', port: 80, expect: 'reachable' },
        {
          from: 'ECS-A',
          to: 'transit-ip-A',
          protocol: 'tcp',
          port: 22,
          expect: 'unreachable',
          code: 'NO_MATCHING_RULE',
        },
        {
          from: 'ECS-A',
          to: 'transit-ip-A',
          protocol: 'tcp',
          port: 22,
          expect: 'unreachable',
          code: 'RULE_INACTIVE',
        },
        { from: 'ECS-A', to: 'transit-ip-A', protocol: 'tcp', port: 22 },
        { from: 'ECS-A', to: 'gone', protocol: 'tcp', port: 22, expect: 'unreachable' },
      ],
      { plan: 'app-a-to-elb01' },
    );

    // Assess
    expect(results.map((r) => [r.verdict, r.code, r.expected, r.ok])).toEqual([
      ['REACHABLE', undefined, 'reachable', true],
      ['UNREACHABLE', 'NO_MATCHING_RULE', 'unreachable', true],
      ['UNREACHABLE', 'NO_MATCHING_RULE', 'unreachable', false],
      ['UNREACHABLE', 'NO_MATCHING_RULE', 'reachable', false],
      ['UNREACHABLE', 'NOT_FOUND', 'unreachable', false],
    ]);
    expect(results[2]?.expectedCode).toBe('RULE_INACTIVE');
    expect(results[3]?.detail).toContain('no DNAT rule for tcp 22');
  });
});

describe('Function: probe without a data plane', () => {
  it.each(['live', 'both', undefined] as const)('analyses only (mode %s asked)', async (mode) => {
    const report = await probe(referenceScenario().b.topology(), {
      from: 'ECS-A',
      to: 'transit-ip-A',
      protocol: 'http',
      port: 80,
      mode,
    });
    expect(report).toMatchObject({ verdict: 'REACHABLE', mode: 'analyze' });
    expect(report.live).toBeUndefined();
  });
});
