/**
 * The status values of the local Huawei API as the official SDK models (Python SDK 3.1.211) enumerate
 * them: ELB v3 `LoadBalancer.provisioning_status` ACTIVE | PENDING_DELETE and `elb_virsubnet_type`
 * ipv4 | dualstack; `Member.operating_status` NO_MONITOR | INITIAL | ONLINE | OFFLINE | UNKNOWN — member
 * health from the live data plane when one runs, else from the model; and each private NAT gateway's
 * `rule_max` by its spec, with NAT.1207 beyond it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  type Base,
  buildBase,
  call,
  dnatBody,
  failure,
  type Local,
  snapshot,
  startLocal,
  V1,
  V3,
} from './harness.ts';

let local: Local | undefined;
afterEach(async () => {
  await local?.close();
  local = undefined;
});

type Json = Record<string, unknown>;

async function ipOf(l: Local, serverId: string): Promise<string> {
  const server = (await call(l.hc, 'GET', `${V1}/cloudservers/${serverId}`)).server as Json;
  return (Object.values(server.addresses as Record<string, Json[]>)[0]?.[0]?.addr as string) ?? '';
}

/** An HTTP listener on ELB01 with a pool, ECS-B's port 8080 opened to its VPC (nothing listens there). */
async function httpPool(l: Local, base: Base, withListener = true): Promise<Json> {
  if (withListener) {
    const listener = (
      await call(l.hc, 'POST', `${V3}/elb/listeners`, {
        listener: { name: 'http', protocol: 'HTTP', protocol_port: 80, loadbalancer_id: base.lb },
      })
    ).listener as Json;
    return (
      await call(l.hc, 'POST', `${V3}/elb/pools`, {
        pool: { name: 'group-B', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', listener_id: listener.id },
      })
    ).pool as Json;
  }
  return (
    await call(l.hc, 'POST', `${V3}/elb/pools`, {
      pool: {
        name: 'lonely',
        protocol: 'HTTP',
        lb_algorithm: 'ROUND_ROBIN',
        type: 'instance',
        vpc_id: base.vpcB,
      },
    })
  ).pool as Json;
}

async function openPort(l: Local, base: Base, port: number): Promise<void> {
  const server = (await call(l.hc, 'GET', `${V1}/cloudservers/${base.ecsB}`)).server as Json;
  const group = (server.security_groups as Json[])[0]?.id as string;
  await call(l.hc, 'POST', `${V1}/security-group-rules`, {
    security_group_rule: {
      security_group_id: group,
      direction: 'ingress',
      protocol: 'tcp',
      port_range_min: port,
      port_range_max: port,
      remote_ip_prefix: '10.0.0.0/16',
    },
  });
}

async function member(l: Local, poolId: unknown, address: string, port: number): Promise<Json> {
  return (
    await call(l.hc, 'POST', `${V3}/elb/pools/${poolId}/members`, {
      member: { address, protocol_port: port },
    })
  ).member as Json;
}

async function monitor(l: Local, poolId: unknown): Promise<void> {
  await call(l.hc, 'POST', `${V3}/elb/healthmonitors`, {
    healthmonitor: { pool_id: poolId, type: 'HTTP', delay: 1, timeout: 1, max_retries: 1, url_path: '/' },
  });
}

async function statusOf(l: Local, poolId: unknown, memberId: unknown): Promise<unknown> {
  return ((await call(l.hc, 'GET', `${V3}/elb/pools/${poolId}/members/${memberId}`)).member as Json)
    .operating_status;
}

describe('ELB v3 load balancers as the SDK model enumerates them', () => {
  it('a create answers ACTIVE (never PENDING_CREATE) and an IPv4-only subnet is elb_virsubnet_type ipv4', async () => {
    local = await startLocal({ dataPlane: false });
    const base = await buildBase(local);
    const shown = (await call(local.hc, 'GET', `${V3}/elb/loadbalancers/${base.lb}`)).loadbalancer as Json;
    expect(shown).toMatchObject({ provisioning_status: 'ACTIVE', operating_status: 'ONLINE' });
    expect(shown.elb_virsubnet_type).toBe('ipv4');
    const listed = (await call(local.hc, 'GET', `${V3}/elb/loadbalancers`)).loadbalancers as Json[];
    expect(listed.map((lb) => [lb.provisioning_status, lb.elb_virsubnet_type])).toEqual([['ACTIVE', 'ipv4']]);
  });
});

describe('ELB v3 member operating_status', () => {
  it('with the live data plane: NO_MONITOR without a health monitor, then ONLINE on a served port and OFFLINE on one nothing listens on', async () => {
    local = await startLocal({ prefix: '127.91' });
    const base = await buildBase(local);
    const pool = await httpPool(local, base);
    await openPort(local, base, 8080);
    const ip = await ipOf(local, base.ecsB);
    const served = await member(local, pool.id, ip, 80);
    const silent = await member(local, pool.id, ip, 8080);
    expect([served.operating_status, silent.operating_status]).toEqual(['NO_MONITOR', 'NO_MONITOR']);
    expect(await statusOf(local, pool.id, silent.id)).toBe('NO_MONITOR');

    await monitor(local, pool.id);
    await local.server.api.idle();
    await local.dataPlane?.checkHealth();
    // The data plane checked the group's port (80, its first member's): its verdict is what the API
    // reports there; the monitor has no monitor_port, so Huawei checks 8080 on its own member.
    const checks = (local.dataPlane?.map().health ?? []).flatMap((h) => h.members);
    expect(checks.find((m) => m.port === 80)?.healthy).toBe(true);
    expect(await statusOf(local, pool.id, served.id)).toBe('ONLINE');
    expect(await statusOf(local, pool.id, silent.id)).toBe('OFFLINE');
    const listed = (await call(local.hc, 'GET', `${V3}/elb/pools/${pool.id}/members`)).members as Json[];
    expect(listed.map((m) => `${m.protocol_port} ${m.operating_status}`).sort()).toEqual([
      '80 ONLINE',
      '8080 OFFLINE',
    ]);

    // A pool whose only member is on 8080: the data plane checks 8080 itself, fails, and says so.
    const second = (
      await call(local.hc, 'POST', `${V3}/elb/listeners`, {
        listener: { name: 'http-81', protocol: 'HTTP', protocol_port: 81, loadbalancer_id: base.lb },
      })
    ).listener as Json;
    const only = (
      await call(local.hc, 'POST', `${V3}/elb/pools`, {
        pool: { name: 'silent', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', listener_id: second.id },
      })
    ).pool as Json;
    const alone = await member(local, only.id, ip, 8080);
    await monitor(local, only.id);
    await local.server.api.idle();
    await local.dataPlane?.checkHealth();
    const lonelyChecks = (local.dataPlane?.map().health ?? []).filter((h) => h.members.length === 1);
    expect(lonelyChecks.flatMap((h) => h.members.map((m) => `${m.port}:${m.healthy}`))).toEqual([
      '8080:false',
    ]);
    expect(await statusOf(local, only.id, alone.id)).toBe('OFFLINE');
  });

  it('without a data plane: the model decides (an app on the checked port, a security group that admits the check)', async () => {
    local = await startLocal({ dataPlane: false });
    const base = await buildBase(local);
    const pool = await httpPool(local, base);
    await openPort(local, base, 8080);
    const ip = await ipOf(local, base.ecsB);
    const served = await member(local, pool.id, ip, 80);
    const silent = await member(local, pool.id, ip, 8080);
    const closed = await member(local, pool.id, ip, 9090); // its security group admits nothing on 9090
    await monitor(local, pool.id);
    expect(await statusOf(local, pool.id, served.id)).toBe('ONLINE');
    expect(await statusOf(local, pool.id, silent.id)).toBe('OFFLINE');
    expect(await statusOf(local, pool.id, closed.id)).toBe('OFFLINE');
  });

  it('INITIAL while a member of a monitored pool settles; UNKNOWN in a pool no load balancer uses', async () => {
    local = await startLocal({ dataPlane: false, settleMs: { member: 400 } });
    const l = local;
    const base = await buildBase(l);
    const pool = await httpPool(l, base);
    await monitor(l, pool.id);
    const ip = await ipOf(l, base.ecsB);
    const added = await member(l, pool.id, ip, 80);
    expect(added.operating_status).toBe('INITIAL');
    expect(await statusOf(l, pool.id, added.id)).toBe('INITIAL');
    const deadline = Date.now() + 15_000;
    while ((await statusOf(l, pool.id, added.id)) === 'INITIAL' && Date.now() < deadline)
      await new Promise((done) => setTimeout(done, 40));
    expect(await statusOf(l, pool.id, added.id)).toBe('ONLINE');

    const lonely = await httpPool(l, base, false);
    await monitor(l, lonely.id);
    const orphan = await member(l, lonely.id, ip, 80);
    await new Promise((done) => setTimeout(done, 450)); // past its settle time: no longer INITIAL
    expect(await statusOf(l, lonely.id, orphan.id)).toBe('UNKNOWN');
  });
});

describe('private NAT gateways: rule_max by spec and NAT.1207 beyond it', () => {
  it('reports rule_max 20, 50, 200, 500 for Small, Medium, Large, Extra-large (create, show and list)', async () => {
    local = await startLocal({ dataPlane: false });
    const base = await buildBase(local);
    const expected: Record<string, number> = { Small: 20, Medium: 50, Large: 200, 'Extra-large': 500 };
    await call(local.hc, 'DELETE', `${V3}/private-nat/gateways/${base.gateway}`);
    for (const [spec, max] of Object.entries(expected)) {
      const created = (
        await call(local.hc, 'POST', `${V3}/private-nat/gateways`, {
          gateway: { name: `gw-${spec}`, spec, downlink_vpcs: [{ virsubnet_id: base.subnetB }] },
        })
      ).gateway as Json;
      expect(created.rule_max, spec).toBe(max);
      expect(
        ((await call(local.hc, 'GET', `${V3}/private-nat/gateways/${created.id}`)).gateway as Json).rule_max,
      ).toBe(max);
      const listed = (await call(local.hc, 'GET', `${V3}/private-nat/gateways`)).gateways as Json[];
      expect(listed.find((g) => g.id === created.id)?.rule_max).toBe(max);
      await call(local.hc, 'DELETE', `${V3}/private-nat/gateways/${created.id}`);
    }
  });

  it('a Small gateway takes 20 rules, SNAT and DNAT together: the 21st is 400 NAT.1207 (QUOTA_EXCEEDED), nothing created', async () => {
    local = await startLocal({ dataPlane: false });
    const base = await buildBase(local);
    const snatTip = (
      await call(local.hc, 'POST', `${V3}/private-nat/transit-ips`, {
        transit_ip: { virsubnet_id: base.subnetA, ip_address: '192.168.0.145' },
      })
    ).transit_ip as Json;
    await call(local.hc, 'POST', `${V3}/private-nat/snat-rules`, {
      snat_rule: { gateway_id: base.gateway, virsubnet_id: base.subnetB, transit_ip_ids: [snatTip.id] },
    });
    for (let port = 2000; port < 2019; port++) {
      await call(
        local.hc,
        'POST',
        `${V3}/private-nat/dnat-rules`,
        dnatBody(base, { network_interface_id: base.ecsBPort, transit_service_port: String(port) }),
      );
    }
    const before = await snapshot(local.store);
    const refused = await failure(
      call(
        local.hc,
        'POST',
        `${V3}/private-nat/dnat-rules`,
        dnatBody(base, { network_interface_id: base.ecsBPort, transit_service_port: '2019' }),
      ),
    );
    expect(refused).toMatchObject({ status: 400, code: 'NAT.1207' });
    expect((refused.body as { errorMsg?: string }).errorMsg).toMatch(
      /rule max 20.*\(natflow: QUOTA_EXCEEDED\)/,
    );
    expect(await snapshot(local.store)).toBe(before);
    expect((await call(local.hc, 'GET', `${V3}/private-nat/dnat-rules`)).dnat_rules).toHaveLength(19);
    expect((await call(local.hc, 'GET', `${V3}/private-nat/snat-rules`)).snat_rules).toHaveLength(1);
  });
});
