/**
 * The virtual cloud's resources (docs/plan-format.md#resources), as zod schemas — the one source of truth for their shape,
 * their TypeScript types (`z.infer`) and the OpenAPI document.
 *
 * Resources are stored and returned as JSON: addresses and blocks are dotted strings (`10.0.0.5`,
 * `10.0.0.0/24`), parsed by `src/net` where arithmetic is needed. Every resource records the plan and the
 * execution that created it (the ledger that rollback and teardown read) and the client token its create
 * was idempotent under.
 */
import { z } from 'zod';

export const RESOURCE_TYPES = [
  'vpc',
  'subnet',
  'server',
  'security-group',
  'backend-group',
  'load-balancer',
  'listener',
  'transit-ip',
  'private-nat-gateway',
  'dnat-rule',
  'snat-rule',
] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];

/** The id prefix of each type (`vpc-…`, `dnat-…`), as the product's consoles show them. */
export const ID_PREFIX: Readonly<Record<ResourceType, string>> = {
  vpc: 'vpc',
  subnet: 'subnet',
  server: 'ecs',
  'security-group': 'sg',
  'backend-group': 'pool',
  'load-balancer': 'elb',
  listener: 'lsnr',
  'transit-ip': 'tip',
  'private-nat-gateway': 'pnat',
  'dnat-rule': 'dnat',
  'snat-rule': 'snat',
};

export const LIFECYCLE_STATUSES = ['PENDING', 'ACTIVE', 'FROZEN', 'INACTIVE'] as const;
export type LifecycleStatus = (typeof LIFECYCLE_STATUSES)[number];

export const GATEWAY_SPECS = ['Small', 'Medium', 'Large', 'Extra-large'] as const;
export type GatewaySpec = (typeof GATEWAY_SPECS)[number];

/** Rules (SNAT + DNAT) and sessions per gateway spec, as the product's table gives them. */
export const SPEC_LIMITS: Readonly<Record<GatewaySpec, { rules: number; sessions: number }>> = {
  Small: { rules: 20, sessions: 2_000 },
  Medium: { rules: 50, sessions: 5_000 },
  Large: { rules: 200, sessions: 20_000 },
  'Extra-large': { rules: 500, sessions: 50_000 },
};

export const APP_PROTOCOLS = ['http', 'tcp', 'udp'] as const;
export type AppProtocol = (typeof APP_PROTOCOLS)[number];

export const LB_PROTOCOLS = ['HTTP', 'TCP', 'UDP'] as const;
export type LbProtocol = (typeof LB_PROTOCOLS)[number];

export const LB_ALGORITHMS = ['round-robin', 'weighted-round-robin', 'least-connections'] as const;

export const SG_PROTOCOLS = ['tcp', 'udp', 'any'] as const;
export const DNAT_PROTOCOLS = ['tcp', 'udp', 'any'] as const;
export type DnatProtocol = (typeof DNAT_PROTOCOLS)[number];

/**
 * A provider's name (`Resource.cloud`). The core cannot see the provider registry
 * (src/providers/registry.ts), so here it is any string; the registry's `CloudName` is the typed one,
 * and the OpenAPI document lists the registry's names (src/api/openapi.ts).
 */
export const CloudNameSchema = z.string();

/** An earlier cloud resource a record stood for, gone from the cloud (see `previous`). */
export const PreviousIncarnationSchema = z.object({
  externalId: z.string(),
  createdAt: z.string(),
  execution: z.string().nullable(),
  goneAt: z.string(),
});
export type PreviousIncarnation = z.infer<typeof PreviousIncarnationSchema>;

const base = {
  id: z.string(),
  name: z.string(),
  status: z.enum(LIFECYCLE_STATUSES),
  createdAt: z.string(),
  /** The plan whose entry created it; null when created outside a plan. */
  plan: z.string().nullable(),
  /** The execution (ARN or name) that created it: the rollback ledger. */
  execution: z.string().nullable(),
  /** The idempotency token its create ran under. */
  clientToken: z.string().nullable(),
  /**
   * The resource's id in the cloud that holds it (docs/clouds.md): a UUID, as Huawei Cloud's APIs name
   * resources. On the virtual cloud it is derived from `id` (`externalIdOf`), and the local Huawei API
   * (docs/huaweicloud-api.md) answers with it. Optional: stores written before it existed have none.
   */
  externalId: z.string().optional(),
  /** The cloud holding the resource (`virtual` when absent): written by its provider only. */
  cloud: CloudNameSchema.optional(),
  /** Read from a real cloud by `natflow import`: read-only, never deleted by natflow. */
  imported: z.boolean().optional(),
  /**
   * The earlier cloud resources this record stood for, oldest first: each found gone from its cloud and
   * recreated by a later provisioning under the same natflow id (docs/real-cloud.md#change-drift) — its
   * cloud id, when and by which execution it had been created, and when natflow found it gone.
   */
  previous: z.array(PreviousIncarnationSchema).optional(),
};

