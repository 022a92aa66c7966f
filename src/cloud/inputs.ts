/**
 * The inputs of the cloud port's creates (`Cloud`, docs/clouds.md): what natflow asks a cloud for, in natflow's
 * own names (docs/plan-format.md, camelCase). Every provider takes the same inputs; `ControlPlane` (the virtual cloud)
 * re-exports them under their historical home `./control-plane.ts`.
 */
import type {
  AccessControl,
  App,
  BackendGroup,
  DnatProtocol,
  GatewaySpec,
  HealthCheck,
  LbProtocol,
} from './resources.ts';

/** Where a create comes from: the ledger fields, its idempotency token, and its place in a plan. */
export interface CreateContext {
  /** The plan whose entry this is (null or omitted outside a plan). */
  plan?: string | null;
  /** The execution creating it: the rollback ledger. */
  execution?: string | null;
  /** Idempotency token: the same token returns the same resource. */
  clientToken?: string | null;
  /** The entry's path in the plan (`servers[1]`); errors get `path.field`. */
  path?: string;
  /** Addresses the plan requests explicitly elsewhere: automatic assignment skips them. */
  avoid?: readonly string[];
}

export interface VpcInput {
  name: string;
  cidr: string;
}
export interface SubnetInput {
  name: string;
  vpcId: string;
  cidr: string;
}
export interface SecurityGroupRuleInput {
  protocol: 'tcp' | 'udp' | 'any';
  fromPort: number;
  toPort: number;
  source: string;
}
export interface SecurityGroupInput {
  name: string;
  vpcId: string;
  inbound: readonly SecurityGroupRuleInput[];
}
export interface ServerInput {
  name: string;
  subnetId: string;
  /** An address, or `auto`/omitted for the lowest free one. */
  ip?: string;
  apps?: readonly App[];
  /**
   * Its own security group's inbound rules; omitted: each app's port from the server's VPC CIDR.
   * Ignored when `securityGroupIds` is given.
   */
  inbound?: readonly SecurityGroupRuleInput[];
  /** Existing security groups instead of its own. */
  securityGroupIds?: readonly string[];
  /** The image and flavor a real cloud boots it from (docs/plan-format.md); the virtual cloud ignores them. */
  image?: string;
  flavor?: string;
}
export interface BackendMemberInput {
  serverId: string;
  port: number;
  weight?: number;
}
export interface BackendGroupInput {
  name: string;
  protocol: LbProtocol;
  algorithm?: BackendGroup['algorithm'];
  healthCheck?: Partial<HealthCheck>;
  members?: readonly BackendMemberInput[];
}
export interface LoadBalancerInput {
  name: string;
  /** When given, both subnets must be in it. */
  vpcId?: string;
  frontendSubnetId: string;
  /** Defaults to the frontend subnet. */
  backendSubnetId?: string;
  /** The frontend address, or `auto`/omitted. */
  ip?: string;
  azs?: readonly string[];
}
export interface ListenerInput {
  name?: string;
  loadBalancerId: string;
  protocol: LbProtocol;
  port: number;
  backendGroupId: string;
  accessControl?: AccessControl;
}
export interface TransitIpInput {
  name: string;
  subnetId: string;
  ip?: string;
}
export interface GatewayInput {
  name: string;
  subnetId: string;
  /** When given, the subnet must be in it. */
  vpcId?: string;
  spec?: GatewaySpec;
  allowSharedTransitIp?: boolean;
  downlinkIp?: string;
}
export type DnatTargetInput = { loadBalancerId: string } | { serverId: string } | { ip: string };
export interface DnatRuleInput {
  name?: string;
  gatewayId: string;
  transitIpId: string;
  protocol: DnatProtocol;
  /** 0 with protocol `any` (all ports). */
  transitPort: number;
  internalPort: number;
  target: DnatTargetInput;
}
export interface SnatRuleInput {
  name?: string;
  gatewayId: string;
  /** Exactly one of subnetId and cidr. */
  subnetId?: string;
  cidr?: string;
  transitIpId: string;
}
