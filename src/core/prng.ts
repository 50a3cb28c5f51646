import type { Random } from '../ports/random.js';

/**
 * Seeded PRNG (SplitMix32 seeding an xoshiro128**): fast, small state, and the same
 * sequence for the same seed on every platform, so a failing seed replays exactly.
 */
export function seededRandom(seed: number): Random {
  let s = seed >>> 0;
  const splitmix = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  const nextU32 = (): number => {
    const result = Math.imul(rotl(Math.imul(b, 5) >>> 0, 7), 9) >>> 0;
    const t = (b << 9) >>> 0;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };
  return {
    next: () => nextU32() / 0x1_0000_0000,
    int: (n: number) => {
      if (!(Number.isInteger(n) && n > 0)) throw new RangeError(`Random.int needs a positive integer, got ${n}`);
      return Math.floor((nextU32() / 0x1_0000_0000) * n);
    },
  };
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
