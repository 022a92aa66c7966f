/**
 * Loopback addresses for virtual ones. Each (VPC, virtual IP) gets its own address in 127.0.0.0/8 —
 * Linux routes the whole block to `lo` and lets a socket bind any address in it, so two virtual hosts
 * with the same port (or, in overlapping VPCs, the same address) never collide.
 *
 * Allocation is sequential in the order addresses are first seen (the store lists resources in creation
 * order, so the same history gives the same map): `prefix.0.1`, `prefix.0.2`, … skipping `.0` and `.255`
 * in the last octet so every address reads as a host. A released address (its resource is gone) goes
 * to the back of a free list that is drawn from only once the block's 65,024 fresh addresses are used
 * up, oldest release first: a stale client cannot reach a newcomer by accident for as long as possible,
 * and a long-running stack never runs out while fewer than 65,024 virtual addresses exist at once.
 */
import { formatIpv4, ipv4FromOctets, tryParseIpv4 } from '../net/ipv4.ts';

export interface VirtualAddress {
  vpcId: string;
  ip: string;
}

const HOSTS_PER_BLOCK = 254;

export class LoopbackAllocator {
  readonly prefix: readonly [number, number];
  readonly #forward = new Map<string, string>();
  readonly #reverse = new Map<string, VirtualAddress>();
  /** Released addresses, oldest first (a queue: `#freeHead` is the next to reuse). */
  readonly #free: string[] = [];
  #freeHead = 0;
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
    let loopback: string;
    if (this.#next < HOSTS_PER_BLOCK * 256) {
      const n = this.#next++;
      loopback = formatIpv4(
        ipv4FromOctets(
          this.prefix[0],
          this.prefix[1],
          Math.floor(n / HOSTS_PER_BLOCK),
          (n % HOSTS_PER_BLOCK) + 1,
        ),
      );
    } else if (this.#freeHead < this.#free.length) {
      loopback = this.#free[this.#freeHead++] as string;
      if (this.#freeHead > 1024 && this.#freeHead * 2 > this.#free.length) {
        this.#free.splice(0, this.#freeHead);
        this.#freeHead = 0;
      }
    } else {
      throw new RangeError('the loopback block is exhausted (65,024 virtual addresses in use)');
    }
    this.#forward.set(key, loopback);
    this.#reverse.set(loopback, { vpcId, ip });
    return loopback;
  }

  /** Gives (vpcId, ip)'s address back (a no-op when it has none). */
  release(vpcId: string, ip: string): void {
    const key = `${vpcId}|${ip}`;
    const loopback = this.#forward.get(key);
    if (loopback === undefined) return;
    this.#forward.delete(key);
    this.#reverse.delete(loopback);
    this.#free.push(loopback);
  }

  /** Releases every allocated address whose `vpcId|ip` key is not in `keep`. */
  retain(keep: ReadonlySet<string>): void {
    for (const [key, loopback] of [...this.#forward]) {
      if (keep.has(key)) continue;
      this.#forward.delete(key);
      this.#reverse.delete(loopback);
      this.#free.push(loopback);
    }
  }

  /** Addresses allocated now. */
  get size(): number {
    return this.#forward.size;
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