export const AppSchema = z.object({ protocol: z.enum(APP_PROTOCOLS), port: z.number().int() });
export type App = z.infer<typeof AppSchema>;

export const SecurityGroupRuleSchema = z.object({
  protocol: z.enum(SG_PROTOCOLS),
  /** Inclusive port range. */
  fromPort: z.number().int(),
  toPort: z.number().int(),
  source: z.string(),
});
export type SecurityGroupRule = z.infer<typeof SecurityGroupRuleSchema>;

export const HealthCheckSchema = z.object({
  protocol: z.enum(LB_PROTOCOLS),
  port: z.number().int(),
  path: z.string().optional(),
  intervalSeconds: z.number().int(),
});
export type HealthCheck = z.infer<typeof HealthCheckSchema>;

export const AccessControlSchema = z.union([
  z.literal('all'),
  z.object({ allow: z.array(z.string()) }),
  z.object({ deny: z.array(z.string()) }),
]);
export type AccessControl = z.infer<typeof AccessControlSchema>;

export const VpcSchema = z.object({ ...base, type: z.literal('vpc'), cidr: z.string() });

export const SubnetSchema = z.object({
  ...base,
  type: z.literal('subnet'),
  vpcId: z.string(),
  cidr: z.string(),
  /** The first host: the subnet's gateway, reserved. */
  gatewayIp: z.string(),
});

export const ServerSchema = z.object({
  ...base,
  type: z.literal('server'),
  vpcId: z.string(),
  subnetId: z.string(),
  ip: z.string(),
  securityGroupIds: z.array(z.string()),
  apps: z.array(AppSchema),
});

export const SecurityGroupSchema = z.object({
  ...base,
  type: z.literal('security-group'),
  vpcId: z.string(),
  inbound: z.array(SecurityGroupRuleSchema),
});

export const BackendMemberSchema = z.object({
  serverId: z.string(),
  port: z.number().int(),
  weight: z.number().int(),
});

export const BackendGroupSchema = z.object({
  ...base,
  type: z.literal('backend-group'),
  /** The VPC of its members; null while it has none. */
  vpcId: z.string().nullable(),
  protocol: z.enum(LB_PROTOCOLS),
  algorithm: z.enum(LB_ALGORITHMS),
  healthCheck: HealthCheckSchema,
  members: z.array(BackendMemberSchema),
});

export const LoadBalancerSchema = z.object({
  ...base,
  type: z.literal('load-balancer'),
  vpcId: z.string(),
  frontendSubnetId: z.string(),
  backendSubnetId: z.string(),
  /** Frontend address: what clients (and DNAT rules) reach. */
  ip: z.string(),
  /** Backend address: the source its members see. */
  backendIp: z.string(),
  azs: z.array(z.string()),
});

export const ListenerSchema = z.object({
  ...base,
  type: z.literal('listener'),
  loadBalancerId: z.string(),
  protocol: z.enum(LB_PROTOCOLS),
  port: z.number().int(),
  backendGroupId: z.string(),
  accessControl: AccessControlSchema,
});

export const TransitIpSchema = z.object({
  ...base,
  type: z.literal('transit-ip'),
  vpcId: z.string(),
  subnetId: z.string(),
  ip: z.string(),
});

export const PrivateNatGatewaySchema = z.object({
  ...base,
  type: z.literal('private-nat-gateway'),
  vpcId: z.string(),
  subnetId: z.string(),
  /** The gateway's own address in its subnet (the product's `ngport_ip_address`): the source targets see. */
  downlinkIp: z.string(),
  spec: z.enum(GATEWAY_SPECS),
  allowSharedTransitIp: z.boolean(),
});

