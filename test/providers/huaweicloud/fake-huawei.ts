/**
 * An in-memory Huawei account behind the provider's client interfaces (`HuaweiApis`), for unit tests of
 * the provider's own logic (intent, adoption by token, readiness, deletion) without HTTP. The end-to-end
 * tests run the real clients against natflow's local Huawei API instead.
 *
 * Modelled as the real cloud: a VPC answers `CREATING` and an ELB `PENDING_CREATE` until the next read,
 * an ECS delete leaves the server `DELETED`-pending for one read, DNAT (transit IP, protocol, port) is
 * unique (NAT.1310). `dropNext(op)` commits the next such create and then fails like a dropped response.
 */
import { randomUUID } from 'node:crypto';
import type { HuaweiApis } from '../../../src/providers/huaweicloud/apis.ts';
import { mapHuaweiError } from '../../../src/providers/huaweicloud/errors.ts';

type Item = Record<string, unknown> & { id: string };

/** What HcClient throws for an HTTP error (a ServiceResponseException's fields). */
function httpError(status: number, code: string, msg: string): Error {
  return Object.assign(new Error(msg), { httpStatusCode: status, errorCode: code, errorMsg: msg });
}

export class FakeHuawei {
  readonly items = new Map<string, Map<string, Item>>();
  readonly calls: string[] = [];
  private readonly drops = new Set<string>();
  private readonly settling = new Set<string>();
  /** Servers being deleted: how many more reads still see them. */
  private readonly deleting = new Map<string, number>();

  kind(name: string): Map<string, Item> {
    let map = this.items.get(name);
    if (!map) {
      map = new Map();
      this.items.set(name, map);
    }
    return map;
  }

  all(name: string): Item[] {
    return [...this.kind(name).values()];
  }

  /** The next create of `op` (e.g. `dnat`) is committed, then answered with a dropped connection. */
  dropNext(op: string): void {
    this.drops.add(op);
  }

  private create(
    kind: string,
    op: string,
    body: Record<string, unknown>,
    settleFrom?: Record<string, unknown>,
  ): Item {
    this.calls.push(`create ${kind}`);
    const item: Item = { id: randomUUID(), ...body, ...(settleFrom ?? {}) };
    this.kind(kind).set(item.id, item);
    if (settleFrom) this.settling.add(item.id);
    if (this.drops.delete(op)) {
      throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    }
    return structuredClone(item);
  }

  private read(kind: string, id: string): Item {
    const item = this.kind(kind).get(id);
    if (!item) throw httpError(404, `${kind.toUpperCase()}.404`, `${kind} ${id} not found`);
    const answer = structuredClone(item);
    const left = this.deleting.get(id);
    if (left !== undefined && left > 0) this.deleting.set(id, left - 1);
    else if (left !== undefined) {
      this.deleting.delete(id);
      this.kind(kind).delete(id);
      return { ...answer, status: 'DELETED' };
    }
    if (this.settling.delete(id)) {
      if (kind === 'vpc') item.status = 'OK';
      if (kind === 'lb') item.provisioning_status = 'ACTIVE';
    }
    return answer;
  }

  private remove(kind: string, id: string): void {
    this.calls.push(`delete ${kind}`);
    if (!this.kind(kind).delete(id)) throw httpError(404, 'X.404', `${kind} ${id} not found`);
  }

  private list(kind: string, filter: (i: Item) => boolean = () => true): Item[] {
    return this.all(kind)
      .filter(filter)
      .map((i) => structuredClone(i));
  }

