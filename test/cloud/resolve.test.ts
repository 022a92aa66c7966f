/**
 * What a user typed for a resource, to one resource (src/cloud/resolve.ts, docs/cli.md "Names"): an id
 * (natflow's or the cloud's), `PLAN/NAME`, or a name — and an ambiguous name refused with every
 * candidate ready to copy: `PLAN/NAME`, or the id of one that belongs to no plan.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/cloud/memory-store.ts';
import { chooseResource, labelOf, resolveResource, splitQualified } from '../../src/cloud/resolve.ts';
import type { Resource } from '../../src/cloud/resources.ts';
import { Topology } from '../../src/probe/model.ts';
import { errorOf, newCloud } from './world.ts';

describe('Function: resolveResource', () => {
  it('resolves ids and unique names; lists the ids of an ambiguous name', async () => {
    const { cloud, store } = newCloud();
    const a = await cloud.createVpc({ name: 'shared', cidr: '10.0.0.0/16' }, { plan: 'p1' });
    const b = await cloud.createVpc({ name: 'shared', cidr: '10.0.0.0/16' }, { plan: 'p2' });
    expect((await resolveResource(store, 'vpc', a.id)).id).toBe(a.id);
    expect((await resolveResource(store, 'vpc', 'shared', 'p2')).id).toBe(b.id);
    expect(await errorOf(resolveResource(store, 'vpc', 'shared'))).toMatchObject({
      name: 'AMBIGUOUS_NAME',
      details: { ids: [a.id, b.id] },
    });
    expect((await errorOf(resolveResource(store, ['subnet', 'server'], a.id))).name).toBe('NOT_FOUND');
    expect((await errorOf(resolveResource(new MemoryStore(), 'vpc', 'nothing'))).name).toBe('NOT_FOUND');
  });

  it('resolves PLAN/NAME, and names each candidate of an ambiguous name ready to copy', async () => {
    // Prepare: ECS-A of plan p1, and one created outside any plan (the local Huawei API's way).
    const { cloud, store } = newCloud();
    const vpc = await cloud.createVpc({ name: 'v', cidr: '10.0.0.0/16' }, { plan: 'p1' });
    const subnet = await cloud.createSubnet(
      { name: 's', vpcId: vpc.id, cidr: '10.0.0.0/24' },
      { plan: 'p1' },
    );
    const planned = await cloud.createServer({ name: 'ECS-A', subnetId: subnet.id }, { plan: 'p1' });
    const loose = await cloud.createServer({ name: 'ECS-A', subnetId: subnet.id });

    // Act
    const error = await errorOf(resolveResource(store, 'server', 'ECS-A'));

    // Assess
    expect(error).toMatchObject({
      name: 'AMBIGUOUS_NAME',
      details: { candidates: ['p1/ECS-A', loose.id], ids: [planned.id, loose.id] },
    });
    expect(error.message).toContain(`p1/ECS-A, ${loose.id} (server in no plan)`);
    // Each candidate, as listed, names its resource.
    expect((await resolveResource(store, 'server', 'p1/ECS-A')).id).toBe(planned.id);
    expect((await resolveResource(store, 'server', loose.id)).id).toBe(loose.id);
    expect((await errorOf(resolveResource(store, 'server', 'p2/ECS-A'))).name).toBe('NOT_FOUND');
  });

  it('resolves a resource by its id in its cloud (externalId)', async () => {
    const { cloud, store } = newCloud();
    const vpc = await cloud.createVpc({ name: 'v', cidr: '10.0.0.0/16' }, { plan: 'p1' });
    expect(vpc.externalId).toEqual(expect.any(String));
    expect((await resolveResource(store, 'vpc', vpc.externalId as string)).id).toBe(vpc.id);
  });
});

describe('Function: chooseResource', () => {
  const resource = (id: string, name: string, plan?: string): Resource =>
    ({ id, name, type: 'server', ...(plan ? { plan } : {}) }) as unknown as Resource;

  it.each([
    { name: 'one name match', found: { named: [resource('s1', 'a', 'p')] }, id: 's1' },
    {
      name: 'an id over names',
      found: { byId: resource('s9', 'x'), named: [resource('s1', 'a')] },
      id: 's9',
    },
    {
      name: 'a qualified match over names',
      found: {
        qualified: [resource('s2', 'a', 'p')],
        named: [resource('s1', 'a'), resource('s2', 'a', 'p')],
      },
      id: 's2',
    },
  ])('picks $name', ({ found, id }) => {
    expect(chooseResource('a', ['server'], found).id).toBe(id);
  });

  it('within a plan: strictly, or preferring it', () => {
    const found = { named: [resource('s1', 'a', 'p1'), resource('s2', 'a', 'p2')] };
    expect(chooseResource('a', ['server'], found, { plan: 'p2' }).id).toBe('s2');
    expect(() => chooseResource('a', ['server'], found, { plan: 'p3' })).toThrow(
      expect.objectContaining({ name: 'NOT_FOUND' }),
    );
    expect(() => chooseResource('a', ['server'], found, { plan: 'p3', scope: 'prefer' })).toThrow(
      expect.objectContaining({ name: 'AMBIGUOUS_NAME' }),
    );
  });

  it('labels two of one name in one plan by their ids', () => {
    const twins = [resource('s1', 'a', 'p'), resource('s2', 'a', 'p'), resource('s3', 'a', 'q')];
    expect(twins.map((r) => labelOf(r, twins))).toEqual(['s1', 's2', 'q/a']);
  });
});

describe('Function: splitQualified', () => {
  it.each([
    ['app-a-to-elb01/ECS-A', { plan: 'app-a-to-elb01', name: 'ECS-A' }],
    ['p/a/b', { plan: 'p', name: 'a/b' }],
    ['ECS-A', undefined],
    ['/ECS-A', undefined],
    ['p/', undefined],
    ['Not A Plan/x', undefined],
  ])('%s', (text, expected) => {
    expect(splitQualified(text)).toEqual(expected);
  });
});

describe('the probe model resolves names by the same rules', () => {
  it('PLAN/NAME, an external id, and an ambiguous name listed ready to copy', async () => {
    const { cloud, store } = newCloud();
    const vpc = await cloud.createVpc({ name: 'v', cidr: '10.0.0.0/16' }, { plan: 'p1' });
    const subnet = await cloud.createSubnet(
      { name: 's', vpcId: vpc.id, cidr: '10.0.0.0/24' },
      { plan: 'p1' },
    );
    const planned = await cloud.createServer({ name: 'ECS-A', subnetId: subnet.id }, { plan: 'p1' });
    const loose = await cloud.createServer({ name: 'ECS-A', subnetId: subnet.id });
    const topology = Topology.from(await store.list());
    expect(topology.resolve(['server'], 'p1/ECS-A').id).toBe(planned.id);
    expect(topology.resolve(['server'], loose.externalId as string).id).toBe(loose.id);
    expect(() => topology.resolve(['server'], 'ECS-A')).toThrow(
      expect.objectContaining({
        name: 'AMBIGUOUS_NAME',
        details: expect.objectContaining({ candidates: ['p1/ECS-A', loose.id] }),
      }),
    );
  });
});
