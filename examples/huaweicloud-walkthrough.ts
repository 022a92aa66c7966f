/**
 * The reference walkthrough through the local Huawei Cloud API with the official SDKs — what a Huawei
 * user's own script does, pointed at `natflow up` instead of `https://{service}.{region}.myhuaweicloud.com`.
 *
 *   npx natflow up &                 # serves natflow's API and Huawei's on 127.0.0.1:3000
 *   npm run example:walkthrough      # this file, on the pinned Node (HUAWEICLOUD_ENDPOINT, default :3000)
 *   npx natflow probe --from <ECS-A's id, printed last> --to 192.168.0.144:80 --protocol http
 *
 * (`npx node examples/huaweicloud-walkthrough.ts` runs it too: like every npm script, on the Node that
 * package.json pins — a system Node older than 22.18 cannot run TypeScript.) The resources it creates
 * belong to no plan, so their ids name them: `--from ECS-A` alone is refused AMBIGUOUS_NAME once
 * another ECS-A exists (the reference plan's, after `npm start`), listing both ready to copy.
 *
 * VPC and ECS go through `@huaweicloud/huaweicloud-sdk-vpc` / `-ecs`; ELB v3 and NAT v3 (no npm service
 * client) through the core's `HcClient`. Keys: NATFLOW_HWC_AK / NATFLOW_HWC_SK / NATFLOW_HWC_PROJECT_ID.
 */
import { BasicCredentials } from '@huaweicloud/huaweicloud-sdk-core';
import { ClientBuilder } from '@huaweicloud/huaweicloud-sdk-core/ClientBuilder.js';
import type { HcClient } from '@huaweicloud/huaweicloud-sdk-core/HcClient.js';
import {
  CreatePostPaidServersRequest,
  CreatePostPaidServersRequestBody,
  EcsClient,
  PostPaidServer,
  PostPaidServerNic,
  PostPaidServerRootVolume,
  ShowJobRequest,
} from '@huaweicloud/huaweicloud-sdk-ecs';
import {
  CreateSubnetOption,
  CreateSubnetRequest,
  CreateSubnetRequestBody,
  CreateVpcOption,
  CreateVpcRequest,
  CreateVpcRequestBody,
  VpcClient,
} from '@huaweicloud/huaweicloud-sdk-vpc';

const endpoint = process.env.HUAWEICLOUD_ENDPOINT ?? 'http://127.0.0.1:3000';
const projectId = process.env.NATFLOW_HWC_PROJECT_ID ?? '0123456789abcdef0123456789abcdef';
const credentials = new BasicCredentials()
  .withAk(process.env.NATFLOW_HWC_AK ?? 'NATFLOWLOCALAK000000')
  .withSk(process.env.NATFLOW_HWC_SK ?? 'natflowlocalsecretkey000000000000000000')
  .withProjectId(projectId);

const vpc = VpcClient.newBuilder().withCredential(credentials).withEndpoint(endpoint).build();
const ecs = EcsClient.newBuilder().withCredential(credentials).withEndpoint(endpoint).build();
const hc = new ClientBuilder((client: HcClient) => client)
  .withCredential(credentials)
  .withEndpoint(endpoint)
  .build();

/** ELB v3 and NAT v3 through the core's signed client. */
// biome-ignore lint/suspicious/noExplicitAny: an example reading response JSON freely
type Json = Record<string, any>;

async function send(method: string, url: string, data?: unknown): Promise<Json> {
  return (await hc.sendRequest({
    method,
    url: url.replace('{project_id}', projectId),
    contentType: 'application/json',
    pathParams: {},
    queryParams: {},
    headers: {},
    ...(data === undefined ? {} : { data }),
  } as never)) as Json;
}

async function createVpc(name: string, cidr: string): Promise<string> {
  const option = new CreateVpcOption().withName(name).withCidr(cidr);
  const response = await vpc.createVpc(
    new CreateVpcRequest().withBody(new CreateVpcRequestBody().withVpc(option)),
  );
  return response.vpc?.id as string;
}

async function createSubnet(name: string, cidr: string, gatewayIp: string, vpcId: string) {
  const option = new CreateSubnetOption()
    .withName(name)
    .withCidr(cidr)
    .withGatewayIp(gatewayIp)
    .withVpcId(vpcId);
  const response = await vpc.createSubnet(
    new CreateSubnetRequest().withBody(new CreateSubnetRequestBody().withSubnet(option)),
  );
  return response.subnet as unknown as { id: string; neutron_subnet_id: string };
}

