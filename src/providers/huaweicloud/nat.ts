/**
 * NAT v3 private: a thin typed client over the SDK core's `HcClient`. One function per operation; bodies
 * and answers in the API's own snake_case. The API types DNAT ports as **strings**
 * (`internal_service_port`, `transit_service_port`): they cross the wire as strings and are converted to
 * numbers once, here (`dnatPortsOf`), never elsewhere.
 *
 * @API NAT POST/GET/PUT/DELETE /v3/{project_id}/private-nat/gateways[/{gateway_id}]
 * @API NAT POST/GET/DELETE /v3/{project_id}/private-nat/transit-ips[/{transit_ip_id}]
 * @API NAT POST/GET/PUT/DELETE /v3/{project_id}/private-nat/dnat-rules[/{dnat_rule_id}]
 * @API NAT POST/GET/PUT/DELETE /v3/{project_id}/private-nat/snat-rules[/{snat_rule_id}]
 */
import type { HcClient } from '@huaweicloud/huaweicloud-sdk-core/HcClient.js';
import { send } from './hc.ts';

export interface HwGateway {
  id: string;
  name: string;
  description?: string;
  /** `Small` | `Medium` | `Large` | `Extra-large` */
  spec: string;
  /** `ACTIVE` | `FROZEN` | `INACTIVE` (and `PENDING` while provisioning) */
  status: string;
  downlink_vpcs?: Array<{ vpc_id?: string; virsubnet_id: string; ngport_ip_address?: string }>;
  /** The gateway's own rule quota. */
  rule_max?: number;
  tags?: Array<{ key: string; value: string }>;
  enterprise_project_id?: string;
  created_at?: string;
}
export interface HwTransitIp {
  id: string;
  virsubnet_id: string;
  ip_address: string;
  gateway_id?: string | null;
  network_interface_id?: string;
  status?: string;
  description?: string;
  tags?: Array<{ key: string; value: string }>;
  created_at?: string;
}
export interface HwDnatRule {
  id: string;
  gateway_id: string;
  transit_ip_id: string;
  network_interface_id?: string | null;
  private_ip_address?: string | null;
  /** `COMPUTE` | `VIP` | `ELB` | `ELBv3` | `CUSTOMIZE` */
  type?: string;
  protocol: string;
  /** A string on the wire. */
  internal_service_port: string;
  /** A string on the wire. */
  transit_service_port: string;
  status: string;
  description?: string;
  created_at?: string;
}
export interface HwSnatRule {
  id: string;
  gateway_id: string;
  cidr?: string | null;
  virsubnet_id?: string | null;
  transit_ip_associations?: Array<{ transit_ip_id: string; transit_ip_address?: string }>;
  status: string;
  description?: string;
  created_at?: string;
}

/** The DNAT rule's ports as numbers: the one place the API's strings are parsed. */
export function dnatPortsOf(rule: Pick<HwDnatRule, 'internal_service_port' | 'transit_service_port'>): {
  internalPort: number;
  transitPort: number;
} {
  return { internalPort: Number(rule.internal_service_port), transitPort: Number(rule.transit_service_port) };
}

/** natflow's port → the API's string. */
export function wirePort(port: number): string {
  return String(port);
}

interface PageInfo {
  next_marker?: string;
}

const NAT = '/v3/{project_id}/private-nat';

type Kind = 'gateways' | 'transit-ips' | 'dnat-rules' | 'snat-rules';
const ONE: Record<Kind, string> = {
  gateways: 'gateway',
  'transit-ips': 'transit_ip',
  'dnat-rules': 'dnat_rule',
  'snat-rules': 'snat_rule',
};
const LIST: Record<Kind, string> = {
  gateways: 'gateways',
  'transit-ips': 'transit_ips',
  'dnat-rules': 'dnat_rules',
  'snat-rules': 'snat_rules',
};
const OPERATION: Record<Kind, string> = {
  gateways: 'PrivateNat',
  'transit-ips': 'TransitIp',
  'dnat-rules': 'PrivateDnat',
  'snat-rules': 'PrivateSnat',
};

export class NatApi {
  private readonly hc: HcClient;

  constructor(hc: HcClient) {
    this.hc = hc;
  }

