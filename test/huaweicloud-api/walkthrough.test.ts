/**
 * The reference walkthrough (private-nat-cross-vpc-elb.txt) done entirely through the local Huawei
 * Cloud API with the official SDK clients, then the probe from ECS-A to the transit IP, live.
 */
import {
  CreatePostPaidServersRequest,
  CreatePostPaidServersRequestBody,
  DeleteServersRequest,
  DeleteServersRequestBody,
  ListServersDetailsRequest,
  PostPaidServer,
  PostPaidServerNic,
  PostPaidServerRootVolume,
  ServerId,
  ShowJobRequest,
} from '@huaweicloud/huaweicloud-sdk-ecs';
import {
  CreateSubnetOption,
  CreateSubnetRequest,
  CreateSubnetRequestBody,
  CreateVpcOption,
  CreateVpcRequest,
  CreateVpcRequestBody,
  DeleteVpcRequest,
  ListVpcsRequest,
  ShowVpcRequest,
} from '@huaweicloud/huaweicloud-sdk-vpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Topology } from '../../src/probe/model.ts';
import { probe } from '../../src/probe/probe.ts';
import { call, failure, type Local, PROJECT, startLocal } from './harness.ts';

let local: Local;
beforeAll(async () => {
  local = await startLocal({ prefix: '127.94' });
});
afterAll(async () => {
  await local?.close();
});

const P = `/v3/${PROJECT}`;

async function vpc(name: string, cidr: string) {
  const response = await local.vpc.createVpc(
    new CreateVpcRequest().withBody(
      new CreateVpcRequestBody().withVpc(new CreateVpcOption().withName(name).withCidr(cidr)),
    ),
  );
  return response.vpc as { id: string; status: string };
}

async function subnet(name: string, cidr: string, gateway: string, vpcId: string) {
  const response = await local.vpc.createSubnet(
    new CreateSubnetRequest().withBody(
      new CreateSubnetRequestBody().withSubnet(
        new CreateSubnetOption().withName(name).withCidr(cidr).withGatewayIp(gateway).withVpcId(vpcId),
      ),
    ),
  );
  return response.subnet as unknown as {
    id: string;
    neutron_subnet_id?: string;
    neutronSubnetId?: string;
    status: string;
  };
}

async function ecs(name: string, vpcId: string, subnetId: string, userData?: string) {
  const server = new PostPaidServer()
    .withName(name)
    .withImageRef('image-any')
    .withFlavorRef('s6.small.1')
    .withVpcid(vpcId)
    .withNics([new PostPaidServerNic().withSubnetId(subnetId)])
    .withRootVolume(new PostPaidServerRootVolume().withVolumetype('SSD'));
  if (userData) server.withUserData(Buffer.from(userData).toString('base64'));
  const response = await local.ecs.createPostPaidServers(
    new CreatePostPaidServersRequest().withBody(new CreatePostPaidServersRequestBody().withServer(server)),
  );
  return response as unknown as { jobId?: string; job_id?: string; serverIds: string[] };
}

