/**
 * The virtual cloud (`ControlPlane`) keeps the cloud port's contract — with and without a provisioning
 * delay, so readiness is really asynchronous in one of the two runs.
 */
import { describe, expect, it } from 'vitest';
import type { Cloud } from '../../src/cloud/cloud.ts';
import { dryRunOf, isCloud } from '../../src/cloud/dry-run.ts';
import { describeCloudContract } from './cloud-contract.ts';
import { newCloud } from './world.ts';

describeCloudContract('virtual', async () => {
  const { cloud } = newCloud();
  return { cloud, settle: async () => {} };
});

describeCloudContract('virtual with a 30 s provisioning delay', async () => {
  const { cloud, clock } = newCloud({ provisioningDelayMs: 30_000 });
  return { cloud, settle: async () => clock.advance(10_000) };
});

describe('Module: dry-run', () => {
  it('reads a bare store as the virtual cloud, and asks a cloud for its own sandbox', async () => {
    const { cloud, store } = newCloud();
    const vpc = await cloud.createVpc({ name: 'VPC-A', cidr: '192.168.0.0/16' });
    expect(isCloud(cloud)).toBe(true);
    expect(isCloud(store)).toBe(false);
    const fromStore = await dryRunOf(store, { plan: 'p' });
    expect(fromStore.cloud.name).toBe('virtual');
    expect([...fromStore.before]).toEqual([vpc.id]);
    let asked = 0;
    const own: Cloud = Object.assign(Object.create(cloud) as Cloud, {
      dryRun: async () => {
        asked++;
        return { cloud, before: new Set<string>() };
      },
    });
    expect((await dryRunOf(own, { plan: 'p' })).before.size).toBe(0);
    expect(asked).toBe(1);
  });
});
