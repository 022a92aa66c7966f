/**
 * The provision, verify and teardown workflows, end to end through the local runtime: the reference
 * scenario (ECS-A in VPC-A 192.168.0.0/16 reaches ELB01 in VPC-B 10.0.0.0/16 through transit IP
 * 192.168.0.144 and a DNAT rule tcp 80 → ELB01:80 on private_nat_gateway), its convergence on a re-run,
 * its teardown, and the failures that must leave nothing behind.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitingOfCause } from '../../src/cloud/waiting.ts';
import { type Harness, openHarness, REFERENCE, statesEntered, variant } from './harness.ts';

const PLAN = 'app-a-to-elb01';

describe('provision workflow', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await openHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('provisions the reference scenario and reports resources, translation and verification', async () => {
    // Act
    const run = await h.run('provision', REFERENCE);

    // Assess
    expect(run.status, run.cause).toBe('SUCCEEDED');
    const output = run.output as {
      plan: string;
      resources: Record<string, Record<string, string>>;
      translation: { verdict: string; translated: { src: string; dst: string } }[];
      verify: { verdict: string; ok: boolean; code?: string }[];
    };
    expect(output.plan).toBe(PLAN);
    expect(Object.keys(output.resources.transitIps ?? {})).toEqual(['transit-ip-A']);
    const transitIp = await h.stack.store.get(output.resources.transitIps?.['transit-ip-A'] ?? '');
    expect(transitIp).toMatchObject({ type: 'transit-ip', ip: '192.168.0.144', status: 'ACTIVE' });
    const [elb] = await h.stack.store.list({ plan: PLAN, type: 'load-balancer' });
    const [gateway] = await h.stack.store.list({ plan: PLAN, type: 'private-nat-gateway' });
    expect(output.translation).toHaveLength(1);
    expect(output.translation[0]).toMatchObject({ verdict: 'TRANSLATED' });
    // Full NAT: the gateway's own address as the source, the load balancer's address as the destination.
    expect(output.translation[0]?.translated.dst).toBe(`${elb?.type === 'load-balancer' ? elb.ip : '?'}:80`);
    expect(output.translation[0]?.translated.src.split(':')[0]).toBe(
      gateway?.type === 'private-nat-gateway' ? gateway.downlinkIp : '?',
    );
    expect(output.verify.map((v) => [v.verdict, v.ok])).toEqual([
      ['REACHABLE', true],
      ['UNREACHABLE', true],
    ]);
    expect(output.verify[1]?.code).toBe('NO_MATCHING_RULE');
    expect(statesEntered(run.history)).toEqual(
      expect.arrayContaining([
        'ValidatePlan',
        'CreateNetworks',
        'CreateLoadBalancer',
        'AssignTransitIp',
        'CreatePrivateNatGateway',
        'CreateListeners',
        'AddDnatRule',
        'CheckResourcesActive',
        'EvaluateTranslation',
        'VerifyConnectivity',
      ]),
    );
    expect(statesEntered(run.history)).not.toContain('Rollback');
    expect(h.stack.bus.list({ detailType: 'ProvisioningSucceeded' })).toHaveLength(1);
  });

  it('converges when the same plan runs again: same resources, no duplicates', async () => {
    // Prepare
    const first = await h.run('provision', REFERENCE);
    const before = (await h.resources(PLAN)).map((r) => r.id).sort();

    // Act
    const second = await h.run('provision', REFERENCE);

    // Assess
    expect(first.status).toBe('SUCCEEDED');
    expect(second.status, second.cause).toBe('SUCCEEDED');
    expect((await h.resources(PLAN)).map((r) => r.id).sort()).toEqual(before);
    expect(second.output?.resources).toEqual(first.output?.resources);
  });

  it('tears a plan down completely, and ends at once, saying so, for a plan with nothing recorded', async () => {
    // Prepare
    await h.run('provision', REFERENCE);

    // Act
    const teardown = await h.run('teardown', { plan: PLAN });
    const unknown = await h.run('teardown', { plan: 'no-such-plan' });
    const again = await h.run('teardown', { plan: PLAN });

    // Assess
    expect(teardown.status, teardown.cause).toBe('SUCCEEDED');
    expect(await h.resources()).toEqual([]);
    expect(await h.stack.store.getPlan(PLAN)).toBeUndefined();
    expect(unknown).toMatchObject({ status: 'SUCCEEDED', output: { plan: 'no-such-plan', nothing: true } });
    expect(again).toMatchObject({ status: 'SUCCEEDED', output: { plan: PLAN, nothing: true } });
  });

  it('fails with VERIFICATION_FAILED and leaves nothing when a verify entry does not hold', async () => {
    // Prepare: expect the one open port to be closed.
    const plan = variant('wrong-expectation', (p) => {
      p.verify = [{ from: 'ECS-A', to: 'transit-ip-A', protocol: 'http', port: 80, expect: 'unreachable' }];
    });

    // Act
    const run = await h.run('provision', plan);

    // Assess
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('VERIFICATION_FAILED');
    expect(run.cause).toContain('expected unreachable');
    expect(statesEntered(run.history)).toContain('Rollback');
    expect(await h.resources()).toEqual([]);
    expect(h.stack.bus.list({ detailType: 'ProvisioningFailed' })[0]?.detail).toMatchObject({
      error: 'VERIFICATION_FAILED',
      // The failure document (docs/real-cloud.md#failure), as an object.
      cause: {
        code: 'VERIFICATION_FAILED',
        message: expect.stringContaining('expected unreachable'),
        rollback: { status: 'COMPLETE', leftBehind: [] },
      },
    });
    expect(JSON.parse(run.cause ?? '{}')).toMatchObject({ code: 'VERIFICATION_FAILED' });
  });

  it('rejects an invalid plan in ValidatePlan with the rule code, creating nothing', async () => {
    // Act
    const run = await h.run(
      'provision',
      variant('bad-cidr', (p) => {
        (p.vpcs as { cidr: string }[])[1]!.cidr = '10.0.0.0/33';
      }),
    );

    // Assess
    expect(run).toMatchObject({ status: 'FAILED', error: 'INVALID_CIDR' });
    expect(run.cause).toContain('vpcs[1].cidr');
    expect(await h.resources()).toEqual([]);
  });

  it('fails a second plan that wants the same transit port with DNAT_PORT_CONFLICT and rolls back only its own resources', async () => {
    // Prepare: plan A as in the reference; plan B reuses A's transit IP and load balancer… on another LB.
    const a = await h.run('provision', REFERENCE);
    const resources = (a.output?.resources ?? {}) as Record<string, Record<string, string>>;
    const transitIpId = resources.transitIps?.['transit-ip-A'];
    const gatewayId = resources.privateNatGateways?.private_nat_gateway;
    const aResources = (await h.resources(PLAN)).map((r) => r.id).sort();
    const b = {
      name: 'second-rule',
      vpcs: [{ name: 'VPC-C', cidr: '10.0.0.0/16', subnets: [{ name: 'subnet-C01', cidr: '10.0.1.0/24' }] }],
      servers: [{ name: 'ECS-C', subnet: 'subnet-C01', apps: [{ protocol: 'http', port: 80 }] }],
      transitIps: [{ name: 'transit-ip-A', existing: transitIpId }],
      privateNatGateways: [
        {
          name: 'private_nat_gateway',
          existing: gatewayId,
          dnatRules: [
            {
              transitIp: 'transit-ip-A',
              portType: 'specific',
              protocol: 'tcp',
              transitPort: 80,
              target: { ip: '10.0.0.200' },
              internalPort: 80,
            },
          ],
        },
      ],
    };

    // Act: bypass up-front validation to exercise the workflow's own checks.
    const run = await h.run('provision', b);

    // Assess
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('DNAT_PORT_CONFLICT');
    expect(await h.resources('second-rule')).toEqual([]);
    expect((await h.resources(PLAN)).map((r) => r.id).sort()).toEqual(aResources);
  });
});

describe('provision workflow: waits in real time, polled through a Retry', () => {
  const delay = process.env.NATFLOW_PROVISIONING_DELAY_MS;
  afterEach(() => {
    if (delay === undefined) delete process.env.NATFLOW_PROVISIONING_DELAY_MS;
    else process.env.NATFLOW_PROVISIONING_DELAY_MS = delay;
  });

  it('waits for a gateway and a rule PENDING 3 s without spinning: no Wait state, at most 8 events a poll', async () => {
    // Prepare: the same plan with nothing to wait for is the history without polls. No time knob is
    // set: the engine waits in real time, as it does for a real cloud.
    const quick = await openHarness();
    const baseline = await quick.run('provision', REFERENCE);
    await quick.close();
    process.env.NATFLOW_PROVISIONING_DELAY_MS = '3000';
    const h = await openHarness();

    try {
      // Act
      const run = await h.run('provision', REFERENCE);

      // Assess
      expect(run.status, run.cause).toBe('SUCCEEDED');
      const polls = run.history.filter(
        (e) =>
          e.type === 'LambdaFunctionFailed' &&
          e.lambdaFunctionFailedEventDetails?.error === 'Natflow.NotReady',
      );
      expect(polls.length).toBeGreaterThanOrEqual(2);
      expect(run.history.filter((e) => e.type?.startsWith('Wait'))).toEqual([]);
      const extra = run.history.length - baseline.history.length;
      expect(extra).toBeGreaterThanOrEqual(3 * polls.length);
      expect(extra).toBeLessThanOrEqual(8 * polls.length);
      // Each poll names what it waits for, in the virtual cloud's words.
      const named = polls.flatMap((e) => waitingOfCause(e.lambdaFunctionFailedEventDetails?.cause));
      expect(named.map((w) => `${w.kind} ${w.name} ${w.status}`)).toEqual(
        expect.arrayContaining(['private-nat-gateway private_nat_gateway PENDING']),
      );
    } finally {
      await h.close();
    }
  });
});

describe('verify workflow', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await openHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('verifies one plan or every plan and emits ConnectivityVerified', async () => {
    // Prepare
    await h.run('provision', REFERENCE);
    await h.run(
      'provision',
      variant('copy-of-reference', (p) => {
        (p.transitIps as { ip: string }[])[0]!.ip = '192.168.0.145';
        p.vpcs = [
          {
            name: 'VPC-A',
            cidr: '192.168.0.0/16',
            subnets: [{ name: 'subnet-A01', cidr: '192.168.0.0/24' }],
          },
          { name: 'VPC-B', cidr: '10.0.0.0/16', subnets: [{ name: 'subnet-B01', cidr: '10.0.0.0/24' }] },
        ];
      }),
    );

    // Act
    const one = await h.run('verify', { plan: PLAN });
    const all = await h.run('verify', {});
    const missing = await h.run('verify', { plan: 'nope' });

    // Assess
    expect(one.status, one.cause).toBe('SUCCEEDED');
    expect(all.status, all.cause).toBe('SUCCEEDED');
    expect((all.output as { plans: unknown[] }).plans).toHaveLength(2);
    expect(h.stack.bus.list({ detailType: 'ConnectivityVerified' }).length).toBe(3);
    expect(missing).toMatchObject({ status: 'FAILED', error: 'NOT_FOUND' });
  });

  it('reports ConnectivityLost and fails with VERIFICATION_FAILED once the rule is frozen', async () => {
    // Prepare
    const provisioned = await h.run('provision', REFERENCE);
    const resources = (provisioned.output?.resources ?? {}) as Record<string, Record<string, string>>;
    const gatewayId = resources.privateNatGateways?.private_nat_gateway ?? '';
    const { ControlPlane } = await import('../../src/cloud/control-plane.ts');
    await new ControlPlane({ store: h.stack.store }).freeze(gatewayId);

    // Act
    const run = await h.run('verify', { plan: PLAN });

    // Assess
    expect(run).toMatchObject({ status: 'FAILED', error: 'VERIFICATION_FAILED' });
    expect(run.cause).toContain('RULE_INACTIVE');
    expect(h.stack.bus.list({ detailType: 'ConnectivityLost' })).toHaveLength(1);
  });
});
