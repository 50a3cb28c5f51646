/**
 * MurmurHash3, x86 32-bit variant (Austin Appleby, public domain), in pure TypeScript.
 *
 * Chosen for the placement ring because it is small (one loop, one tail, one finalizer),
 * well distributed (the fmix32 finalizer makes every input bit affect every output bit), and
 * specified by a reference implementation with published test vectors, which the tests check.
 * It is not a cryptographic hash: placement needs spread, not secrecy.
 *
 * The value is part of Keel's placement contract: every node must compute the same ring, so
 * changing the hash (or the seed) moves keys and must be treated like a format change.
 */
export function murmur3x86_32(bytes: Uint8Array, seed = 0): number {
  return murmurPrefix(bytes, bytes.length, seed);
}

/** murmur3x86_32 of bytes[0, length): lets hashString reuse one scratch buffer. */
function murmurPrefix(bytes: Uint8Array, length: number, seed: number): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  const blockEnd = length - (length % 4);
  let h = seed >>> 0;

  for (let i = 0; i < blockEnd; i += 4) {
    let k = (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)) >>> 0;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }

  // The tail: the last 1 to 3 bytes, little-endian, mixed like a block but without the rotate of h.
  const tail = length & 3;
  if (tail > 0) {
    let k = 0;
    if (tail === 3) k ^= bytes[blockEnd + 2]! << 16;
    if (tail >= 2) k ^= bytes[blockEnd + 1]! << 8;
    k ^= bytes[blockEnd]!;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }

  h ^= length;
  return fmix32(h);
}

/** The murmur3 finalizer: a bijection on 32-bit values with full avalanche. */
function fmix32(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const encoder = new TextEncoder();
/** Strings up to this many UTF-16 units are encoded into one reused buffer (UTF-8 needs at most 3 bytes per unit). */
const scratchUnitsMax = 1024;
const scratch = new Uint8Array(scratchUnitsMax * 3);

/**
 * Hash of a string's UTF-8 bytes: an unsigned 32-bit integer in [0, 2^32). UTF-8 (not UTF-16
 * code units) so that any other implementation of murmur3 computes the same placement.
 * Every ring lookup calls it, so short strings skip the allocation of an encoded copy.
 */
export function hashString(text: string, seed = 0): number {
  if (text.length > scratchUnitsMax) return murmur3x86_32(encoder.encode(text), seed);
  const { written } = encoder.encodeInto(text, scratch);
  return murmurPrefix(scratch, written, seed);
}
