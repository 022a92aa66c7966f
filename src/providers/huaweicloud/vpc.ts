/**
 * VPC v1 through the official `@huaweicloud/huaweicloud-sdk-vpc` client (its `v2` module serves the
 * `/v1/{project_id}/…` paths): VPCs, subnets, security groups and their rules. Requests are the SDK's
 * request objects in the API's own snake_case; answers are the API's JSON.
 *
 * @API VPC POST /v1/{project_id}/vpcs · GET /v1/{project_id}/vpcs[/{vpc_id}] · PUT/DELETE /v1/{project_id}/vpcs/{vpc_id}
 * @API VPC POST /v1/{project_id}/subnets · GET /v1/{project_id}/subnets[/{subnet_id}] ·
 *   DELETE /v1/{project_id}/vpcs/{vpc_id}/subnets/{subnet_id}
 * @API VPC POST/GET/DELETE /v1/{project_id}/security-groups[/{security_group_id}] ·
 *   POST /v1/{project_id}/security-group-rules · DELETE /v1/{project_id}/security-group-rules/{security_group_rule_id}
 */

import type { HcClient } from '@huaweicloud/huaweicloud-sdk-core/HcClient.js';
import { VpcClient } from '@huaweicloud/huaweicloud-sdk-vpc/v2/VpcClient.js';
import { call } from './hc.ts';

export interface HwVpc {
  id: string;
  name: string;
  cidr: string;
  /** `CREATING` | `OK` */
  status: string;
  description?: string;
  enterprise_project_id?: string;
}
export interface HwSubnet {
  id: string;
  name: string;
  cidr: string;
  gateway_ip: string;
  vpc_id: string;
  /** `ACTIVE` | `UNKNOWN` | `ERROR` */
  status: string;
  /** The IPv4 subnet's id in the Neutron API: what ELB's `vip_subnet_cidr_id` and members take. */
  neutron_subnet_id?: string;
  neutron_network_id?: string;
  description?: string;
}
export interface HwSecurityGroupRule {
  id: string;
  direction: 'ingress' | 'egress';
  ethertype?: string;
  protocol?: string | null;
  port_range_min?: number | null;
  port_range_max?: number | null;
  remote_ip_prefix?: string | null;
  description?: string;
}
export interface HwSecurityGroup {
  id: string;
  name: string;
  vpc_id?: string;
  description?: string;
  security_group_rules?: HwSecurityGroupRule[];
}

// biome-ignore lint/suspicious/noExplicitAny: the SDK's request classes take the API's snake_case as plain objects.
type Req = any;

export class VpcApi {
  private readonly client: VpcClient;

  constructor(hc: HcClient) {
    this.client = new VpcClient(hc);
  }

  async createVpc(body: {
    name: string;
    cidr: string;
    description?: string;
    enterprise_project_id?: string;
  }) {
    return (
      await call<{ vpc: HwVpc }>('VPC CreateVpc', () => this.client.createVpc({ body: { vpc: body } } as Req))
    ).vpc;
  }
  async showVpc(id: string) {
    return (await call<{ vpc: HwVpc }>('VPC ShowVpc', () => this.client.showVpc({ vpc_id: id } as Req))).vpc;
  }
  async listVpcs(query: { id?: string; marker?: string; limit?: number } = {}) {
    return (
      (await call<{ vpcs: HwVpc[] }>('VPC ListVpcs', () => this.client.listVpcs(query as Req))).vpcs ?? []
    );
  }
  /** UpdateVpc: a VPC's block changes in place (it must still hold every subnet). */
  async updateVpc(id: string, body: { cidr: string }) {
    return (
      await call<{ vpc: HwVpc }>('VPC UpdateVpc', () =>
        this.client.updateVpc({ vpc_id: id, body: { vpc: body } } as Req),
      )
    ).vpc;
  }
  async deleteVpc(id: string): Promise<void> {
    await call('VPC DeleteVpc', () => this.client.deleteVpc({ vpc_id: id } as Req));
  }

  async createSubnet(body: {
    name: string;
    cidr: string;
    gateway_ip: string;
    vpc_id: string;
    description?: string;
  }) {
    return (
      await call<{ subnet: HwSubnet }>('VPC CreateSubnet', () =>
        this.client.createSubnet({ body: { subnet: { dhcp_enable: true, ...body } } } as Req),
      )
    ).subnet;
  }
  async showSubnet(id: string) {
    return (
      await call<{ subnet: HwSubnet }>('VPC ShowSubnet', () =>
        this.client.showSubnet({ subnet_id: id } as Req),
      )
    ).subnet;
  }
  async listSubnets(query: { vpc_id?: string; marker?: string; limit?: number } = {}) {
    return (
      (await call<{ subnets: HwSubnet[] }>('VPC ListSubnets', () => this.client.listSubnets(query as Req)))
        .subnets ?? []
    );
  }
  async deleteSubnet(vpcId: string, id: string): Promise<void> {
    await call('VPC DeleteSubnet', () => this.client.deleteSubnet({ vpc_id: vpcId, subnet_id: id } as Req));
  }

  async createSecurityGroup(body: {
    name: string;
    vpc_id?: string;
    description?: string;
    enterprise_project_id?: string;
  }) {
    return (
      await call<{ security_group: HwSecurityGroup }>('VPC CreateSecurityGroup', () =>
        this.client.createSecurityGroup({ body: { security_group: body } } as Req),
      )
    ).security_group;
  }
  async createSecurityGroupRule(body: {
    security_group_id: string;
    direction: 'ingress';
    ethertype: 'IPv4';
    protocol?: 'tcp' | 'udp';
    port_range_min?: number;
    port_range_max?: number;
    remote_ip_prefix: string;
    description?: string;
  }) {
    return (
      await call<{ security_group_rule: HwSecurityGroupRule }>('VPC CreateSecurityGroupRule', () =>
        this.client.createSecurityGroupRule({ body: { security_group_rule: body } } as Req),
      )
    ).security_group_rule;
  }
  async deleteSecurityGroupRule(id: string): Promise<void> {
    await call('VPC DeleteSecurityGroupRule', () =>
      this.client.deleteSecurityGroupRule({ security_group_rule_id: id } as Req),
    );
  }
  async showSecurityGroup(id: string) {
    return (
      await call<{ security_group: HwSecurityGroup }>('VPC ShowSecurityGroup', () =>
        this.client.showSecurityGroup({ security_group_id: id } as Req),
      )
    ).security_group;
  }
  async listSecurityGroups(query: { vpc_id?: string; marker?: string; limit?: number } = {}) {
    return (
      (
        await call<{ security_groups: HwSecurityGroup[] }>('VPC ListSecurityGroups', () =>
          this.client.listSecurityGroups(query as Req),
        )
      ).security_groups ?? []
    );
  }
  async deleteSecurityGroup(id: string): Promise<void> {
    await call('VPC DeleteSecurityGroup', () =>
      this.client.deleteSecurityGroup({ security_group_id: id } as Req),
    );
  }
}

/** Every page of a marker-paginated list (`limit`, `marker` = the last id). */
export async function allPages<T extends { id: string }>(
  page: (query: { marker?: string; limit: number }) => Promise<T[]>,
  limit = 200,
): Promise<T[]> {
  const out: T[] = [];
  let marker: string | undefined;
  for (let i = 0; i < 1000; i++) {
    const items = await page(marker === undefined ? { limit } : { marker, limit });
    out.push(...items);
    if (items.length < limit) break;
    const last = items[items.length - 1]?.id;
    if (last === undefined || last === marker) break;
    marker = last;
  }
  return out;
}
