/**
 * Every provider of the registry keeps the cloud port's contract (cloud-contract.ts): each registered
 * name has its fixtures below, and a provider registered without one fails here. The virtual cloud runs
 * with and without a provisioning delay, so readiness is really asynchronous in one of the two runs; the
 * Huawei provider runs over signed HTTP against natflow's local Huawei Cloud API.
 */
import { describe, expect, it } from 'vitest';
import type { Cloud } from '../../src/cloud/cloud.ts';
import { dryRunOf, isCloud } from '../../src/cloud/dry-run.ts';
import { MemoryStore } from '../../src/cloud/memory-store.ts';
import { ManualClock } from '../../src/net/clock.ts';
import { CLOUD_NAMES, type CloudName, openCloud } from '../../src/providers/registry.ts';
import { huaweiCloudContractWorld } from '../providers/huaweicloud/contract-world.ts';
import { type ContractWorld, describeCloudContract } from './cloud-contract.ts';
import { newCloud, T0 } from './world.ts';

interface Fixture {
  label: string;
  world: () => Promise<ContractWorld>;
}

/** The virtual cloud opened through the registry, on a manual clock. */
function virtualWorld(provisioningDelayMs: number, step: number): () => Promise<ContractWorld> {
  return async () => {
    const clock = new ManualClock(T0);
    const cloud = await openCloud('virtual', {
      store: new MemoryStore(),
      clock,
      env: {},
      provisioningDelayMs,
    });
    return { cloud, settle: async () => clock.advance(step) };
  };
}

/** One entry per registered provider (a missing one fails `tsc` and the check below). */
const FIXTURES: Readonly<Record<CloudName, readonly Fixture[]>> = {
  virtual: [
    { label: 'virtual', world: virtualWorld(0, 0) },
    { label: 'virtual with a 30 s provisioning delay', world: virtualWorld(30_000, 10_000) },
  ],
  huaweicloud: [
    {
      label: 'huaweicloud through the local Huawei Cloud API (signed HTTP)',
      world: huaweiCloudContractWorld(0),
    },
    {
      label: 'huaweicloud through the local Huawei Cloud API, settling in 40 ms',
      world: huaweiCloudContractWorld(40),
    },
  ],
};

describe('the cloud contract suite', () => {
  it('has fixtures for every registered provider, and for no other name', () => {
    expect(Object.keys(FIXTURES).sort()).toEqual([...CLOUD_NAMES].sort());
    for (const name of CLOUD_NAMES) expect(FIXTURES[name]?.length ?? 0, name).toBeGreaterThan(0);
  });
});

for (const name of CLOUD_NAMES) {
  for (const fixture of FIXTURES[name] ?? []) describeCloudContract(fixture.label, fixture.world);
}

describe('Module: dry-run', () => {
  it('reads a bare store as the virtual cloud, and asks a cloud for its own sandbox', async () => {
    const { cloud, store } = newCloud();
    const vpc = await cloud.createVpc({ name: 'VPC-A', cidr: '192.168.0.0/16' }, { plan: 'p' });
    await cloud.createVpc({ name: 'VPC-B', cidr: '10.0.0.0/16' }, { plan: 'other' });
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
