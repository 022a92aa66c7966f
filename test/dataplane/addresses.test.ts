/**
 * The data plane's loopback pool (127.77/16, 65,024 host addresses) never runs out on a long-running
 * stack: addresses of resources that are gone are given back, and reused only once the fresh ones are
 * used up, oldest release first.
 */
import { describe, expect, it } from 'vitest';
import { LoopbackAllocator } from '../../src/local-dataplane/addresses.ts';

const POOL = 254 * 256;

describe('Module: LoopbackAllocator', () => {
  it('hands out fresh addresses first, then released ones oldest first, and fails only when all are in use', () => {
    const pool = new LoopbackAllocator('127.77');
    const first = pool.allocate('vpc-1', '10.0.0.1');
    const second = pool.allocate('vpc-1', '10.0.0.2');
    expect([first, second]).toEqual(['127.77.0.1', '127.77.0.2']);
    pool.release('vpc-1', '10.0.0.1');
    pool.release('vpc-1', '10.0.0.2');
    expect(pool.lookup('vpc-1', '10.0.0.1')).toBeUndefined();
    expect(pool.reverse('127.77.0.1')).toBeUndefined();
    // Fresh addresses before any reuse: a stale client cannot reach a newcomer while fresh ones last.
    expect(pool.allocate('vpc-2', '10.0.0.1')).toBe('127.77.0.3');
    for (let i = 3; i < POOL; i++) pool.allocate('fill', String(i));
    expect(pool.size).toBe(POOL - 2);
    expect(pool.allocate('vpc-3', '10.0.0.1')).toBe(first);
    expect(pool.allocate('vpc-3', '10.0.0.2')).toBe(second);
    expect(pool.reverse(first)).toEqual({ vpcId: 'vpc-3', ip: '10.0.0.1' });
    expect(() => pool.allocate('vpc-4', '10.0.0.1')).toThrow(/exhausted/);
  });

  it('serves many more resources over its life than it has addresses, while few exist at once', () => {
    const pool = new LoopbackAllocator();
    // 200,000 short-lived virtual addresses, 100 alive at a time: 3× the pool.
    for (let i = 0; i < 200_000; i++) {
      pool.allocate(`vpc-${i}`, '10.0.0.5');
      if (i >= 100) pool.release(`vpc-${i - 100}`, '10.0.0.5');
    }
    expect(pool.size).toBe(100);
    const keep = new Set([`vpc-${199_999}|10.0.0.5`]);
    pool.retain(keep);
    expect(pool.size).toBe(1);
    expect(pool.lookup('vpc-199999', '10.0.0.5')).toMatch(/^127\.77\./);
  });
});

describe('DataPlane: addresses of resources that go', () => {
  it('are given back by the next sync, full or scoped', async () => {
    const { DataPlane } = await import('../../src/local-dataplane/index.ts');
    const { fixtures } = await import('../store/contract.ts');
    const plane = new DataPlane();
    try {
      const tip = fixtures.transitIp('tip-1', 'subnet-1', { plan: 'a' });
      const gw = fixtures.gateway('pnat-1', 'subnet-2', { plan: 'b' });
      await plane.sync([tip, gw]);
      expect(plane.loopbackAddresses).toBe(2);
      await plane.syncScopeFrom(async () => ({ resources: [], inScope: (r) => r.plan === 'a' })); // plan a torn down
      expect(plane.loopbackAddresses).toBe(1);
      expect(plane.map().addresses.map((a) => a.name)).toEqual(['pnat-1']);
      await plane.sync([]);
      expect(plane.loopbackAddresses).toBe(0);
    } finally {
      await plane.close();
    }
  });
});