  apis(): HuaweiApis {
    const ports = new Map<string, string>();
    const api = {
      vpc: {
        createVpc: async (b: Item) => this.create('vpc', 'vpc', b, { status: 'CREATING' }),
        showVpc: async (id: string) => this.read('vpc', id),
        listVpcs: async () => {
          for (const v of this.all('vpc')) if (this.settling.delete(v.id)) v.status = 'OK';
          return this.list('vpc');
        },
        deleteVpc: async (id: string) => {
          if (this.all('subnet').some((s) => s.vpc_id === id))
            throw httpError(409, 'VPC.0106', 'subnets remain');
          this.remove('vpc', id);
        },
        createSubnet: async (b: Item) => {
          const vpc = this.kind('vpc').get(String(b.vpc_id));
          if (vpc?.status !== 'OK') throw httpError(400, 'VPC.0003', 'the VPC is not ready');
          return this.create('subnet', 'subnet', { ...b, status: 'ACTIVE', neutron_subnet_id: randomUUID() });
        },
        showSubnet: async (id: string) => this.read('subnet', id),
        listSubnets: async (q: { vpc_id?: string }) =>
          this.list('subnet', (s) => !q.vpc_id || s.vpc_id === q.vpc_id),
        deleteSubnet: async (_vpc: string, id: string) => {
          const ip = this.kind('subnet').get(id);
          const busy = this.all('server').some((s) => JSON.stringify(s.nics ?? []).includes(id));
          if (ip && busy) throw httpError(409, 'VPC.0204', 'the subnet still has ports in use');
          this.remove('subnet', id);
        },
        createSecurityGroup: async (b: Item) => this.create('sg', 'sg', { ...b, security_group_rules: [] }),
        createSecurityGroupRule: async (b: Item) => {
          const group = this.kind('sg').get(String(b.security_group_id));
          const rule = { ...b, id: randomUUID() };
          if (!group) throw httpError(404, 'VPC.0601', 'no such security group');
          (group.security_group_rules as Item[]).push(rule);
          this.calls.push('create sg-rule');
          return rule;
        },
        showSecurityGroup: async (id: string) => this.read('sg', id),
        listSecurityGroups: async (q: { vpc_id?: string }) =>
          this.list('sg', (g) => !q.vpc_id || g.vpc_id === q.vpc_id),
        deleteSecurityGroup: async (id: string) => this.remove('sg', id),
      },
      ecs: {
        createServer: async (b: Item) => {
          const nic = (b.nics as Array<{ subnet_id: string; ip_address: string }>)[0] as {
            subnet_id: string;
            ip_address: string;
          };
          const portId = randomUUID();
          ports.set(portId, nic.ip_address);
          const server = this.create('server', 'server', {
            ...b,
            status: 'ACTIVE',
            addresses: {
              [String(b.vpcid)]: [
                {
                  addr: nic.ip_address,
                  version: 4,
                  'OS-EXT-IPS:port_id': portId,
                  'OS-EXT-IPS:type': 'fixed',
                },
              ],
            },
            tags: (b.server_tags as Array<{ key: string; value: string }>).map((t) => `${t.key}=${t.value}`),
          });
          return { job_id: `job-${server.id}`, serverIds: [server.id] };
        },
        showJob: async (jobId: string) => ({
          status: 'SUCCESS',
          entities: { sub_jobs: [{ entities: { server_id: jobId.slice(4) } }] },
        }),
        showServer: async (id: string) => this.read('server', id),
        listServers: async (q: { name?: string } = {}) =>
          this.list('server', (s) => !q.name || s.name === q.name),
        deleteServer: async (id: string) => {
          this.calls.push('delete server');
          if (!this.kind('server').has(id)) throw httpError(404, 'Ecs.0114', 'no such server');
          if (!this.deleting.has(id)) this.deleting.set(id, 1);
          return { job_id: `job-del-${id}` };
        },
      },
      elb: {
        createLoadBalancer: async (b: Item) =>
          this.create(
            'lb',
            'lb',
            { ...b, vip_port_id: randomUUID() },
            { provisioning_status: 'PENDING_CREATE' },
          ),
        showLoadBalancer: async (id: string) => this.read('lb', id),
        listLoadBalancers: async () => this.list('lb'),
        deleteLoadBalancer: async (id: string) => this.remove('lb', id),
        createListener: async (b: Item) => {
          const lb = this.kind('lb').get(String(b.loadbalancer_id));
          if (lb?.provisioning_status !== 'ACTIVE')
            throw httpError(409, 'ELB.8907', 'the load balancer is immutable');
          return this.create('listener', 'listener', { ...b, loadbalancers: [{ id: b.loadbalancer_id }] });
        },
        showListener: async (id: string) => this.read('listener', id),
        listListeners: async (q: { loadbalancer_id?: string }) =>
          this.list('listener', (l) => !q.loadbalancer_id || l.loadbalancer_id === q.loadbalancer_id),
        deleteListener: async (id: string) => this.remove('listener', id),
        createPool: async (b: Item) => this.create('pool', 'pool', { ...b, healthmonitor_id: null }),
        showPool: async (id: string) => this.read('pool', id),
        listPools: async () => this.list('pool'),
        deletePool: async (id: string) => this.remove('pool', id),
        createMember: async (poolId: string, b: Item) =>
          this.create('member', 'member', { ...b, pool_id: poolId, operating_status: 'ONLINE' }),
        listMembers: async (poolId: string) => this.list('member', (m) => m.pool_id === poolId),
        deleteMember: async (_pool: string, id: string) => this.remove('member', id),
        createHealthMonitor: async (b: Item) => {
          const monitor = this.create('monitor', 'monitor', b);
          const pool = this.kind('pool').get(String(b.pool_id));
          if (pool) pool.healthmonitor_id = monitor.id;
          return monitor;
        },
        showHealthMonitor: async (id: string) => this.read('monitor', id),
        deleteHealthMonitor: async (id: string) => this.remove('monitor', id),
        createIpGroup: async (b: Item) => this.create('ipgroup', 'ipgroup', b),
        listIpGroups: async () => this.list('ipgroup'),
        showIpGroup: async (id: string) => this.read('ipgroup', id),
        deleteIpGroup: async (id: string) => this.remove('ipgroup', id),
      },
      nat: {
        createGateway: async (b: Item) => {
          const downlink = (b.downlink_vpcs as Array<{ virsubnet_id: string }>)[0] as {
            virsubnet_id: string;
          };
          const subnet = this.kind('subnet').get(downlink.virsubnet_id);
          return this.create('gateway', 'gateway', {
            ...b,
            status: 'ACTIVE',
            rule_max: 20,
            downlink_vpcs: [{ ...downlink, vpc_id: subnet?.vpc_id }],
          });
        },
        showGateway: async (id: string) => this.read('gateway', id),
        listGateways: async () => this.list('gateway'),
        deleteGateway: async (id: string) => {
          if (this.all('dnat').some((r) => r.gateway_id === id))
            throw httpError(409, 'NAT.1202', 'the gateway has rules');
          this.remove('gateway', id);
        },
        createTransitIp: async (b: Item) => this.create('tip', 'tip', { ...b, status: 'ACTIVE' }),
        showTransitIp: async (id: string) => this.read('tip', id),
        listTransitIps: async (q: { virsubnet_id?: string } = {}) =>
          this.list('tip', (t) => !q.virsubnet_id || t.virsubnet_id === q.virsubnet_id),
        deleteTransitIp: async (id: string) => this.remove('tip', id),
        createDnatRule: async (b: Item) => {
          const clash = this.all('dnat').some(
            (r) =>
              r.transit_ip_id === b.transit_ip_id &&
              r.protocol === b.protocol &&
              r.transit_service_port === b.transit_service_port,
          );
          if (clash) throw httpError(409, 'NAT.1310', 'the transit IP and port are in use');
          return this.create('dnat', 'dnat', { ...b, status: 'ACTIVE' });
        },
        showDnatRule: async (id: string) => this.read('dnat', id),
        listDnatRules: async (q: { gateway_id?: string }) =>
          this.list('dnat', (r) => !q.gateway_id || r.gateway_id === q.gateway_id),
        deleteDnatRule: async (id: string) => this.remove('dnat', id),
        createSnatRule: async (b: Item) =>
          this.create('snat', 'snat', {
            ...b,
            status: 'ACTIVE',
            transit_ip_associations: (b.transit_ip_ids as string[]).map((id) => ({ transit_ip_id: id })),
          }),
        showSnatRule: async (id: string) => this.read('snat', id),
        listSnatRules: async (q: { gateway_id?: string }) =>
          this.list('snat', (r) => !q.gateway_id || r.gateway_id === q.gateway_id),
        deleteSnatRule: async (id: string) => this.remove('snat', id),
      },
    };
    // The real clients map every failure at the edge (`send`/`call`); so does the fake.
    for (const [service, fns] of Object.entries(api)) {
      for (const [name, fn] of Object.entries(
        fns as Record<string, (...args: unknown[]) => Promise<unknown>>,
      )) {
        (fns as Record<string, unknown>)[name] = async (...args: unknown[]) => {
          try {
            return await fn(...args);
          } catch (error) {
            throw mapHuaweiError(error, `${service.toUpperCase()} ${name}`);
          }
        };
      }
    }
    return api as unknown as HuaweiApis;
  }
}
