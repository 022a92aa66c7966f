/**
 * Loopback addresses for virtual ones. Each (VPC, virtual IP) gets its own address in 127.0.0.0/8 —
 * Linux routes the whole block to `lo` and lets a socket bind any address in it, so two virtual hosts
 * with the same port (or, in overlapping VPCs, the same address) never collide.
 *
 * Allocation is sequential in the order addresses are first seen (the store lists resources in creation
 * order, so the same history gives the same map): `prefix.0.1`, `prefix.0.2`, … skipping `.0` and `.255`
 * in the last octet so every address reads as a host. An address stays allocated for the allocator's
 * lifetime: a removed endpoint's address is not reused while the data plane runs, so a stale client
 * cannot reach a newcomer by accident.
 */
import { formatIpv4, ipv4FromOctets, tryParseIpv4 } from '../../net/ipv4.ts';

export interface VirtualAddress {
  vpcId: string;
  ip: string;
}

const HOSTS_PER_BLOCK = 254;

export class LoopbackAllocator {
  readonly prefix: readonly [number, number];
  readonly #forward = new Map<string, string>();
  readonly #reverse = new Map<string, VirtualAddress>();
  #next = 0;

  constructor(prefix = '127.77') {
    const octets = prefix.split('.').map(Number);
    const [a, b] = octets;
    if (octets.length !== 2 || a !== 127 || b === undefined || !Number.isInteger(b) || b < 0 || b > 255) {
      throw new RangeError(`loopback prefix '${prefix}' is not 127.N (N 0–255)`);
    }
    this.prefix = [a, b];
  }

  /** The loopback address of (vpcId, ip), allocating one on first sight. */
  allocate(vpcId: string, ip: string): string {
    const key = `${vpcId}|${ip}`;
    const known = this.#forward.get(key);
    if (known) return known;
    const n = this.#next++;
    const third = Math.floor(n / HOSTS_PER_BLOCK);
    if (third > 255) throw new RangeError('the loopback block is exhausted (65,024 virtual addresses)');
    const loopback = formatIpv4(
      ipv4FromOctets(this.prefix[0], this.prefix[1], third, (n % HOSTS_PER_BLOCK) + 1),
    );
    this.#forward.set(key, loopback);
    this.#reverse.set(loopback, { vpcId, ip });
    return loopback;
  }

  lookup(vpcId: string, ip: string): string | undefined {
    return this.#forward.get(`${vpcId}|${ip}`);
  }

  /** The virtual address behind a loopback address (`undefined`: not one of ours, e.g. 127.0.0.1). */
  reverse(loopback: string | undefined): VirtualAddress | undefined {
    if (loopback === undefined) return undefined;
    const plain = loopback.startsWith('::ffff:') ? loopback.slice(7) : loopback;
    return tryParseIpv4(plain) === undefined ? undefined : this.#reverse.get(plain);
  }
}
