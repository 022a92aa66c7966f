/**
 * `natflow import --cloud huaweicloud [--vpc ID…]` (docs/clouds.md), the provider's `importAccount`: reads
 * what an account has — VPCs, subnets, security groups, servers, load balancers with their listeners,
 * pools and members, transit IPs, private NAT gateways and their DNAT and SNAT rules — into natflow's
 * model, read-only.
 *
 * Invariants:
 * - **Read-only.** Only GET/list calls; nothing on the cloud changes.
 * - **Marked.** Imported resources carry `imported: true`, `cloud: 'huaweicloud'`, `externalId` (the
 *   Huawei UUID) and `plan: null`; their natflow id is derived from the UUID (`vpc-` + 12 hex of its
 *   SHA-256), so a re-import keeps the ids that natflow's own resources (a DNAT rule on an imported
 *   gateway) reference.
 * - **Replacing.** A re-import replaces what an earlier import read in its scope (the given VPCs, or all):
 *   changed resources are rewritten, vanished ones dropped (unless natflow's own resources still reference
 *   them, which the report lists); what natflow created is never touched, and is not imported twice.
 * - **Applications.** Huawei reports none: a server counts as serving a port where it is a member, ONLINE
 *   on that port, of a pool (its protocol), and analysis of anything else on it stops with APP_UNKNOWN.
 */
import { createHash } from 'node:crypto';
import { constraintKeysOf } from '../../cloud/constraints.ts';
import { NotFoundError } from '../../cloud/errors.ts';
import {
  type App,
  DEPENDENCY_ORDER,
  GATEWAY_SPECS,
  type GatewaySpec,
  ID_PREFIX,
  LB_PROTOCOLS,
  type LbProtocol,
  type Resource,
  type ResourceType,
  referencesOf,
} from '../../cloud/resources.ts';
import { keys } from '../../cloud/store.ts';
import { cidrContainsIp, parseCidr, tryParseIpv4 } from '../../net/ipv4.ts';
import type { ImportOptions, ImportReport } from '../provider.ts';
import { type Account, PROVIDER_NAME } from './account.ts';
import type { HwMember, HwPool } from './elb.ts';
import { accessControlOf, algorithmOf, appProtocolOf, inboundOf, lifecycleOf } from './mapping.ts';
import { dnatPortsOf } from './nat.ts';
import { allPages } from './vpc.ts';

/** The natflow id of an imported resource: stable across re-imports. */
export function importedIdOf(type: ResourceType, externalId: string): string {
  return `${ID_PREFIX[type]}-${createHash('sha256').update(`${PROVIDER_NAME}:${externalId}`).digest('hex').slice(0, 12)}`;
}

type Draft = Resource;

/**
 * Reads the account (or the given VPCs, by Huawei id or natflow id) into the store.
 *
 * @example await discoverAccount(account, { vpcs: ['0b3c…'] })  // { imported: { vpc: 1, subnet: 2, … }, … }
 */
