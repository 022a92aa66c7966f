/**
 * VPC v1: VPCs, subnets, security groups and their rules (Huawei Cloud VPC API reference, "VPC",
 * "Subnet", "Security Group", "Security Group Rule"; SDK models `CreateVpcOption`, `Vpc`,
 * `CreateSubnetOption`, `Subnet`, `CreateSecurityGroupOption`, `SecurityGroup`, `SecurityGroupRule`).
 * Errors: `{"code": "VPC.xxxx", "message": "…"}`.
 */
import type { Route } from './routes.ts';
import {
  createRule,
  createSecurityGroup,
  deleteRule,
  deleteSecurityGroup,
  listRules,
  listSecurityGroups,
  showRule,
  showSecurityGroup,
} from './security-groups.ts';
import {
  createSubnet,
  createVpc,
  deleteSubnet,
  deleteVpc,
  listSubnets,
  listVpcs,
  showSubnet,
  showVpc,
  updateSubnet,
  updateVpc,
} from './vpc-networks.ts';

const SERVICE = 'vpc';

export const vpcRoutes: Route[] = [
  { method: 'POST', path: '/v1/{project_id}/vpcs', service: SERVICE, write: true, handler: createVpc },
  { method: 'GET', path: '/v1/{project_id}/vpcs', service: SERVICE, handler: listVpcs },
  { method: 'GET', path: '/v1/{project_id}/vpcs/{vpc_id}', service: SERVICE, handler: showVpc },
  {
    method: 'PUT',
    path: '/v1/{project_id}/vpcs/{vpc_id}',
    service: SERVICE,
    write: true,
    handler: updateVpc,
  },
  {
    method: 'DELETE',
    path: '/v1/{project_id}/vpcs/{vpc_id}',
    service: SERVICE,
    write: true,
    handler: deleteVpc,
  },
  { method: 'POST', path: '/v1/{project_id}/subnets', service: SERVICE, write: true, handler: createSubnet },
  { method: 'GET', path: '/v1/{project_id}/subnets', service: SERVICE, handler: listSubnets },
  { method: 'GET', path: '/v1/{project_id}/subnets/{subnet_id}', service: SERVICE, handler: showSubnet },
  {
    method: 'PUT',
    path: '/v1/{project_id}/vpcs/{vpc_id}/subnets/{subnet_id}',
    service: SERVICE,
    handler: updateSubnet,
  },
  {
    method: 'DELETE',
    path: '/v1/{project_id}/vpcs/{vpc_id}/subnets/{subnet_id}',
    service: SERVICE,
    write: true,
    handler: deleteSubnet,
  },
  {
    method: 'POST',
    path: '/v1/{project_id}/security-groups',
    service: SERVICE,
    write: true,
    handler: createSecurityGroup,
  },
  { method: 'GET', path: '/v1/{project_id}/security-groups', service: SERVICE, handler: listSecurityGroups },
  {
    method: 'GET',
    path: '/v1/{project_id}/security-groups/{security_group_id}',
    service: SERVICE,
    handler: showSecurityGroup,
  },
  {
    method: 'DELETE',
    path: '/v1/{project_id}/security-groups/{security_group_id}',
    service: SERVICE,
    write: true,
    handler: deleteSecurityGroup,
  },
  {
    method: 'POST',
    path: '/v1/{project_id}/security-group-rules',
    service: SERVICE,
    write: true,
    handler: createRule,
  },
  { method: 'GET', path: '/v1/{project_id}/security-group-rules', service: SERVICE, handler: listRules },
  {
    method: 'GET',
    path: '/v1/{project_id}/security-group-rules/{security_group_rule_id}',
    service: SERVICE,
    handler: showRule,
  },
  {
    method: 'DELETE',
    path: '/v1/{project_id}/security-group-rules/{security_group_rule_id}',
    service: SERVICE,
    write: true,
    handler: deleteRule,
  },
];