export const DnatTargetSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('server'), serverId: z.string(), ip: z.string() }),
  z.object({ kind: z.literal('load-balancer'), loadBalancerId: z.string(), ip: z.string() }),
  z.object({ kind: z.literal('ip'), ip: z.string() }),
]);
export type DnatTarget = z.infer<typeof DnatTargetSchema>;

export const DnatRuleSchema = z.object({
  ...base,
  type: z.literal('dnat-rule'),
  gatewayId: z.string(),
  transitIpId: z.string(),
  /** Copied from the transit IP so the engine compiles rules without joins. */
  transitIp: z.string(),
  protocol: z.enum(DNAT_PROTOCOLS),
  /** 0 for an all-ports rule. */
  transitPort: z.number().int(),
  internalPort: z.number().int(),
  target: DnatTargetSchema,
});

export const SnatRuleSchema = z.object({
  ...base,
  type: z.literal('snat-rule'),
  gatewayId: z.string(),
  /** Exactly one of subnetId and cidr is set; cidr is always the effective block. */
  subnetId: z.string().nullable(),
  cidr: z.string(),
  transitIpId: z.string(),
});

export const ResourceSchema = z.discriminatedUnion('type', [
  VpcSchema,
  SubnetSchema,
  ServerSchema,
  SecurityGroupSchema,
  BackendGroupSchema,
  LoadBalancerSchema,
  ListenerSchema,
  TransitIpSchema,
  PrivateNatGatewaySchema,
  DnatRuleSchema,
  SnatRuleSchema,
]);

export type Vpc = z.infer<typeof VpcSchema>;
export type Subnet = z.infer<typeof SubnetSchema>;
export type Server = z.infer<typeof ServerSchema>;
export type SecurityGroup = z.infer<typeof SecurityGroupSchema>;
export type BackendGroup = z.infer<typeof BackendGroupSchema>;
export type BackendMember = z.infer<typeof BackendMemberSchema>;
export type LoadBalancer = z.infer<typeof LoadBalancerSchema>;
export type Listener = z.infer<typeof ListenerSchema>;
export type TransitIp = z.infer<typeof TransitIpSchema>;
export type PrivateNatGateway = z.infer<typeof PrivateNatGatewaySchema>;
export type DnatRule = z.infer<typeof DnatRuleSchema>;
export type SnatRule = z.infer<typeof SnatRuleSchema>;
export type Resource = z.infer<typeof ResourceSchema>;

/** The resource of a given type. */
export type ResourceOf<T extends ResourceType> = Extract<Resource, { type: T }>;

/**
 * The ids a resource depends on: it must be deleted before any of them (DEPENDENCY_VIOLATION otherwise).
 * Teardown and rollback delete in the reverse of this order.
 */
export function referencesOf(resource: Resource): string[] {
  switch (resource.type) {
    case 'vpc':
      return [];
    case 'subnet':
      return [resource.vpcId];
    case 'server':
      return [resource.subnetId, ...resource.securityGroupIds];
    case 'security-group':
      return [resource.vpcId];
    case 'backend-group':
      return resource.members.map((m) => m.serverId);
    case 'load-balancer':
      return unique([resource.frontendSubnetId, resource.backendSubnetId]);
    case 'listener':
      return [resource.loadBalancerId, resource.backendGroupId];
    case 'transit-ip':
      return [resource.subnetId];
    case 'private-nat-gateway':
      return [resource.subnetId];
    case 'dnat-rule': {
      const target =
        resource.target.kind === 'server'
          ? [resource.target.serverId]
          : resource.target.kind === 'load-balancer'
            ? [resource.target.loadBalancerId]
            : [];
      return [resource.gatewayId, resource.transitIpId, ...target];
    }
    case 'snat-rule':
      return [resource.gatewayId, resource.transitIpId, ...(resource.subnetId ? [resource.subnetId] : [])];
  }
}

/** Creation order of the kinds; teardown and rollback walk it backwards. */
export const DEPENDENCY_ORDER: readonly ResourceType[] = [
  'vpc',
  'subnet',
  'security-group',
  'server',
  'backend-group',
  'load-balancer',
  'listener',
  'transit-ip',
  'private-nat-gateway',
  'dnat-rule',
  'snat-rule',
];

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}