describe('the walkthrough through the local Huawei Cloud API', () => {
  it('builds VPC-A/B, ECS-A/B, ELB01 with an HTTP listener and pool, a transit IP, a Small gateway and the DNAT rule; ECS-A reaches ELB01 through 192.168.0.144:80 with a live 200', async () => {
    // Preparations: VPCs, subnets, ECSs (ECS-B serves HTTP on 80 through user_data)
    const vpcA = await vpc('VPC-A', '192.168.0.0/16');
    expect(vpcA.status).toBe('CREATING');
    const vpcB = await vpc('VPC-B', '10.0.0.0/16');
    const shown = await local.vpc.showVpc(new ShowVpcRequest().withVpcId(vpcA.id));
    expect(shown.vpc?.status).toBe('OK');
    const subnetA = await subnet('subnet-A01', '192.168.0.0/24', '192.168.0.1', vpcA.id);
    const subnetB = await subnet('subnet-B01', '10.0.0.0/24', '10.0.0.1', vpcB.id);
    expect(subnetA.status).toBe('UNKNOWN');
    const ecsA = await ecs('ECS-A', vpcA.id, subnetA.id);
    const ecsB = await ecs(
      'ECS-B',
      vpcB.id,
      subnetB.id,
      '#!/bin/bash\ncd /srv && nohup python3 -m http.server 80 &\n',
    );
    const jobId = ecsB.jobId ?? ecsB.job_id;
    expect(jobId).toMatch(/^[0-9a-f]{32}$/);
    const job = (await local.ecs.showJob(new ShowJobRequest().withJobId(jobId as string))) as unknown as {
      status: string;
    };
    expect(job.status).toBe('SUCCESS');
    const listed = await local.ecs.listServersDetails(new ListServersDetailsRequest().withName('ECS-B'));
    expect(listed.count).toBe(1);
    const ecsBDetail = listed.servers?.[0] as unknown as {
      id: string;
      addresses: Record<string, Array<{ addr: string }>>;
    };
    expect(ecsBDetail.id).toBe(ecsB.serverIds[0]);
    const ecsBIp = ecsBDetail.addresses[vpcB.id]?.[0]?.addr as string;
    const neutronB = (await call(local.hc, 'GET', `/v1/${PROJECT}/subnets/${subnetB.id}`)).subnet as Record<
      string,
      string
    >;

    // backend server group-B with ECS-B, not associated with a load balancer (an independent pool)
    const pool = (
      await call(local.hc, 'POST', `${P}/elb/pools`, {
        pool: {
          name: 'server-group-B',
          protocol: 'HTTP',
          lb_algorithm: 'ROUND_ROBIN',
          type: 'instance',
          vpc_id: vpcB.id,
        },
      })
    ).pool as Record<string, string>;
    const member = await call(local.hc, 'POST', `${P}/elb/pools/${pool.id}/members`, {
      member: { address: ecsBIp, protocol_port: 80, subnet_cidr_id: neutronB.neutron_subnet_id },
    });
    expect(member.httpStatusCode).toBe(201);

    // Step 1: ELB01, dedicated, two AZs, private IPv4 in subnet-B01
    const created = await call(local.hc, 'POST', `${P}/elb/loadbalancers`, {
      loadbalancer: {
        name: 'ELB01',
        vip_subnet_cidr_id: neutronB.neutron_subnet_id,
        elb_virsubnet_ids: [subnetB.id],
        availability_zone_list: ['cn-north-4a', 'cn-north-4b'],
        l7_flavor_id: 'flavor-any',
      },
    });
    expect(created.httpStatusCode).toBe(201);
    const lb = created.loadbalancer as Record<string, string>;
    // ELB v3's model has ACTIVE | PENDING_DELETE only: a create answers ACTIVE once it has settled.
    expect(lb.provisioning_status).toBe('ACTIVE');
    expect(lb.elb_virsubnet_type).toBe('ipv4');
    const lbShown = (await call(local.hc, 'GET', `${P}/elb/loadbalancers/${lb.id}`)).loadbalancer as Record<
      string,
      string
    >;
    expect(lbShown.provisioning_status).toBe('ACTIVE');

    // Step 2: an HTTP listener with backend server group-B, all IP addresses
    const listener = await call(local.hc, 'POST', `${P}/elb/listeners`, {
      listener: {
        name: 'listener-http',
        protocol: 'HTTP',
        protocol_port: 80,
        loadbalancer_id: lb.id,
        default_pool_id: pool.id,
      },
    });
    expect((listener.listener as Record<string, unknown>).default_pool_id).toBe(pool.id);

    // Step 3: transit IP 192.168.0.144 in subnet-A01
    const tip = (
      await call(local.hc, 'POST', `${P}/private-nat/transit-ips`, {
        transit_ip: { virsubnet_id: subnetA.id, ip_address: '192.168.0.144' },
      })
    ).transit_ip as Record<string, string>;
    expect(tip.ip_address).toBe('192.168.0.144');

    // Step 4: private_nat_gateway, VPC-B / subnet-B01, Small
    const gateway = (
      await call(local.hc, 'POST', `${P}/private-nat/gateways`, {
        gateway: {
          name: 'private_nat_gateway',
          spec: 'Small',
          downlink_vpcs: [{ virsubnet_id: subnetB.id }],
        },
      })
    ).gateway as Record<string, unknown>;
    expect(gateway.spec).toBe('Small');
    expect((gateway.downlink_vpcs as Array<Record<string, string>>)[0]?.vpc_id).toBe(vpcB.id);

    // Step 5: the DNAT rule tcp 80 → ELB01's port, internal port 80
    const dnat = await call(local.hc, 'POST', `${P}/private-nat/dnat-rules`, {
      dnat_rule: {
        gateway_id: gateway.id,
        transit_ip_id: tip.id,
        network_interface_id: lbShown.vip_port_id,
        protocol: 'tcp',
        internal_service_port: '80',
        transit_service_port: '80',
      },
    });
    expect(dnat.httpStatusCode).toBe(201);
    const rule = dnat.dnat_rule as Record<string, unknown>;
    expect(rule).toMatchObject({
      transit_service_port: '80',
      internal_service_port: '80',
      private_ip_address: lbShown.vip_address,
      type: 'ELBv3',
    });
    const ruleShown = (await call(local.hc, 'GET', `${P}/private-nat/dnat-rules/${rule.id}`))
      .dnat_rule as Record<string, string>;
    expect(ruleShown.status).toBe('ACTIVE');
    await local.server.api.idle();

    // Step 6: natflow probe --from ECS-A --to 192.168.0.144:80 --protocol http, and the curl
    const report = await probe(
      Topology.from(await local.store.list()),
      { from: 'ECS-A', to: '192.168.0.144', protocol: 'http', port: 80 },
      ...(local.dataPlane ? [{ dataPlane: local.dataPlane }] : []),
    );
    expect(report.verdict).toBe('REACHABLE');
    expect(report.live).toMatchObject({ ok: true, status: 200, responder: 'ECS-B' });
    const transit = local.dataPlane?.map().endpoints.find((e) => e.kind === 'transit-ip');
    const response = await fetch(`http://${transit?.loopback}/`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('ECS-B');
    expect(ecsA.serverIds).toHaveLength(1);

    // Deleting in the wrong order is refused, nothing changes
    const inUse = await failure(call(local.hc, 'DELETE', `${P}/private-nat/gateways/${gateway.id}`));
    expect(inUse).toMatchObject({ status: 400, code: 'NAT.1202' });
    const tipInUse = await failure(call(local.hc, 'DELETE', `${P}/private-nat/transit-ips/${tip.id}`));
    expect(tipInUse).toMatchObject({ status: 400, code: 'NAT.1409' });
    const vpcInUse = await failure(local.vpc.deleteVpc(new DeleteVpcRequest().withVpcId(vpcB.id)));
    expect(vpcInUse.status).toBe(409);
    const lbInUse = await failure(call(local.hc, 'DELETE', `${P}/elb/loadbalancers/${lb.id}`));
    expect(lbInUse.status).toBe(409);
    const serverInUse = await failure(
      local.ecs.deleteServers(
        new DeleteServersRequest().withBody(
          new DeleteServersRequestBody().withServers([new ServerId().withId(ecsB.serverIds[0] as string)]),
        ),
      ),
    );
    expect(serverInUse.status).toBe(409);
    const before = (await local.store.list()).length;

    // …and the right order tears everything down
    expect((await call(local.hc, 'DELETE', `${P}/private-nat/dnat-rules/${rule.id}`)).httpStatusCode).toBe(
      204,
    );
    await call(local.hc, 'DELETE', `${P}/private-nat/gateways/${gateway.id}`);
    await call(local.hc, 'DELETE', `${P}/private-nat/transit-ips/${tip.id}`);
    await call(
      local.hc,
      'DELETE',
      `${P}/elb/pools/${pool.id}/members/${(member.member as Record<string, string>).id}`,
    );
    await call(local.hc, 'DELETE', `${P}/elb/pools/${pool.id}`);
    await call(local.hc, 'DELETE', `${P}/elb/listeners/${(listener.listener as Record<string, string>).id}`);
    await call(local.hc, 'DELETE', `${P}/elb/loadbalancers/${lb.id}`);
    await local.ecs.deleteServers(
      new DeleteServersRequest().withBody(
        new DeleteServersRequestBody().withServers(
          [...ecsA.serverIds, ...ecsB.serverIds].map((id) => new ServerId().withId(id)),
        ),
      ),
    );
    await call(local.hc, 'DELETE', `/v1/${PROJECT}/vpcs/${vpcA.id}/subnets/${subnetA.id}`);
    await call(local.hc, 'DELETE', `/v1/${PROJECT}/vpcs/${vpcB.id}/subnets/${subnetB.id}`);
    await local.vpc.deleteVpc(new DeleteVpcRequest().withVpcId(vpcA.id));
    await local.vpc.deleteVpc(new DeleteVpcRequest().withVpcId(vpcB.id));
    expect(before).toBeGreaterThan(0);
    expect(await local.store.list()).toEqual([]);
    const vpcs = await local.vpc.listVpcs(new ListVpcsRequest());
    expect(vpcs.vpcs).toEqual([]);
  });
});
