/**
 * Probe scenarios, one per explanation code and then some, shared by the analysis tests and the live
 * data-plane tests (which assert that both modes agree).
 *
 * Every scenario starts from the reference topology (see `referenceScenario`): VPC-A 192.168.0.0/16 with
 * ECS-A 192.168.0.10 and transit IP 192.168.0.144; VPC-B 10.0.0.0/16 with ECS-B 10.0.0.7 (HTTP 80,
 * inbound TCP 80 from 10.0.0.0/16), ELB01 10.0.0.8 (backend address 10.0.0.9, HTTP listener 80 →
 * backend-server-group-B → ECS-B:80) and the private NAT gateway (downlink 10.0.0.10) whose rule maps
 * TCP 192.168.0.144:80 to ELB01:80. Each scenario then changes one thing, said in its `story`.
 */
import type { Resource } from '../../src/cloud/resources.ts';
import type { ExplanationCode, HopComponent } from '../../src/probe/analyze.ts';
import type { ProbeRequest } from '../../src/probe/probe.ts';
import { REF, referenceScenario, TopologyBuilder } from './builder.ts';

export interface Scenario {
  name: string;
  story: string;
  resources: Resource[];
  request: ProbeRequest;
  verdict: 'REACHABLE' | 'UNREACHABLE';
  code?: ExplanationCode;
  component?: HopComponent;
  /** What the live probe gets; omitted when the live mode does not apply. */
  live?: { status: number | string; responder?: string };
}

const http80 = { from: 'ECS-A', to: 'transit-ip-A', protocol: 'http', port: 80 } as const;

/** Rebuilds the reference scenario with one record replaced. */
function variant(change: (s: ReturnType<typeof referenceScenario>) => void): Resource[] {
  const s = referenceScenario();
  change(s);
  return s.b.resources;
}

/** A second VPC-B server, ECS-C 10.0.0.20, serving HTTP 80 to its VPC. */
const ECS_C_IP = '10.0.0.20';
/** An address of VPC-A that nothing holds. */
const UNUSED_A_IP = '192.168.0.200';

