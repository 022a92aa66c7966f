/**
 * NAT v3, private NAT gateways: gateways, transit IPs, DNAT rules, SNAT rules. API reference "Private
 * NAT Gateways", "Transit IP Addresses", "DNAT Rules", "SNAT Rules" (v3); SDK models
 * `CreatePrivateNatOption`/`PrivateNat`, `CreateTransitIpOption`/`TransitIp`,
 * `CreatePrivateDnatOption`/`PrivateDnat`, `CreatePrivateSnatOption`/`PrivateSnat`, `PageInfo`.
 * Errors: `{"error_code": "NAT.xxxx", "error_msg": "…", "request_id": "…"}` with the docs/huaweicloud-api.md codes.
 *
 * `internal_service_port` and `transit_service_port` are strings (the SDK models' type); a DNAT rule
 * targets a server's NIC or a load balancer by `network_interface_id` (`OS-EXT-IPS:port_id`,
 * `vip_port_id`), or an address by `private_ip_address`, never both (NAT.1311).
 */

import {
  createGateway,
  createTransitIp,
  deleteGateway,
  deleteTransitIp,
  listGateways,
  listTransitIps,
  showGateway,
  showTransitIp,
  updateGateway,
} from './nat-gateways.ts';
import {
  createDnat,
  createSnat,
  deleteRule,
  listDnat,
  listSnat,
  showDnat,
  showSnat,
  updateDnat,
  updateSnat,
} from './nat-rules.ts';
import type { Route } from './routes.ts';

const SERVICE = 'nat';

const base = '/v3/{project_id}/private-nat';

export const natRoutes: Route[] = [
  { method: 'POST', path: `${base}/gateways`, service: SERVICE, write: true, handler: createGateway },
  { method: 'GET', path: `${base}/gateways`, service: SERVICE, handler: listGateways },
  { method: 'GET', path: `${base}/gateways/{gateway_id}`, service: SERVICE, handler: showGateway },
  {
    method: 'PUT',
    path: `${base}/gateways/{gateway_id}`,
    service: SERVICE,
    write: true,
    handler: updateGateway,
  },
  {
    method: 'DELETE',
    path: `${base}/gateways/{gateway_id}`,
    service: SERVICE,
    write: true,
    handler: deleteGateway,
  },
  { method: 'POST', path: `${base}/transit-ips`, service: SERVICE, write: true, handler: createTransitIp },
  { method: 'GET', path: `${base}/transit-ips`, service: SERVICE, handler: listTransitIps },
  { method: 'GET', path: `${base}/transit-ips/{transit_ip_id}`, service: SERVICE, handler: showTransitIp },
  {
    method: 'DELETE',
    path: `${base}/transit-ips/{transit_ip_id}`,
    service: SERVICE,
    write: true,
    handler: deleteTransitIp,
  },
  { method: 'POST', path: `${base}/dnat-rules`, service: SERVICE, write: true, handler: createDnat },
  { method: 'GET', path: `${base}/dnat-rules`, service: SERVICE, handler: listDnat },
  { method: 'GET', path: `${base}/dnat-rules/{dnat_rule_id}`, service: SERVICE, handler: showDnat },
  {
    method: 'PUT',
    path: `${base}/dnat-rules/{dnat_rule_id}`,
    service: SERVICE,
    write: true,
    handler: updateDnat,
  },
  {
    method: 'DELETE',
    path: `${base}/dnat-rules/{dnat_rule_id}`,
    service: SERVICE,
    write: true,
    handler: (ctx, req) => deleteRule(ctx, req, 'dnat_rule_id', 'dnat-rule', 'DNAT rule'),
  },
  { method: 'POST', path: `${base}/snat-rules`, service: SERVICE, write: true, handler: createSnat },
  { method: 'GET', path: `${base}/snat-rules`, service: SERVICE, handler: listSnat },
  { method: 'GET', path: `${base}/snat-rules/{snat_rule_id}`, service: SERVICE, handler: showSnat },
  { method: 'PUT', path: `${base}/snat-rules/{snat_rule_id}`, service: SERVICE, handler: updateSnat },
  {
    method: 'DELETE',
    path: `${base}/snat-rules/{snat_rule_id}`,
    service: SERVICE,
    write: true,
    handler: (ctx, req) => deleteRule(ctx, req, 'snat_rule_id', 'snat-rule', 'SNAT rule'),
  },
];
