/**
 * IPv4 addresses and CIDR blocks, parsed once into numbers.
 *
 * An address is an unsigned 32-bit integer branded `Ipv4`; a block is its base address and prefix
 * length, branded `Cidr`. Every set operation (containment, overlap, host iteration) is integer
 * arithmetic on the block's inclusive range [first, last]:
 *
 *     10.0.0.0/24      first = 10.0.0.0     last = 10.0.0.255
 *     |====================================|
 *           10.0.0.64/26 |=========|             contained: a.first <= b.first && b.last <= a.last
 *                               10.0.0.200/29 |==|  overlap: a.first <= b.last && b.first <= a.last
 *
 * Invariants: a `Cidr` never has host bits set (`10.0.0.1/24` is rejected, not silently masked, since a
 * user who wrote it most likely meant something else); numbers stay in [0, 2^32 - 1] (`>>> 0`).
 */
import { InvalidAddressError, InvalidCidrError } from './errors.ts';

declare const ipv4Brand: unique symbol;
declare const cidrBrand: unique symbol;

/** An IPv4 address as an unsigned 32-bit integer. */
export type Ipv4 = number & { readonly [ipv4Brand]: true };

/** A CIDR block: base address (host bits zero) and prefix length 0–32. */
export type Cidr = { readonly base: Ipv4; readonly prefix: number } & { readonly [cidrBrand]: true };

const OCTET = /^(0|[1-9][0-9]{0,2})$/;

/**
 * Parses a dotted-quad address; `undefined` when the text is not one.
 * Leading zeros are refused (`010.0.0.1` is octal to some tools and decimal to others).
 *
 * @example tryParseIpv4('192.168.0.144') // 3232235664
 */
export function tryParseIpv4(text: string): Ipv4 | undefined {
  if (typeof text !== 'string') return undefined;
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!OCTET.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value as Ipv4;
}

/**
 * Parses a dotted-quad address or throws `INVALID_ADDRESS`.
 *
 * @example parseIpv4('10.0.0.5') === ipv4FromOctets(10, 0, 0, 5)
 */
export function parseIpv4(text: string, path?: string): Ipv4 {
  const ip = tryParseIpv4(text);
  if (ip === undefined) {
    throw new InvalidAddressError(
      `'${String(text)}' is not an IPv4 address (a.b.c.d, each 0–255)`,
      optsPath(path),
    );
  }
  return ip;
}

/** Formats an address as a dotted quad. */
export function formatIpv4(ip: Ipv4): string {
  return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
}

export function ipv4FromOctets(a: number, b: number, c: number, d: number): Ipv4 {
  return ((((a & 255) << 24) | ((b & 255) << 16) | ((c & 255) << 8) | (d & 255)) >>> 0) as Ipv4;
}

/** The netmask of a prefix length, as an unsigned integer (`/24` → 255.255.255.0). */
export function prefixMask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** Builds a block from a base and prefix; throws when host bits are set. */
export function cidrOf(base: Ipv4, prefix: number, path?: string): Cidr {
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) {
    throw new InvalidCidrError(`prefix length /${prefix} is not between 0 and 32`, optsPath(path));
  }
  if ((base & prefixMask(prefix)) >>> 0 !== base) {
    const network = formatIpv4(((base & prefixMask(prefix)) >>> 0) as Ipv4);
    throw new InvalidCidrError(
      `${formatIpv4(base)}/${prefix} has host bits set; the block is ${network}/${prefix}`,
      optsPath(path),
    );
  }
  return { base, prefix } as Cidr;
}

/**
 * Parses `a.b.c.d/n` or returns `undefined`. Host bits must be zero.
 *
 * @example tryParseCidr('10.0.0.0/16')?.prefix // 16
 */
export function tryParseCidr(text: string): Cidr | undefined {
  try {
    return parseCidr(text);
  } catch {
    return undefined;
  }
}

/**
 * Parses `a.b.c.d/n` or throws `INVALID_CIDR` with the reason.
 *
 * @example formatCidr(parseCidr('192.168.0.0/24')) // '192.168.0.0/24'
 */
export function parseCidr(text: string, path?: string): Cidr {
  if (typeof text !== 'string')
    throw new InvalidCidrError(`${String(text)} is not a CIDR block`, optsPath(path));
  const slash = text.indexOf('/');
  if (slash < 0) {
    throw new InvalidCidrError(
      `'${text}' is not a CIDR block (a.b.c.d/n): the prefix length is missing`,
      optsPath(path),
    );
  }
  const base = tryParseIpv4(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (base === undefined) {
    throw new InvalidCidrError(
      `'${text}' is not a CIDR block: '${text.slice(0, slash)}' is not an address`,
      optsPath(path),
    );
  }
  if (!/^(0|[1-9][0-9]?)$/.test(prefixText)) {
    throw new InvalidCidrError(
      `'${text}' is not a CIDR block: '/${prefixText}' is not a prefix length`,
      optsPath(path),
    );
  }
  return cidrOf(base, Number(prefixText), path);
}

export function formatCidr(cidr: Cidr): string {
  return `${formatIpv4(cidr.base)}/${cidr.prefix}`;
}

/** Number of addresses in the block (2^(32 - prefix)). */
export function cidrSize(cidr: Cidr): number {
  return 2 ** (32 - cidr.prefix);
}

/** First address of the block (the network address). */
export function cidrFirst(cidr: Cidr): Ipv4 {
  return cidr.base;
}

/** Last address of the block (the broadcast address for prefixes below /31). */
export function cidrLast(cidr: Cidr): Ipv4 {
  return (cidr.base + cidrSize(cidr) - 1) as Ipv4;
}

export function cidrContainsIp(cidr: Cidr, ip: Ipv4): boolean {
  return ip >= cidr.base && ip <= cidrLast(cidr);
}

/** `outer` contains every address of `inner` (a block contains itself). */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  return inner.base >= outer.base && cidrLast(inner) <= cidrLast(outer);
}

/** The two blocks share at least one address. Symmetric. */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.base <= cidrLast(b) && b.base <= cidrLast(a);
}

export function cidrEquals(a: Cidr, b: Cidr): boolean {
  return a.base === b.base && a.prefix === b.prefix;
}

/** Every address of the block in ascending order, lazily (a /8 has 16 M of them). */
export function* cidrAddresses(cidr: Cidr): Generator<Ipv4> {
  const last = cidrLast(cidr);
  for (let ip = cidr.base as number; ip <= last; ip++) yield ip as Ipv4;
}

/** The address `offset` places after the block's base; throws when outside the block. */
export function cidrNth(cidr: Cidr, offset: number): Ipv4 {
  if (offset < 0 || offset >= cidrSize(cidr)) {
    throw new RangeError(`offset ${offset} is outside ${formatCidr(cidr)}`);
  }
  return (cidr.base + offset) as Ipv4;
}

/** The RFC 1918 private ranges, the only ones a VPC may use. */
export const PRIVATE_RANGES: readonly Cidr[] = [
  parseCidr('10.0.0.0/8'),
  parseCidr('172.16.0.0/12'),
  parseCidr('192.168.0.0/16'),
];

/** The address lies in 10/8, 172.16/12 or 192.168/16. */
export function isPrivateIpv4(ip: Ipv4): boolean {
  return PRIVATE_RANGES.some((range) => cidrContainsIp(range, ip));
}

/** The address lies in 127.0.0.0/8. */
export function isLoopbackIpv4(ip: Ipv4): boolean {
  return ip >>> 24 === 127;
}

function optsPath(path: string | undefined): { path?: string } {
  return path === undefined ? {} : { path };
}