export async function discoverAccount(account: Account, options: ImportOptions = {}): Promise<ImportReport> {
  const { api, store } = account;
  const report: ImportReport = { imported: {}, removed: [], skipped: [], kept: [] };
  const now = new Date().toISOString();

  // Scope: the VPCs asked for (each must exist), or every VPC of the project.
  const allVpcs = await allPages((q) => api.vpc.listVpcs(q));
  let vpcs = allVpcs;
  if (options.vpcs && options.vpcs.length > 0) {
    vpcs = [];
    for (const ref of options.vpcs) {
      const known = (await store.get(ref)) ?? undefined;
      const hwId = known?.externalId ?? ref;
      const vpc = allVpcs.find((v) => v.id === hwId);
      if (!vpc) throw new NotFoundError(`no VPC ${ref} in this Huawei Cloud project`, { path: 'vpc' });
      vpcs.push(vpc);
    }
  }
  const inScope = new Set(vpcs.map((v) => v.id));

  /** Huawei id → natflow id: natflow's own resource when it created it, else the imported id. */
  const own = new Map<string, Resource>();
  const idOf = async (type: ResourceType, hwId: string): Promise<string> => {
    const existing = await store.getByKey(keys.external(hwId));
    if (existing && !existing.imported) {
      own.set(hwId, existing);
      return existing.id;
    }
    return importedIdOf(type, hwId);
  };
  const drafts = new Map<string, Draft>();
  const add = async (type: ResourceType, hwId: string, build: (id: string) => Draft | undefined) => {
    const id = await idOf(type, hwId);
    if (own.has(hwId)) return id;
    const draft = build(id);
    if (draft) {
      drafts.set(id, draft);
      report.imported[type] = (report.imported[type] ?? 0) + 1;
    }
    return id;
  };
  const base = (id: string, name: string, externalId: string) => ({
    id,
    name: name || externalId,
    createdAt: now,
    plan: null,
    execution: null,
    clientToken: null,
    externalId,
    cloud: PROVIDER_NAME,
    imported: true,
  });
  const status = (type: ResourceType, name: string, raw: string | undefined) => {
    try {
      return lifecycleOf({ type, name, id: name }, raw);
    } catch {
      return 'INACTIVE' as const;
    }
  };

  // Networks.
  const subnetsByHw = new Map<string, { id: string; vpcId: string; cidr: string; neutron?: string }>();
  for (const vpc of vpcs) {
    const vpcId = await add('vpc', vpc.id, (id) => ({
      ...base(id, vpc.name, vpc.id),
      type: 'vpc',
      status: status('vpc', vpc.name, vpc.status),
      cidr: vpc.cidr,
    }));
    for (const subnet of await allPages((q) => api.vpc.listSubnets({ ...q, vpc_id: vpc.id }))) {
      const id = await add('subnet', subnet.id, (sid) => ({
        ...base(sid, subnet.name, subnet.id),
        type: 'subnet',
        status: status('subnet', subnet.name, subnet.status),
        vpcId,
        cidr: subnet.cidr,
        gatewayIp: subnet.gateway_ip,
      }));
      subnetsByHw.set(subnet.id, {
        id,
        vpcId,
        cidr: subnet.cidr,
        ...(subnet.neutron_subnet_id ? { neutron: subnet.neutron_subnet_id } : {}),
      });
    }
  }
  const subnetOfNeutron = (neutron: string | undefined) =>
    [...subnetsByHw.entries()].find(([hw, s]) => s.neutron === neutron || hw === neutron)?.[1];
  const subnetOfIp = (vpcId: string, ip: string) => {
    const addr = tryParseIpv4(ip);
    if (addr === undefined) return undefined;
    return [...subnetsByHw.values()].find(
      (s) => s.vpcId === vpcId && cidrContainsIp(parseCidr(s.cidr), addr),
    );
  };

  // Security groups.
  const groupIds = new Map<string, string>();
  for (const vpc of vpcs) {
    const vpcId = await idOf('vpc', vpc.id);
    for (const group of await allPages((q) => api.vpc.listSecurityGroups({ ...q, vpc_id: vpc.id }))) {
      if (group.vpc_id && group.vpc_id !== vpc.id) continue;
      const full = group.security_group_rules ? group : await api.vpc.showSecurityGroup(group.id);
      const id = await add('security-group', group.id, (gid) => ({
        ...base(gid, group.name, group.id),
        type: 'security-group',
        status: 'ACTIVE',
        vpcId,
        inbound: inboundOf(full.security_group_rules ?? []),
      }));
      groupIds.set(group.id, id);
    }
  }

  // Pools first (their ONLINE members tell which servers serve which ports).
  const pools: Array<{ pool: HwPool; members: HwMember[] }> = [];
  for (const pool of await api.elb.listPools()) {
    if (pool.vpc_id && !inScope.has(pool.vpc_id)) continue;
    pools.push({ pool, members: await api.elb.listMembers(pool.id) });
  }
  const servedApps = new Map<string, App[]>();
  for (const { pool, members } of pools) {
    const protocol = appProtocolOf(pool.protocol);
    if (!protocol) continue;
    for (const m of members) {
      if ((m.operating_status ?? '').toUpperCase() !== 'ONLINE') continue;
      const apps = servedApps.get(m.address) ?? [];
      if (!apps.some((a) => a.port === m.protocol_port && a.protocol === protocol))
        apps.push({ protocol, port: m.protocol_port });
      servedApps.set(m.address, apps);
    }
  }

  // Servers: those with a NIC in a VPC of the scope.
  const serverByIp = new Map<string, { id: string; vpcId: string }>();
  const serverByPort = new Map<string, { id: string; ip: string }>();
  for (const server of await api.ecs.listServers()) {
    const entry = Object.entries(server.addresses ?? {}).find(([vpc]) => inScope.has(vpc));
    if (!entry) continue;
    const [hwVpc, nics] = entry;
    const nic =
      nics.find((n) => (n.version ?? 4) === 4 && (n['OS-EXT-IPS:type'] ?? 'fixed') === 'fixed') ?? nics[0];
    if (!nic) continue;
    const vpcId = await idOf('vpc', hwVpc);
    const subnet = subnetOfIp(vpcId, nic.addr);
    if (!subnet) {
      report.skipped.push({
        type: 'server',
        externalId: server.id,
        reason: `its address ${nic.addr} is in no subnet of the VPC`,
      });
      continue;
    }
    const securityGroupIds = (server.security_groups ?? [])
      .map((g) =>
        g.id
          ? groupIds.get(g.id)
          : [...groupIds.entries()].find(([, v]) => drafts.get(v)?.name === g.name)?.[1],
      )
      .filter((v): v is string => v !== undefined);
    const id = await add('server', server.id, (sid) => ({
      ...base(sid, server.name, server.id),
      type: 'server',
      status: status('server', server.name, server.status),
      vpcId,
      subnetId: subnet.id,
      ip: nic.addr,
      securityGroupIds,
      apps: servedApps.get(nic.addr) ?? [],
    }));
    serverByIp.set(nic.addr, { id, vpcId });
    const portId = nic['OS-EXT-IPS:port_id'];
    if (portId) serverByPort.set(portId, { id, ip: nic.addr });
  }

  // Backend groups (pools) with their members and health check.
  const poolIds = new Map<string, string>();
  for (const { pool, members } of pools) {
    const protocol = pool.protocol.toUpperCase();
    if (!(LB_PROTOCOLS as readonly string[]).includes(protocol)) {
      report.skipped.push({
        type: 'backend-group',
        externalId: pool.id,
        reason: `protocol ${pool.protocol} is not HTTP, TCP or UDP`,
      });
      continue;
    }
    const mapped = members.flatMap((m) => {
      const server = serverByIp.get(m.address);
      if (!server) {
        report.skipped.push({
          type: 'backend-member',
          externalId: m.id,
          reason: `${m.address} is no imported server`,
        });
        return [];
      }
      return [{ serverId: server.id, port: m.protocol_port, weight: m.weight ?? 1, vpcId: server.vpcId }];
    });
    if (mapped.length === 0 && !pool.vpc_id && !(pool.loadbalancers ?? []).length) continue;
    const monitor = pool.healthmonitor_id
      ? await api.elb.showHealthMonitor(pool.healthmonitor_id).catch(() => undefined)
      : undefined;
    const checkProtocol = (monitor?.type ?? protocol)
      .toUpperCase()
      .replace('UDP_CONNECT', 'UDP')
      .replace('HTTPS', 'HTTP');
    const vpcId = pool.vpc_id ? await idOf('vpc', pool.vpc_id) : (mapped[0]?.vpcId ?? null);
    const id = await add('backend-group', pool.id, (pid) => ({
      ...base(pid, pool.name, pool.id),
      type: 'backend-group',
      status: 'ACTIVE',
      vpcId,
      protocol: protocol as LbProtocol,
      algorithm: algorithmOf(
        pool.lb_algorithm,
        mapped.map((m) => m.weight),
      ),
      healthCheck: {
        protocol: ((LB_PROTOCOLS as readonly string[]).includes(checkProtocol)
          ? checkProtocol
          : protocol) as LbProtocol,
        port: monitor?.monitor_port ?? mapped[0]?.port ?? 80,
        ...(monitor?.url_path ? { path: monitor.url_path } : checkProtocol === 'HTTP' ? { path: '/' } : {}),
        intervalSeconds: monitor?.delay ?? 5,
      },
      members: mapped.map(({ serverId, port, weight }) => ({ serverId, port, weight })),
    }));
    poolIds.set(pool.id, id);
  }

  // Load balancers and their listeners.
  const lbByPort = new Map<string, { id: string; ip: string }>();
  const ipgroups = new Map((await api.elb.listIpGroups().catch(() => [])).map((g) => [g.id, g]));
  for (const lb of await api.elb.listLoadBalancers()) {
    if (!inScope.has(lb.vpc_id)) continue;
    const vpcId = await idOf('vpc', lb.vpc_id);
    const frontend =
      subnetOfNeutron(lb.vip_subnet_cidr_id) ??
      (lb.vip_address ? subnetOfIp(vpcId, lb.vip_address) : undefined);
    if (!frontend || !lb.vip_address) {
      report.skipped.push({
        type: 'load-balancer',
        externalId: lb.id,
        reason: 'no IPv4 frontend address in a subnet of the VPC',
      });
      continue;
    }
    const backend = lb.elb_virsubnet_ids?.[0] ? subnetsByHw.get(lb.elb_virsubnet_ids[0]) : undefined;
    const id = await add('load-balancer', lb.id, (lid) => ({
      ...base(lid, lb.name, lb.id),
      type: 'load-balancer',
      status: status('load-balancer', lb.name, lb.provisioning_status),
      vpcId,
      frontendSubnetId: frontend.id,
      backendSubnetId: backend?.id ?? frontend.id,
      ip: lb.vip_address as string,
      backendIp: lb.vip_address as string,
      azs: lb.availability_zone_list ?? [],
    }));
    if (lb.vip_port_id) lbByPort.set(lb.vip_port_id, { id, ip: lb.vip_address });
    for (const listener of await api.elb.listListeners({ loadbalancer_id: lb.id })) {
      const protocol = listener.protocol.toUpperCase();
      const backendGroupId = listener.default_pool_id ? poolIds.get(listener.default_pool_id) : undefined;
      if (!(LB_PROTOCOLS as readonly string[]).includes(protocol) || !backendGroupId) {
        report.skipped.push({
          type: 'listener',
          externalId: listener.id,
          reason: backendGroupId
            ? `protocol ${listener.protocol} is not HTTP, TCP or UDP`
            : 'no default pool natflow models',
        });
        continue;
      }
      const group = listener.ipgroup?.ipgroup_id ? ipgroups.get(listener.ipgroup.ipgroup_id) : undefined;
      await add('listener', listener.id, (lid) => ({
        ...base(lid, listener.name, listener.id),
        type: 'listener',
        status: 'ACTIVE',
        loadBalancerId: id,
        protocol: protocol as LbProtocol,
        port: listener.protocol_port,
        backendGroupId,
        accessControl: accessControlOf(listener.ipgroup, group?.ip_list.map((i) => i.ip) ?? []),
      }));
    }
  }

  // Transit IPs in the scope's subnets.
  const transitIps = new Map<string, { id: string; ip: string }>();
  for (const tip of await api.nat.listTransitIps()) {
    const subnet = subnetsByHw.get(tip.virsubnet_id);
    if (!subnet) continue;
    const id = await add('transit-ip', tip.id, (tid) => ({
      ...base(tid, tip.ip_address, tip.id),
      type: 'transit-ip',
      status: status('transit-ip', tip.ip_address, tip.status),
      vpcId: subnet.vpcId,
      subnetId: subnet.id,
      ip: tip.ip_address,
    }));
    transitIps.set(tip.id, { id, ip: tip.ip_address });
  }

  // Gateways whose downlink is in the scope, with their rules.
  for (const gateway of await api.nat.listGateways()) {
    const downlink = gateway.downlink_vpcs?.[0];
    const subnet = downlink ? subnetsByHw.get(downlink.virsubnet_id) : undefined;
    if (!downlink || !subnet) continue;
    const spec = (
      (GATEWAY_SPECS as readonly string[]).includes(gateway.spec) ? gateway.spec : 'Small'
    ) as GatewaySpec;
    const gatewayId = await add('private-nat-gateway', gateway.id, (gid) => ({
      ...base(gid, gateway.name, gateway.id),
      type: 'private-nat-gateway',
      status: status('private-nat-gateway', gateway.name, gateway.status),
      vpcId: subnet.vpcId,
      subnetId: subnet.id,
      downlinkIp: downlink.ngport_ip_address ?? '',
      spec,
      allowSharedTransitIp: false,
    }));
    for (const rule of await api.nat.listDnatRules({ gateway_id: gateway.id })) {
      const tip = transitIps.get(rule.transit_ip_id) ?? (await resolveOutside(account, rule.transit_ip_id));
      if (!tip) {
        report.skipped.push({
          type: 'dnat-rule',
          externalId: rule.id,
          reason: `transit IP ${rule.transit_ip_id} is outside the imported VPCs`,
        });
        continue;
      }
      const port = rule.network_interface_id ?? undefined;
      const lb = port ? lbByPort.get(port) : undefined;
      const server = port ? serverByPort.get(port) : undefined;
      const target = lb
        ? { kind: 'load-balancer' as const, loadBalancerId: lb.id, ip: lb.ip }
        : server
          ? { kind: 'server' as const, serverId: server.id, ip: server.ip }
          : rule.private_ip_address
            ? { kind: 'ip' as const, ip: rule.private_ip_address }
            : undefined;
      if (!target) {
        report.skipped.push({
          type: 'dnat-rule',
          externalId: rule.id,
          reason: `its target port ${port} is neither a server nor a load balancer of the scope`,
        });
        continue;
      }
      const { internalPort, transitPort } = dnatPortsOf(rule);
      const protocol = rule.protocol === 'tcp' || rule.protocol === 'udp' ? rule.protocol : 'any';
      await add('dnat-rule', rule.id, (rid) => ({
        ...base(rid, `${tip.ip}:${protocol}:${transitPort}`, rule.id),
        type: 'dnat-rule',
        status: status('dnat-rule', rule.id, rule.status),
        gatewayId,
        transitIpId: tip.id,
        transitIp: tip.ip,
        protocol,
        transitPort,
        internalPort,
        target,
      }));
    }
    for (const rule of await api.nat.listSnatRules({ gateway_id: gateway.id })) {
      const tipId = rule.transit_ip_associations?.[0]?.transit_ip_id;
      const tip = tipId ? (transitIps.get(tipId) ?? (await resolveOutside(account, tipId))) : undefined;
      const source = rule.virsubnet_id ? subnetsByHw.get(rule.virsubnet_id) : undefined;
      const cidr = source?.cidr ?? rule.cidr ?? undefined;
      if (!tip || !cidr) {
        report.skipped.push({
          type: 'snat-rule',
          externalId: rule.id,
          reason: 'its transit IP or source is outside the imported VPCs',
        });
        continue;
      }
      await add('snat-rule', rule.id, (rid) => ({
        ...base(rid, `${cidr}->${tip.ip}`, rule.id),
        type: 'snat-rule',
        status: status('snat-rule', rule.id, rule.status),
        gatewayId,
        subnetId: source?.id ?? null,
        cidr,
        transitIpId: tip.id,
      }));
    }
  }

  await writeImport(account, drafts, inScope, options.vpcs !== undefined && options.vpcs.length > 0, report);
  return report;
}

