/**
 * natflow sends no packet into a real VPC (docs/real-cloud.md "Verification output"): a probe of what a
 * real cloud holds — whatever cloud the caller names — is the analysis of natflow's model, said so in
 * the report's note when no mode was asked, and refused LIVE_PROBE_UNAVAILABLE when `live` or `both`
 * was asked explicitly; the data plane is never asked to send.
 */
import { describe, expect, it } from 'vitest';
import type { Resource } from '../../src/cloud/resources.ts';
import type { LiveNetwork } from '../../src/probe/live.ts';
import { Topology } from '../../src/probe/model.ts';
import { modeFor, probe } from '../../src/probe/probe.ts';
import { referenceWorld } from '../cloud/world.ts';

/** The reference world, every resource recorded in huaweicloud (as its provider records them). */
async function huaweiWorld(): Promise<Topology> {
  const world = await referenceWorld();
  const rule = await world.cloud.createDnatRule({
    gatewayId: world.gateway.id,
    transitIpId: world.tip.id,
    protocol: 'tcp',
    transitPort: 80,
    internalPort: 80,
    target: { loadBalancerId: world.elb.id },
  });
  await world.cloud.activate(rule.id);
  // With Huawei's ids, as the provider records what the cloud confirmed (a record still carrying the id
  // derived from its natflow id is an intent the cloud never confirmed: src/cloud/intent.ts).
  const resources = (await world.store.list()).map(
    (r) => ({ ...r, cloud: 'huaweicloud', externalId: `hw-${r.id}` }) as Resource,
  );
  return Topology.from(resources);
}

/** A data plane that fails the test if it is ever asked to send. */
const untouchable: LiveNetwork = {
  sync: async () => {
    throw new Error('the data plane must not be synced for a real cloud');
  },
  send: async () => {
    throw new Error('no packet may be sent into a real VPC');
  },
} as unknown as LiveNetwork;

const REQUEST = { from: 'ECS-A', to: 'transit-ip-A', protocol: 'http' as const, port: 80 };

describe('a probe of resources recorded in a real cloud', () => {
  it('without a mode: the analysis, and a note saying no packet was sent', async () => {
    // Act
    const report = await probe(await huaweiWorld(), REQUEST, { dataPlane: untouchable });

    // Assess
    expect(report).toMatchObject({ verdict: 'REACHABLE', mode: 'analyze' });
    expect(report.live).toBeUndefined();
    expect(report.note).toMatch(/^ECS-A \([a-z]+-[0-9a-f]+\) is recorded in huaweicloud: .*no packet/);
  });

  it.each(['live', 'both'] as const)('with --mode %s: LIVE_PROBE_UNAVAILABLE, saying why', async (mode) => {
    const topology = await huaweiWorld();
    await expect(probe(topology, { ...REQUEST, mode }, { dataPlane: untouchable })).rejects.toMatchObject({
      name: 'LIVE_PROBE_UNAVAILABLE',
      message: expect.stringContaining('natflow sends no packet into a real VPC'),
      details: { cloud: 'huaweicloud' },
    });
  });

  it('with --mode analyze: the analysis, with no note (nothing was changed)', async () => {
    const report = await probe(await huaweiWorld(), { ...REQUEST, mode: 'analyze' });
    expect(report).toMatchObject({ verdict: 'REACHABLE', mode: 'analyze' });
    expect(report.note).toBeUndefined();
  });

  it('leaves a probe of the virtual cloud as it was asked', async () => {
    const world = await referenceWorld();
    const topology = Topology.from(await world.store.list());
    expect(modeFor(topology, { ...REQUEST, mode: 'live' })).toEqual({
      request: { ...REQUEST, mode: 'live' },
    });
    expect(modeFor(topology, REQUEST).note).toBeUndefined();
  });
});
