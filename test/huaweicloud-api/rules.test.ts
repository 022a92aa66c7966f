/**
 * Every control-plane rule through the local Huawei Cloud API, refused with the docs/huaweicloud-api.md Huawei code (in the
 * service's error shape), and nothing changed by a refusal.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ControlPlane, externalIdOf } from '../../src/cloud/control-plane.ts';
import { keys } from '../../src/cloud/store.ts';
import {
  type Base,
  buildBase,
  call,
  dnatBody,
  failure,
  type Local,
  raw,
  snapshot,
  startLocal,
  V1,
  V3,
} from './harness.ts';

let local: Local;
let base: Base;
beforeEach(async () => {
  local = await startLocal({ dataPlane: false });
  base = await buildBase(local);
});
afterEach(async () => {
  await local?.close();
});

/** The request is refused with this status and code, and the store is unchanged. */
async function refused(
  method: 'POST' | 'DELETE' | 'PUT',
  path: string,
  body: unknown,
  status: number,
  code: string,
  natflowCode?: string,
): Promise<Record<string, unknown>> {
  const before = await snapshot(local.store);
  const response = await raw(local.url, method, path, body === undefined ? undefined : JSON.stringify(body));
  expect({ status: response.status, json: response.json }).toMatchObject({ status });
  const code_ = (response.json.error_code ??
    response.json.code ??
    (response.json.error as Record<string, unknown>)?.code) as string;
  expect(code_).toBe(code);
  if (natflowCode) expect(JSON.stringify(response.json)).toContain(`natflow: ${natflowCode}`);
  expect(await snapshot(local.store)).toBe(before);
  return response.json;
}

async function tipIn(subnet: string, ip?: string): Promise<string> {
  const response = await call(local.hc, 'POST', `${V3}/private-nat/transit-ips`, {
    transit_ip: { virsubnet_id: subnet, ...(ip ? { ip_address: ip } : {}) },
  });
  return String((response.transit_ip as Record<string, unknown>).id);
}

