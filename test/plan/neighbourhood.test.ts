/**
 * `loadNeighbourhood`: the part of the store a preview reads must give the path analysis exactly the
 * answers the whole store gives — every hop, verdict and code — for every source server of the transit
 * VPC and every port, on a store shared by several plans (a load balancer target, server targets, an
 * all-ports rule, an address target, a second gateway on the same transit IP's VPC).
 */
import { describe, expect, it } from 'vitest';
import { loadNeighbourhood } from '../../src/plan/neighbourhood.ts';
import { analyze } from '../../src/probe/analyze.ts';
import { Topology } from '../../src/probe/model.ts';
import { addRulePlan, allPortsPlan, provision, referenceStore } from './scenarios.ts';

describe('loadNeighbourhood', () => {
  it('answers every path of the seed transit IPs as the whole store does', async () => {
    // Prepare: the reference, a second rule to ECS-B, an all-ports plan, and an address target.
    const { store } = await referenceStore();
    await provision(store, addRulePlan({}));
    await provision(
      store,
      allPortsPlan(
        [
          { protocol: 'http', port: 80 },
          { protocol: 'udp', port: 53 },
        ],
        [{ protocol: 'tcp', ports: '80', source: '10.9.0.0/16' }],
      ),
    );
    await provision(
      store,
      addRulePlan(
        { transitPort: 9090, internalPort: 80, target: { ip: '10.0.0.2' } },
        { name: 'by-address' },
      ),
    );
    const whole = Topology.from(await store.list());
    const tips = whole.ofType('transit-ip');
    expect(tips.length).toBe(2);
    for (const tip of tips) {
      // Act
      const part = await loadNeighbourhood(store, { transitIpIds: [tip.id] });
      // Assess: a strict part of the store, and the same analysis for each server, port and transport.
      expect(part.size).toBeLessThan(whole.size);
      const servers = whole.ofType('server').filter((s) => s.vpcId === tip.vpcId);
      expect(servers.length).toBeGreaterThan(0);
      for (const server of servers) {
        for (const port of [22, 53, 80, 443, 8080, 9090]) {
          for (const protocol of ['tcp', 'udp', 'http'] as const) {
            const request = { from: server.id, to: tip.ip, protocol, port };
            expect(analyze(part, request)).toEqual(analyze(whole, request));
          }
        }
      }
    }
  });

  it('loads nothing for an id the store does not hold', async () => {
    const { store } = await referenceStore();
    expect((await loadNeighbourhood(store, { transitIpIds: ['tip-missing'] })).size).toBe(0);
  });
});
