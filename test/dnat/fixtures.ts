/**
 * The reference topology as plain resources, for engine tests that need no store:
 *
 *     VPC-A 192.168.0.0/16                       VPC-B 10.0.0.0/16
 *     client ECS-A 192.168.0.10                  gateway pnat-ref, downlink 10.0.0.9
 *     transit IPs 192.168.0.144 (tcp/80 → ELB01 10.0.0.7:80, udp/53 → 10.0.0.30:5353,
 *                                tcp/8080 PENDING → 10.0.0.7:8080)
 *                 192.168.0.145 (all ports → ECS-B 10.0.0.20)
 */
import type { DnatRule, PrivateNatGateway } from '../../src/cloud/resources.ts';

export const CLIENT = '192.168.0.10';
export const TRANSIT = '192.168.0.144';
export const TRANSIT_ALL = '192.168.0.145';
export const DOWNLINK = '10.0.0.9';
export const ELB = '10.0.0.7';
export const ECS_B = '10.0.0.20';
export const DNS = '10.0.0.30';

const common = { createdAt: '2025-01-01T00:00:00.000Z', plan: 'ref', execution: null, clientToken: null };

export function gatewayOf(overrides: Partial<PrivateNatGateway> = {}): PrivateNatGateway {
  return {
    ...common,
    id: 'pnat-ref',
    type: 'private-nat-gateway',
    name: 'private_nat_gateway',
    status: 'ACTIVE',
    vpcId: 'vpc-b',
    subnetId: 'subnet-b01',
    downlinkIp: DOWNLINK,
    spec: 'Small',
    allowSharedTransitIp: false,
    ...overrides,
  };
}

export function ruleOf(
  id: string,
  fields: Pick<DnatRule, 'transitIp' | 'protocol' | 'transitPort' | 'internalPort'> & {
    targetIp: string;
    status?: DnatRule['status'];
    gatewayId?: string;
  },
): DnatRule {
  return {
    ...common,
    id,
    type: 'dnat-rule',
    name: id,
    status: fields.status ?? 'ACTIVE',
    gatewayId: fields.gatewayId ?? 'pnat-ref',
    transitIpId: `tip-${fields.transitIp}`,
    transitIp: fields.transitIp,
    protocol: fields.protocol,
    transitPort: fields.transitPort,
    internalPort: fields.internalPort,
    target: { kind: 'ip', ip: fields.targetIp },
  };
}

export const REFERENCE_RULES: readonly DnatRule[] = [
  ruleOf('dnat-http', {
    transitIp: TRANSIT,
    protocol: 'tcp',
    transitPort: 80,
    internalPort: 80,
    targetIp: ELB,
  }),
  ruleOf('dnat-dns', {
    transitIp: TRANSIT,
    protocol: 'udp',
    transitPort: 53,
    internalPort: 5353,
    targetIp: DNS,
  }),
  ruleOf('dnat-pending', {
    transitIp: TRANSIT,
    protocol: 'tcp',
    transitPort: 8080,
    internalPort: 8080,
    targetIp: ELB,
    status: 'PENDING',
  }),
  ruleOf('dnat-all', {
    transitIp: TRANSIT_ALL,
    protocol: 'any',
    transitPort: 0,
    internalPort: 0,
    targetIp: ECS_B,
  }),
];