/** A transit IP natflow knows from elsewhere (created, or imported with another VPC). */
async function resolveOutside(
  account: Account,
  hwId: string,
): Promise<{ id: string; ip: string } | undefined> {
  const known = await account.store.getByKey(keys.external(hwId));
  return known?.type === 'transit-ip' ? { id: known.id, ip: known.ip } : undefined;
}

/** The VPC (natflow id) a resource sits in, for scoping a re-import. */
function vpcOfResource(resource: Resource, byId: Map<string, Resource>): string | undefined {
  if (resource.type === 'vpc') return resource.id;
  if ('vpcId' in resource && typeof resource.vpcId === 'string') return resource.vpcId;
  if (resource.type === 'listener') return vpcOfResource(byId.get(resource.loadBalancerId) ?? resource, byId);
  if (resource.type === 'dnat-rule' || resource.type === 'snat-rule') {
    const gateway = byId.get(resource.gatewayId);
    return gateway ? vpcOfResource(gateway, byId) : undefined;
  }
  return undefined;
}

/** One transaction: drop the scope's earlier imports that are gone, then write the new ones. */
async function writeImport(
  account: Account,
  drafts: Map<string, Draft>,
  inScope: ReadonlySet<string>,
  scoped: boolean,
  report: ImportReport,
): Promise<void> {
  await account.store.transaction([`import:${PROVIDER_NAME}`], async (tx) => {
    const all = await tx.list();
    const byId = new Map(all.map((r) => [r.id, r]));
    const previous = all.filter((r) => r.imported && r.cloud === PROVIDER_NAME);
    const rank = (r: Resource) => DEPENDENCY_ORDER.indexOf(r.type);
    const inThisScope = (r: Resource) => {
      if (!scoped) return true;
      const vpc = vpcOfResource(r, byId);
      const hw = vpc ? byId.get(vpc)?.externalId : undefined;
      return hw !== undefined && inScope.has(hw);
    };
    for (const old of previous.filter(inThisScope).sort((a, b) => rank(b) - rank(a))) {
      if (drafts.has(old.id)) continue;
      const users = (await tx.referrers(old.id)).filter((r) => !r.imported && !drafts.has(r.id));
      if (users.length > 0) {
        report.kept.push(old.id);
        continue;
      }
      await tx.remove(old.id);
      report.removed.push(old.id);
    }
    const ordered = [...drafts.values()].sort((a, b) => rank(a) - rank(b));
    for (const draft of ordered) {
      const old = await tx.get(draft.id);
      if (old) {
        await tx.remove(draft.id);
        draft.createdAt = old.createdAt;
      }
      await tx.insert(draft, { keys: [...new Set(constraintKeysOf(draft))], refs: referencesOf(draft) });
    }
  });
}
