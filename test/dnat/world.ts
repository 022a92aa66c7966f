/**
 * The reference scenario created through the control plane (so the rules are exactly what
 * `natflow provision` stores), for the evaluate function, the Lambda and the CLI:
 *
 *     plan ref:   VPC-A 192.168.0.0/16, transit IP transit-ip-A 192.168.0.144
 *                 VPC-B 10.0.0.0/16, ECS-B 10.0.0.2 (http/80), gateway private_nat_gateway (downlink 10.0.0.3)
 *                 rules: tcp/80 → ECS-B:80, udp/5353 → 10.0.0.50:53
 *     plan other: a second gateway also named private_nat_gateway (names are unique per plan only)
 */
import { ControlPlane } from '../../src/cloud/control-plane.ts';
import type { Store } from '../../src/cloud/store.ts';

export interface ReferenceWorld {
  gatewayId: string;
  otherGatewayId: string;
  httpRuleId: string;
  dnsRuleId: string;
  serverIp: string;
  downlinkIp: string;
}

export async function seedReference(store: Store): Promise<ReferenceWorld> {
  let n = 0;
  const cp = new ControlPlane({ store, newId: (type) => `${type}-${++n}` });
  const ref = { plan: 'ref' };
  const vpcA = await cp.createVpc({ name: 'VPC-A', cidr: '192.168.0.0/16' }, ref);
  const vpcB = await cp.createVpc({ name: 'VPC-B', cidr: '10.0.0.0/16' }, ref);
  const subA = await cp.createSubnet({ name: 'subnet-A01', vpcId: vpcA.id, cidr: '192.168.0.0/24' }, ref);
  const subB = await cp.createSubnet({ name: 'subnet-B01', vpcId: vpcB.id, cidr: '10.0.0.0/24' }, ref);
  const server = await cp.createServer(
    { name: 'ECS-B', subnetId: subB.id, apps: [{ protocol: 'http', port: 80 }] },
    ref,
  );
  const transit = await cp.createTransitIp(
    { name: 'transit-ip-A', subnetId: subA.id, ip: '192.168.0.144' },
    ref,
  );
  const gateway = await cp.createGateway({ name: 'private_nat_gateway', subnetId: subB.id }, ref);
  await cp.activate(gateway.id);
  const http = await cp.createDnatRule(
    {
      gatewayId: gateway.id,
      transitIpId: transit.id,
      protocol: 'tcp',
      transitPort: 80,
      internalPort: 80,
      target: { serverId: server.id },
    },
    ref,
  );
  const dns = await cp.createDnatRule(
    {
      gatewayId: gateway.id,
      transitIpId: transit.id,
      protocol: 'udp',
      transitPort: 5353,
      internalPort: 53,
      target: { ip: '10.0.0.50' },
    },
    ref,
  );
  await cp.activate(http.id);
  await cp.activate(dns.id);

  const other = { plan: 'other' };
  const vpcC = await cp.createVpc({ name: 'VPC-C', cidr: '172.16.0.0/16' }, other);
  const subC = await cp.createSubnet({ name: 'subnet-C01', vpcId: vpcC.id, cidr: '172.16.0.0/24' }, other);
  const otherGateway = await cp.createGateway({ name: 'private_nat_gateway', subnetId: subC.id }, other);
  await cp.activate(otherGateway.id);
  return {
    gatewayId: gateway.id,
    otherGatewayId: otherGateway.id,
    httpRuleId: http.id,
    dnsRuleId: dns.id,
    serverIp: server.ip,
    downlinkIp: gateway.downlinkIp,
  };
}

/** Freezes the reference gateway (its rules then evaluate as RULE_INACTIVE). */
export async function freezeGateway(store: Store, id: string): Promise<void> {
  await new ControlPlane({ store }).freeze(id);
}
