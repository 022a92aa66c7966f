/**
 * The unique constraint keys a resource holds in the store (see `store.ts`): derived from the resource
 * alone, so a store copy (`MemoryStore.from`) rebuilds exactly the keys the control plane inserted.
 *
 * - `token:…`: its client token — one resource per idempotent create;
 * - `addr:SUBNET:IP`: each address it holds in a subnet (servers, load balancers' frontend and backend
 *   addresses, transit IPs, gateways' downlink addresses) — IP_IN_USE;
 * - `dnat-port:TIP:PROTO:PORT` — DNAT_PORT_CONFLICT; `lb-target:ELB` — LB_ALREADY_MAPPED;
 * - `snat-subnet:GW:SUBNET`, `snat-cidr:GW:CIDR` — SNAT_SOURCE_CONFLICT.
 */
import type { Resource } from './resources.ts';
import { keys } from './store.ts';

/** The addresses a resource holds, as `[subnetId, ip]` pairs. */
export function addressesOf(resource: Resource): Array<[subnetId: string, ip: string]> {
  switch (resource.type) {
    case 'server':
    case 'transit-ip':
      return [[resource.subnetId, resource.ip]];
    case 'load-balancer':
      return [
        [resource.frontendSubnetId, resource.ip],
        [resource.backendSubnetId, resource.backendIp],
      ];
    case 'private-nat-gateway':
      return [[resource.subnetId, resource.downlinkIp]];
    default:
      return [];
  }
}

export function constraintKeysOf(resource: Resource): string[] {
  const out: string[] = [];
  if (resource.clientToken) out.push(keys.token(resource.clientToken));
  if (resource.externalId) out.push(keys.external(resource.externalId));
  for (const [subnetId, ip] of addressesOf(resource)) out.push(keys.address(subnetId, ip));
  if (resource.type === 'dnat-rule') {
    out.push(keys.dnatPort(resource.transitIpId, resource.protocol, resource.transitPort));
    if (resource.target.kind === 'load-balancer') out.push(keys.lbTarget(resource.target.loadBalancerId));
  }
  if (resource.type === 'snat-rule') {
    if (resource.subnetId) out.push(keys.snatSubnet(resource.gatewayId, resource.subnetId));
    out.push(keys.snatCidr(resource.gatewayId, resource.cidr));
  }
  return out;
}