export function scenarios(): Scenario[] {
  return [
    {
      name: 'the reference path',
      story: 'ECS-A curls the transit IP; the rule takes it to ELB01, which serves it from ECS-B',
      resources: referenceScenario().b.resources,
      request: http80,
      verdict: 'REACHABLE',
      live: { status: 200, responder: 'ECS-B' },
    },
    {
      name: 'NO_ROUTE to an address of another VPC',
      story: "ECS-A sends straight to ECS-B's address 10.0.0.7, which is not in VPC-A",
      resources: referenceScenario().b.resources,
      request: { ...http80, to: REF.ECS_B_IP },
      verdict: 'UNREACHABLE',
      code: 'NO_ROUTE',
      component: 'route',
      live: { status: 'timeout' },
    },
    {
      name: 'NO_ROUTE to a server of another VPC, by name (isolation)',
      story: 'ECS-C is another server of VPC-B that no rule exposes',
      resources: variant((s) => {
        s.b.server(s.subnetB, 'ECS-C', ECS_C_IP, { apps: [{ protocol: 'http', port: 80 }] });
      }),
      request: { ...http80, to: 'ECS-C' },
      verdict: 'UNREACHABLE',
      code: 'NO_ROUTE',
      component: 'route',
      live: { status: 'timeout' },
    },
    {
      name: 'NOT_A_TRANSIT_IP',
      story: `ECS-A sends to ${UNUSED_A_IP}, an address of VPC-A that nothing holds`,
      resources: referenceScenario().b.resources,
      request: { ...http80, to: UNUSED_A_IP },
      verdict: 'UNREACHABLE',
      code: 'NOT_A_TRANSIT_IP',
      component: 'transit-ip',
      live: { status: 'timeout' },
    },
    {
      name: 'NO_MATCHING_RULE on a port without a rule (isolation)',
      story: 'ECS-A tries SSH on the transit IP; only TCP 80 has a rule',
      resources: referenceScenario().b.resources,
      request: { ...http80, protocol: 'tcp', port: 22 },
      verdict: 'UNREACHABLE',
      code: 'NO_MATCHING_RULE',
      component: 'dnat',
      live: { status: 'refused' },
    },
    {
      name: 'RULE_INACTIVE when the gateway is frozen',
      story: 'the gateway is FROZEN, so its rule no longer translates',
      resources: variant((s) => {
        s.b.replace({ ...s.gateway, status: 'FROZEN' });
      }),
      request: http80,
      verdict: 'UNREACHABLE',
      code: 'RULE_INACTIVE',
      component: 'dnat',
      live: { status: 'refused' },
    },
    {
      name: 'LISTENER_NOT_FOUND',
      story: 'the rule maps TCP 80 to ELB01:81, where ELB01 has no listener',
      resources: variant((s) => {
        s.b.replace({ ...s.rule, internalPort: 81 });
      }),
      request: http80,
      verdict: 'UNREACHABLE',
      code: 'LISTENER_NOT_FOUND',
      component: 'listener',
      live: { status: 'refused' },
    },
    {
      name: 'PROTOCOL_MISMATCH',
      story: "a UDP rule on 80 points at ELB01's HTTP listener",
      resources: variant((s) => {
        s.b.replace({ ...s.rule, protocol: 'udp' });
      }),
      request: { ...http80, protocol: 'udp' },
      verdict: 'UNREACHABLE',
      code: 'PROTOCOL_MISMATCH',
      component: 'listener',
      live: { status: 'timeout' },
    },
    {
      name: "LB_ACL_DENIED against the gateway's address",
      story: "the listener denies 10.0.0.10/32 — the gateway's downlink address, the source ELB01 sees",
      resources: variant((s) => {
        s.b.replace({ ...s.listener, accessControl: { deny: [`${REF.GATEWAY_IP}/32`] } });
      }),
      request: http80,
      verdict: 'UNREACHABLE',
      code: 'LB_ACL_DENIED',
      component: 'listener',
      live: { status: 'refused' },
    },
    {
      name: "LB_ACL_DENIED by a whitelist that names the client's VPC instead of the gateway",
      story: "the listener allows only 192.168.0.0/16 — ECS-A's VPC — but ELB01 sees the gateway",
      resources: variant((s) => {
        s.b.replace({ ...s.listener, accessControl: { allow: [REF.VPC_A_CIDR] } });
      }),
      request: http80,
      verdict: 'UNREACHABLE',
      code: 'LB_ACL_DENIED',
      component: 'listener',
      live: { status: 'refused' },
    },
    {
      name: 'NO_BACKEND_MEMBERS',
      story: 'the backend group has no members',
      resources: variant((s) => {
        s.b.replace({ ...s.group, members: [] });
      }),
      request: http80,
      verdict: 'UNREACHABLE',
      code: 'NO_BACKEND_MEMBERS',
      component: 'backend-group',
      live: { status: 503 },
    },
    {
      name: 'NO_HEALTHY_MEMBER when the health check path is missing',
      story: 'the HTTP health check asks for /health; the python-like server answers 404 there',
      resources: variant((s) => {
        s.b.replace({ ...s.group, healthCheck: { ...s.group.healthCheck, path: '/health' } });
      }),
      request: http80,
      verdict: 'UNREACHABLE',
      code: 'NO_HEALTHY_MEMBER',
      component: 'backend-group',
      live: { status: 503 },
    },
    {
      name: 'NO_HEALTHY_MEMBER when every one of two members is down',
      story: 'ECS-B and ECS-C both run nothing on 80',
      resources: variant((s) => {
        const ecsC = s.b.server(s.subnetB, 'ECS-C', ECS_C_IP, {
          inbound: [{ protocol: 'tcp', ports: 80, source: REF.VPC_B_CIDR }],
        });
        s.b.replace({ ...s.ecsB, apps: [] });
        s.b.replace({
          ...s.group,
          members: [...s.group.members, { serverId: ecsC.id, port: 80, weight: 1 }],
        });
      }),
      request: http80,
      verdict: 'UNREACHABLE',
      code: 'NO_HEALTHY_MEMBER',
      component: 'backend-group',
      live: { status: 503 },
    },
    {
      name: "SECURITY_GROUP_DENIED for the only member (the LB's backend address is not admitted)",
      story: "ECS-B admits TCP 80 only from VPC-A's 192.168.0.0/16; its traffic comes from ELB01's 10.0.0.9",
      resources: variant((s) => {
        const sg = s.b.resources.find((r) => r.type === 'security-group' && r.name === 'sg-ECS-B');
        if (sg?.type === 'security-group')
          s.b.replace({
            ...sg,
            inbound: [{ protocol: 'tcp', fromPort: 80, toPort: 80, source: REF.VPC_A_CIDR }],
          });
      }),
      request: http80,
      verdict: 'UNREACHABLE',
      code: 'SECURITY_GROUP_DENIED',
      component: 'security-group',
      live: { status: 503 },
    },
    {
      name: 'SECURITY_GROUP_DENIED for a server target (it sees the gateway)',
      story: "the rule targets ECS-B itself; its group admits 10.0.0.7/32 only, not the gateway's 10.0.0.10",
      resources: variant((s) => {
        s.b.replace({ ...s.rule, target: { kind: 'server', serverId: s.ecsB.id, ip: s.ecsB.ip } });
        const sg = s.b.resources.find((r) => r.type === 'security-group' && r.name === 'sg-ECS-B');
        if (sg?.type === 'security-group')
          s.b.replace({
            ...sg,
            inbound: [{ protocol: 'tcp', fromPort: 80, toPort: 80, source: `${REF.ECS_B_IP}/32` }],
          });
      }),
      request: http80,
      verdict: 'UNREACHABLE',
      code: 'SECURITY_GROUP_DENIED',
      component: 'security-group',
      live: { status: 'refused' },
    },
    {
      name: 'PORT_NOT_LISTENING for the only member',
      story: 'ECS-B runs its server on 8080, but the member (and the health check) use 80',
      resources: variant((s) => {
        s.b.replace({ ...s.ecsB, apps: [{ protocol: 'http', port: 8080 }] });
      }),
      request: http80,
      verdict: 'UNREACHABLE',
      code: 'PORT_NOT_LISTENING',
      component: 'application',
      live: { status: 503 },
    },
    {
      name: 'PORT_NOT_LISTENING for a server target',
      story: 'the rule targets ECS-B on 80, where it runs nothing',
      resources: variant((s) => {
        s.b.replace({ ...s.ecsB, apps: [] });
        s.b.replace({ ...s.rule, target: { kind: 'server', serverId: s.ecsB.id, ip: s.ecsB.ip } });
      }),
      request: http80,
      verdict: 'UNREACHABLE',
      code: 'PORT_NOT_LISTENING',
      component: 'application',
      live: { status: 'refused' },
    },
    {
      name: 'APP_UNKNOWN for an imported server target',
      story:
        'ECS-B was imported from a real cloud (which reports no applications) and is no ELB member: the rule targets it on 80, and natflow cannot know what listens there',
      resources: variant((s) => {
        s.b.replace({ ...s.ecsB, apps: [], imported: true, cloud: 'huaweicloud' });
        s.b.replace({ ...s.rule, target: { kind: 'server', serverId: s.ecsB.id, ip: s.ecsB.ip } });
      }),
      request: http80,
      verdict: 'UNREACHABLE',
      code: 'APP_UNKNOWN',
      component: 'application',
    },
    {
      name: 'a TCP connect through the HTTP listener',
      story: 'a TCP probe on the reference path: a TCP connect to an HTTP listener is fine',
      resources: referenceScenario().b.resources,
      request: { ...http80, protocol: 'tcp' },
      verdict: 'REACHABLE',
      live: { status: 'connected', responder: 'ECS-B' },
    },
    {
      name: 'a server in the same VPC, directly',
      story: 'ECS-C in VPC-B curls ECS-B at 10.0.0.7: no transit IP, no translation',
      resources: variant((s) => {
        s.b.server(s.subnetB, 'ECS-C', ECS_C_IP);
      }),
      request: { from: 'ECS-C', to: REF.ECS_B_IP, protocol: 'http', port: 80 },
      verdict: 'REACHABLE',
      live: { status: 200, responder: 'ECS-B' },
    },
    ...overlappingAndUdp(),
  ];
}

