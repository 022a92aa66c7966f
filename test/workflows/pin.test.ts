/**
 * Address pinning: a plan's automatic addresses are fixed by a dry run before the parallel steps run,
 * and a pin that another execution took meanwhile falls back to automatic assignment instead of failing.
 *
 * Topology: VPC-B 10.0.0.0/16 with subnet-B01 10.0.0.0/24 (reserved .0, .1, .253, .254, .255), so the
 * first automatic address is 10.0.0.2.
 */
import { describe, expect, it } from 'vitest';
import { ControlPlane } from '../../src/cloud/control-plane.ts';
import { MemoryStore } from '../../src/cloud/memory-store.ts';
import { validatePlan } from '../../src/plan/validate.ts';
import { applyPinnedStep, pinAddresses } from '../../src/workflow/pin.ts';
import { steps } from '../../src/workflow/steps/index.ts';

const PLAN = {
  name: 'pinning',
  vpcs: [{ name: 'VPC-B', cidr: '10.0.0.0/16', subnets: [{ name: 'subnet-B01', cidr: '10.0.0.0/24' }] }],
  servers: [
    { name: 'ECS-B', subnet: 'subnet-B01' },
    { name: 'ECS-C', subnet: 'subnet-B01', ip: '10.0.0.2' },
  ],
  privateNatGateways: [{ name: 'gw', vpc: 'VPC-B', subnet: 'subnet-B01' }],
};

describe('pinAddresses', () => {
  it('pins every automatic address to the dry run’s choice, leaves explicit ones, and writes nothing', async () => {
    // Prepare
    const store = new MemoryStore();

    // Act
    const { document, pinned } = pinAddresses(
      PLAN,
      (await validatePlan(store, PLAN, { steps })).summary?.addresses ?? {},
    );

    // Assess: explicit 10.0.0.2 is reserved first, so ECS-B gets .3 and the gateway .4.
    const doc = document as typeof PLAN & { privateNatGateways: { downlinkIp?: string }[] };
    expect(doc.servers.map((s) => s.ip)).toEqual(['10.0.0.3', '10.0.0.2']);
    expect(doc.privateNatGateways[0]?.downlinkIp).toBe('10.0.0.4');
    expect(pinned).toEqual([
      { entry: 'servers[0]', field: 'ip' },
      { entry: 'privateNatGateways[0]', field: 'downlinkIp' },
    ]);
    expect(await store.list()).toEqual([]);
    expect(PLAN.servers[0]).not.toHaveProperty('ip');
  });
});

/** Pins the plan on an empty cloud, creates its networks, then lets "another execution" take `ip`. */
async function pinnedWithIntruderAt(ip: string) {
  const store = new MemoryStore();
  const cloud = new ControlPlane({ store });
  const { document, pinned } = pinAddresses(
    PLAN,
    (await validatePlan(store, PLAN, { steps })).summary?.addresses ?? {},
  );
  await applyPinnedStep(cloud, document, pinned, 'networks', { execution: 'e1' });
  const [subnet] = await store.list({ type: 'subnet' });
  await cloud.createServer(
    { name: 'intruder', subnetId: subnet?.id ?? '', ip },
    { plan: 'other', clientToken: 'other' },
  );
  return { store, cloud, document, pinned };
}

describe('applyPinnedStep', () => {
  it('falls back to automatic assignment when a pinned address was taken meanwhile, and a re-run converges', async () => {
    // Prepare: ECS-B was pinned to 10.0.0.3, which another execution takes first.
    const { store, cloud, document, pinned } = await pinnedWithIntruderAt('10.0.0.3');

    // Act
    await applyPinnedStep(cloud, document, pinned, 'servers', { execution: 'e1' });
    const again = await applyPinnedStep(cloud, document, pinned, 'servers', { execution: 'e1' });

    // Assess
    const servers = await store.list({ plan: 'pinning', type: 'server' });
    const ips = servers.map((s) => (s.type === 'server' ? s.ip : ''));
    expect(ips).toContain('10.0.0.2');
    expect(ips).not.toContain('10.0.0.3');
    expect(servers).toHaveLength(2);
    expect(Object.keys(again.resources.servers ?? {}).sort()).toEqual(['ECS-B', 'ECS-C']);
  });

  it('does not swallow a conflict on an address the user chose', async () => {
    const { cloud, document, pinned } = await pinnedWithIntruderAt('10.0.0.2');

    await expect(
      applyPinnedStep(cloud, document, pinned, 'servers', { execution: 'e1' }),
    ).rejects.toMatchObject({
      name: 'IP_IN_USE',
      path: expect.stringMatching(/^servers\[1\]/),
    });
  });
});
