/**
 * ELB v3 (dedicated load balancers): a thin typed client over the SDK core's `HcClient` (npm has no ELB
 * v3 package of the v3 SDK that natflow depends on). One function per operation; bodies and answers in
 * the API's own snake_case; ports are numbers on this API.
 *
 * @API ELB POST/GET/DELETE /v3/{project_id}/elb/loadbalancers[/{loadbalancer_id}]
 * @API ELB POST/GET/PUT/DELETE /v3/{project_id}/elb/listeners[/{listener_id}]
 * @API ELB POST/GET/PUT/DELETE /v3/{project_id}/elb/pools[/{pool_id}] · /pools/{pool_id}/members[/{member_id}]
 * @API ELB POST/GET/DELETE /v3/{project_id}/elb/healthmonitors[/{healthmonitor_id}]
 * @API ELB POST/GET/DELETE /v3/{project_id}/elb/ipgroups[/{ipgroup_id}]
 */
import type { HcClient } from '@huaweicloud/huaweicloud-sdk-core/HcClient.js';
import { send } from './hc.ts';

export interface HwLoadBalancer {
  id: string;
  name: string;
  description?: string;
  vpc_id: string;
  /** The frontend IPv4 subnet (its `neutron_subnet_id`). */
  vip_subnet_cidr_id?: string;
  vip_address?: string;
  /** The frontend address's port: what a DNAT rule targets as `network_interface_id`. */
  vip_port_id?: string;
  /** The backend subnets (VPC subnet ids, `neutron_network_id`). */
  elb_virsubnet_ids?: string[];
  availability_zone_list?: string[];
  /** `ACTIVE` | `PENDING_CREATE` | `PENDING_DELETE` | `ERROR` */
  provisioning_status: string;
  operating_status?: string;
  listeners?: Array<{ id: string }>;
  pools?: Array<{ id: string }>;
  tags?: Array<{ key: string; value: string }>;
}
export interface HwListener {
  id: string;
  name: string;
  description?: string;
  protocol: string;
  protocol_port: number;
  loadbalancers?: Array<{ id: string }>;
  default_pool_id?: string | null;
  ipgroup?: { ipgroup_id?: string; enable_ipgroup?: boolean; type?: 'white' | 'black' } | null;
}
export interface HwPool {
  id: string;
  name: string;
  description?: string;
  protocol: string;
  /** `ROUND_ROBIN` | `LEAST_CONNECTIONS` | `SOURCE_IP` */
  lb_algorithm: string;
  type?: string;
  vpc_id?: string;
  healthmonitor_id?: string | null;
  loadbalancers?: Array<{ id: string }>;
  listeners?: Array<{ id: string }>;
  members?: Array<{ id: string }>;
}
export interface HwMember {
  id: string;
  name?: string;
  address: string;
  protocol_port: number;
  weight?: number;
  subnet_cidr_id?: string | null;
  /** `ONLINE` | `OFFLINE` | `NO_MONITOR` … */
  operating_status?: string;
  instance_id?: string;
}
export interface HwHealthMonitor {
  id: string;
  pool_id?: string;
  pools?: Array<{ id: string }>;
  type: string;
  delay: number;
  timeout: number;
  max_retries: number;
  monitor_port?: number | null;
  url_path?: string;
}
export interface HwIpGroup {
  id: string;
  name: string;
  description?: string;
  ip_list: Array<{ ip: string; description?: string }>;
}

interface PageInfo {
  next_marker?: string;
  current_count?: number;
}

const LB = '/v3/{project_id}/elb';

export class ElbApi {
  private readonly hc: HcClient;

  constructor(hc: HcClient) {
    this.hc = hc;
  }

  private async list<T>(
    name: string,
    path: string,
    key: string,
    query: Record<string, string | undefined> = {},
  ) {
    const out: T[] = [];
    let marker: string | undefined;
    for (let i = 0; i < 1000; i++) {
      const page = await send<Record<string, unknown> & { page_info?: PageInfo }>(this.hc, {
        name,
        method: 'GET',
        url: `${LB}/${path}`,
        query: { ...query, limit: 500, ...(marker ? { marker } : {}) },
      });
      out.push(...((page[key] as T[] | undefined) ?? []));
      const next = page.page_info?.next_marker;
      if (!next || next === marker) break;
      marker = next;
    }
    return out;
  }

