/**
 * NATFLOW_HWC_SETTLE_MS (docs/huaweicloud-api.md): a local account as slow as a real one, per kind, for creation and
 * deletion, in real time with small latencies. Every status is read through signed requests; the tests
 * assert states before and after a resource settles (polling until it has), never durations.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  huaweiCloudConfig,
  parseSettleEnv,
  SETTLE_KINDS,
  signRequest,
} from '../../src/local-huaweicloud/index.ts';
import { startStack } from '../../src/stack/stack.ts';
import { AK, call, failure, type Local, raw, SK, snapshot, startLocal, V1, V3 } from './harness.ts';

let local: Local | undefined;
afterEach(async () => {
  await local?.close();
  local = undefined;
});

/** Polls `check` until it holds (every 40 ms, for at most 15 s). */
async function until<T>(check: () => Promise<T | undefined | false>, what: string): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what} never happened`);
    await new Promise((done) => setTimeout(done, 40));
  }
}

type Json = Record<string, unknown>;
const field = (response: Json, wrapper: string) => response[wrapper] as Json;

async function status(l: Local, path: string, wrapper: string, key = 'status'): Promise<unknown> {
  return field(await call(l.hc, 'GET', path), wrapper)[key];
}

async function gone(l: Local, path: string): Promise<boolean> {
  try {
    await call(l.hc, 'GET', path);
    return false;
  } catch (error) {
    return (error as { httpStatusCode?: number }).httpStatusCode === 404;
  }
}

const ROOT = join(import.meta.dirname, '../..');

describe('NATFLOW_HWC_SETTLE_MS: its forms', () => {
  it('takes a number (every kind), a JSON object per kind (missing kinds 0), and unset or empty as 0', () => {
    expect(parseSettleEnv('400')).toEqual(Object.fromEntries(SETTLE_KINDS.map((k) => [k, 400])));
    const some = parseSettleEnv('{"vpc": 200, "server": 800, "dnat_rule": 0}');
    expect(some).toMatchObject({ vpc: 200, server: 800, dnat_rule: 0, loadbalancer: 0, transit_ip: 0 });
    expect(Object.keys(some).sort()).toEqual([...SETTLE_KINDS].sort());
    expect(parseSettleEnv(undefined).gateway).toBe(0);
    expect(parseSettleEnv('  ').member).toBe(0);
  });

  it('refuses a malformed value with a message naming the variable, never a silent 0', () => {
    for (const bad of [
      'soon',
      '-5',
      '1e3',
      '{"vpc": -1}',
      '{"vpcs": 100}',
      '{"vpc": "200"}',
      '[200]',
      '{vpc: 1',
    ]) {
      expect(() => parseSettleEnv(bad), bad).toThrow(/NATFLOW_HWC_SETTLE_MS/);
    }
    expect(() => huaweiCloudConfig({ NATFLOW_HWC_SETTLE_MS: '{"gateways": 5}' })).toThrow(
      /NATFLOW_HWC_SETTLE_MS.*"gateways" is no kind/,
    );
  });

  it('a stack refuses to start on a malformed value, and `natflow up` says which variable (exit 2)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'natflow-settle-'));
    process.env.NATFLOW_HWC_SETTLE_MS = 'two seconds';
    try {
      await expect(startStack({ dataDir: dir, port: 0, dataPlane: false })).rejects.toThrow(
        /NATFLOW_HWC_SETTLE_MS/,
      );
    } finally {
      delete process.env.NATFLOW_HWC_SETTLE_MS;
    }
    const run = spawnSync(
      join(ROOT, 'node_modules/.bin/node'),
      [join(ROOT, 'bin/natflow.js'), 'up', '--once', '--port', '0', '--data-dir', dir],
      {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, NATFLOW_HWC_SETTLE_MS: '{"vpc": "x"}' },
      },
    );
    rmSync(dir, { recursive: true, force: true });
    expect(run.status, run.stdout + run.stderr).toBe(2);
    expect(run.stderr + run.stdout).toMatch(
      /NATFLOW_HWC_SETTLE_MS must be a number of milliseconds or a JSON object/,
    );
  });
});

describe('NATFLOW_HWC_SETTLE_MS: creation', () => {
  it('a number: VPC CREATING, subnet UNKNOWN, ECS job RUNNING / server BUILD, each refusing children until settled', async () => {
    local = await startLocal({ dataPlane: false, settleMs: 300 });
    const l = local;
    const vpc = field(
      await call(l.hc, 'POST', `${V1}/vpcs`, { vpc: { name: 'slow', cidr: '10.0.0.0/16' } }),
      'vpc',
    );
    expect(vpc.status).toBe('CREATING');
    expect(await status(l, `${V1}/vpcs/${vpc.id}`, 'vpc')).toBe('CREATING');
    const subnetBody = { subnet: { name: 's', cidr: '10.0.0.0/24', gateway_ip: '10.0.0.1', vpc_id: vpc.id } };
    const before = await snapshot(l.store);
    expect(await failure(call(l.hc, 'POST', `${V1}/subnets`, subnetBody))).toMatchObject({
      status: 400,
      code: 'VPC.0004',
    });
    expect(await snapshot(l.store)).toBe(before);

    await until(async () => (await status(l, `${V1}/vpcs/${vpc.id}`, 'vpc')) === 'OK', 'the VPC settling');
    const subnet = field(await call(l.hc, 'POST', `${V1}/subnets`, subnetBody), 'subnet');
    expect(subnet.status).toBe('UNKNOWN');
    expect(await status(l, `${V1}/subnets/${subnet.id}`, 'subnet')).toBe('UNKNOWN');
    const serverBody = {
      server: { name: 'web', imageRef: 'i', flavorRef: 'f', vpcid: vpc.id, nics: [{ subnet_id: subnet.id }] },
    };
    const unsettled = await snapshot(l.store);
    // A parent not ready yet names the wait, which the huaweicloud provider reads as Natflow.NotReady.
    const notReady = { errorMsg: expect.stringContaining('(natflow: Natflow.NotReady)') };
    expect(await failure(call(l.hc, 'POST', `${V1}/cloudservers`, serverBody))).toMatchObject({
      status: 400,
      code: 'Ecs.0005',
      body: notReady,
    });
    expect(
      await failure(
        call(l.hc, 'POST', `${V3}/private-nat/gateways`, {
          gateway: { name: 'gw', spec: 'Small', downlink_vpcs: [{ virsubnet_id: subnet.id }] },
        }),
      ),
    ).toMatchObject({ status: 400, code: 'NAT.1000', body: notReady });
    expect(
      await failure(
        call(l.hc, 'POST', `${V3}/elb/loadbalancers`, {
          loadbalancer: {
            name: 'lb',
            vip_subnet_cidr_id: subnet.neutron_subnet_id,
            availability_zone_list: ['az1'],
          },
        }),
      ),
    ).toMatchObject({ status: 400, code: 'ELB.1000' });
    expect(await snapshot(l.store)).toBe(unsettled);

    await until(
      async () => (await status(l, `${V1}/subnets/${subnet.id}`, 'subnet')) === 'ACTIVE',
      'the subnet settling',
    );
    const created = await call(l.hc, 'POST', `${V1}/cloudservers`, serverBody);
    const job = `${V1}/jobs/${created.job_id}`;
    const serverId = (created.serverIds as string[])[0] as string;
    expect((await call(l.hc, 'GET', job)).status).toBe('RUNNING');
    expect(await status(l, `${V1}/cloudservers/${serverId}`, 'server')).toBe('BUILD');
    await until(async () => (await call(l.hc, 'GET', job)).status === 'SUCCESS', 'the ECS job');
    expect(await status(l, `${V1}/cloudservers/${serverId}`, 'server')).toBe('ACTIVE');
  });

  it('a JSON object: private NAT INACTIVE until settled (rules refused NAT.1208 meanwhile); ELB creates answered only once settled', async () => {
    local = await startLocal({
      dataPlane: false,
      settleMs: {
        gateway: 400,
        transit_ip: 300,
        dnat_rule: 300,
        loadbalancer: 500,
        listener: 300,
        pool: 300,
      },
    });
    const l = local;
    // VPCs, subnets and servers take 0 here: they are ready by the next request.
    const vpcA = field(
      await call(l.hc, 'POST', `${V1}/vpcs`, { vpc: { name: 'A', cidr: '192.168.0.0/16' } }),
      'vpc',
    );
    const vpcB = field(
      await call(l.hc, 'POST', `${V1}/vpcs`, { vpc: { name: 'B', cidr: '10.0.0.0/16' } }),
      'vpc',
    );
    const subnetA = field(
      await call(l.hc, 'POST', `${V1}/subnets`, {
        subnet: { name: 'a', cidr: '192.168.0.0/24', gateway_ip: '192.168.0.1', vpc_id: vpcA.id },
      }),
      'subnet',
    );
    const subnetB = field(
      await call(l.hc, 'POST', `${V1}/subnets`, {
        subnet: { name: 'b', cidr: '10.0.0.0/24', gateway_ip: '10.0.0.1', vpc_id: vpcB.id },
      }),
      'subnet',
    );

    // A load balancer has no in-between state (ACTIVE | PENDING_DELETE): not listed while it settles,
    // answered ACTIVE once settled.
    const creating = call(l.hc, 'POST', `${V3}/elb/loadbalancers`, {
      loadbalancer: {
        name: 'ELB01',
        vip_subnet_cidr_id: subnetB.neutron_subnet_id,
        availability_zone_list: ['az1'],
      },
    });
    await new Promise((done) => setTimeout(done, 50));
    expect((await call(l.hc, 'GET', `${V3}/elb/loadbalancers`)).loadbalancers).toEqual([]);
    const lb = field(await creating, 'loadbalancer');
    expect(lb).toMatchObject({ provisioning_status: 'ACTIVE', elb_virsubnet_type: 'ipv4' });
    expect(await status(l, `${V3}/elb/loadbalancers/${lb.id}`, 'loadbalancer', 'provisioning_status')).toBe(
      'ACTIVE',
    );
    const listener = field(
      await call(l.hc, 'POST', `${V3}/elb/listeners`, {
        listener: { name: 'http', protocol: 'HTTP', protocol_port: 80, loadbalancer_id: lb.id },
      }),
      'listener',
    );
    const pool = field(
      await call(l.hc, 'POST', `${V3}/elb/pools`, {
        pool: { name: 'group-B', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', listener_id: listener.id },
      }),
      'pool',
    );
    expect(pool.listeners).toEqual([{ id: listener.id }]);

    const gateway = field(
      await call(l.hc, 'POST', `${V3}/private-nat/gateways`, {
        gateway: { name: 'gw', spec: 'Small', downlink_vpcs: [{ virsubnet_id: subnetB.id }] },
      }),
      'gateway',
    );
    expect(gateway.status).toBe('INACTIVE');
    const tip = field(
      await call(l.hc, 'POST', `${V3}/private-nat/transit-ips`, {
        transit_ip: { virsubnet_id: subnetA.id, ip_address: '192.168.0.144' },
      }),
      'transit_ip',
    );
    expect(tip.status).toBe('INACTIVE');
    const rule = {
      dnat_rule: {
        gateway_id: gateway.id,
        transit_ip_id: tip.id,
        network_interface_id: lb.vip_port_id,
        protocol: 'tcp',
        internal_service_port: '80',
        transit_service_port: '80',
      },
    };
    const before = await snapshot(l.store);
    expect(await failure(call(l.hc, 'POST', `${V3}/private-nat/dnat-rules`, rule))).toMatchObject({
      status: 400,
      code: 'NAT.1208',
    });
    expect(await snapshot(l.store)).toBe(before);
    await until(
      async () => (await status(l, `${V3}/private-nat/gateways/${gateway.id}`, 'gateway')) === 'ACTIVE',
      'the gateway settling',
    );
    await until(
      async () => (await status(l, `${V3}/private-nat/transit-ips/${tip.id}`, 'transit_ip')) === 'ACTIVE',
      'the transit IP settling',
    );
    const dnat = field(await call(l.hc, 'POST', `${V3}/private-nat/dnat-rules`, rule), 'dnat_rule');
    expect(dnat.status).toBe('INACTIVE');
    await until(
      async () => (await status(l, `${V3}/private-nat/dnat-rules/${dnat.id}`, 'dnat_rule')) === 'ACTIVE',
      'the DNAT rule settling',
    );
  });

  it('a client that disconnects while its create settles leaves nothing created', async () => {
    local = await startLocal({ dataPlane: false, settleMs: { loadbalancer: 600 } });
    const l = local;
    const vpc = field(
      await call(l.hc, 'POST', `${V1}/vpcs`, { vpc: { name: 'B', cidr: '10.0.0.0/16' } }),
      'vpc',
    );
    const subnet = field(
      await call(l.hc, 'POST', `${V1}/subnets`, {
        subnet: { name: 'b', cidr: '10.0.0.0/24', gateway_ip: '10.0.0.1', vpc_id: vpc.id },
      }),
      'subnet',
    );
    const body = (name: string) =>
      JSON.stringify({
        loadbalancer: { name, vip_subnet_cidr_id: subnet.neutron_subnet_id, availability_zone_list: ['az1'] },
      });
    const controller = new AbortController();
    const left = signedFetch(l.url, `${V3}/elb/loadbalancers`, body('left'), controller.signal);
    await new Promise((done) => setTimeout(done, 100));
    controller.abort();
    await expect(left).rejects.toThrow();
    // A create sent after the abandoned one settles after it: once it is answered, the other's wait is over.
    const kept = await raw(l.url, 'POST', `${V3}/elb/loadbalancers`, body('kept'));
    expect(kept.status).toBe(201);
    const names = ((await call(l.hc, 'GET', `${V3}/elb/loadbalancers`)).loadbalancers as Json[]).map(
      (b) => b.name,
    );
    expect(names).toEqual(['kept']);
    await l.server.api.idle();
    expect((await l.store.list({ type: 'load-balancer' })).map((r) => r.name)).toEqual(['kept']);
  });
});

describe('NATFLOW_HWC_SETTLE_MS: deletion', () => {
  it('a deleted resource stays listed with its last status (a load balancer PENDING_DELETE) until it settles, and takes no child meanwhile', async () => {
    local = await startLocal({
      dataPlane: false,
      settleMs: { dnat_rule: 400, transit_ip: 300, loadbalancer: 400, vpc: 300, server: 300, subnet: 0 },
    });
    const l = local;
    const vpcA = field(
      await call(l.hc, 'POST', `${V1}/vpcs`, { vpc: { name: 'A', cidr: '192.168.0.0/16' } }),
      'vpc',
    );
    const vpcB = field(
      await call(l.hc, 'POST', `${V1}/vpcs`, { vpc: { name: 'B', cidr: '10.0.0.0/16' } }),
      'vpc',
    );
    await until(async () => (await status(l, `${V1}/vpcs/${vpcB.id}`, 'vpc')) === 'OK', 'the VPCs settling');
    await until(async () => (await status(l, `${V1}/vpcs/${vpcA.id}`, 'vpc')) === 'OK', 'the VPCs settling');
    const subnetA = field(
      await call(l.hc, 'POST', `${V1}/subnets`, {
        subnet: { name: 'a', cidr: '192.168.0.0/24', gateway_ip: '192.168.0.1', vpc_id: vpcA.id },
      }),
      'subnet',
    );
    const subnetB = field(
      await call(l.hc, 'POST', `${V1}/subnets`, {
        subnet: { name: 'b', cidr: '10.0.0.0/24', gateway_ip: '10.0.0.1', vpc_id: vpcB.id },
      }),
      'subnet',
    );
    const created = await call(l.hc, 'POST', `${V1}/cloudservers`, {
      server: {
        name: 'web',
        imageRef: 'i',
        flavorRef: 'f',
        vpcid: vpcB.id,
        nics: [{ subnet_id: subnetB.id }],
      },
    });
    const serverId = (created.serverIds as string[])[0] as string;
    const lb = field(
      await call(l.hc, 'POST', `${V3}/elb/loadbalancers`, {
        loadbalancer: {
          name: 'ELB01',
          vip_subnet_cidr_id: subnetB.neutron_subnet_id,
          availability_zone_list: ['az1'],
        },
      }),
      'loadbalancer',
    );
    const gateway = field(
      await call(l.hc, 'POST', `${V3}/private-nat/gateways`, {
        gateway: { name: 'gw', spec: 'Small', downlink_vpcs: [{ virsubnet_id: subnetB.id }] },
      }),
      'gateway',
    );
    const tip = field(
      await call(l.hc, 'POST', `${V3}/private-nat/transit-ips`, {
        transit_ip: { virsubnet_id: subnetA.id, ip_address: '192.168.0.144' },
      }),
      'transit_ip',
    );
    await until(
      async () => (await status(l, `${V3}/private-nat/transit-ips/${tip.id}`, 'transit_ip')) === 'ACTIVE',
      'the transit IP settling',
    );
    const dnat = field(
      await call(l.hc, 'POST', `${V3}/private-nat/dnat-rules`, {
        dnat_rule: {
          gateway_id: gateway.id,
          transit_ip_id: tip.id,
          network_interface_id: lb.vip_port_id,
          protocol: 'tcp',
          internal_service_port: '80',
          transit_service_port: '80',
        },
      }),
      'dnat_rule',
    );
    await until(
      async () => (await status(l, `${V3}/private-nat/dnat-rules/${dnat.id}`, 'dnat_rule')) === 'ACTIVE',
      'the DNAT rule settling',
    );

    // The rule: listed ACTIVE (its last status) while its deletion settles; what it holds stays held.
    expect((await call(l.hc, 'DELETE', `${V3}/private-nat/dnat-rules/${dnat.id}`)).httpStatusCode).toBe(204);
    expect(await status(l, `${V3}/private-nat/dnat-rules/${dnat.id}`, 'dnat_rule')).toBe('ACTIVE');
    expect(
      ((await call(l.hc, 'GET', `${V3}/private-nat/dnat-rules`)).dnat_rules as Json[]).map((r) => r.id),
    ).toEqual([dnat.id]);
    expect(await failure(call(l.hc, 'DELETE', `${V3}/private-nat/transit-ips/${tip.id}`))).toMatchObject({
      status: 400,
      code: 'NAT.1409',
    });
    // Asking again while it settles changes nothing.
    expect((await call(l.hc, 'DELETE', `${V3}/private-nat/dnat-rules/${dnat.id}`)).httpStatusCode).toBe(204);
    await until(() => gone(l, `${V3}/private-nat/dnat-rules/${dnat.id}`), 'the DNAT rule going');

    // The transit IP: listed until its deletion settles, then gone.
    expect((await call(l.hc, 'DELETE', `${V3}/private-nat/transit-ips/${tip.id}`)).httpStatusCode).toBe(204);
    expect(await status(l, `${V3}/private-nat/transit-ips/${tip.id}`, 'transit_ip')).toBe('ACTIVE');
    await until(() => gone(l, `${V3}/private-nat/transit-ips/${tip.id}`), 'the transit IP going');

    // The load balancer: PENDING_DELETE (the API documents it), and no listener on it meanwhile.
    expect((await call(l.hc, 'DELETE', `${V3}/elb/loadbalancers/${lb.id}`)).httpStatusCode).toBe(204);
    expect(await status(l, `${V3}/elb/loadbalancers/${lb.id}`, 'loadbalancer', 'provisioning_status')).toBe(
      'PENDING_DELETE',
    );
    expect(
      await failure(
        call(l.hc, 'POST', `${V3}/elb/listeners`, {
          listener: { protocol: 'TCP', protocol_port: 80, loadbalancer_id: lb.id },
        }),
      ),
    ).toMatchObject({
      status: 400,
      code: 'ELB.1000',
      // Being deleted is no wait: the message says so and names no Natflow.NotReady.
      body: { errorMsg: expect.not.stringContaining('Natflow.NotReady') },
    });
    await until(() => gone(l, `${V3}/elb/loadbalancers/${lb.id}`), 'the load balancer going');

    // The ECS: its delete job RUNNING, the server listed (task_state deleting) until the job succeeds.
    const deleted = await call(l.hc, 'POST', `${V1}/cloudservers/delete`, { servers: [{ id: serverId }] });
    const job = `${V1}/jobs/${deleted.job_id}`;
    expect((await call(l.hc, 'GET', job)).status).toBe('RUNNING');
    expect(field(await call(l.hc, 'GET', `${V1}/cloudservers/${serverId}`), 'server')).toMatchObject({
      status: 'ACTIVE',
      'OS-EXT-STS:task_state': 'deleting',
    });
    await until(async () => (await call(l.hc, 'GET', job)).status === 'SUCCESS', 'the delete job');
    await until(() => gone(l, `${V1}/cloudservers/${serverId}`), 'the server going');

    // The VPC: listed OK while its deletion settles; no subnet in it meanwhile (VPC.0004).
    await call(l.hc, 'DELETE', `${V3}/private-nat/gateways/${gateway.id}`);
    await call(l.hc, 'DELETE', `${V1}/vpcs/${vpcA.id}/subnets/${subnetA.id}`);
    expect((await call(l.hc, 'DELETE', `${V1}/vpcs/${vpcA.id}`)).httpStatusCode).toBe(204);
    expect(await status(l, `${V1}/vpcs/${vpcA.id}`, 'vpc')).toBe('OK');
    expect(
      await failure(
        call(l.hc, 'POST', `${V1}/subnets`, {
          subnet: { name: 'late', cidr: '192.168.1.0/24', gateway_ip: '192.168.1.1', vpc_id: vpcA.id },
        }),
      ),
    ).toMatchObject({ status: 400, code: 'VPC.0004' });
    await until(() => gone(l, `${V1}/vpcs/${vpcA.id}`), 'the VPC going');
    expect(await l.store.list({ type: 'vpc' })).toHaveLength(1);
  });
});

/** A signed POST through fetch with an abort signal (the harness's raw() has none). */
function signedFetch(url: string, path: string, body: string, signal: AbortSignal): Promise<Response> {
  const headers = signRequest(
    {
      method: 'POST',
      rawPath: path,
      rawQuery: '',
      headers: { host: new URL(url).host, 'content-type': 'application/json' },
      body: Buffer.from(body),
    },
    { ak: AK, sk: SK },
    Date.now(),
  );
  return fetch(`${url}${path}`, { method: 'POST', headers, body, signal });
}
