/**
 * The virtual cloud's load balancing (docs/plan-format.md#resources): backend server groups, dedicated load balancers
 * (frontend and backend addresses) and their listeners.
 */
import { formatCidr, parseCidr } from '../net/ipv4.ts';
import { isPort } from '../net/ports.ts';
import {
  assignAddress,
  at,
  baseOf,
  type CreateEnv,
  createResource,
  explicitAddressOf,
  pathOf,
  referrersOf,
  requireOf,
} from './create.ts';
import { InvalidPortSpecError, ValidationFailedError } from './errors.ts';
import type { BackendGroupInput, CreateContext, ListenerInput, LoadBalancerInput } from './inputs.ts';
import type {
  AccessControl,
  BackendGroup,
  HealthCheck,
  LbProtocol,
  Listener,
  LoadBalancer,
} from './resources.ts';

export async function createBackendGroup(
  env: CreateEnv,
  input: BackendGroupInput,
  ctx: CreateContext = {},
): Promise<BackendGroup> {
  const members = (input.members ?? []).map((member, i) => {
    if (!isPort(member.port)) {
      throw new InvalidPortSpecError(
        `member port ${member.port} is not 1–65535`,
        at(ctx, `members[${i}].port`),
      );
    }
    const weight = member.weight ?? 1;
    if (!Number.isInteger(weight) || weight < 0 || weight > 100) {
      throw new ValidationFailedError(
        `weight ${weight} is not an integer 0–100`,
        at(ctx, `members[${i}].weight`),
      );
    }
    return { serverId: member.serverId, port: member.port, weight };
  });
  const healthCheck = healthCheckOf(input.protocol, input.healthCheck, members[0]?.port);
  const algorithm = input.algorithm ?? 'round-robin';
  const expected = { name: input.name, protocol: input.protocol, algorithm, healthCheck, members };
  return createResource(env, {
    type: 'backend-group',
    ctx,
    expected,
    build: async (tx) => {
      let vpcId: string | null = null;
      for (const [i, member] of members.entries()) {
        const server = await requireOf(tx, member.serverId, 'server', pathOf(ctx, `members[${i}].server`));
        if (vpcId !== null && server.vpcId !== vpcId) {
          throw new ValidationFailedError(
            `member ${server.name} is in another VPC than the group's other members; a backend group serves one VPC`,
            at(ctx, `members[${i}].server`),
          );
        }
        vpcId = server.vpcId;
      }
      return {
        ...baseOf(env, 'backend-group', input.name, ctx),
        type: 'backend-group',
        vpcId,
        protocol: input.protocol,
        algorithm,
        healthCheck,
        members,
      };
    },
  });
}

/** A dedicated load balancer: a frontend address in the frontend subnet, a backend one in the backend subnet. */
export async function createLoadBalancer(
  env: CreateEnv,
  input: LoadBalancerInput,
  ctx: CreateContext = {},
): Promise<LoadBalancer> {
  const backendSubnetId = input.backendSubnetId ?? input.frontendSubnetId;
  const explicitIp = explicitAddressOf(input.ip, ctx, 'ip');
  const azs = [...(input.azs ?? [])];
  const expected: Record<string, unknown> = {
    name: input.name,
    frontendSubnetId: input.frontendSubnetId,
    backendSubnetId,
    azs,
  };
  if (input.vpcId) expected.vpcId = input.vpcId;
  if (explicitIp) expected.ip = explicitIp;
  return createResource(env, {
    type: 'load-balancer',
    ctx,
    scopes: [input.frontendSubnetId, backendSubnetId],
    expected,
    build: async (tx) => {
      const frontend = await requireOf(tx, input.frontendSubnetId, 'subnet', pathOf(ctx, 'frontendSubnet'));
      const backend = await requireOf(tx, backendSubnetId, 'subnet', pathOf(ctx, 'backendSubnet'));
      const vpcId = input.vpcId ?? frontend.vpcId;
      if (input.vpcId) await requireOf(tx, input.vpcId, 'vpc', pathOf(ctx, 'vpc'));
      for (const [field, subnet] of [
        ['frontendSubnet', frontend],
        ['backendSubnet', backend],
      ] as const) {
        if (subnet.vpcId !== vpcId) {
          throw new ValidationFailedError(
            `${field} ${subnet.name} is not in the load balancer's VPC`,
            at(ctx, field),
          );
        }
      }
      const ip = await assignAddress(tx, frontend, explicitIp, ctx, 'ip');
      const extraAvoid = frontend.id === backend.id ? [ip] : [];
      const backendIp = await assignAddress(tx, backend, undefined, ctx, 'backendSubnet', extraAvoid);
      return {
        ...baseOf(env, 'load-balancer', input.name, ctx),
        type: 'load-balancer',
        vpcId,
        frontendSubnetId: frontend.id,
        backendSubnetId: backend.id,
        ip,
        backendIp,
        azs,
      };
    },
  });
}