  private async create<T>(kind: Kind, body: Record<string, unknown>): Promise<T> {
    const out = await send<Record<string, T>>(this.hc, {
      name: `NAT Create${OPERATION[kind]}`,
      method: 'POST',
      url: `${NAT}/${kind}`,
      body: { [ONE[kind]]: body },
    });
    return out[ONE[kind]] as T;
  }
  private async show<T>(kind: Kind, id: string): Promise<T> {
    const out = await send<Record<string, T>>(this.hc, {
      name: `NAT Show${OPERATION[kind]}`,
      method: 'GET',
      url: `${NAT}/${kind}/{id}`,
      pathParams: { id },
    });
    return out[ONE[kind]] as T;
  }
  private async list<T>(kind: Kind, query: Record<string, string | undefined>): Promise<T[]> {
    const out: T[] = [];
    let marker: string | undefined;
    for (let i = 0; i < 1000; i++) {
      const page = await send<Record<string, unknown> & { page_info?: PageInfo }>(this.hc, {
        name: `NAT List${OPERATION[kind]}s`,
        method: 'GET',
        url: `${NAT}/${kind}`,
        query: { ...query, limit: 2000, ...(marker ? { marker } : {}) },
      });
      out.push(...((page[LIST[kind]] as T[] | undefined) ?? []));
      const next = page.page_info?.next_marker;
      if (!next || next === marker) break;
      marker = next;
    }
    return out;
  }
  private async update<T>(kind: Kind, id: string, body: Record<string, unknown>): Promise<T> {
    const out = await send<Record<string, T>>(this.hc, {
      name: `NAT Update${OPERATION[kind]}`,
      method: 'PUT',
      url: `${NAT}/${kind}/{id}`,
      pathParams: { id },
      body: { [ONE[kind]]: body },
    });
    return out[ONE[kind]] as T;
  }
  private async remove(kind: Kind, id: string): Promise<void> {
    await send(this.hc, {
      name: `NAT Delete${OPERATION[kind]}`,
      method: 'DELETE',
      url: `${NAT}/${kind}/{id}`,
      pathParams: { id },
    });
  }

  createGateway(body: {
    name: string;
    description?: string;
    spec: string;
    downlink_vpcs: Array<{ virsubnet_id: string; ngport_ip_address?: string }>;
    tags?: Array<{ key: string; value: string }>;
    enterprise_project_id?: string;
  }) {
    return this.create<HwGateway>('gateways', body);
  }
  showGateway(id: string) {
    return this.show<HwGateway>('gateways', id);
  }
  listGateways(query: { vpc_id?: string } = {}) {
    return this.list<HwGateway>('gateways', query);
  }
  /** UpdatePrivateNat: the spec is what a gateway changes in place (NAT.1206 when it is the same). */
  updateGateway(id: string, body: { spec: string }) {
    return this.update<HwGateway>('gateways', id, body);
  }
  deleteGateway(id: string) {
    return this.remove('gateways', id);
  }

  createTransitIp(body: {
    virsubnet_id: string;
    ip_address?: string;
    description?: string;
    tags?: Array<{ key: string; value: string }>;
    enterprise_project_id?: string;
  }) {
    return this.create<HwTransitIp>('transit-ips', body);
  }
  showTransitIp(id: string) {
    return this.show<HwTransitIp>('transit-ips', id);
  }
  listTransitIps(query: { virsubnet_id?: string } = {}) {
    return this.list<HwTransitIp>('transit-ips', query);
  }
  deleteTransitIp(id: string) {
    return this.remove('transit-ips', id);
  }

  createDnatRule(body: {
    gateway_id: string;
    transit_ip_id: string;
    network_interface_id?: string;
    private_ip_address?: string;
    protocol: string;
    internal_service_port: string;
    transit_service_port: string;
    description?: string;
  }) {
    return this.create<HwDnatRule>('dnat-rules', body);
  }
  showDnatRule(id: string) {
    return this.show<HwDnatRule>('dnat-rules', id);
  }
  listDnatRules(query: { gateway_id?: string } = {}) {
    return this.list<HwDnatRule>('dnat-rules', query);
  }
  /**
   * UpdatePrivateDnat: a rule's transit IP, protocol, ports and target change in place (its gateway
   * does not).
   */
  updateDnatRule(
    id: string,
    body: {
      transit_ip_id?: string;
      network_interface_id?: string;
      private_ip_address?: string;
      protocol?: string;
      internal_service_port?: string;
      transit_service_port?: string;
    },
  ) {
    return this.update<HwDnatRule>('dnat-rules', id, body);
  }
  deleteDnatRule(id: string) {
    return this.remove('dnat-rules', id);
  }

  createSnatRule(body: {
    gateway_id: string;
    cidr?: string;
    virsubnet_id?: string;
    transit_ip_ids: string[];
    description?: string;
  }) {
    return this.create<HwSnatRule>('snat-rules', body);
  }
  showSnatRule(id: string) {
    return this.show<HwSnatRule>('snat-rules', id);
  }
  listSnatRules(query: { gateway_id?: string } = {}) {
    return this.list<HwSnatRule>('snat-rules', query);
  }
  /** UpdatePrivateSnat: a rule's transit IPs change in place (its source and gateway do not). */
  updateSnatRule(id: string, body: { transit_ip_ids: string[] }) {
    return this.update<HwSnatRule>('snat-rules', id, body);
  }
  deleteSnatRule(id: string) {
    return this.remove('snat-rules', id);
  }
}