describe('DNAT rule refusals (POST /v3/{project_id}/private-nat/dnat-rules)', () => {
  it('TRANSIT_IP_IN_TARGET_VPC → NAT.1303: a transit IP in the target’s own VPC', async () => {
    const tipB = await tipIn(base.subnetB, '10.0.0.50');
    const body = await refused(
      'POST',
      `${V3}/private-nat/dnat-rules`,
      dnatBody(base, { transit_ip_id: tipB }),
      400,
      'NAT.1303',
      'TRANSIT_IP_IN_TARGET_VPC',
    );
    expect(body).toMatchObject({
      error_code: 'NAT.1303',
      request_id: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    expect(String(body.error_msg)).toMatch(/same VPC/);
  });

  it('TARGET_NOT_IN_GATEWAY_VPC → NAT.1304: a target outside the gateway’s VPC', async () => {
    const tipB = await tipIn(base.subnetB, '10.0.0.50');
    await refused(
      'POST',
      `${V3}/private-nat/dnat-rules`,
      dnatBody(base, { transit_ip_id: tipB, network_interface_id: base.ecsAPort }),
      400,
      'NAT.1304',
      'TARGET_NOT_IN_GATEWAY_VPC',
    );
  });

  it('LB_ALREADY_MAPPED → NAT.1000 with natflow’s code: one DNAT rule per load balancer', async () => {
    await call(local.hc, 'POST', `${V3}/private-nat/dnat-rules`, dnatBody(base));
    await refused(
      'POST',
      `${V3}/private-nat/dnat-rules`,
      dnatBody(base, { transit_service_port: '8080' }),
      400,
      'NAT.1000',
      'LB_ALREADY_MAPPED',
    );
  });

  it('DNAT_PORT_CONFLICT → NAT.1310: (transit IP, protocol, transit port) is unique', async () => {
    await call(local.hc, 'POST', `${V3}/private-nat/dnat-rules`, dnatBody(base));
    await refused(
      'POST',
      `${V3}/private-nat/dnat-rules`,
      dnatBody(base, { network_interface_id: base.ecsBPort }),
      400,
      'NAT.1310',
      'DNAT_PORT_CONFLICT',
    );
  });

  it('PORT_TYPE_CONFLICT → NAT.1410 adding all ports beside a specific port, NAT.1309 the other way', async () => {
    await call(
      local.hc,
      'POST',
      `${V3}/private-nat/dnat-rules`,
      dnatBody(base, { network_interface_id: base.ecsBPort }),
    );
    await refused(
      'POST',
      `${V3}/private-nat/dnat-rules`,
      dnatBody(base, { protocol: 'any', internal_service_port: '0', transit_service_port: '0' }),
      400,
      'NAT.1410',
      'PORT_TYPE_CONFLICT',
    );
    const tip2 = await tipIn(base.subnetA, '192.168.0.145');
    await call(
      local.hc,
      'POST',
      `${V3}/private-nat/dnat-rules`,
      dnatBody(base, {
        transit_ip_id: tip2,
        protocol: 'any',
        internal_service_port: '0',
        transit_service_port: '0',
      }),
    );
    await refused(
      'POST',
      `${V3}/private-nat/dnat-rules`,
      dnatBody(base, {
        transit_ip_id: tip2,
        network_interface_id: base.ecsBPort,
        transit_service_port: '81',
      }),
      400,
      'NAT.1309',
      'PORT_TYPE_CONFLICT',
    );
  });

  it.each([
    ['tcp', '0', '80'],
    ['tcp', '80', '70000'],
    ['udp', '80', 'eighty'],
    ['any', '80', '80'],
    ['tcp', '80', '-1'],
  ])('INVALID_PORT_SPEC → NAT.1306: %s %s→%s', async (protocol, internal, transit) => {
    await refused(
      'POST',
      `${V3}/private-nat/dnat-rules`,
      dnatBody(base, { protocol, internal_service_port: internal, transit_service_port: transit }),
      400,
      'NAT.1306',
      'INVALID_PORT_SPEC',
    );
  });

  it('TRANSIT_IP_SHARED → NAT.1305 (DNAT on an SNAT transit IP) and NAT.1308 (SNAT on a DNAT one)', async () => {
    const tipB = await tipIn(base.subnetB, '10.0.0.60');
    await call(local.hc, 'POST', `${V3}/private-nat/snat-rules`, {
      snat_rule: { gateway_id: base.gateway, virsubnet_id: base.subnetB, transit_ip_ids: [base.tip] },
    });
    await refused(
      'POST',
      `${V3}/private-nat/dnat-rules`,
      dnatBody(base),
      400,
      'NAT.1305',
      'TRANSIT_IP_SHARED',
    );
    const tip2 = await tipIn(base.subnetA, '192.168.0.146');
    await call(local.hc, 'POST', `${V3}/private-nat/dnat-rules`, dnatBody(base, { transit_ip_id: tip2 }));
    await refused(
      'POST',
      `${V3}/private-nat/snat-rules`,
      { snat_rule: { gateway_id: base.gateway, cidr: '10.0.0.0/25', transit_ip_ids: [tip2] } },
      400,
      'NAT.1308',
      'TRANSIT_IP_SHARED',
    );
    expect(tipB).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('GATEWAY_NOT_ACTIVE → NAT.1208: a frozen gateway takes no rules', async () => {
    const gateway = await local.store.getByKey(keys.external(base.gateway));
    await new ControlPlane({ store: local.store }).freeze(gateway?.id as string);
    const shown = await call(local.hc, 'GET', `${V3}/private-nat/gateways/${base.gateway}`);
    expect((shown.gateway as Record<string, unknown>).status).toBe('FROZEN');
    await refused(
      'POST',
      `${V3}/private-nat/dnat-rules`,
      dnatBody(base),
      400,
      'NAT.1208',
      'GATEWAY_NOT_ACTIVE',
    );
  });

  it('QUOTA_EXCEEDED → NAT.1207: a Small gateway takes 20 rules (rule_max)', async () => {
    const gateway = (await call(local.hc, 'GET', `${V3}/private-nat/gateways/${base.gateway}`))
      .gateway as Record<string, unknown>;
    expect(gateway.rule_max).toBe(20);
    for (let port = 1000; port < 1020; port++) {
      await call(
        local.hc,
        'POST',
        `${V3}/private-nat/dnat-rules`,
        dnatBody(base, { network_interface_id: base.ecsBPort, transit_service_port: String(port) }),
      );
    }
    await refused(
      'POST',
      `${V3}/private-nat/dnat-rules`,
      dnatBody(base, { network_interface_id: base.ecsBPort, transit_service_port: '1020' }),
      400,
      'NAT.1207',
      'QUOTA_EXCEEDED',
    );
  });

  it('a port id and an address at once → NAT.1311; neither → 400', async () => {
    await refused(
      'POST',
      `${V3}/private-nat/dnat-rules`,
      dnatBody(base, { private_ip_address: '10.0.0.9' }),
      400,
      'NAT.1311',
    );
    await refused(
      'POST',
      `${V3}/private-nat/dnat-rules`,
      dnatBody(base, { network_interface_id: undefined }),
      400,
      'NAT.1000',
    );
  });

  it('an unknown gateway, transit IP or port → 404 NAT.1002', async () => {
    const nobody = externalIdOf('nobody');
    await refused(
      'POST',
      `${V3}/private-nat/dnat-rules`,
      dnatBody(base, { gateway_id: nobody }),
      404,
      'NAT.1002',
      'NOT_FOUND',
    );
    await refused(
      'POST',
      `${V3}/private-nat/dnat-rules`,
      dnatBody(base, { transit_ip_id: nobody }),
      404,
      'NAT.1002',
    );
    await refused(
      'POST',
      `${V3}/private-nat/dnat-rules`,
      dnatBody(base, { network_interface_id: nobody }),
      404,
      'NAT.1002',
    );
  });
});

describe('transit IP, SNAT and gateway refusals', () => {
  it('IP_IN_USE → NAT.1403, IP_NOT_IN_SUBNET → NAT.1405, SUBNET_EXHAUSTED → NAT.1404', async () => {
    const tipPath = `${V3}/private-nat/transit-ips`;
    await refused(
      'POST',
      tipPath,
      { transit_ip: { virsubnet_id: base.subnetA, ip_address: '192.168.0.144' } },
      400,
      'NAT.1403',
      'IP_IN_USE',
    );
    await refused(
      'POST',
      tipPath,
      { transit_ip: { virsubnet_id: base.subnetA, ip_address: '192.168.1.5' } },
      400,
      'NAT.1405',
      'IP_NOT_IN_SUBNET',
    );
    const small = (
      await call(local.hc, 'POST', `${V1}/subnets`, {
        subnet: { name: 'tiny', cidr: '192.168.9.0/29', gateway_ip: '192.168.9.1', vpc_id: base.vpcA },
      })
    ).subnet as Record<string, string>;
    for (let i = 0; i < 3; i++) await tipIn(small.id as string);
    await refused(
      'POST',
      tipPath,
      { transit_ip: { virsubnet_id: small.id } },
      400,
      'NAT.1404',
      'SUBNET_EXHAUSTED',
    );
  });

  it('SNAT_SOURCE_CONFLICT → NAT.1503 for a subnet twice, NAT.1505 for a CIDR twice', async () => {
    const tipB1 = await tipIn(base.subnetA, '192.168.0.150');
    await call(local.hc, 'POST', `${V3}/private-nat/snat-rules`, {
      snat_rule: { gateway_id: base.gateway, virsubnet_id: base.subnetB, transit_ip_ids: [tipB1] },
    });
    await refused(
      'POST',
      `${V3}/private-nat/snat-rules`,
      { snat_rule: { gateway_id: base.gateway, virsubnet_id: base.subnetB, transit_ip_ids: [tipB1] } },
      400,
      'NAT.1503',
      'SNAT_SOURCE_CONFLICT',
    );
    await call(local.hc, 'POST', `${V3}/private-nat/snat-rules`, {
      snat_rule: { gateway_id: base.gateway, cidr: '10.0.0.0/26', transit_ip_ids: [tipB1] },
    });
    await refused(
      'POST',
      `${V3}/private-nat/snat-rules`,
      { snat_rule: { gateway_id: base.gateway, cidr: '10.0.0.0/26', transit_ip_ids: [tipB1] } },
      400,
      'NAT.1505',
      'SNAT_SOURCE_CONFLICT',
    );
  });

  it('one downlink VPC per gateway → NAT.1201', async () => {
    await refused(
      'POST',
      `${V3}/private-nat/gateways`,
      {
        gateway: {
          name: 'gw2',
          downlink_vpcs: [{ virsubnet_id: base.subnetB }, { virsubnet_id: base.subnetA }],
        },
      },
      400,
      'NAT.1201',
    );
  });

  it('a spec change below the rules in use → NAT.1207; the same spec → NAT.1206', async () => {
    await refused(
      'PUT',
      `${V3}/private-nat/gateways/${base.gateway}`,
      { gateway: { spec: 'Small' } },
      400,
      'NAT.1206',
    );
    const updated = await call(local.hc, 'PUT', `${V3}/private-nat/gateways/${base.gateway}`, {
      gateway: { spec: 'Medium' },
    });
    expect((updated.gateway as Record<string, unknown>).rule_max).toBe(50);
  });
});

describe('VPC, ECS and ELB refusals, in their own shapes', () => {
  it('CIDR_OUT_OF_RANGE, INVALID_CIDR and SUBNET_OVERLAP → 400 {code, message} with natflow’s code', async () => {
    const out = await refused(
      'POST',
      `${V1}/vpcs`,
      { vpc: { name: 'x', cidr: '8.8.0.0/16' } },
      400,
      'VPC.1000',
      'CIDR_OUT_OF_RANGE',
    );
    expect(Object.keys(out).sort()).toEqual(['code', 'error_code', 'error_msg', 'message', 'request_id']);
    expect(out.code).toBe(out.error_code);
    await refused(
      'POST',
      `${V1}/vpcs`,
      { vpc: { name: 'x', cidr: '10.0.0.0/33' } },
      400,
      'VPC.1000',
      'INVALID_CIDR',
    );
    await refused(
      'POST',
      `${V1}/subnets`,
      { subnet: { name: 'x', cidr: '10.0.0.128/25', gateway_ip: '10.0.0.129', vpc_id: base.vpcB } },
      400,
      'VPC.1000',
      'SUBNET_OVERLAP',
    );
  });

  it('an ECS in a subnet of another VPC → 400 {"error": {code, message}}', async () => {
    const body = await refused(
      'POST',
      `${V1}/cloudservers`,
      {
        server: {
          name: 'x',
          imageRef: 'i',
          flavorRef: 'f',
          vpcid: base.vpcA,
          nics: [{ subnet_id: base.subnetB }],
        },
      },
      400,
      'Ecs.0005',
    );
    expect(Object.keys(body)).toEqual(['error']);
  });

  it('wrong-order deletes are refused: VPC with subnets, subnet with servers, ELB with listeners or a DNAT rule, pool with members', async () => {
    const pool = (
      await call(local.hc, 'POST', `${V3}/elb/pools`, {
        pool: { protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', loadbalancer_id: base.lb },
      })
    ).pool as Record<string, string>;
    const ecsB = (await call(local.hc, 'GET', `${V1}/cloudservers/${base.ecsB}`)).server as Record<
      string,
      unknown
    >;
    const ip = Object.values(ecsB.addresses as Record<string, Array<Record<string, string>>>)[0]?.[0]?.addr;
    await call(local.hc, 'POST', `${V3}/elb/pools/${pool.id}/members`, {
      member: { address: ip, protocol_port: 80 },
    });
    await call(local.hc, 'POST', `${V3}/elb/listeners`, {
      listener: { protocol: 'HTTP', protocol_port: 80, loadbalancer_id: base.lb, default_pool_id: pool.id },
    });
    await call(local.hc, 'POST', `${V3}/private-nat/dnat-rules`, dnatBody(base));
    await refused('DELETE', `${V1}/vpcs/${base.vpcB}`, undefined, 409, 'VPC.1000', 'DEPENDENCY_VIOLATION');
    await refused(
      'DELETE',
      `${V1}/vpcs/${base.vpcB}/subnets/${base.subnetB}`,
      undefined,
      409,
      'VPC.1000',
      'DEPENDENCY_VIOLATION',
    );
    await refused(
      'DELETE',
      `${V3}/elb/loadbalancers/${base.lb}`,
      undefined,
      409,
      'ELB.1000',
      'DEPENDENCY_VIOLATION',
    );
    await refused('DELETE', `${V3}/elb/pools/${pool.id}`, undefined, 409, 'ELB.1000', 'DEPENDENCY_VIOLATION');
    await refused(
      'POST',
      `${V1}/cloudservers/delete`,
      { servers: [{ id: base.ecsB }] },
      409,
      'Ecs.1000',
      'DEPENDENCY_VIOLATION',
    );
    await refused(
      'DELETE',
      `${V3}/private-nat/gateways/${base.gateway}`,
      undefined,
      400,
      'NAT.1202',
      'DEPENDENCY_VIOLATION',
    );
    await refused(
      'DELETE',
      `${V3}/private-nat/transit-ips/${base.tip}`,
      undefined,
      400,
      'NAT.1409',
      'DEPENDENCY_VIOLATION',
    );
  });

  it('an unknown id → 404 in each service’s shape', async () => {
    const nobody = externalIdOf('nobody');
    expect((await failure(call(local.hc, 'GET', `${V1}/vpcs/${nobody}`))).status).toBe(404);
    expect((await failure(call(local.hc, 'GET', `${V1}/cloudservers/${nobody}`))).code).toBe('Ecs.0114');
    expect((await failure(call(local.hc, 'GET', `${V3}/elb/pools/${nobody}`))).code).toBe('ELB.8902');
    expect((await failure(call(local.hc, 'GET', `${V3}/private-nat/gateways/${nobody}`))).code).toBe(
      'NAT.1002',
    );
  });
});
