/**
 * Address management inside a subnet (docs/plan-format.md#resources), pure arithmetic on `src/net` blocks.
 *
 * Reserved in every subnet, as the product does: the network address, the gateway (first host), the
 * last two hosts (DHCP and DNS) and the broadcast address. In 10.0.0.0/24: .0, .1, .253, .254, .255.
 *
 *     10.0.0.0/24   .0  .1 | .2 ............................. .252 | .253 .254 .255
 *                   net gw |        assignable (lowest first)        | dhcp  dns  bcast
 *
 * Subnets are /16 to /29, so a subnet always has at least three assignable addresses (a /29 has .2–.4).
 * Automatic assignment takes the lowest address that is neither reserved, in use, nor requested
 * explicitly elsewhere in the same plan — so a plan gets the same addresses whatever order its entries
 * are created in, and an explicit address later in the plan is never taken by an automatic one before it.
 */
import { type Cidr, cidrContainsIp, cidrLast, formatCidr, formatIpv4, type Ipv4 } from '../net/ipv4.ts';
import { IpInUseError, IpNotInSubnetError, IpReservedError, SubnetExhaustedError } from './errors.ts';

export const SUBNET_MIN_PREFIX = 16;
export const SUBNET_MAX_PREFIX = 29;
export const VPC_MIN_PREFIX = 8;
export const VPC_MAX_PREFIX = 28;

/** The first host: the subnet's gateway address. */
export function gatewayAddressOf(subnet: Cidr): Ipv4 {
  return (subnet.base + 1) as Ipv4;
}

/** The five reserved addresses of a subnet, ascending. */
export function reservedAddresses(subnet: Cidr): Ipv4[] {
  const last = cidrLast(subnet);
  return [subnet.base, gatewayAddressOf(subnet), (last - 2) as Ipv4, (last - 1) as Ipv4, last];
}

export function isReserved(subnet: Cidr, ip: Ipv4): boolean {
  const last = cidrLast(subnet);
  return ip === subnet.base || ip === subnet.base + 1 || ip >= last - 2;
}

/** How many addresses a subnet can hand out. */
export function assignableCount(subnet: Cidr): number {
  return Math.max(0, cidrLast(subnet) - subnet.base - 4);
}

/**
 * Checks an explicitly requested address: inside the subnet (IP_NOT_IN_SUBNET), not reserved
 * (IP_RESERVED), not in use (IP_IN_USE) — in that order, as the rules table lists them.
 */
export function checkExplicitAddress(
  subnet: Cidr,
  ip: Ipv4,
  inUse: ReadonlySet<number>,
  options: { path?: string; subnetName?: string } = {},
): void {
  const where = options.subnetName
    ? `subnet ${options.subnetName} (${formatCidr(subnet)})`
    : formatCidr(subnet);
  const opts = options.path === undefined ? {} : { path: options.path };
  if (!cidrContainsIp(subnet, ip)) {
    throw new IpNotInSubnetError(`${formatIpv4(ip)} is not inside ${where}`, opts);
  }
  if (isReserved(subnet, ip)) {
    throw new IpReservedError(
      `${formatIpv4(ip)} is reserved in ${where} (network, gateway, the last two hosts and broadcast are)`,
      opts,
    );
  }
  if (inUse.has(ip)) {
    throw new IpInUseError(`${formatIpv4(ip)} is already in use in ${where}`, opts);
  }
}

/**
 * The lowest assignable address that is neither in use nor avoided (requested explicitly elsewhere in
 * the plan); throws SUBNET_EXHAUSTED when none is left.
 *
 * @example lowestFreeAddress(parseCidr('10.0.0.0/24'), new Set()) // 10.0.0.2
 */
export function lowestFreeAddress(
  subnet: Cidr,
  inUse: ReadonlySet<number>,
  avoid: ReadonlySet<number> = new Set(),
  options: { path?: string; subnetName?: string } = {},
): Ipv4 {
  const last = cidrLast(subnet) - 3;
  for (let ip = subnet.base + 2; ip <= last; ip++) {
    if (!inUse.has(ip) && !avoid.has(ip)) return ip as Ipv4;
  }
  const where = options.subnetName
    ? `subnet ${options.subnetName} (${formatCidr(subnet)})`
    : formatCidr(subnet);
  throw new SubnetExhaustedError(
    `${where} has no free address left (${assignableCount(subnet)} assignable, all in use or requested explicitly)`,
    options.path === undefined ? {} : { path: options.path },
  );
}
