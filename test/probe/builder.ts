/**
 * Builds virtual-cloud topologies as plain resource records, for the probe's and the data plane's tests
 * and benchmarks: no control plane, no store — the probe reads `Resource[]`, so scenarios state exactly
 * the records they need (including ones the control plane would refuse, such as a frozen rule).
 * Ids are deterministic (`vpc-1`, `ecs-2`, …), every resource is ACTIVE unless told otherwise.
 */
import type {
  AccessControl,
  App,
  BackendGroup,
  DnatRule,
  HealthCheck,
  LbProtocol,
  LifecycleStatus,
  Listener,
  LoadBalancer,
  PrivateNatGateway,
  Resource,
  SecurityGroup,
  SecurityGroupRule,
  Server,
  Subnet,
  TransitIp,
  Vpc,
} from '../../src/cloud/resources.ts';
import { Topology } from '../../src/probe/model.ts';

export interface InboundSpec {
  protocol: 'tcp' | 'udp' | 'any';
  /** `80` or `'8000-8080'`. */
  ports: number | string;
  source: string;
}

export class TopologyBuilder {
  readonly resources: Resource[] = [];
  readonly plan: string | null;
  #n = 0;

  constructor(plan: string | null = 'test-plan') {
    this.plan = plan;
  }

  #base(prefix: string, name: string, status: LifecycleStatus = 'ACTIVE') {
    this.#n += 1;
    return {
      id: `${prefix}-${this.#n}`,
      name,
      status,
      createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, this.#n)).toISOString(),
      plan: this.plan,
      execution: null,
      clientToken: null,
    };
  }

  #add<T extends Resource>(resource: T): T {
    this.resources.push(resource);
    return resource;
  }

  vpc(name: string, cidr: string): Vpc {
    return this.#add({ ...this.#base('vpc', name), type: 'vpc', cidr });
  }

  subnet(vpc: Vpc, name: string, cidr: string): Subnet {
    const gatewayIp = cidr.replace(/\.0\/\d+$/, '.1');
    return this.#add({ ...this.#base('subnet', name), type: 'subnet', vpcId: vpc.id, cidr, gatewayIp });
  }

  securityGroup(vpcId: string, name: string, inbound: readonly InboundSpec[]): SecurityGroup {
    return this.#add({
      ...this.#base('sg', name),
      type: 'security-group',
      vpcId,
      inbound: inbound.map(toRule),
    });
  }

  /**
   * A server with its own security group: `inbound` given, or by default each app's port from the
   * server's VPC CIDR (the control plane's default).
   */
  server(
    subnet: Subnet,
    name: string,
    ip: string,
    options: { apps?: App[]; inbound?: InboundSpec[]; securityGroups?: SecurityGroup[] } = {},
  ): Server {
    const apps = options.apps ?? [];
    const vpc = this.resources.find((r) => r.id === subnet.vpcId) as Vpc;
    const groups = options.securityGroups ?? [
      this.securityGroup(
        subnet.vpcId,
        `sg-${name}`,
        options.inbound ??
          apps.map((a) => ({
            protocol: a.protocol === 'udp' ? 'udp' : 'tcp',
            ports: a.port,
            source: vpc.cidr,
          })),
      ),
    ];
    return this.#add({
      ...this.#base('ecs', name),
      type: 'server',
      vpcId: subnet.vpcId,
      subnetId: subnet.id,
      ip,
      securityGroupIds: groups.map((g) => g.id),
      apps,
    });
  }

  backendGroup(
    name: string,
    protocol: LbProtocol,
    members: { server: Server; port: number; weight?: number }[],
    options: { healthCheck?: Partial<HealthCheck>; algorithm?: BackendGroup['algorithm'] } = {},
  ): BackendGroup {
    const port = options.healthCheck?.port ?? members[0]?.port ?? 80;
    const checkProtocol = options.healthCheck?.protocol ?? protocol;
    return this.#add({
      ...this.#base('pool', name),
      type: 'backend-group',
      vpcId: members[0]?.server.vpcId ?? null,
      protocol,
      algorithm: options.algorithm ?? 'round-robin',
      healthCheck: {
        protocol: checkProtocol,
        port,
        ...(checkProtocol === 'HTTP' ? { path: options.healthCheck?.path ?? '/' } : {}),
        intervalSeconds: options.healthCheck?.intervalSeconds ?? 5,
      },
      members: members.map((m) => ({ serverId: m.server.id, port: m.port, weight: m.weight ?? 1 })),
    });
  }

  loadBalancer(subnet: Subnet, name: string, ip: string, backendIp: string): LoadBalancer {
    return this.#add({
      ...this.#base('elb', name),
      type: 'load-balancer',
      vpcId: subnet.vpcId,
      frontendSubnetId: subnet.id,
      backendSubnetId: subnet.id,
      ip,
      backendIp,
      azs: ['AZ1', 'AZ2'],
    });
  }

  listener(
    lb: LoadBalancer,
    protocol: LbProtocol,
    port: number,
    group: BackendGroup,
    accessControl: AccessControl = 'all',
  ): Listener {
    return this.#add({
      ...this.#base('lsnr', `${lb.name}-${protocol}-${port}`),
      type: 'listener',
      loadBalancerId: lb.id,
      protocol,
      port,
      backendGroupId: group.id,
      accessControl,
    });
  }

  transitIp(subnet: Subnet, name: string, ip: string): TransitIp {
    return this.#add({
      ...this.#base('tip', name),
      type: 'transit-ip',
      vpcId: subnet.vpcId,
      subnetId: subnet.id,
      ip,
    });
  }

  gateway(
    subnet: Subnet,
    name: string,
    downlinkIp: string,
    status: LifecycleStatus = 'ACTIVE',
  ): PrivateNatGateway {
    return this.#add({
      ...this.#base('pnat', name, status),
      type: 'private-nat-gateway',
      vpcId: subnet.vpcId,
      subnetId: subnet.id,
      downlinkIp,
      spec: 'Small',
      allowSharedTransitIp: false,
    });
  }

  dnat(
    gateway: PrivateNatGateway,
    tip: TransitIp,
    spec: {
      protocol: 'tcp' | 'udp' | 'any';
      transitPort?: number;
      internalPort?: number;
      target: Server | LoadBalancer | { ip: string };
      status?: LifecycleStatus;
      name?: string;
    },
  ): DnatRule {
    const target: DnatRule['target'] =
      'type' in spec.target
        ? spec.target.type === 'server'
          ? { kind: 'server', serverId: spec.target.id, ip: spec.target.ip }
          : { kind: 'load-balancer', loadBalancerId: spec.target.id, ip: spec.target.ip }
        : { kind: 'ip', ip: spec.target.ip };
    const all = spec.protocol === 'any';
    const transitPort = all ? 0 : (spec.transitPort ?? 80);
    return this.#add({
      ...this.#base('dnat', spec.name ?? `${tip.name}-${spec.protocol}-${transitPort}`, spec.status),
      type: 'dnat-rule',
      gatewayId: gateway.id,
      transitIpId: tip.id,
      transitIp: tip.ip,
      protocol: spec.protocol,
      transitPort,
      internalPort: all ? 0 : (spec.internalPort ?? transitPort),
      target,
    });
  }

  /** Replaces a stored record (a later status, a changed rule) by id. */
  replace<T extends Resource>(resource: T): T {
    const i = this.resources.findIndex((r) => r.id === resource.id);
    if (i < 0) throw new Error(`no resource ${resource.id}`);
    this.resources[i] = resource;
    return resource;
  }

  remove(id: string): void {
    const i = this.resources.findIndex((r) => r.id === id);
    if (i >= 0) this.resources.splice(i, 1);
  }

  topology(): Topology {
    return Topology.from(this.resources);
  }
}

