/**
 * Keys kept sorted by UTF-8 bytes (`compareKeys`) for prefix ranges: a sorted array with binary
 * search. Lookups are O(log n); creating or deleting a key moves the array's tail, O(n), which is
 * a memmove of pointers (about 1 ms per million keys). A B-tree can replace it behind the same
 * methods when stores grow larger; updates of existing keys do not touch it.
 */
import { assert } from '../core/assert.js';
import { compareKeys } from './keys.js';

export class SortedKeys {
  private readonly keys: string[] = [];

  /** Builds the index from keys already in strictly increasing order (a validated snapshot). */
  static fromSorted(keys: Iterable<string>): SortedKeys {
    const index = new SortedKeys();
    for (const key of keys) {
      const last = index.keys.at(-1);
      assert(last === undefined || compareKeys(last, key) < 0, 'restored keys are not strictly increasing');
      index.keys.push(key);
    }
    return index;
  }

  get length(): number {
    return this.keys.length;
  }

  at(position: number): string | undefined {
    return this.keys[position];
  }

  /** Position of the first key >= `key` (or `length`). */
  lowerBound(key: string): number {
    return this.search(key, (c) => c < 0);
  }

  /** Position of the first key > `key` (or `length`). */
  upperBound(key: string): number {
    return this.search(key, (c) => c <= 0);
  }

  insert(key: string): void {
    const position = this.lowerBound(key);
    assert(this.keys[position] !== key, `key index: ${JSON.stringify(key)} inserted twice`);
    this.keys.splice(position, 0, key);
  }

  remove(key: string): void {
    const position = this.lowerBound(key);
    assert(this.keys[position] === key, `key index: ${JSON.stringify(key)} removed but absent`);
    this.keys.splice(position, 1);
  }

  /** First position whose key does not satisfy `before(compareKeys(key at position, key))`. */
  private search(key: string, before: (comparison: number) => boolean): number {
    let low = 0;
    let high = this.keys.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (before(compareKeys(this.keys[middle]!, key))) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
