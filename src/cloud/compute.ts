/**
 * The virtual cloud's compute (docs/plan-format.md#resources): security groups and servers (ECS) with one NIC, an address
 * (explicit or the lowest free) and, unless given existing ones, their own security group.
 */
import { formatCidr, parseCidr } from '../net/ipv4.ts';
import { isPort } from '../net/ports.ts';
import {
  assignAddress,
  at,
  baseOf,
  type CreateEnv,
  canonical,
  createResource,
  explicitAddressOf,
  insertResource,
  pathOf,
  requireOf,
} from './create.ts';
import { InvalidPortSpecError, ValidationFailedError } from './errors.ts';
import type { CreateContext, SecurityGroupInput, SecurityGroupRuleInput, ServerInput } from './inputs.ts';
import type { App, SecurityGroup, SecurityGroupRule, Server } from './resources.ts';

export async function createSecurityGroup(
  env: CreateEnv,
  input: SecurityGroupInput,
  ctx: CreateContext = {},
): Promise<SecurityGroup> {
  const inbound = normaliseInbound(input.inbound, ctx);
  const expected = { name: input.name, vpcId: input.vpcId, inbound };
  return createResource(env, {
    type: 'security-group',
    ctx,
    scopes: [input.vpcId],
    expected,
    build: async (tx) => {
      await requireOf(tx, input.vpcId, 'vpc', pathOf(ctx, 'vpc'));
      return {
        ...baseOf(env, 'security-group', input.name, ctx),
        type: 'security-group',
        vpcId: input.vpcId,
        inbound,
      };
    },
  });
}

/**
 * A server (ECS) with one NIC in a subnet and its own security group (named `<server>-sg`, created in
 * the same transaction under the token `<token>:sg`) unless `securityGroupIds` names existing ones.
 */
export async function createServer(
  env: CreateEnv,
  input: ServerInput,
  ctx: CreateContext = {},
): Promise<Server> {
  const apps = (input.apps ?? []).map((app, i) => {
    if (!isPort(app.port))
      throw new InvalidPortSpecError(`port ${app.port} is not 1–65535`, at(ctx, `apps[${i}].port`));
    return { protocol: app.protocol, port: app.port };
  });
  const explicitIp = explicitAddressOf(input.ip, ctx, 'ip');
  const ownInbound = input.inbound ? normaliseInbound(input.inbound, ctx) : undefined;
  const expected: Record<string, unknown> = { name: input.name, subnetId: input.subnetId, apps };
  if (explicitIp) expected.ip = explicitIp;
  if (input.securityGroupIds) expected.securityGroupIds = [...input.securityGroupIds];
  return createResource(env, {
    type: 'server',
    ctx,
    scopes: [input.subnetId],
    expected,
    build: async (tx) => {
      const subnet = await requireOf(tx, input.subnetId, 'subnet', pathOf(ctx, 'subnet'));
      const vpc = await requireOf(tx, subnet.vpcId, 'vpc');
      const ip = await assignAddress(tx, subnet, explicitIp, ctx, 'ip');
      let securityGroupIds: string[];
      if (input.securityGroupIds) {
        for (const [i, id] of input.securityGroupIds.entries()) {
          const group = await requireOf(tx, id, 'security-group', pathOf(ctx, `securityGroups[${i}]`));
          if (group.vpcId !== vpc.id) {
            throw new ValidationFailedError(`security group ${group.name} is not in VPC ${vpc.name}`, {
              ...at(ctx, `securityGroups[${i}]`),
            });
          }
        }
        securityGroupIds = [...input.securityGroupIds];
      } else {
        const inbound = ownInbound ?? defaultInbound(apps, vpc.cidr);
        const group: SecurityGroup = {
          ...baseOf(env, 'security-group', `${input.name}-sg`, ctx),
          clientToken: ctx.clientToken ? `${ctx.clientToken}:sg` : null,
          type: 'security-group',
          vpcId: vpc.id,
          inbound,
        };
        await insertResource(tx, group, ctx);
        securityGroupIds = [group.id];
      }
      return {
        ...baseOf(env, 'server', input.name, ctx),
        type: 'server',
        vpcId: vpc.id,
        subnetId: subnet.id,
        ip,
        securityGroupIds,
        apps,
      };
    },
    compareMore: async (tx, existing) => {
      // The server's own security group is part of the entry: a changed inbound list is a change.
      if (input.securityGroupIds || existing.securityGroupIds.length !== 1) return [];
      const group = await tx.get(existing.securityGroupIds[0] as string);
      const vpc = await tx.get(existing.vpcId);
      if (group?.type !== 'security-group' || !vpc || vpc.type !== 'vpc') return [];
      const inbound = ownInbound ?? defaultInbound(apps, vpc.cidr);
      return canonical(group.inbound) === canonical(inbound) ? [] : ['inbound'];
    },
  });
}

function normaliseInbound(
  inbound: readonly SecurityGroupRuleInput[],
  ctx: CreateContext,
): SecurityGroupRule[] {
  return inbound.map((rule, i) => {
    const field = `inbound[${i}]`;
    if (!isPort(rule.fromPort) || !isPort(rule.toPort) || rule.fromPort > rule.toPort) {
      throw new InvalidPortSpecError(
        `ports ${rule.fromPort}-${rule.toPort} are not a range within 1–65535`,
        at(ctx, `${field}.ports`),
      );
    }
    const source = formatCidr(parseCidr(rule.source, pathOf(ctx, `${field}.source`)));
    return { protocol: rule.protocol, fromPort: rule.fromPort, toPort: rule.toPort, source };
  });
}

/** Each app's port, from the server's own VPC (its load balancer's backend address lives there). */
function defaultInbound(apps: readonly App[], vpcCidr: string): SecurityGroupRule[] {
  return apps.map((app) => ({
    protocol: app.protocol === 'udp' ? 'udp' : 'tcp',
    fromPort: app.port,
    toPort: app.port,
    source: vpcCidr,
  }));
}