/**
 * Overlapping CIDRs and UDP: VPC-X and VPC-Y are both 10.0.0.0/16. Both hold a server at 10.0.0.5:
 * ECS-X (no apps) and ECS-Y (HTTP 80, UDP echo 53). Transit IP 10.0.0.144 in VPC-X; the gateway in VPC-Y
 * (downlink 10.0.0.10) maps every port of the transit IP to ECS-Y, whose group admits TCP 80 and UDP 53
 * from 10.0.0.0/16.
 */
export const OVERLAP = {
  CIDR: '10.0.0.0/16',
  SUBNET: '10.0.0.0/24',
  SERVER_IP: '10.0.0.5',
  TRANSIT_IP: '10.0.0.144',
  GATEWAY_IP: '10.0.0.10',
} as const;

export function overlappingTopology(): Resource[] {
  const b = new TopologyBuilder('overlap');
  const vpcX = b.vpc('VPC-X', OVERLAP.CIDR);
  const subnetX = b.subnet(vpcX, 'subnet-X', OVERLAP.SUBNET);
  const vpcY = b.vpc('VPC-Y', OVERLAP.CIDR);
  const subnetY = b.subnet(vpcY, 'subnet-Y', OVERLAP.SUBNET);
  b.server(subnetX, 'ECS-X', OVERLAP.SERVER_IP);
  const ecsY = b.server(subnetY, 'ECS-Y', OVERLAP.SERVER_IP, {
    apps: [
      { protocol: 'http', port: 80 },
      { protocol: 'udp', port: 53 },
    ],
  });
  const tip = b.transitIp(subnetX, 'transit-ip-X', OVERLAP.TRANSIT_IP);
  const gateway = b.gateway(subnetY, 'gateway-Y', OVERLAP.GATEWAY_IP);
  b.dnat(gateway, tip, { protocol: 'any', target: ecsY });
  return b.resources;
}

