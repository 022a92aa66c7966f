/**
 * The local Huawei Cloud API's guarantees beyond single requests: racing creates (20 DNAT creates of
 * one transit port → exactly one), marker/limit/page_info pagination, ECS offset pages, and the
 * asynchrony of NATFLOW_HWC_SETTLE_MS (VPC CREATING → OK, subnet UNKNOWN → ACTIVE, job RUNNING →
 * SUCCESS, no child under an unsettled parent) on a manual clock; settle.test.ts covers every kind in
 * real time.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/net/clock.ts';
import {
  type Base,
  buildBase,
  call,
  dnatBody,
  failure,
  type Local,
  raw,
  startLocal,
  V1,
  V3,
} from './harness.ts';

let local: Local | undefined;
afterEach(async () => {
  await local?.close();
  local = undefined;
});

describe('concurrency', () => {
  it('20 racing DNAT creates of one transit IP and port: exactly one wins, 19 get NAT.1310', async () => {
    local = await startLocal({ dataPlane: false });
    const base: Base = await buildBase(local);
    const url = local.url;
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        raw(
          url,
          'POST',
          `${V3}/private-nat/dnat-rules`,
          JSON.stringify(
            dnatBody(base, {
              network_interface_id: base.ecsBPort,
              internal_service_port: String(80 + (i % 3)),
            }),
          ),
        ),
      ),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 400)).toHaveLength(19);
    expect(new Set(responses.filter((r) => r.status === 400).map((r) => r.json.error_code))).toEqual(
      new Set(['NAT.1310']),
    );
    expect(await local.store.list({ type: 'dnat-rule' })).toHaveLength(1);
  });

  it('10 racing member adds to one pool all land (the pool is rebuilt one at a time)', async () => {
    local = await startLocal({ dataPlane: false });
    const base = await buildBase(local);
    const pool = (
      await call(local.hc, 'POST', `${V3}/elb/pools`, {
        pool: { protocol: 'TCP', lb_algorithm: 'ROUND_ROBIN', loadbalancer_id: base.lb },
      })
    ).pool as Record<string, string>;
    await call(local.hc, 'POST', `${V3}/elb/listeners`, {
      listener: { protocol: 'TCP', protocol_port: 80, loadbalancer_id: base.lb, default_pool_id: pool.id },
    });
    const ecsB = (await call(local.hc, 'GET', `${V1}/cloudservers/${base.ecsB}`)).server as Record<
      string,
      unknown
    >;
    const ip = Object.values(ecsB.addresses as Record<string, Array<Record<string, string>>>)[0]?.[0]?.addr;
    const url = local.url;
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        raw(
          url,
          'POST',
          `${V3}/elb/pools/${pool.id}/members`,
          JSON.stringify({ member: { address: ip, protocol_port: 8000 + i } }),
        ),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(201));
    const members = await call(local.hc, 'GET', `${V3}/elb/pools/${pool.id}/members`);
    expect((members.members as unknown[]).length).toBe(10);
    expect(await local.store.list({ type: 'listener' })).toHaveLength(1);
  });
});

describe('pagination', () => {
  it('NAT lists page with limit/marker and page_info (next_marker until the last page)', async () => {
    local = await startLocal({ dataPlane: false });
    const base = await buildBase(local);
    for (let i = 0; i < 6; i++) {
      await call(local.hc, 'POST', `${V3}/private-nat/transit-ips`, {
        transit_ip: { virsubnet_id: base.subnetA },
      });
    }
    const all = (
      (await call(local.hc, 'GET', `${V3}/private-nat/transit-ips`)).transit_ips as Array<{ id: string }>
    ).map((t) => t.id);
    expect(all).toHaveLength(7);
    const seen: string[] = [];
    let marker: string | undefined;
    let pages = 0;
    do {
      const page = await call(local.hc, 'GET', `${V3}/private-nat/transit-ips`, undefined, {
        limit: 3,
        ...(marker ? { marker } : {}),
      });
      const items = page.transit_ips as Array<{ id: string }>;
      const info = page.page_info as {
        next_marker?: string;
        previous_marker?: string;
        current_count: number;
      };
      expect(info.current_count).toBe(items.length);
      expect(info.previous_marker).toBe(items[0]?.id);
      seen.push(...items.map((t) => t.id));
      marker = info.next_marker;
      pages++;
    } while (marker);
    expect(pages).toBe(3);
    expect(seen).toEqual(all);
    const filtered = await call(local.hc, 'GET', `${V3}/private-nat/transit-ips`, undefined, {
      ip_address: '192.168.0.144',
    });
    expect((filtered.transit_ips as unknown[]).length).toBe(1);
    const bad = await failure(
      call(local.hc, 'GET', `${V3}/private-nat/transit-ips`, undefined, { marker: 'no-such-id' }),
    );
    expect(bad).toMatchObject({ status: 400, code: 'NAT.1000' });
  });

  it('VPC v1 lists page with limit/marker; ECS detail pages with offset (page number) and count', async () => {
    local = await startLocal({ dataPlane: false });
    for (let i = 0; i < 5; i++)
      await call(local.hc, 'POST', `${V1}/vpcs`, { vpc: { name: `vpc-${i}`, cidr: `10.${i}.0.0/16` } });
    const all = ((await call(local.hc, 'GET', `${V1}/vpcs`)).vpcs as Array<{ id: string; name: string }>).map(
      (v) => v.id,
    );
    expect(all).toHaveLength(5);
    const first = (await call(local.hc, 'GET', `${V1}/vpcs`, undefined, { limit: 2 })).vpcs as Array<{
      id: string;
      name: string;
    }>;
    const next = (
      await call(local.hc, 'GET', `${V1}/vpcs`, undefined, { limit: 2, marker: first[1]?.id as string })
    ).vpcs as Array<{
      id: string;
    }>;
    const last = (
      await call(local.hc, 'GET', `${V1}/vpcs`, undefined, { limit: 2, marker: next[1]?.id as string })
    ).vpcs as Array<{
      id: string;
    }>;
    expect([...first, ...next, ...last].map((v) => v.id)).toEqual(all);
    expect(last).toHaveLength(1);
    const vpc = first[0]?.id as string;
    const subnet = (
      await call(local.hc, 'POST', `${V1}/subnets`, {
        subnet: { name: 's', cidr: '10.0.0.0/24', gateway_ip: '10.0.0.1', vpc_id: vpc },
      })
    ).subnet as Record<string, string>;
    await call(local.hc, 'POST', `${V1}/cloudservers`, {
      server: {
        name: 'web',
        imageRef: 'i',
        flavorRef: 'f',
        vpcid: vpc,
        nics: [{ subnet_id: subnet.id }],
        count: 3,
      },
    });
    const page2 = await call(local.hc, 'GET', `${V1}/cloudservers/detail`, undefined, {
      limit: 2,
      offset: 2,
    });
    expect(page2.count).toBe(3);
    const everyone = (await call(local.hc, 'GET', `${V1}/cloudservers/detail`)).servers as Array<{
      name: string;
    }>;
    expect(everyone.map((s) => s.name).sort()).toEqual(['web-0001', 'web-0002', 'web-0003']);
    expect((page2.servers as Array<{ name: string }>).map((s) => s.name)).toEqual([everyone[2]?.name]);
  });
});

describe('NATFLOW_HWC_SETTLE_MS', () => {
  it('VPCs, subnets and ECS jobs report their intermediate status until the settle time has passed, and take no child meanwhile', async () => {
    const clock = new ManualClock(Date.now());
    local = await startLocal({
      dataPlane: false,
      settleMs: { vpc: 5_000, subnet: 5_000, server: 5_000 },
      clock,
    });
    const vpc = (await call(local.hc, 'POST', `${V1}/vpcs`, { vpc: { name: 'slow', cidr: '10.0.0.0/16' } }))
      .vpc as Record<string, string>;
    expect((await call(local.hc, 'GET', `${V1}/vpcs/${vpc.id}`)).vpc).toMatchObject({ status: 'CREATING' });
    const subnetBody = {
      subnet: { name: 's', cidr: '10.0.0.0/24', gateway_ip: '10.0.0.1', vpc_id: vpc.id },
    };
    // A subnet in a CREATING VPC: the VPC API's documented VPC.0004, nothing created.
    const early = await failure(call(local.hc, 'POST', `${V1}/subnets`, subnetBody));
    expect(early).toMatchObject({ status: 400, code: 'VPC.0004' });
    expect(await local.store.list({ type: 'subnet' })).toHaveLength(0);

    clock.advance(5_000);
    expect((await call(local.hc, 'GET', `${V1}/vpcs/${vpc.id}`)).vpc).toMatchObject({ status: 'OK' });
    const subnet = (await call(local.hc, 'POST', `${V1}/subnets`, subnetBody)).subnet as Record<
      string,
      string
    >;
    expect(subnet.status).toBe('UNKNOWN');
    const serverBody = {
      server: { name: 'web', imageRef: 'i', flavorRef: 'f', vpcid: vpc.id, nics: [{ subnet_id: subnet.id }] },
    };
    const building = await failure(call(local.hc, 'POST', `${V1}/cloudservers`, serverBody));
    expect(building).toMatchObject({ status: 400, code: 'Ecs.0005' });
    expect(await local.store.list({ type: 'server' })).toHaveLength(0);

    clock.advance(5_000);
    expect((await call(local.hc, 'GET', `${V1}/subnets/${subnet.id}`)).subnet).toMatchObject({
      status: 'ACTIVE',
    });
    const created = await call(local.hc, 'POST', `${V1}/cloudservers`, serverBody);
    const job = `${V1}/jobs/${created.job_id}`;
    expect((await call(local.hc, 'GET', job)).status).toBe('RUNNING');
    const serverId = (created.serverIds as string[])[0];
    expect(
      ((await call(local.hc, 'GET', `${V1}/cloudservers/${serverId}`)).server as Record<string, unknown>)
        .status,
    ).toBe('BUILD');

    clock.advance(5_000);

    const done = await call(local.hc, 'GET', job);
    expect(done).toMatchObject({ status: 'SUCCESS', job_type: 'createServer' });
    expect(
      (done.entities as { sub_jobs: Array<{ entities: { server_id: string } }> }).sub_jobs[0]?.entities
        .server_id,
    ).toBe(serverId);
    expect(
      ((await call(local.hc, 'GET', `${V1}/cloudservers/${serverId}`)).server as Record<string, unknown>)
        .status,
    ).toBe('ACTIVE');
  });
});
