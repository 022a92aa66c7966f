/**
 * The virtual cloud's networks (docs/plan-format.md#resources): VPCs and subnets, with their address-plan rules
 * (CIDR_OUT_OF_RANGE, SUBNET_OVERLAP; a bad CIDR is INVALID_CIDR).
 */
import {
  cidrContains,
  cidrsOverlap,
  formatCidr,
  formatIpv4,
  PRIVATE_RANGES,
  parseCidr,
} from '../net/ipv4.ts';
import {
  gatewayAddressOf,
  SUBNET_MAX_PREFIX,
  SUBNET_MIN_PREFIX,
  VPC_MAX_PREFIX,
  VPC_MIN_PREFIX,
} from './addressing.ts';
import { at, baseOf, type CreateEnv, createResource, pathOf, referrersOf, requireOf } from './create.ts';
import { CidrOutOfRangeError, SubnetOverlapError } from './errors.ts';
import type { CreateContext, SubnetInput, VpcInput } from './inputs.ts';
import type { Subnet, Vpc } from './resources.ts';

/** A VPC: a private CIDR (10/8, 172.16/12, 192.168/16), prefix /8 to /28. */
export async function createVpc(env: CreateEnv, input: VpcInput, ctx: CreateContext = {}): Promise<Vpc> {
  const cidr = parseCidr(input.cidr, pathOf(ctx, 'cidr'));
  return createResource(env, {
    type: 'vpc',
    ctx,
    expected: { name: input.name, cidr: formatCidr(cidr) },
    build: async () => {
      if (!PRIVATE_RANGES.some((range) => cidrContains(range, cidr))) {
        throw new CidrOutOfRangeError(
          `VPC CIDR ${formatCidr(cidr)} is not inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16`,
          at(ctx, 'cidr'),
        );
      }
      if (cidr.prefix < VPC_MIN_PREFIX || cidr.prefix > VPC_MAX_PREFIX) {
        throw new CidrOutOfRangeError(
          `VPC CIDR ${formatCidr(cidr)}: the prefix must be /${VPC_MIN_PREFIX} to /${VPC_MAX_PREFIX}`,
          at(ctx, 'cidr'),
        );
      }
      return { ...baseOf(env, 'vpc', input.name, ctx), type: 'vpc', cidr: formatCidr(cidr) };
    },
  });
}

/** A subnet inside its VPC, /16 to /29, overlapping none of the VPC's other subnets. */
export async function createSubnet(
  env: CreateEnv,
  input: SubnetInput,
  ctx: CreateContext = {},
): Promise<Subnet> {
  const cidr = parseCidr(input.cidr, pathOf(ctx, 'cidr'));
  const expected = { name: input.name, vpcId: input.vpcId, cidr: formatCidr(cidr) };
  return createResource(env, {
    type: 'subnet',
    ctx,
    scopes: [input.vpcId],
    expected,
    build: async (tx) => {
      const vpc = await requireOf(tx, input.vpcId, 'vpc', pathOf(ctx, 'vpc'));
      const vpcCidr = parseCidr(vpc.cidr);
      if (cidr.prefix < SUBNET_MIN_PREFIX || cidr.prefix > SUBNET_MAX_PREFIX) {
        throw new CidrOutOfRangeError(
          `subnet CIDR ${formatCidr(cidr)}: the prefix must be /${SUBNET_MIN_PREFIX} to /${SUBNET_MAX_PREFIX}`,
          at(ctx, 'cidr'),
        );
      }
      if (!cidrContains(vpcCidr, cidr)) {
        throw new CidrOutOfRangeError(
          `subnet CIDR ${formatCidr(cidr)} is not inside VPC ${vpc.name} (${vpc.cidr})`,
          at(ctx, 'cidr'),
        );
      }
      for (const sibling of await referrersOf(tx, vpc.id, 'subnet')) {
        if (cidrsOverlap(parseCidr(sibling.cidr), cidr)) {
          throw new SubnetOverlapError(
            `subnet CIDR ${formatCidr(cidr)} overlaps subnet ${sibling.name} (${sibling.cidr}) of VPC ${vpc.name}`,
            { ...at(ctx, 'cidr'), details: { conflictingId: sibling.id } },
          );
        }
      }
      return {
        ...baseOf(env, 'subnet', input.name, ctx),
        type: 'subnet',
        vpcId: vpc.id,
        cidr: formatCidr(cidr),
        gatewayIp: formatIpv4(gatewayAddressOf(cidr)),
      };
    },
  });
}
