/**
 * ELB v3 (dedicated): load balancers, listeners, pools, members, health monitors. API reference
 * "Load Balancer", "Listener", "Backend Server Group", "Backend Server", "Health Check" (v3); SDK models
 * `CreateLoadBalancerOption`/`LoadBalancer`, `CreateListenerOption`/`Listener`, `CreatePoolOption`/`Pool`,
 * `CreateMemberOption`/`Member`, `CreateHealthMonitorOption`/`HealthMonitor`.
 * Errors: `{"error_code": "ELB.xxxx", "error_msg": "…", "request_id": "…"}`.
 *
 * natflow's model is stricter than Huawei's hierarchy, and the mapping keeps its contracts:
 * - a pool is a natflow backend group at once (members are natflow servers, found by address);
 * - a listener is a natflow listener once it has a default pool (`default_pool_id`, or a pool created
 *   with its `listener_id`); until then it exists here only;
 * - adding or removing a member or a health monitor rebuilds the backend group under the same ids
 *   (its listeners are re-created with it), serialised per pool.
 */

import {
  createListener,
  createLoadBalancer,
  deleteListener,
  deleteLoadBalancer,
  listListeners,
  listLoadBalancers,
  showListener,
  showLoadBalancer,
  updateListener,
} from './elb-balancers.ts';
import {
  createMember,
  createMonitor,
  deleteMember,
  deleteMonitor,
  listMembers,
  listMonitors,
  showMember,
  showMonitor,
} from './elb-members.ts';
import { createPool, deletePool, listPools, showPool } from './elb-pools.ts';
import type { Route } from './routes.ts';

const SERVICE = 'elb';

export const elbRoutes: Route[] = [
  {
    method: 'POST',
    path: '/v3/{project_id}/elb/loadbalancers',
    service: SERVICE,
    write: true,
    handler: createLoadBalancer,
  },
  { method: 'GET', path: '/v3/{project_id}/elb/loadbalancers', service: SERVICE, handler: listLoadBalancers },
  {
    method: 'GET',
    path: '/v3/{project_id}/elb/loadbalancers/{loadbalancer_id}',
    service: SERVICE,
    handler: showLoadBalancer,
  },
  {
    method: 'DELETE',
    path: '/v3/{project_id}/elb/loadbalancers/{loadbalancer_id}',
    service: SERVICE,
    write: true,
    handler: deleteLoadBalancer,
  },
  {
    method: 'POST',
    path: '/v3/{project_id}/elb/listeners',
    service: SERVICE,
    write: true,
    handler: createListener,
  },
  { method: 'GET', path: '/v3/{project_id}/elb/listeners', service: SERVICE, handler: listListeners },
  {
    method: 'GET',
    path: '/v3/{project_id}/elb/listeners/{listener_id}',
    service: SERVICE,
    handler: showListener,
  },
  {
    method: 'PUT',
    path: '/v3/{project_id}/elb/listeners/{listener_id}',
    service: SERVICE,
    write: true,
    handler: updateListener,
  },
  {
    method: 'DELETE',
    path: '/v3/{project_id}/elb/listeners/{listener_id}',
    service: SERVICE,
    write: true,
    handler: deleteListener,
  },
  { method: 'POST', path: '/v3/{project_id}/elb/pools', service: SERVICE, write: true, handler: createPool },
  { method: 'GET', path: '/v3/{project_id}/elb/pools', service: SERVICE, handler: listPools },
  { method: 'GET', path: '/v3/{project_id}/elb/pools/{pool_id}', service: SERVICE, handler: showPool },
  {
    method: 'DELETE',
    path: '/v3/{project_id}/elb/pools/{pool_id}',
    service: SERVICE,
    write: true,
    handler: deletePool,
  },
  {
    method: 'POST',
    path: '/v3/{project_id}/elb/pools/{pool_id}/members',
    service: SERVICE,
    write: true,
    handler: createMember,
  },
  {
    method: 'GET',
    path: '/v3/{project_id}/elb/pools/{pool_id}/members',
    service: SERVICE,
    handler: listMembers,
  },
  {
    method: 'GET',
    path: '/v3/{project_id}/elb/pools/{pool_id}/members/{member_id}',
    service: SERVICE,
    handler: showMember,
  },
  {
    method: 'DELETE',
    path: '/v3/{project_id}/elb/pools/{pool_id}/members/{member_id}',
    service: SERVICE,
    write: true,
    handler: deleteMember,
  },
  {
    method: 'POST',
    path: '/v3/{project_id}/elb/healthmonitors',
    service: SERVICE,
    write: true,
    handler: createMonitor,
  },
  { method: 'GET', path: '/v3/{project_id}/elb/healthmonitors', service: SERVICE, handler: listMonitors },
  {
    method: 'GET',
    path: '/v3/{project_id}/elb/healthmonitors/{healthmonitor_id}',
    service: SERVICE,
    handler: showMonitor,
  },
  {
    method: 'DELETE',
    path: '/v3/{project_id}/elb/healthmonitors/{healthmonitor_id}',
    service: SERVICE,
    write: true,
    handler: deleteMonitor,
  },
];
