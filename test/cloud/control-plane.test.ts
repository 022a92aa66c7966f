/**
 * The control plane's rules (docs/error-codes.md#rules-the-control-plane-enforces), each triggered and asserted by its code, on the reference
 * topology of `world.ts`: VPC-A 192.168.0.0/16 with the transit IP 192.168.0.144, VPC-B 10.0.0.0/16 with
 * ECS-B, ELB01 and the ACTIVE private NAT gateway.
 */
import { describe, expect, it } from 'vitest';
import { ControlPlane, type DnatRuleInput } from '../../src/cloud/control-plane.ts';
import type { MemoryStore } from '../../src/cloud/memory-store.ts';
import type { DnatRule, PrivateNatGateway } from '../../src/cloud/resources.ts';
import type { Store, StoreTx } from '../../src/cloud/store.ts';
import { errorOf, newCloud, referenceWorld } from './world.ts';

type World = Awaited<ReturnType<typeof referenceWorld>>;

const dnat = (w: World, overrides: Partial<DnatRuleInput> = {}): DnatRuleInput => ({
  gatewayId: w.gateway.id,
  transitIpId: w.tip.id,
  protocol: 'tcp',
  transitPort: 80,
  internalPort: 80,
  target: { loadBalancerId: w.elb.id },
  ...overrides,
});

