/**
 * The search's record of failed nodes (reduction 6 in search.ts). A node is (placed ok operations
 * and state, as a string key; placed info operations, as a bit mask). A node is known to fail if
 * a failed node had its key and a subset of its info mask: an info operation never has to take
 * effect and blocks nothing, so whatever completes the larger node completes the smaller one.
 */

/** Info masks kept per key for subset tests; past that, only equal masks are found. */
export const dominanceMasksMax = 16;

export class FailedNodes {
  /** Key -> up to `dominanceMasksMax` info masks (`words` numbers each), those with fewest bits. */
  private readonly masks = new Map<string, number[]>();
  /** `${key}|${mask}` for failed nodes whose mask is not kept in `masks`. */
  private readonly exact = new Set<string>();

  /** `words`: 32-bit words per info mask (0 when the key has no info operations). */
  constructor(private readonly words: number) {}

  /** True if a failed node had `key` and a subset of `mask` (equal masks always found). */
  covers(key: string, mask: Uint32Array): boolean {
    const masks = this.masks.get(key);
    if (masks === undefined) return false;
    const words = this.words;
    if (words === 0) return true;
    for (let start = 0; start < masks.length; start += words) {
      let subset = true;
      for (let w = 0; w < words && subset; w++) subset = (masks[start + w]! & ~mask[w]!) === 0;
      if (subset) return true;
    }
    return masks.length >= dominanceMasksMax * words && this.exact.has(`${key}|${mask.join(',')}`);
  }

  add(key: string, mask: Uint32Array): void {
    let masks = this.masks.get(key);
    if (masks === undefined) {
      masks = [];
      this.masks.set(key, masks);
    }
    const words = this.words;
    if (words === 0) return;
    let slot = masks.length;
    if (masks.length >= dominanceMasksMax * words) {
      // Full: keep the masks with the fewest bits (they cover the most), the others go to `exact`.
      let fullest = -1;
      let fullestBits = popCount(mask, 0, words);
      for (let start = 0; start < masks.length; start += words) {
        const bits = popCount(masks, start, words);
        if (bits > fullestBits) {
          fullest = start;
          fullestBits = bits;
        }
      }
      if (fullest < 0) {
        this.exact.add(`${key}|${mask.join(',')}`);
        return;
      }
      this.exact.add(`${key}|${masks.slice(fullest, fullest + words).join(',')}`);
      slot = fullest;
    }
    for (let w = 0; w < words; w++) masks[slot + w] = mask[w]!;
  }
}

function popCount(words: ArrayLike<number>, start: number, count: number): number {
  let bits = 0;
  for (let w = start; w < start + count; w++) {
    let x = words[w]! >>> 0;
    while (x !== 0) {
      x &= x - 1;
      bits += 1;
    }
  }
  return bits;
}
