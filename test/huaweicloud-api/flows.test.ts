/**
 * Huawei's own orders of creation, mapped onto natflow's stricter model: a listener created before its
 * pool, a pool created with `listener_id`, a health monitor, a security group created without a VPC and
 * opened later by a rule — and what a plan (the ControlPlane directly) created is visible through the API.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ControlPlane } from '../../src/cloud/control-plane.ts';
import { Topology } from '../../src/probe/model.ts';
import { probe } from '../../src/probe/probe.ts';
import { type Base, buildBase, call, dnatBody, type Local, startLocal, V1, V3 } from './harness.ts';

let local: Local | undefined;
afterEach(async () => {
  await local?.close();
  local = undefined;
});

async function ipOf(l: Local, serverId: string): Promise<string> {
  const server = (await call(l.hc, 'GET', `${V1}/cloudservers/${serverId}`)).server as Record<
    string,
    unknown
  >;
  return Object.values(server.addresses as Record<string, Array<Record<string, string>>>)[0]?.[0]
    ?.addr as string;
}

async function reach(l: Local) {
  await l.server.api.idle();
  return probe(
    Topology.from(await l.store.list()),
    { from: 'ECS-A', to: '192.168.0.144', protocol: 'http', port: 80 },
    ...(l.dataPlane ? [{ dataPlane: l.dataPlane }] : []),
  );
}

describe('ELB v3 in Huawei’s orders', () => {
  it('a listener without a pool, then a pool with its listener_id, members and a health monitor', async () => {
    local = await startLocal({ prefix: '127.95' });
    const base: Base = await buildBase(local);
    const listener = (
      await call(local.hc, 'POST', `${V3}/elb/listeners`, {
        listener: { name: 'http', protocol: 'HTTP', protocol_port: 80, loadbalancer_id: base.lb },
      })
    ).listener as Record<string, unknown>;
    expect(listener.default_pool_id).toBeNull();
    expect(await local.store.list({ type: 'listener' })).toHaveLength(0);
    const lb = (await call(local.hc, 'GET', `${V3}/elb/loadbalancers/${base.lb}`)).loadbalancer as Record<
      string,
      unknown
    >;
    expect(lb.listeners).toEqual([{ id: listener.id }]);

    const pool = (
      await call(local.hc, 'POST', `${V3}/elb/pools`, {
        pool: {
          name: 'group-B',
          protocol: 'HTTP',
          lb_algorithm: 'LEAST_CONNECTIONS',
          listener_id: listener.id,
        },
      })
    ).pool as Record<string, unknown>;
    expect(pool).toMatchObject({
      lb_algorithm: 'LEAST_CONNECTIONS',
      listeners: [{ id: listener.id }],
      loadbalancers: [{ id: base.lb }],
    });
    const shown = (await call(local.hc, 'GET', `${V3}/elb/listeners/${listener.id}`)).listener as Record<
      string,
      unknown
    >;
    expect(shown.default_pool_id).toBe(pool.id);
    expect(await local.store.list({ type: 'listener' })).toHaveLength(1);

    const member = (
      await call(local.hc, 'POST', `${V3}/elb/pools/${pool.id}/members`, {
        member: { address: await ipOf(local, base.ecsB), protocol_port: 80, weight: 5, name: 'ecs-b' },
      })
    ).member as Record<string, unknown>;
    expect(member).toMatchObject({
      protocol_port: 80,
      weight: 5,
      name: 'ecs-b',
      // The pool has no health monitor yet (the SDK model's NO_MONITOR, not ONLINE).
      operating_status: 'NO_MONITOR',
      instance_id: base.ecsB,
    });
    const monitor = (
      await call(local.hc, 'POST', `${V3}/elb/healthmonitors`, {
        healthmonitor: {
          pool_id: pool.id,
          type: 'HTTP',
          delay: 2,
          timeout: 1,
          max_retries: 3,
          url_path: '/',
        },
      })
    ).healthmonitor as Record<string, unknown>;
    expect(
      ((await call(local.hc, 'GET', `${V3}/elb/pools/${pool.id}`)).pool as Record<string, unknown>)
        .healthmonitor_id,
    ).toBe(monitor.id);
    // Monitored now: ECS-B serves HTTP on 80, so the HTTP check passes.
    expect(
      (
        (await call(local.hc, 'GET', `${V3}/elb/pools/${pool.id}/members/${member.id}`)).member as Record<
          string,
          unknown
        >
      ).operating_status,
    ).toBe('ONLINE');
    const group = (await local.store.list({ type: 'backend-group' }))[0];
    expect(group).toMatchObject({
      algorithm: 'least-connections',
      healthCheck: { protocol: 'HTTP', path: '/', intervalSeconds: 2 },
    });

    await call(local.hc, 'POST', `${V3}/private-nat/dnat-rules`, dnatBody(base));
    const report = await reach(local);
    expect(report.verdict).toBe('REACHABLE');
    expect(report.live).toMatchObject({ ok: true, status: 200, responder: 'ECS-B' });

    // Deleting the pool first (members and monitor gone) leaves the listener without a default pool.
    await call(local.hc, 'DELETE', `${V3}/elb/healthmonitors/${monitor.id}`);
    await call(local.hc, 'DELETE', `${V3}/elb/pools/${pool.id}/members/${member.id}`);
    await call(local.hc, 'DELETE', `${V3}/elb/pools/${pool.id}`);
    const orphan = (await call(local.hc, 'GET', `${V3}/elb/listeners/${listener.id}`)).listener as Record<
      string,
      unknown
    >;
    expect(orphan.default_pool_id).toBeNull();
    expect(await local.store.list({ type: 'listener' })).toHaveLength(0);
    expect((await reach(local)).verdict).toBe('UNREACHABLE');
  });
});

describe('security groups and their rules', () => {
  it('a group created without vpc_id is realised in its first server’s VPC; an ingress rule added later opens the path', async () => {
    local = await startLocal({ prefix: '127.96' });
    const base = await buildBase(local);
    const group = (await call(local.hc, 'POST', `${V1}/security-groups`, { security_group: { name: 'web' } }))
      .security_group as Record<string, unknown>;
    expect(group.vpc_id).toBe('');
    expect(
      (group.security_group_rules as Array<Record<string, unknown>>).map(
        (r) => `${r.direction} ${r.ethertype} ${r.remote_group_id ?? r.remote_ip_prefix}`,
      ),
    ).toEqual([
      'egress IPv4 0.0.0.0/0',
      `ingress IPv4 ${group.id}`,
      'egress IPv6 ::/0',
      `ingress IPv6 ${group.id}`,
    ]);
    const created = await call(local.hc, 'POST', `${V1}/cloudservers`, {
      server: {
        name: 'ECS-C',
        imageRef: 'i',
        flavorRef: 'f',
        vpcid: base.vpcB,
        nics: [{ subnet_id: base.subnetB }],
        security_groups: [{ id: group.id }],
        user_data: Buffer.from('#!/bin/sh\npython3 -m http.server 80\n').toString('base64'),
      },
    });
    const serverId = (created.serverIds as string[])[0] as string;
    const realised = (await call(local.hc, 'GET', `${V1}/security-groups/${group.id}`))
      .security_group as Record<string, unknown>;
    expect(realised.vpc_id).toBe(base.vpcB);

    const pool = (
      await call(local.hc, 'POST', `${V3}/elb/pools`, {
        pool: { protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', loadbalancer_id: base.lb },
      })
    ).pool as Record<string, unknown>;
    await call(local.hc, 'POST', `${V3}/elb/pools/${pool.id}/members`, {
      member: { address: await ipOf(local, serverId), protocol_port: 80 },
    });
    await call(local.hc, 'POST', `${V3}/elb/listeners`, {
      listener: { protocol: 'HTTP', protocol_port: 80, loadbalancer_id: base.lb, default_pool_id: pool.id },
    });
    await call(local.hc, 'POST', `${V3}/private-nat/dnat-rules`, dnatBody(base));
    const closed = await reach(local);
    expect(closed.verdict).toBe('UNREACHABLE');

    const rule = (
      await call(local.hc, 'POST', `${V1}/security-group-rules`, {
        security_group_rule: {
          security_group_id: group.id,
          direction: 'ingress',
          ethertype: 'IPv4',
          protocol: 'tcp',
          port_range_min: 80,
          port_range_max: 80,
          remote_ip_prefix: '10.0.0.0/16',
        },
      })
    ).security_group_rule as Record<string, unknown>;
    expect(rule).toMatchObject({
      direction: 'ingress',
      protocol: 'tcp',
      port_range_min: 80,
      remote_ip_prefix: '10.0.0.0/16',
    });
    const open = await reach(local);
    expect(open.verdict).toBe('REACHABLE');
    expect(open.live).toMatchObject({ ok: true, status: 200, responder: 'ECS-C' });

    const again = await call(local.hc, 'POST', `${V1}/security-group-rules`, {
      security_group_rule: {
        security_group_id: group.id,
        direction: 'ingress',
        protocol: 'tcp',
        port_range_min: 80,
        port_range_max: 80,
        remote_ip_prefix: '10.0.0.0/16',
      },
    }).catch((error: { httpStatusCode?: number; errorCode?: string }) => error);
    expect(again).toMatchObject({ httpStatusCode: 409, errorCode: 'VPC.0604' });
    await call(local.hc, 'DELETE', `${V1}/security-group-rules/${rule.id}`);
    expect((await reach(local)).verdict).toBe('UNREACHABLE');
  });
});

describe('both ways', () => {
  it('what natflow created without this API is listed through it, with UUIDs and Huawei’s fields', async () => {
    local = await startLocal({ dataPlane: false });
    const cloud = new ControlPlane({ store: local.store });
    const vpc = await cloud.createVpc({ name: 'planned', cidr: '10.20.0.0/16' }, { plan: 'p' });
    const subnet = await cloud.createSubnet({ name: 'planned-sub', vpcId: vpc.id, cidr: '10.20.1.0/24' });
    const gateway = await cloud.createGateway({ name: 'planned-gw', subnetId: subnet.id, spec: 'Medium' });
    const vpcs = (await call(local.hc, 'GET', `${V1}/vpcs`)).vpcs as Array<Record<string, unknown>>;
    expect(vpcs).toEqual([
      expect.objectContaining({ id: vpc.externalId, name: 'planned', cidr: '10.20.0.0/16', status: 'OK' }),
    ]);
    const gateways = (await call(local.hc, 'GET', `${V3}/private-nat/gateways`)).gateways as Array<
      Record<string, unknown>
    >;
    expect(gateways).toEqual([
      expect.objectContaining({
        id: gateway.externalId,
        spec: 'Medium',
        status: 'INACTIVE',
        rule_max: 50,
        downlink_vpcs: [
          { vpc_id: vpc.externalId, virsubnet_id: subnet.externalId, ngport_ip_address: gateway.downlinkIp },
        ],
      }),
    ]);
    await cloud.activate(gateway.id);
    const shown = (await call(local.hc, 'GET', `${V3}/private-nat/gateways/${gateway.externalId}`))
      .gateway as Record<string, unknown>;
    expect(shown.status).toBe('ACTIVE');
  });
});

describe('DNAT targets by address', () => {
  it('a private_ip_address that is a load balancer’s VIP in the gateway’s VPC targets that load balancer', async () => {
    local = await startLocal({ dataPlane: false });
    const base = await buildBase(local);
    const lb = (await call(local.hc, 'GET', `${V3}/elb/loadbalancers/${base.lb}`)).loadbalancer as Record<
      string,
      string
    >;
    const rule = (
      await call(
        local.hc,
        'POST',
        `${V3}/private-nat/dnat-rules`,
        dnatBody(base, { network_interface_id: undefined, private_ip_address: lb.vip_address }),
      )
    ).dnat_rule as Record<string, unknown>;
    expect(rule).toMatchObject({
      type: 'ELBv3',
      network_interface_id: base.lbPort,
      private_ip_address: lb.vip_address,
    });
    const again = await call(
      local.hc,
      'POST',
      `${V3}/private-nat/dnat-rules`,
      dnatBody(base, { transit_service_port: '81' }),
    ).catch((error: { errorCode?: string }) => error);
    expect(again).toMatchObject({ errorCode: 'NAT.1000' });
    const custom = (
      await call(
        local.hc,
        'POST',
        `${V3}/private-nat/dnat-rules`,
        dnatBody(base, {
          network_interface_id: undefined,
          private_ip_address: '10.0.0.200',
          transit_service_port: '82',
        }),
      )
    ).dnat_rule as Record<string, unknown>;
    expect(custom).toMatchObject({
      type: 'CUSTOMIZE',
      network_interface_id: '',
      private_ip_address: '10.0.0.200',
    });
  });
});