function overlappingAndUdp(): Scenario[] {
  const resources = overlappingTopology();
  const from = 'ECS-X';
  return [
    {
      name: 'overlapping CIDRs: HTTP through an all-ports rule',
      story: 'ECS-X reaches ECS-Y, which has the same address in a VPC with the same CIDR',
      resources,
      request: { from, to: 'transit-ip-X', protocol: 'http', port: 80 },
      verdict: 'REACHABLE',
      live: { status: 200, responder: 'ECS-Y' },
    },
    {
      name: 'overlapping CIDRs: 10.0.0.5 from VPC-X is ECS-X itself, not ECS-Y',
      story: 'addresses resolve in the source VPC: ECS-X sends to its own address, which admits nothing',
      resources,
      request: { from, to: OVERLAP.SERVER_IP, protocol: 'http', port: 80 },
      verdict: 'UNREACHABLE',
      code: 'SECURITY_GROUP_DENIED',
      component: 'security-group',
      live: { status: 'refused' },
    },
    {
      name: 'UDP echo through an all-ports rule',
      story: 'ECS-X sends a datagram to the transit IP on 53; ECS-Y echoes it',
      resources,
      request: { from, to: OVERLAP.TRANSIT_IP, protocol: 'udp', port: 53 },
      verdict: 'REACHABLE',
      live: { status: 'echoed', responder: 'ECS-Y' },
    },
    {
      name: 'UDP to a port nothing serves behind an all-ports rule',
      story: 'ECS-Y neither admits nor serves UDP 54, so the forwarder has no such port either',
      resources,
      request: { from, to: OVERLAP.TRANSIT_IP, protocol: 'udp', port: 54 },
      verdict: 'UNREACHABLE',
      code: 'SECURITY_GROUP_DENIED',
      component: 'security-group',
      live: { status: 'timeout' },
    },
  ];
}