function toRule(spec: InboundSpec): SecurityGroupRule {
  const [from, to] = String(spec.ports).split('-').map(Number);
  return { protocol: spec.protocol, fromPort: from ?? 0, toPort: to ?? from ?? 0, source: spec.source };
}

/**
 * The reference scenario (reference/private-nat-cross-vpc-elb.txt): ECS-A in VPC-A reaches ELB01 in VPC-B
 * through transit IP 192.168.0.144 and a TCP 80 DNAT rule on the private NAT gateway in VPC-B; ELB01's
 * HTTP listener on 80 forwards to ECS-B, which runs `python3 -m http.server 80` and admits TCP 80 from
 * 10.0.0.0/16.
 */
export const REF = {
  VPC_A_CIDR: '192.168.0.0/16',
  SUBNET_A_CIDR: '192.168.0.0/24',
  ECS_A_IP: '192.168.0.10',
  TRANSIT_IP: '192.168.0.144',
  VPC_B_CIDR: '10.0.0.0/16',
  SUBNET_B_CIDR: '10.0.0.0/24',
  ECS_B_IP: '10.0.0.7',
  ELB_IP: '10.0.0.8',
  ELB_BACKEND_IP: '10.0.0.9',
  GATEWAY_IP: '10.0.0.10',
} as const;

export function referenceScenario(builder = new TopologyBuilder('app-a-to-elb01')) {
  const b = builder;
  const vpcA = b.vpc('VPC-A', REF.VPC_A_CIDR);
  const subnetA = b.subnet(vpcA, 'subnet-A01', REF.SUBNET_A_CIDR);
  const vpcB = b.vpc('VPC-B', REF.VPC_B_CIDR);
  const subnetB = b.subnet(vpcB, 'subnet-B01', REF.SUBNET_B_CIDR);
  const ecsA = b.server(subnetA, 'ECS-A', REF.ECS_A_IP);
  const ecsB = b.server(subnetB, 'ECS-B', REF.ECS_B_IP, {
    apps: [{ protocol: 'http', port: 80 }],
    inbound: [{ protocol: 'tcp', ports: 80, source: REF.VPC_B_CIDR }],
  });
  const group = b.backendGroup('backend-server-group-B', 'HTTP', [{ server: ecsB, port: 80 }]);
  const elb = b.loadBalancer(subnetB, 'ELB01', REF.ELB_IP, REF.ELB_BACKEND_IP);
  const listener = b.listener(elb, 'HTTP', 80, group);
  const tip = b.transitIp(subnetA, 'transit-ip-A', REF.TRANSIT_IP);
  const gateway = b.gateway(subnetB, 'private_nat_gateway', REF.GATEWAY_IP);
  const rule = b.dnat(gateway, tip, { protocol: 'tcp', transitPort: 80, internalPort: 80, target: elb });
  return { b, vpcA, subnetA, vpcB, subnetB, ecsA, ecsB, group, elb, listener, tip, gateway, rule };
}
