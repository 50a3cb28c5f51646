import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pickWorker } from './affinity.js';
import { HashRing } from './hash-ring.js';

const names = fc.uniqueArray(fc.string({ minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 8 });
const keys = fc.array(fc.string({ maxLength: 16 }), { minLength: 1, maxLength: 30 });
const smallRing = { virtualNodesPerMember: 8 };

describe('pickWorker', () => {
  it('property: equals the owner in a ring of only the live workers (same weights)', () => {
    fc.assert(
      fc.property(
        names.chain((all) => fc.tuple(fc.constant(all), fc.subarray(all), fc.array(fc.integer({ min: 1, max: 3 }), { minLength: all.length, maxLength: all.length }))),
        keys,
        ([all, live, weightList], keyList) => {
          const entries = all.map((name, i) => [name, weightList[i]!] as const);
          const ring = HashRing.of(entries, smallRing);
          const liveSet = new Set(live);
          const liveRing = HashRing.of(entries.filter(([name]) => liveSet.has(name)), smallRing);
          for (const key of keyList) {
            expect(pickWorker(ring, key, liveSet)).toBe(live.length === 0 ? undefined : liveRing.owner(key));
          }
        },
      ),
    );
  });

  it('property: a key stays on its owner while the owner is live, whoever else fails', () => {
    fc.assert(
      fc.property(names, fc.func(fc.boolean()), keys, (all, isLive, keyList) => {
        const ring = HashRing.of(all, smallRing);
        for (const key of keyList) {
          const owner = ring.owner(key);
          const live = new Set(all.filter((name) => name === owner || isLive(name)));
          expect(pickWorker(ring, key, live)).toBe(owner);
        }
      }),
    );
  });

  it('sends a dead worker\'s keys to its stable fallback and back when it returns', () => {
    const all = Array.from({ length: 5 }, (_, i) => `w${i}`);
    const ring = HashRing.of(all);
    const keyList = Array.from({ length: 2000 }, (_, i) => `job-${i}`);
    const allLive = new Set(all);
    const withoutW2 = new Set(all.filter((name) => name !== 'w2'));
    for (const key of keyList) {
      const [owner, fallback] = ring.owners(key, 2);
      expect(pickWorker(ring, key, allLive)).toBe(owner);
      expect(pickWorker(ring, key, withoutW2)).toBe(owner === 'w2' ? fallback : owner);
    }
  });

  it('returns undefined when no ring member is live, and never picks a live worker off the ring', () => {
    const ring = HashRing.of(['w1', 'w2']);
    expect(pickWorker(ring, 'k', new Set())).toBeUndefined();
    expect(pickWorker(ring, 'k', new Set(['w9']))).toBeUndefined();
    expect(pickWorker(new HashRing(), 'k', new Set(['w1']))).toBeUndefined();
  });
});