async function createEcs(name: string, vpcId: string, subnetId: string, script?: string): Promise<string> {
  const server = new PostPaidServer()
    .withName(name)
    .withImageRef('any-image')
    .withFlavorRef('s6.small.1')
    .withVpcid(vpcId)
    .withNics([new PostPaidServerNic().withSubnetId(subnetId)])
    .withRootVolume(new PostPaidServerRootVolume().withVolumetype('SSD'));
  if (script) server.withUserData(Buffer.from(script).toString('base64'));
  const created = await ecs.createPostPaidServers(
    new CreatePostPaidServersRequest().withBody(new CreatePostPaidServersRequestBody().withServer(server)),
  );
  // The SDK hands the response's JSON back as it came: `job_id`, as the API reference names it.
  const jobId = (created as unknown as { job_id: string }).job_id;
  for (;;) {
    const job = await ecs.showJob(new ShowJobRequest().withJobId(jobId));
    if (job.status === 'SUCCESS') break;
    if (job.status === 'FAIL') throw new Error(`ECS job ${jobId} failed`);
    await new Promise((done) => setTimeout(done, 200));
  }
  return created.serverIds?.[0] as string;
}

// Preparations: two VPCs with a subnet each, ECS-A and ECS-B (ECS-B runs the walkthrough's app).
const vpcA = await createVpc('VPC-A', '192.168.0.0/16');
const vpcB = await createVpc('VPC-B', '10.0.0.0/16');
const subnetA = await createSubnet('subnet-A01', '192.168.0.0/24', '192.168.0.1', vpcA);
const subnetB = await createSubnet('subnet-B01', '10.0.0.0/24', '10.0.0.1', vpcB);
const ecsA = await createEcs('ECS-A', vpcA, subnetA.id);
const ecsB = await createEcs('ECS-B', vpcB, subnetB.id, '#!/bin/bash\npython3 -m http.server 80\n');
const ecsBAddress = Object.values(
  (await send('GET', `/v1/{project_id}/cloudservers/${ecsB}`)).server.addresses as Record<
    string,
    Array<{ addr: string }>
  >,
)[0]?.[0]?.addr;
// Backend server group-B with ECS-B, not associated with a load balancer.
const pool = (
  await send('POST', '/v3/{project_id}/elb/pools', {
    pool: {
      name: 'server-group-B',
      protocol: 'HTTP',
      lb_algorithm: 'ROUND_ROBIN',
      type: 'instance',
      vpc_id: vpcB,
    },
  })
).pool;
await send('POST', `/v3/{project_id}/elb/pools/${pool.id}/members`, {
  member: { address: ecsBAddress, protocol_port: 80, subnet_cidr_id: subnetB.neutron_subnet_id },
});

// Step 1: a dedicated load balancer ELB01 in VPC-B, two AZs, private IPv4 address from subnet-B01.
const lb = (
  await send('POST', '/v3/{project_id}/elb/loadbalancers', {
    loadbalancer: {
      name: 'ELB01',
      vip_subnet_cidr_id: subnetB.neutron_subnet_id,
      elb_virsubnet_ids: [subnetB.id],
      availability_zone_list: ['cn-north-4a', 'cn-north-4b'],
    },
  })
).loadbalancer;
// Step 2: an HTTP listener with backend server group-B (access control: all IP addresses).
await send('POST', '/v3/{project_id}/elb/listeners', {
  listener: {
    name: 'listener-http',
    protocol: 'HTTP',
    protocol_port: 80,
    loadbalancer_id: lb.id,
    default_pool_id: pool.id,
  },
});
// Step 3: the transit IP 192.168.0.144 in VPC-A's subnet-A01.
const transitIp = (
  await send('POST', '/v3/{project_id}/private-nat/transit-ips', {
    transit_ip: { virsubnet_id: subnetA.id, ip_address: '192.168.0.144' },
  })
).transit_ip;
// Step 4: private_nat_gateway, Small, in VPC-B / subnet-B01.
const gateway = (
  await send('POST', '/v3/{project_id}/private-nat/gateways', {
    gateway: { name: 'private_nat_gateway', spec: 'Small', downlink_vpcs: [{ virsubnet_id: subnetB.id }] },
  })
).gateway;
// Step 5: the DNAT rule — specific port, TCP, the load balancer's port, internal port 80, transit port 80.
const rule = (
  await send('POST', '/v3/{project_id}/private-nat/dnat-rules', {
    dnat_rule: {
      gateway_id: gateway.id,
      transit_ip_id: transitIp.id,
      network_interface_id: lb.vip_port_id,
      protocol: 'tcp',
      internal_service_port: '80',
      transit_service_port: '80',
    },
  })
).dnat_rule;
console.log(`DNAT rule ${rule.id}: ${transitIp.ip_address}:80 → ELB01 ${lb.vip_address}:80, ${rule.status}`);
// Step 6: the probe, by ECS-A's id (a name another plan may share), and `curl` the transit IP's loopback
// address from GET /dataplane.
console.log(`npx natflow probe --from ${ecsA} --to ${transitIp.ip_address}:80 --protocol http`);
