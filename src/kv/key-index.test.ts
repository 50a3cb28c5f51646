import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AssertionError } from '../core/assert.js';
import { SortedKeys } from './key-index.js';
import { compareKeys } from './keys.js';

describe('SortedKeys', () => {
  it('stays sorted by UTF-8 bytes through inserts and removes, and bounds find the right positions', () => {
    const keyArb = fc.string({ unit: 'binary', maxLength: 3 });
    fc.assert(fc.property(fc.array(fc.tuple(fc.boolean(), keyArb), { maxLength: 60 }), keyArb, (ops, probe) => {
      const index = new SortedKeys();
      const model = new Set<string>();
      for (const [insert, key] of ops) {
        if (insert && !model.has(key)) {
          index.insert(key);
          model.add(key);
        } else if (!insert && model.has(key)) {
          index.remove(key);
          model.delete(key);
        }
      }
      const sorted = [...model].sort(compareKeys);
      expect(Array.from({ length: index.length }, (_, i) => index.at(i))).toEqual(sorted);
      expect(index.lowerBound(probe)).toBe(sorted.filter((k) => compareKeys(k, probe) < 0).length);
      expect(index.upperBound(probe)).toBe(sorted.filter((k) => compareKeys(k, probe) <= 0).length);
    }));
  });

  it('asserts on a double insert or the removal of an absent key', () => {
    const index = SortedKeys.fromSorted(['a', 'b']);
    expect(() => index.insert('a')).toThrow(AssertionError);
    expect(() => index.remove('c')).toThrow(AssertionError);
    expect(() => SortedKeys.fromSorted(['b', 'a'])).toThrow(AssertionError);
  });
});
