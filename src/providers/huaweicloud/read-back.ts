/**
 * Reading back what natflow recorded in a Huawei Cloud account (docs/real-cloud.md#change-drift), for
 * drift: each recorded resource's Huawei object mapped onto natflow's managed fields (`observe`), then
 * compared by the core (`src/cloud/drift.ts`).
 *
 * - `readDrift` — a plan's whole record, **batched**: one list call per kind the plan has (every page),
 *   plus the pools' members (one list per pool) and the lists the mapping needs (servers and load
 *   balancers for DNAT targets, health monitors, ip groups), never one read per resource. What the
 *   dry run behind `validate`, `plan` and each provisioning, and `verify`, read.
 * - `readOne` — one resource by its id (a show call, and the same lookups): what a provisioning step
 *   reads before it replays a resource an earlier execution created (`repair.ts`).
 *
 * `UPDATABLE` says which managed fields Huawei's APIs change in place (the rest need a replacement,
 * which natflow refuses: DRIFT_REQUIRES_REPLACE). Each entry is an update operation of the API reference:
 * UpdateVpc `cidr`; security group rules created and deleted; UpdatePool `lb_algorithm`, members added and
 * removed, the health monitor replaced; UpdateListener `default_pool_id` and `ipgroup`; UpdatePrivateNat
 * `spec`; UpdatePrivateDnat `transit_ip_id`, `protocol`, `internal_service_port`, `transit_service_port`,
 * `network_interface_id`/`private_ip_address`; UpdatePrivateSnat `transit_ip_ids`. A subnet's block, an
 * address, a port of a listener, a protocol of a pool, a parent (a rule's gateway, a subnet's VPC) have
 * no update: those are replacements.
 */
import { type Drift, driftOf, type Observed, type UpdatableFields } from '../../cloud/drift.ts';
import type {
  BackendGroup,
  DnatRule,
  DnatTarget,
  LbProtocol,
  Listener,
  Resource,
  ResourceType,
  Server,
} from '../../cloud/resources.ts';
import { keys } from '../../cloud/store.ts';
import { type Account, isRealized, JOB_PREFIX } from './account.ts';
import type { HwServer } from './ecs.ts';
import type { HwHealthMonitor, HwIpGroup, HwListener, HwLoadBalancer, HwMember, HwPool } from './elb.ts';
import { isNotFound } from './errors.ts';
import { accessControlOf, algorithmOf, inboundOf, lbAlgorithmOf } from './mapping.ts';
import { dnatPortsOf, type HwDnatRule, type HwGateway, type HwSnatRule, type HwTransitIp } from './nat.ts';
import { allPages, type HwSecurityGroup, type HwSubnet, type HwVpc } from './vpc.ts';

/** The managed fields Huawei's APIs update in place, per kind (see the file comment). */
export const UPDATABLE: UpdatableFields = {
  vpc: ['cidr'],
  'security-group': ['inbound'],
  'backend-group': ['algorithm', 'healthCheck', 'members'],
  listener: ['backendGroupId', 'accessControl'],
  'private-nat-gateway': ['spec'],
  'dnat-rule': ['transitIpId', 'protocol', 'transitPort', 'internalPort', 'target'],
  'snat-rule': ['transitIpId'],
};

/** A Huawei object of any kind natflow records, as its list or show call answers it. */
type HwObject =
  | HwVpc
  | HwSubnet
  | HwSecurityGroup
  | HwServer
  | HwPool
  | HwLoadBalancer
  | HwListener
  | HwTransitIp
  | HwGateway
  | HwDnatRule
  | HwSnatRule;

/** What a resource's read-back found: gone, still being deleted, or its managed fields. */
export type ReadBack =
  | { state: 'gone' }
  | { state: 'deleting'; status: string }
  | { state: 'present'; observed: Observed };

/** The records a read-back compares: realised by natflow in this account, not imported, not being deleted. */
export function comparable(resource: Resource): boolean {
  return (
    !resource.imported &&
    isRealized(resource) &&
    !resource.externalId?.startsWith(JOB_PREFIX) &&
    resource.status !== 'INACTIVE'
  );
}

/**
 * The drift of everything natflow recorded for `plan` in the account, read with one list call per kind.
 *
 * @example await readDrift(account, 'app-a-to-elb01')
 * // [{ id: 'dnat-…', kind: 'dnat-rule', name: 'transit-ip-A-tcp-80', externalId: '…', change: 'gone' }]
 */