  async createLoadBalancer(body: {
    name: string;
    description?: string;
    vpc_id: string;
    vip_subnet_cidr_id: string;
    vip_address?: string;
    elb_virsubnet_ids: string[];
    availability_zone_list: string[];
    tags?: Array<{ key: string; value: string }>;
    enterprise_project_id?: string;
  }) {
    return (
      await send<{ loadbalancer: HwLoadBalancer }>(this.hc, {
        name: 'ELB CreateLoadBalancer',
        method: 'POST',
        url: `${LB}/loadbalancers`,
        body: { loadbalancer: body },
      })
    ).loadbalancer;
  }
  async showLoadBalancer(id: string) {
    return (
      await send<{ loadbalancer: HwLoadBalancer }>(this.hc, {
        name: 'ELB ShowLoadBalancer',
        method: 'GET',
        url: `${LB}/loadbalancers/{loadbalancer_id}`,
        pathParams: { loadbalancer_id: id },
      })
    ).loadbalancer;
  }
  listLoadBalancers(query: { vpc_id?: string } = {}) {
    return this.list<HwLoadBalancer>('ELB ListLoadBalancers', 'loadbalancers', 'loadbalancers', query);
  }
  async deleteLoadBalancer(id: string): Promise<void> {
    await send(this.hc, {
      name: 'ELB DeleteLoadBalancer',
      method: 'DELETE',
      url: `${LB}/loadbalancers/{loadbalancer_id}`,
      pathParams: { loadbalancer_id: id },
    });
  }

  async createListener(body: {
    name: string;
    description?: string;
    protocol: string;
    protocol_port: number;
    loadbalancer_id: string;
    default_pool_id: string;
    ipgroup?: { ipgroup_id: string; enable_ipgroup: boolean; type: 'white' | 'black' };
  }) {
    return (
      await send<{ listener: HwListener }>(this.hc, {
        name: 'ELB CreateListener',
        method: 'POST',
        url: `${LB}/listeners`,
        body: { listener: body },
      })
    ).listener;
  }
  async showListener(id: string) {
    return (
      await send<{ listener: HwListener }>(this.hc, {
        name: 'ELB ShowListener',
        method: 'GET',
        url: `${LB}/listeners/{listener_id}`,
        pathParams: { listener_id: id },
      })
    ).listener;
  }
  /** UpdateListener: what a listener can change in place (its default pool, its ip group). */
  async updateListener(
    id: string,
    body: {
      default_pool_id?: string | null;
      ipgroup?: { ipgroup_id: string; enable_ipgroup: boolean; type: 'white' | 'black' } | null;
    },
  ) {
    return (
      await send<{ listener: HwListener }>(this.hc, {
        name: 'ELB UpdateListener',
        method: 'PUT',
        url: `${LB}/listeners/{listener_id}`,
        pathParams: { listener_id: id },
        body: { listener: body },
      })
    ).listener;
  }
  listListeners(query: { loadbalancer_id?: string } = {}) {
    return this.list<HwListener>('ELB ListListeners', 'listeners', 'listeners', query);
  }
  async deleteListener(id: string): Promise<void> {
    await send(this.hc, {
      name: 'ELB DeleteListener',
      method: 'DELETE',
      url: `${LB}/listeners/{listener_id}`,
      pathParams: { listener_id: id },
    });
  }

