/**
 * Scoped reads for probes and verification (src/probe/scope.ts): the connected component over
 * references, never another plan's unrelated resources, and the whole store only when a name is unknown.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/cloud/memory-store.ts';
import { type Resource, referencesOf } from '../../src/cloud/resources.ts';
import { connectedResources, inScopeOf, planScope, probeScope } from '../../src/probe/scope.ts';
import { fixtures } from '../store/contract.ts';

const server = (id: string, subnetId: string, plan: string, name = id): Resource => ({
  ...fixtures.vpc(id, { plan }),
  name,
  type: 'server',
  vpcId: 'vpc-x',
  subnetId,
  ip: '10.0.0.5',
  securityGroupIds: [],
  apps: [],
});

async function world(): Promise<MemoryStore> {
  const store = new MemoryStore();
  const all: Resource[] = [
    fixtures.vpc('vpc-a', { plan: 'a' }),
    fixtures.subnet('subnet-a', 'vpc-a', { plan: 'a' }),
    server('ecs-a', 'subnet-a', 'a', 'ECS'),
    fixtures.transitIp('tip-a', 'subnet-a', { plan: 'a' }),
    // Plan c adds a rule on plan a's transit IP: connected to a.
    fixtures.dnatRule('dnat-c', 'tip-a', 8080, { plan: 'c' }),
    // Plan b: its own VPC, unrelated.
    fixtures.vpc('vpc-b', { plan: 'b' }),
    fixtures.subnet('subnet-b', 'vpc-b', { plan: 'b' }),
    server('ecs-b', 'subnet-b', 'b', 'ECS'),
  ];
  await store.transaction([], async (tx) => {
    for (const r of all) await tx.insert(r, { keys: [], refs: referencesOf(r) });
  });
  return store;
}

const ids = (rs: readonly Resource[]) => rs.map((r) => r.id).sort();

describe('Module: probe scope', () => {
  it('holds what is connected by references either way, and nothing else', async () => {
    const store = await world();
    expect(ids(await planScope(store, 'a'))).toEqual(['dnat-c', 'ecs-a', 'subnet-a', 'tip-a', 'vpc-a']);
    expect(ids(await planScope(store, 'c'))).toEqual(['dnat-c', 'ecs-a', 'subnet-a', 'tip-a', 'vpc-a']);
    expect(ids(await planScope(store, 'b'))).toEqual(['ecs-b', 'subnet-b', 'vpc-b']);
    expect(await planScope(store, 'nobody')).toEqual([]);
    expect(ids(await connectedResources(store, []))).toEqual([]);
  });

  it('scopes a probe to its source and named destination, by id or by name within a plan', async () => {
    const store = await world();
    expect(ids(await probeScope(store, { from: 'ecs-a', to: '192.168.0.144' }))).toHaveLength(5);
    expect(ids(await probeScope(store, { from: 'ECS', to: 'tip-a', plan: 'a' }))).toHaveLength(5);
    // A name in two plans without a plan: both components, so the probe reports the ambiguity itself.
    expect(ids(await probeScope(store, { from: 'ECS', to: '10.0.0.9' }))).toHaveLength(8);
    // An unknown name: the whole store, so the probe's NOT_FOUND is what it always was.
    expect(await probeScope(store, { from: 'nobody', to: '10.0.0.9' })).toHaveLength(8);
    expect(await probeScope(store, { from: 'ecs-a', to: 'no-such-tip' })).toHaveLength(8);
  });

  it('replaces a plan’s resources and its scope in a scoped data-plane sync', () => {
    const inScope = inScopeOf('a', [fixtures.vpc('vpc-z', { plan: 'z' })]);
    expect(inScope(fixtures.vpc('gone', { plan: 'a' }))).toBe(true);
    expect(inScope(fixtures.vpc('vpc-z', { plan: 'z' }))).toBe(true);
    expect(inScope(fixtures.vpc('other', { plan: 'b' }))).toBe(false);
    expect(inScopeOf(undefined, [])(fixtures.vpc('x', { plan: 'a' }))).toBe(false);
  });
});