export async function readDrift(account: Account, plan: string): Promise<Drift[]> {
  const records = (await account.store.list({ plan })).filter(comparable);
  const lookup = new Lookup(account);
  const kinds = new Set(records.map((r) => r.type));
  const lists = new Map<ResourceType, Map<string, HwObject>>();
  for (const kind of kinds) lists.set(kind, byId(await listKind(account, lookup, kind)));
  const out: Drift[] = [];
  for (const record of records) {
    const hw = lists.get(record.type)?.get(record.externalId as string);
    const read = hw === undefined ? ({ state: 'gone' } as const) : await readBackOf(record, hw, lookup);
    const drift = driftOf(record, read.state === 'present' ? read.observed : undefined, UPDATABLE);
    if (drift) out.push(drift);
  }
  return out;
}

/** One recorded resource read back through its show call (404: gone). */
export async function readOne(account: Account, record: Resource): Promise<ReadBack> {
  const hw = await showKind(account, record);
  if (hw === undefined) return { state: 'gone' };
  return readBackOf(record, hw, new Lookup(account));
}

async function readBackOf(record: Resource, hw: HwObject, lookup: Lookup): Promise<ReadBack> {
  const deleting = deletingStatus(record.type, hw);
  if (deleting) return { state: 'deleting', status: deleting };
  return { state: 'present', observed: await observe(record, hw, lookup) };
}

/** A status saying the resource is on its way out (a load balancer `PENDING_DELETE`, an ECS `DELETED`). */
function deletingStatus(type: ResourceType, hw: HwObject): string | undefined {
  if (type === 'load-balancer') {
    const status = (hw as HwLoadBalancer).provisioning_status ?? '';
    return status === 'PENDING_DELETE' ? status : undefined;
  }
  if (type === 'server') {
    const server = hw as HwServer & { 'OS-EXT-STS:task_state'?: string | null };
    if (server.status === 'DELETED' || server['OS-EXT-STS:task_state'] === 'deleting') return server.status;
  }
  return undefined;
}

function byId(objects: readonly HwObject[]): Map<string, HwObject> {
  return new Map(objects.map((o) => [o.id, o]));
}

/** Every object of a kind in the account (every page): one list call per kind. */
async function listKind(account: Account, lookup: Lookup, kind: ResourceType): Promise<HwObject[]> {
  const { vpc, elb, nat } = account.api;
  switch (kind) {
    case 'vpc':
      return allPages((q) => vpc.listVpcs(q));
    case 'subnet':
      return allPages((q) => vpc.listSubnets(q));
    case 'security-group':
      return allPages((q) => vpc.listSecurityGroups(q));
    case 'server':
      return lookup.servers();
    case 'backend-group':
      return elb.listPools();
    case 'load-balancer':
      return lookup.loadBalancers();
    case 'listener':
      return elb.listListeners();
    case 'transit-ip':
      return nat.listTransitIps();
    case 'private-nat-gateway':
      return nat.listGateways();
    case 'dnat-rule':
      return nat.listDnatRules();
    case 'snat-rule':
      return nat.listSnatRules();
  }
}