  async createPool(body: {
    name: string;
    description?: string;
    protocol: string;
    lb_algorithm: string;
    type: 'instance';
    vpc_id?: string;
  }) {
    return (
      await send<{ pool: HwPool }>(this.hc, {
        name: 'ELB CreatePool',
        method: 'POST',
        url: `${LB}/pools`,
        body: { pool: body },
      })
    ).pool;
  }
  async showPool(id: string) {
    return (
      await send<{ pool: HwPool }>(this.hc, {
        name: 'ELB ShowPool',
        method: 'GET',
        url: `${LB}/pools/{pool_id}`,
        pathParams: { pool_id: id },
      })
    ).pool;
  }
  /** UpdatePool: the algorithm is what a pool can change in place (not its protocol). */
  async updatePool(id: string, body: { lb_algorithm: string }) {
    return (
      await send<{ pool: HwPool }>(this.hc, {
        name: 'ELB UpdatePool',
        method: 'PUT',
        url: `${LB}/pools/{pool_id}`,
        pathParams: { pool_id: id },
        body: { pool: body },
      })
    ).pool;
  }
  listPools(query: { loadbalancer_id?: string } = {}) {
    return this.list<HwPool>('ELB ListPools', 'pools', 'pools', query);
  }
  async deletePool(id: string): Promise<void> {
    await send(this.hc, {
      name: 'ELB DeletePool',
      method: 'DELETE',
      url: `${LB}/pools/{pool_id}`,
      pathParams: { pool_id: id },
    });
  }

  async createMember(
    poolId: string,
    body: { name?: string; address: string; protocol_port: number; weight?: number; subnet_cidr_id?: string },
  ) {
    return (
      await send<{ member: HwMember }>(this.hc, {
        name: 'ELB CreateMember',
        method: 'POST',
        url: `${LB}/pools/{pool_id}/members`,
        pathParams: { pool_id: poolId },
        body: { member: body },
      })
    ).member;
  }
  listMembers(poolId: string) {
    return this.list<HwMember>('ELB ListMembers', `pools/${encodeURIComponent(poolId)}/members`, 'members');
  }
  async deleteMember(poolId: string, id: string): Promise<void> {
    await send(this.hc, {
      name: 'ELB DeleteMember',
      method: 'DELETE',
      url: `${LB}/pools/{pool_id}/members/{member_id}`,
      pathParams: { pool_id: poolId, member_id: id },
    });
  }

  async createHealthMonitor(body: {
    pool_id: string;
    type: string;
    delay: number;
    timeout: number;
    max_retries: number;
    monitor_port?: number;
    url_path?: string;
  }) {
    return (
      await send<{ healthmonitor: HwHealthMonitor }>(this.hc, {
        name: 'ELB CreateHealthMonitor',
        method: 'POST',
        url: `${LB}/healthmonitors`,
        body: { healthmonitor: body },
      })
    ).healthmonitor;
  }
  async showHealthMonitor(id: string) {
    return (
      await send<{ healthmonitor: HwHealthMonitor }>(this.hc, {
        name: 'ELB ShowHealthMonitor',
        method: 'GET',
        url: `${LB}/healthmonitors/{healthmonitor_id}`,
        pathParams: { healthmonitor_id: id },
      })
    ).healthmonitor;
  }
  listHealthMonitors() {
    return this.list<HwHealthMonitor>('ELB ListHealthMonitors', 'healthmonitors', 'healthmonitors');
  }
  async deleteHealthMonitor(id: string): Promise<void> {
    await send(this.hc, {
      name: 'ELB DeleteHealthMonitor',
      method: 'DELETE',
      url: `${LB}/healthmonitors/{healthmonitor_id}`,
      pathParams: { healthmonitor_id: id },
    });
  }

  async createIpGroup(body: { name: string; description?: string; ip_list: Array<{ ip: string }> }) {
    return (
      await send<{ ipgroup: HwIpGroup }>(this.hc, {
        name: 'ELB CreateIpGroup',
        method: 'POST',
        url: `${LB}/ipgroups`,
        body: { ipgroup: body },
      })
    ).ipgroup;
  }
  listIpGroups() {
    return this.list<HwIpGroup>('ELB ListIpGroups', 'ipgroups', 'ipgroups');
  }
  async showIpGroup(id: string) {
    return (
      await send<{ ipgroup: HwIpGroup }>(this.hc, {
        name: 'ELB ShowIpGroup',
        method: 'GET',
        url: `${LB}/ipgroups/{ipgroup_id}`,
        pathParams: { ipgroup_id: id },
      })
    ).ipgroup;
  }
  async deleteIpGroup(id: string): Promise<void> {
    await send(this.hc, {
      name: 'ELB DeleteIpGroup',
      method: 'DELETE',
      url: `${LB}/ipgroups/{ipgroup_id}`,
      pathParams: { ipgroup_id: id },
    });
  }
}
