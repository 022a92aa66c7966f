/** Resolving an `existing:` reference: an id, or a name unique among the resources of its type. */
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/cloud/memory-store.ts';
import { resolveResource } from '../../src/cloud/resolve.ts';
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
});
