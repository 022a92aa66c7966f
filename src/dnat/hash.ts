/**
 * Integer hashing for the engine's open-addressing tables (the rule index and the session table).
 *
 * Keys are small tuples of unsigned 32-bit integers, never strings: hashing them is a handful of
 * `Math.imul`s, with no allocation, so a lookup costs the same whatever the table holds. The mixer is
 * MurmurHash3's 32-bit finaliser (`fmix32`), which spreads every input bit over the whole word, so the
 * low bits used as a bucket index are well distributed even for sequential addresses and ports.
 */

/** MurmurHash3's finaliser: a bijection on 32-bit words with full avalanche. */
export function fmix32(value: number): number {
  let h = value | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Combines a running hash with one more 32-bit word (boost's `hash_combine`, 32-bit golden ratio). */
export function combine(hash: number, word: number): number {
  return (hash ^ (fmix32(word) + 0x9e3779b9 + (hash << 6) + (hash >>> 2))) >>> 0;
}

/** The smallest power of two ≥ `n` (and ≥ 8). */
export function powerOfTwoAtLeast(n: number): number {
  let size = 8;
  while (size < n) size *= 2;
  return size;
}