/** One object by its Huawei id; undefined once Huawei answers 404. */
async function showKind(account: Account, record: Resource): Promise<HwObject | undefined> {
  const { vpc, ecs, elb, nat } = account.api;
  const id = record.externalId as string;
  try {
    switch (record.type) {
      case 'vpc':
        return await vpc.showVpc(id);
      case 'subnet':
        return await vpc.showSubnet(id);
      case 'security-group':
        return await vpc.showSecurityGroup(id);
      case 'server':
        return await ecs.showServer(id);
      case 'backend-group':
        return await elb.showPool(id);
      case 'load-balancer':
        return await elb.showLoadBalancer(id);
      case 'listener':
        return await elb.showListener(id);
      case 'transit-ip':
        return await nat.showTransitIp(id);
      case 'private-nat-gateway':
        return await nat.showGateway(id);
      case 'dnat-rule':
        return await nat.showDnatRule(id);
      case 'snat-rule':
        return await nat.showSnatRule(id);
    }
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/**
 * What the mapping needs beyond the object itself, each read once (lazily, one list call each) and
 * cached: natflow's ids of Huawei ids, servers' and load balancers' ports, pools' members, health
 * monitors, ip groups.
 */
class Lookup {
  private readonly account: Account;
  private readonly ids = new Map<string, Promise<string>>();
  private readonly cache = new Map<string, Promise<unknown>>();

  constructor(account: Account) {
    this.account = account;
  }

  private once<T>(key: string, read: () => Promise<T>): Promise<T> {
    let hit = this.cache.get(key) as Promise<T> | undefined;
    if (!hit) {
      hit = read();
      this.cache.set(key, hit);
    }
    return hit;
  }

  /** natflow's id of a Huawei id (the Huawei id itself when natflow has no record of it); null for none. */
  async idOf(hwId: string | null | undefined): Promise<string | null> {
    if (!hwId) return null;
    let id = this.ids.get(hwId);
    if (!id) {
      id = this.account.store.getByKey(keys.external(hwId)).then((r) => r?.id ?? hwId);
      this.ids.set(hwId, id);
    }
    return id;
  }

  record(id: string): Promise<Resource | undefined> {
    return this.once(`record:${id}`, () => this.account.store.get(id));
  }

  servers(): Promise<HwServer[]> {
    return this.once('servers', () => this.account.api.ecs.listServers());
  }

  loadBalancers(): Promise<HwLoadBalancer[]> {
    return this.once('loadbalancers', () => this.account.api.elb.listLoadBalancers());
  }

  members(poolId: string): Promise<HwMember[]> {
    return this.once(`members:${poolId}`, () => this.account.api.elb.listMembers(poolId));
  }

  async monitor(pool: HwPool): Promise<HwHealthMonitor | undefined> {
    if (!pool.healthmonitor_id) return undefined;
    const all = await this.once('monitors', () => this.account.api.elb.listHealthMonitors());
    return all.find((m) => m.id === pool.healthmonitor_id);
  }

  async ipGroup(id: string): Promise<HwIpGroup | undefined> {
    const all = await this.once('ipgroups', () => this.account.api.elb.listIpGroups());
    return all.find((g) => g.id === id);
  }

  /** The DNAT target a `network_interface_id` is: a server's NIC or a load balancer's VIP port. */
  async portTarget(portId: string): Promise<DnatTarget | undefined> {
    for (const lb of await this.loadBalancers()) {
      if (lb.vip_port_id !== portId) continue;
      return {
        kind: 'load-balancer',
        loadBalancerId: (await this.idOf(lb.id)) as string,
        ip: lb.vip_address ?? '',
      };
    }
    for (const server of await this.servers()) {
      for (const nics of Object.values(server.addresses ?? {})) {
        const nic = nics.find((n) => n['OS-EXT-IPS:port_id'] === portId);
        if (nic) return { kind: 'server', serverId: (await this.idOf(server.id)) as string, ip: nic.addr };
      }
    }
    return undefined;
  }
}

/** The managed fields of `record` (`MANAGED_FIELDS`) as Huawei holds them, in natflow's terms. */
async function observe(record: Resource, hw: HwObject, lookup: Lookup): Promise<Observed> {
  switch (record.type) {
    case 'vpc':
      return { cidr: (hw as HwVpc).cidr };
    case 'subnet': {
      const subnet = hw as HwSubnet;
      return { vpcId: await lookup.idOf(subnet.vpc_id), cidr: subnet.cidr, gatewayIp: subnet.gateway_ip };
    }
    case 'security-group':
      return observeGroup(hw as HwSecurityGroup, lookup);
    case 'server':
      return observeServer(record, hw as HwServer);
    case 'backend-group':
      return observePool(record, hw as HwPool, lookup);
    case 'load-balancer': {
      const lb = hw as HwLoadBalancer;
      return {
        ...(lb.vip_address ? { ip: lb.vip_address } : {}),
        ...(lb.availability_zone_list ? { azs: lb.availability_zone_list } : {}),
      };
    }
    case 'listener':
      return observeListener(record, hw as HwListener, lookup);
    case 'transit-ip': {
      const tip = hw as HwTransitIp;
      return { subnetId: await lookup.idOf(tip.virsubnet_id), ip: tip.ip_address };
    }
    case 'private-nat-gateway': {
      const gateway = hw as HwGateway;
      const downlink = gateway.downlink_vpcs?.[0];
      return {
        spec: gateway.spec,
        ...(downlink
          ? {
              subnetId: await lookup.idOf(downlink.virsubnet_id),
              ...(downlink.ngport_ip_address ? { downlinkIp: downlink.ngport_ip_address } : {}),
            }
          : {}),
      };
    }
    case 'dnat-rule':
      return observeDnat(record, hw as HwDnatRule, lookup);
    case 'snat-rule': {
      const rule = hw as HwSnatRule;
      const tip = rule.transit_ip_associations?.[0]?.transit_ip_id;
      return {
        gatewayId: await lookup.idOf(rule.gateway_id),
        subnetId: await lookup.idOf(rule.virsubnet_id),
        ...(rule.virsubnet_id ? {} : { cidr: rule.cidr ?? null }),
        transitIpId: await lookup.idOf(tip),
      };
    }
  }
}

/** A group's VPC (when Huawei names one) and its IPv4 ingress rules by CIDR (natflow's inbound). */
async function observeGroup(hw: HwSecurityGroup, lookup: Lookup): Promise<Observed> {
  return {
    ...(hw.vpc_id ? { vpcId: await lookup.idOf(hw.vpc_id) } : {}),
    ...(hw.security_group_rules ? { inbound: inboundOf(hw.security_group_rules) } : {}),
  };
}

/** The server's address: the recorded one while the server still has it, else its first fixed IPv4. */
function observeServer(record: Server, hw: HwServer): Observed {
  const nics = Object.values(hw.addresses ?? {}).flat();
  const v4 = nics.filter((n) => (n.version ?? 4) === 4 && (n['OS-EXT-IPS:type'] ?? 'fixed') === 'fixed');
  if (v4.length === 0) return {};
  return { ip: v4.some((n) => n.addr === record.ip) ? record.ip : (v4[0]?.addr as string) };
}

async function observePool(record: BackendGroup, pool: HwPool, lookup: Lookup): Promise<Observed> {
  const members = await lookup.members(pool.id);
  // A member is a server by its address: the recorded members' servers are the ones natflow knows.
  const serverOfAddress = new Map<string, string>();
  for (const m of record.members) {
    const server = await lookup.record(m.serverId);
    if (server?.type === 'server') serverOfAddress.set(server.ip, server.id);
  }
  const monitor = await lookup.monitor(pool);
  const protocol = pool.protocol.toUpperCase() as LbProtocol;
  return {
    protocol,
    // Round robin, weighted or not, is one Huawei algorithm: the recorded name stands while it matches.
    algorithm:
      lbAlgorithmOf(record.algorithm) === pool.lb_algorithm
        ? record.algorithm
        : algorithmOf(
            pool.lb_algorithm,
            members.map((m) => m.weight ?? 1),
          ),
    members: members.map((m) => ({
      serverId: serverOfAddress.get(m.address) ?? m.address,
      port: m.protocol_port,
      weight: m.weight ?? 1,
    })),
    healthCheck: monitor
      ? {
          protocol: monitorProtocolOf(monitor.type),
          port: monitor.monitor_port ?? record.healthCheck.port,
          ...(monitor.url_path ? { path: monitor.url_path } : {}),
          intervalSeconds: monitor.delay,
        }
      : null,
  };
}

/** ELB v3 `healthmonitor.type` → natflow's health check protocol. */
function monitorProtocolOf(type: string): string {
  const t = type.toUpperCase();
  return t === 'UDP_CONNECT' ? 'UDP' : t === 'HTTPS' ? 'HTTP' : t;
}

async function observeListener(record: Listener, hw: HwListener, lookup: Lookup): Promise<Observed> {
  const group = hw.ipgroup?.ipgroup_id ? await lookup.ipGroup(hw.ipgroup.ipgroup_id) : undefined;
  const lb = hw.loadbalancers?.[0]?.id;
  return {
    ...(lb ? { loadBalancerId: await lookup.idOf(lb) } : {}),
    protocol: hw.protocol.toUpperCase(),
    port: hw.protocol_port,
    backendGroupId: await lookup.idOf(hw.default_pool_id),
    accessControl:
      hw.ipgroup?.ipgroup_id && !group
        ? record.accessControl
        : accessControlOf(hw.ipgroup, group?.ip_list.map((i) => i.ip) ?? []),
  };
}

async function observeDnat(record: DnatRule, hw: HwDnatRule, lookup: Lookup): Promise<Observed> {
  const { internalPort, transitPort } = dnatPortsOf(hw);
  const byPort = hw.network_interface_id ? await lookup.portTarget(hw.network_interface_id) : undefined;
  let target: DnatTarget | { kind: 'port'; portId: string } =
    byPort ??
    (hw.network_interface_id && !hw.private_ip_address
      ? { kind: 'port', portId: hw.network_interface_id }
      : { kind: 'ip', ip: hw.private_ip_address ?? '' });
  // An address target the API resolved to the server or load balancer holding it is the same target.
  if (record.target.kind === 'ip' && 'ip' in target && target.ip === record.target.ip) target = record.target;
  return {
    gatewayId: await lookup.idOf(hw.gateway_id),
    transitIpId: await lookup.idOf(hw.transit_ip_id),
    protocol: hw.protocol,
    transitPort,
    internalPort,
    target,
  };
}