describe('Class: ControlPlane', () => {
  describe('addresses of the reference topology', () => {
    it('assigns the lowest free addresses in creation order and copies addresses into the DNAT rule', async () => {
      // Prepare
      const w = await referenceWorld();
      // Act
      const rule = await w.cloud.createDnatRule(dnat(w));
      // Assess
      expect(w.subnetB.gatewayIp).toBe('10.0.0.1');
      expect(w.ecsA.ip).toBe('192.168.0.2');
      expect(w.ecsB.ip).toBe('10.0.0.2');
      expect([w.elb.ip, w.elb.backendIp]).toEqual(['10.0.0.3', '10.0.0.4']);
      expect(w.gateway.downlinkIp).toBe('10.0.0.5');
      expect(rule).toMatchObject({
        status: 'PENDING',
        transitIp: '192.168.0.144',
        target: { kind: 'load-balancer', loadBalancerId: w.elb.id, ip: '10.0.0.3' },
      });
      expect((await w.cloud.activate(rule.id)).status).toBe('ACTIVE');
    });

    it("gives a server its own security group: each app's port from its VPC", async () => {
      const w = await referenceWorld();
      const group = await w.cloud.require(w.ecsB.securityGroupIds[0] as string, 'security-group');
      expect(group.inbound).toEqual([{ protocol: 'tcp', fromPort: 80, toPort: 80, source: '10.0.0.0/16' }]);
    });
  });

  describe('network rules', () => {
    it.each([
      { cidr: '10.0.0.0', code: 'INVALID_CIDR' },
      { cidr: '10.0.0.1/16', code: 'INVALID_CIDR' },
      { cidr: '8.8.0.0/16', code: 'CIDR_OUT_OF_RANGE' },
      { cidr: '10.0.0.0/29', code: 'CIDR_OUT_OF_RANGE' },
      { cidr: '0.0.0.0/0', code: 'CIDR_OUT_OF_RANGE' },
    ])('refuses VPC $cidr with $code', async ({ cidr, code }) => {
      const { cloud, store } = newCloud();
      const error = await errorOf(cloud.createVpc({ name: 'v', cidr }, { path: 'vpcs[0]' }));
      expect(error).toMatchObject({ name: code, path: 'vpcs[0].cidr' });
      expect(await store.list()).toEqual([]);
    });

    it.each([
      { cidr: '192.168.0.0/24', code: 'SUBNET_OVERLAP' },
      { cidr: '192.168.0.128/25', code: 'SUBNET_OVERLAP' },
      { cidr: '192.168.0.0/23', code: 'SUBNET_OVERLAP' },
      { cidr: '10.0.1.0/24', code: 'CIDR_OUT_OF_RANGE' },
      { cidr: '192.168.1.0/30', code: 'CIDR_OUT_OF_RANGE' },
      { cidr: '192.168.1.1/24', code: 'INVALID_CIDR' },
    ])('refuses subnet $cidr in VPC-A with $code', async ({ cidr, code }) => {
      const w = await referenceWorld();
      const error = await errorOf(w.cloud.createSubnet({ name: 's', vpcId: w.vpcA.id, cidr }));
      expect(error.name).toBe(code);
    });

    it('accepts a /29 subnet and a /16 one', async () => {
      const w = await referenceWorld();
      await w.cloud.createSubnet({ name: 'small', vpcId: w.vpcA.id, cidr: '192.168.1.0/29' });
      const { cloud } = newCloud();
      const vpc = await cloud.createVpc({ name: 'big', cidr: '172.16.0.0/12' });
      await cloud.createSubnet({ name: 'wide', vpcId: vpc.id, cidr: '172.16.0.0/16' });
    });

    it('lets VPCs share a CIDR (they are separate address spaces)', async () => {
      const { cloud } = newCloud();
      const left = await cloud.createVpc({ name: 'left', cidr: '10.0.0.0/16' });
      const right = await cloud.createVpc({ name: 'right', cidr: '10.0.0.0/16' });
      const a = await cloud.createSubnet({ name: 'a', vpcId: left.id, cidr: '10.0.0.0/24' });
      const b = await cloud.createSubnet({ name: 'b', vpcId: right.id, cidr: '10.0.0.0/24' });
      const s1 = await cloud.createServer({ name: 's1', subnetId: a.id, ip: '10.0.0.9' });
      const s2 = await cloud.createServer({ name: 's2', subnetId: b.id, ip: '10.0.0.9' });
      expect([s1.ip, s2.ip]).toEqual(['10.0.0.9', '10.0.0.9']);
    });
  });

  describe('address rules', () => {
    it.each([
      { ip: '10.0.1.5', code: 'IP_NOT_IN_SUBNET' },
      { ip: '10.0.0.0', code: 'IP_RESERVED' },
      { ip: '10.0.0.1', code: 'IP_RESERVED' },
      { ip: '10.0.0.253', code: 'IP_RESERVED' },
      { ip: '10.0.0.254', code: 'IP_RESERVED' },
      { ip: '10.0.0.255', code: 'IP_RESERVED' },
      { ip: '10.0.0.2', code: 'IP_IN_USE' },
      { ip: '10.0.0.4', code: 'IP_IN_USE' },
      { ip: '10.0.0.5', code: 'IP_IN_USE' },
      { ip: '10.0.0.300', code: 'INVALID_ADDRESS' },
    ])('refuses server address $ip in subnet-B01 with $code', async ({ ip, code }) => {
      const w = await referenceWorld();
      const error = await errorOf(
        w.cloud.createServer({ name: 'x', subnetId: w.subnetB.id, ip }, { path: 'servers[3]' }),
      );
      expect(error).toMatchObject({ name: code, path: 'servers[3].ip' });
    });

    it('refuses a transit IP already taken (IP_IN_USE) and an explicit downlink address that is reserved', async () => {
      const w = await referenceWorld();
      expect(
        (await errorOf(w.cloud.createTransitIp({ name: 't2', subnetId: w.subnetA.id, ip: '192.168.0.144' })))
          .name,
      ).toBe('IP_IN_USE');
      expect(
        (await errorOf(w.cloud.createGateway({ name: 'g2', subnetId: w.subnetB.id, downlinkIp: '10.0.0.1' })))
          .name,
      ).toBe('IP_RESERVED');
    });

    it('hands out a /29 subnet three addresses, then SUBNET_EXHAUSTED', async () => {
      const { cloud } = newCloud();
      const vpc = await cloud.createVpc({ name: 'v', cidr: '10.9.0.0/16' });
      const subnet = await cloud.createSubnet({ name: 's', vpcId: vpc.id, cidr: '10.9.0.0/29' });
      const ips = [];
      for (const name of ['a', 'b', 'c'])
        ips.push((await cloud.createServer({ name, subnetId: subnet.id })).ip);
      expect(ips).toEqual(['10.9.0.2', '10.9.0.3', '10.9.0.4']);
      const error = await errorOf(cloud.createTransitIp({ name: 'd', subnetId: subnet.id }));
      expect(error.name).toBe('SUBNET_EXHAUSTED');
    });

    it('skips the addresses the plan requests explicitly (avoid)', async () => {
      const w = await referenceWorld();
      const server = await w.cloud.createServer(
        { name: 'x', subnetId: w.subnetB.id },
        { avoid: ['10.0.0.6', '10.0.0.7', '192.168.0.6'] },
      );
      expect(server.ip).toBe('10.0.0.8');
    });

    it('frees an address when its holder is deleted', async () => {
      const w = await referenceWorld();
      const server = await w.cloud.createServer({ name: 'x', subnetId: w.subnetB.id, ip: '10.0.0.50' });
      await w.cloud.delete(server.id);
      await w.cloud.delete(server.securityGroupIds[0] as string);
      expect((await w.cloud.createServer({ name: 'y', subnetId: w.subnetB.id, ip: '10.0.0.50' })).ip).toBe(
        '10.0.0.50',
      );
    });
  });

  describe('DNAT rules', () => {
    it('TRANSIT_IP_IN_TARGET_VPC: a transit IP in the target VPC', async () => {
      const w = await referenceWorld();
      const tipB = await w.cloud.createTransitIp({ name: 'tip-b', subnetId: w.subnetB.id });
      const error = await errorOf(w.cloud.createDnatRule(dnat(w, { transitIpId: tipB.id }), { path: 'r' }));
      expect(error).toMatchObject({ name: 'TRANSIT_IP_IN_TARGET_VPC', path: 'r.target' });
    });

    it('TARGET_NOT_IN_GATEWAY_VPC: a server or an address outside the gateway VPC', async () => {
      const w = await referenceWorld();
      const vpcC = await w.cloud.createVpc({ name: 'VPC-C', cidr: '172.16.0.0/16' });
      const subnetC = await w.cloud.createSubnet({ name: 'c', vpcId: vpcC.id, cidr: '172.16.0.0/24' });
      const ecsC = await w.cloud.createServer({ name: 'ECS-C', subnetId: subnetC.id });
      expect((await errorOf(w.cloud.createDnatRule(dnat(w, { target: { serverId: ecsC.id } })))).name).toBe(
        'TARGET_NOT_IN_GATEWAY_VPC',
      );
      expect((await errorOf(w.cloud.createDnatRule(dnat(w, { target: { ip: '172.16.0.9' } })))).name).toBe(
        'TARGET_NOT_IN_GATEWAY_VPC',
      );
    });

    it('accepts a server target and a custom address inside the gateway VPC', async () => {
      const w = await referenceWorld();
      const toServer = await w.cloud.createDnatRule(dnat(w, { target: { serverId: w.ecsB.id } }));
      const toIp = await w.cloud.createDnatRule(dnat(w, { transitPort: 8080, target: { ip: '10.0.0.77' } }));
      expect(toServer.target).toEqual({ kind: 'server', serverId: w.ecsB.id, ip: '10.0.0.2' });
      expect(toIp.target).toEqual({ kind: 'ip', ip: '10.0.0.77' });
    });

    it('LB_ALREADY_MAPPED: a second rule to the same load balancer, even through another transit IP', async () => {
      const w = await referenceWorld();
      await w.cloud.createDnatRule(dnat(w));
      const tip2 = await w.cloud.createTransitIp({ name: 'tip-2', subnetId: w.subnetA.id });
      const error = await errorOf(
        w.cloud.createDnatRule(dnat(w, { transitIpId: tip2.id, transitPort: 8080 })),
      );
      expect(error.name).toBe('LB_ALREADY_MAPPED');
    });

    it('DNAT_PORT_CONFLICT: the same transit IP, protocol and port; UDP on the same port is fine', async () => {
      const w = await referenceWorld();
      const first = await w.cloud.createDnatRule(dnat(w, { target: { serverId: w.ecsB.id } }));
      const error = await errorOf(
        w.cloud.createDnatRule(dnat(w, { target: { ip: '10.0.0.9' } }), {
          path: 'privateNatGateways[0].dnatRules[1]',
        }),
      );
      expect(error).toMatchObject({
        name: 'DNAT_PORT_CONFLICT',
        path: 'privateNatGateways[0].dnatRules[1].transitPort',
        details: { conflictingId: first.id },
      });
      await w.cloud.createDnatRule(dnat(w, { protocol: 'udp', target: { ip: '10.0.0.9' } }));
    });

    it('PORT_TYPE_CONFLICT: all-ports and specific-port rules on one transit IP, both ways', async () => {
      const w = await referenceWorld();
      await w.cloud.createDnatRule(dnat(w, { target: { serverId: w.ecsB.id } }));
      const all = { protocol: 'any' as const, transitPort: 0, internalPort: 0, target: { ip: '10.0.0.9' } };
      expect((await errorOf(w.cloud.createDnatRule(dnat(w, all)))).name).toBe('PORT_TYPE_CONFLICT');
      const tip2 = await w.cloud.createTransitIp({ name: 'tip-2', subnetId: w.subnetA.id });
      await w.cloud.createDnatRule(dnat(w, { ...all, transitIpId: tip2.id }));
      expect(
        (
          await errorOf(
            w.cloud.createDnatRule(dnat(w, { transitIpId: tip2.id, target: { ip: '10.0.0.10' } })),
          )
        ).name,
      ).toBe('PORT_TYPE_CONFLICT');
      expect((await errorOf(w.cloud.createDnatRule(dnat(w, { ...all, transitIpId: tip2.id })))).name).toBe(
        'DNAT_PORT_CONFLICT',
      );
    });

    it.each([
      { protocol: 'tcp' as const, transitPort: 0, internalPort: 80 },
      { protocol: 'udp' as const, transitPort: 80, internalPort: 70000 },
      { protocol: 'any' as const, transitPort: 80, internalPort: 80 },
      { protocol: 'any' as const, transitPort: 0, internalPort: 22 },
    ])('INVALID_PORT_SPEC: $protocol $transitPort → $internalPort', async (ports) => {
      const w = await referenceWorld();
      const error = await errorOf(
        w.cloud.createDnatRule(dnat(w, { ...ports, target: { serverId: w.ecsB.id } })),
      );
      expect(error.name).toBe('INVALID_PORT_SPEC');
    });

    it('INVALID_ADDRESS: a target address that is no address', async () => {
      const w = await referenceWorld();
      const error = await errorOf(
        w.cloud.createDnatRule(dnat(w, { target: { ip: '10.0.0' } }), { path: 'r' }),
      );
      expect(error).toMatchObject({ name: 'INVALID_ADDRESS', path: 'r.target.ip' });
    });

    it('TRANSIT_IP_SHARED: SNAT and DNAT rules on one transit IP, unless the gateway allows it', async () => {
      const w = await referenceWorld();
      await w.cloud.createSnatRule({
        gatewayId: w.gateway.id,
        subnetId: w.subnetB.id,
        transitIpId: w.tip.id,
      });
      expect((await errorOf(w.cloud.createDnatRule(dnat(w)))).name).toBe('TRANSIT_IP_SHARED');
      const open = await w.cloud.createGateway({
        name: 'open',
        subnetId: w.subnetB.id,
        allowSharedTransitIp: true,
      });
      await w.cloud.activate(open.id);
      await w.cloud.createDnatRule(dnat(w, { gatewayId: open.id }));
    });

    it('TRANSIT_IP_SHARED: an SNAT rule on a transit IP a DNAT rule uses', async () => {
      const w = await referenceWorld();
      await w.cloud.createDnatRule(dnat(w));
      const error = await errorOf(
        w.cloud.createSnatRule({ gatewayId: w.gateway.id, cidr: '10.0.0.0/24', transitIpId: w.tip.id }),
      );
      expect(error.name).toBe('TRANSIT_IP_SHARED');
    });

    it('GATEWAY_NOT_ACTIVE: a PENDING gateway, then a frozen one', async () => {
      const w = await referenceWorld();
      const pending = await w.cloud.createGateway({ name: 'g2', subnetId: w.subnetB.id });
      expect((await errorOf(w.cloud.createDnatRule(dnat(w, { gatewayId: pending.id })))).name).toBe(
        'GATEWAY_NOT_ACTIVE',
      );
      await w.cloud.freeze(w.gateway.id);
      expect((await errorOf(w.cloud.createDnatRule(dnat(w)))).name).toBe('GATEWAY_NOT_ACTIVE');
      await w.cloud.unfreeze(w.gateway.id);
      await w.cloud.createDnatRule(dnat(w));
    });

    it('QUOTA_EXCEEDED: a Small gateway takes 20 rules, SNAT and DNAT together', async () => {
      const w = await referenceWorld();
      for (let port = 1; port <= 19; port++) {
        await w.cloud.createDnatRule(
          dnat(w, { transitPort: port, internalPort: port, target: { ip: `10.0.1.${port}` } }),
        );
      }
      const tip2 = await w.cloud.createTransitIp({ name: 'snat-tip', subnetId: w.subnetA.id });
      await w.cloud.createSnatRule({ gatewayId: w.gateway.id, subnetId: w.subnetB.id, transitIpId: tip2.id });
      const error = await errorOf(
        w.cloud.createDnatRule(dnat(w, { transitPort: 999, target: { ip: '10.0.1.99' } })),
      );
      expect(error).toMatchObject({ name: 'QUOTA_EXCEEDED', details: { limit: 20 } });
    });

    it('checks the rules in the order of the table: the first broken one is reported', async () => {
      // Prepare: a rule that breaks DNAT_PORT_CONFLICT, INVALID_PORT_SPEC and GATEWAY_NOT_ACTIVE at once.
      const w = await referenceWorld();
      await w.cloud.createDnatRule(dnat(w, { target: { ip: '10.0.0.9' } }));
      await w.cloud.freeze(w.gateway.id);
      // Act
      const error = await errorOf(
        w.cloud.createDnatRule(dnat(w, { internalPort: 0, target: { ip: '10.0.0.10' } })),
      );
      // Assess
      expect(error.name).toBe('DNAT_PORT_CONFLICT');
    });
  });

  describe('SNAT rules', () => {
    it('SNAT_SOURCE_CONFLICT: one rule per subnet, no equal CIDRs; a proper subset is fine', async () => {
      const w = await referenceWorld();
      const tips = [];
      for (const name of ['s1', 's2', 's3', 's4']) {
        tips.push(await w.cloud.createTransitIp({ name, subnetId: w.subnetA.id }));
      }
      const [t1, t2, t3, t4] = tips.map((t) => t.id) as [string, string, string, string];
      await w.cloud.createSnatRule({ gatewayId: w.gateway.id, subnetId: w.subnetB.id, transitIpId: t1 });
      expect(
        (
          await errorOf(
            w.cloud.createSnatRule({ gatewayId: w.gateway.id, subnetId: w.subnetB.id, transitIpId: t2 }),
          )
        ).name,
      ).toBe('SNAT_SOURCE_CONFLICT');
      expect(
        (
          await errorOf(
            w.cloud.createSnatRule({ gatewayId: w.gateway.id, cidr: '10.0.0.0/24', transitIpId: t2 }),
          )
        ).name,
      ).toBe('SNAT_SOURCE_CONFLICT');
      await w.cloud.createSnatRule({ gatewayId: w.gateway.id, cidr: '10.0.0.0/25', transitIpId: t3 });
      await w.cloud.createSnatRule({ gatewayId: w.gateway.id, cidr: '10.0.0.0/16', transitIpId: t4 });
    });

    it('VALIDATION_FAILED: both a subnet and a CIDR, or neither', async () => {
      const w = await referenceWorld();
      const both = {
        gatewayId: w.gateway.id,
        subnetId: w.subnetB.id,
        cidr: '10.0.0.0/24',
        transitIpId: w.tip.id,
      };
      expect((await errorOf(w.cloud.createSnatRule(both))).name).toBe('VALIDATION_FAILED');
      expect(
        (await errorOf(w.cloud.createSnatRule({ gatewayId: w.gateway.id, transitIpId: w.tip.id }))).name,
      ).toBe('VALIDATION_FAILED');
    });
  });

  describe('idempotency', () => {
    it('returns the same resource for a repeated client token, and PLAN_CHANGED when fields differ', async () => {
      // Prepare
      const w = await referenceWorld();
      const ctx = { plan: 'p', clientToken: 'p:dnat-rule:web', path: 'privateNatGateways[0].dnatRules[0]' };
      const first = await w.cloud.createDnatRule(dnat(w, { name: 'web' }), ctx);
      // Act
      const again = await w.cloud.createDnatRule(dnat(w, { name: 'web' }), ctx);
      const changed = await errorOf(
        w.cloud.createDnatRule(dnat(w, { name: 'web', internalPort: 8080 }), ctx),
      );
      // Assess
      expect(again).toEqual(first);
      expect(await w.cloud.list({ type: 'dnat-rule' })).toHaveLength(1);
      expect(changed).toMatchObject({
        name: 'PLAN_CHANGED',
        path: 'privateNatGateways[0].dnatRules[0]',
        details: { id: first.id, fields: ['internalPort'] },
      });
    });

    it('keeps an automatically assigned address on a repeat, and a server with its security group', async () => {
      const w = await referenceWorld();
      const ctx = { plan: 'p', clientToken: 'p:server:web' };
      const first = await w.cloud.createServer(
        { name: 'web', subnetId: w.subnetB.id, apps: [{ protocol: 'tcp', port: 22 }] },
        ctx,
      );
      const again = await w.cloud.createServer(
        { name: 'web', subnetId: w.subnetB.id, apps: [{ protocol: 'tcp', port: 22 }] },
        ctx,
      );
      expect(again).toEqual(first);
      expect(
        (await w.cloud.list({ type: 'security-group' })).filter((g) => g.name === 'web-sg'),
      ).toHaveLength(1);
      const changed = await errorOf(
        w.cloud.createServer(
          { name: 'web', subnetId: w.subnetB.id, apps: [{ protocol: 'tcp', port: 22 }], inbound: [] },
          ctx,
        ),
      );
      expect(changed).toMatchObject({ name: 'PLAN_CHANGED', details: { fields: ['inbound'] } });
    });
  });

  describe('deletes', () => {
    it('DEPENDENCY_VIOLATION while referenced; deletable once the referrers are gone', async () => {
      const w = await referenceWorld();
      const rule = await w.cloud.createDnatRule(dnat(w));
      const error = await errorOf(w.cloud.delete(w.elb.id));
      expect(error).toMatchObject({ name: 'DEPENDENCY_VIOLATION' });
      expect(error.details?.referrers).toEqual(expect.arrayContaining([rule.id, w.listener.id]));
      await w.cloud.delete(rule.id);
      await w.cloud.delete(w.listener.id);
      await w.cloud.delete(w.elb.id);
      expect(await w.cloud.get(w.elb.id)).toBeUndefined();
    });

    it('NOT_FOUND for a missing id', async () => {
      const { cloud } = newCloud();
      expect((await errorOf(cloud.delete('vpc-404'))).name).toBe('NOT_FOUND');
    });

    it('NOT_FOUND for a reference of the wrong type or a missing one', async () => {
      const w = await referenceWorld();
      expect(
        (await errorOf(w.cloud.createSubnet({ name: 's', vpcId: w.subnetA.id, cidr: '192.168.9.0/24' })))
          .name,
      ).toBe('NOT_FOUND');
      expect((await errorOf(w.cloud.createDnatRule(dnat(w, { gatewayId: 'pnat-404' })))).name).toBe(
        'NOT_FOUND',
      );
    });
  });

  describe('lifecycle', () => {
    it('keeps gateways PENDING until the provisioning delay has passed', async () => {
      const { cloud, clock } = newCloud({ provisioningDelayMs: 5000 });
      const vpc = await cloud.createVpc({ name: 'v', cidr: '10.0.0.0/16' });
      const subnet = await cloud.createSubnet({ name: 's', vpcId: vpc.id, cidr: '10.0.0.0/24' });
      const gateway = await cloud.createGateway({ name: 'g', subnetId: subnet.id });
      expect((await cloud.activate(gateway.id)).status).toBe('PENDING');
      clock.advance(5000);
      expect((await cloud.activate(gateway.id)).status).toBe('ACTIVE');
    });

    it('freezes and unfreezes gateways and rules; refuses other types', async () => {
      const w = await referenceWorld();
      const rule = await w.cloud.createDnatRule(dnat(w));
      await w.cloud.activate(rule.id);
      expect((await w.cloud.freeze(rule.id)).status).toBe('FROZEN');
      expect((await w.cloud.freeze(rule.id)).status).toBe('FROZEN');
      expect((await w.cloud.unfreeze(rule.id)).status).toBe('ACTIVE');
      const frozen = (await w.cloud.freeze(w.gateway.id)) as PrivateNatGateway;
      expect(frozen.status).toBe('FROZEN');
      // The rule keeps its own status: the DNAT engine reads the gateway's.
      expect(((await w.cloud.get(rule.id)) as DnatRule).status).toBe('ACTIVE');
      expect((await errorOf(w.cloud.freeze(w.vpcA.id))).name).toBe('VALIDATION_FAILED');
      expect((await w.cloud.setStatus(w.gateway.id, 'INACTIVE')).status).toBe('INACTIVE');
    });
  });

  describe('the store key safety net', () => {
    /** A store whose transactions cannot see other resources' keys: only its unique index stops a duplicate. */
    function blindStore(inner: MemoryStore): Store {
      return {
        get: (id) => inner.get(id),
        list: (q) => inner.list(q),
        getByKey: (k) => inner.getByKey(k),
        referrers: (id) => inner.referrers(id),
        getPlan: (n) => inner.getPlan(n),
        listPlans: () => inner.listPlans(),
        close: () => inner.close(),
        transaction: (scopes, fn) =>
          inner.transaction(scopes, (tx) => {
            const blind: StoreTx = Object.create(tx) as StoreTx;
            blind.getByKey = async () => undefined;
            blind.referrers = async () => [];
            return fn(blind);
          }),
      };
    }

    it.each([
      { overrides: {}, code: 'DNAT_PORT_CONFLICT' },
      { overrides: { transitPort: 81, internalPort: 81 }, code: 'LB_ALREADY_MAPPED' },
    ])('maps a unique key violation back to $code', async ({ overrides, code }) => {
      const w = await referenceWorld();
      await w.cloud.createDnatRule(dnat(w));
      const blind = new ControlPlane({ store: blindStore(w.store) });
      expect((await errorOf(blind.createDnatRule(dnat(w, overrides)))).name).toBe(code);
    });

    it('maps an address key violation to IP_IN_USE', async () => {
      const w = await referenceWorld();
      const blind = new ControlPlane({ store: blindStore(w.store) });
      expect(
        (await errorOf(blind.createTransitIp({ name: 'x', subnetId: w.subnetA.id, ip: '192.168.0.144' })))
          .name,
      ).toBe('IP_IN_USE');
    });
  });
});