/** A listener: one per (load balancer, port, transport); its backend group serves the LB's VPC. */
export async function createListener(
  env: CreateEnv,
  input: ListenerInput,
  ctx: CreateContext = {},
): Promise<Listener> {
  if (!isPort(input.port))
    throw new InvalidPortSpecError(`port ${input.port} is not 1–65535`, at(ctx, 'port'));
  const accessControl = normaliseAccessControl(input.accessControl ?? 'all', ctx);
  const name = input.name ?? `${input.protocol}-${input.port}`;
  const expected = {
    name,
    loadBalancerId: input.loadBalancerId,
    protocol: input.protocol,
    port: input.port,
    backendGroupId: input.backendGroupId,
    accessControl,
  };
  return createResource(env, {
    type: 'listener',
    ctx,
    scopes: [input.loadBalancerId],
    expected,
    build: async (tx) => {
      const lb = await requireOf(tx, input.loadBalancerId, 'load-balancer', pathOf(ctx, 'loadBalancer'));
      const group = await requireOf(tx, input.backendGroupId, 'backend-group', pathOf(ctx, 'backendGroup'));
      if (group.vpcId !== null && group.vpcId !== lb.vpcId) {
        throw new ValidationFailedError(
          `backend group ${group.name} serves another VPC than load balancer ${lb.name}`,
          at(ctx, 'backendGroup'),
        );
      }
      if (group.protocol !== input.protocol) {
        throw new ValidationFailedError(
          `a ${input.protocol} listener needs a ${input.protocol} backend group; ${group.name} is ${group.protocol}`,
          at(ctx, 'backendGroup'),
        );
      }
      const transport = (p: LbProtocol) => (p === 'UDP' ? 'udp' : 'tcp');
      for (const other of await referrersOf(tx, lb.id, 'listener')) {
        if (other.port === input.port && transport(other.protocol) === transport(input.protocol)) {
          throw new ValidationFailedError(
            `load balancer ${lb.name} already listens on ${transport(input.protocol)} ${input.port} (${other.name})`,
            { ...at(ctx, 'port'), details: { conflictingId: other.id } },
          );
        }
      }
      return {
        ...baseOf(env, 'listener', name, ctx),
        type: 'listener',
        loadBalancerId: lb.id,
        protocol: input.protocol,
        port: input.port,
        backendGroupId: group.id,
        accessControl,
      };
    },
  });
}

function healthCheckOf(
  protocol: LbProtocol,
  given: Partial<HealthCheck> | undefined,
  memberPort?: number,
): HealthCheck {
  const checkProtocol = given?.protocol ?? protocol;
  const port = given?.port ?? memberPort ?? 80;
  if (!isPort(port)) throw new InvalidPortSpecError(`health check port ${port} is not 1–65535`);
  return {
    protocol: checkProtocol,
    port,
    ...(checkProtocol === 'HTTP' ? { path: given?.path ?? '/' } : {}),
    intervalSeconds: given?.intervalSeconds ?? 5,
  };
}

function normaliseAccessControl(accessControl: AccessControl, ctx: CreateContext): AccessControl {
  if (accessControl === 'all') return 'all';
  if ('allow' in accessControl) {
    return {
      allow: accessControl.allow.map((c, i) =>
        formatCidr(parseCidr(c, pathOf(ctx, `accessControl.allow[${i}]`))),
      ),
    };
  }
  return {
    deny: accessControl.deny.map((c, i) => formatCidr(parseCidr(c, pathOf(ctx, `accessControl.deny[${i}]`)))),
  };
}
