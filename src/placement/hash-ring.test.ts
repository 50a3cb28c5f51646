import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isKeelError } from '../core/errors.js';
import { HashRing } from './hash-ring.js';
import { hashString } from './murmur3.js';

const workers = (count: number, from = 0): string[] => Array.from({ length: count }, (_, i) => `worker-${from + i}`);
const keysOf = (count: number, prefix = 'key-'): string[] => Array.from({ length: count }, (_, i) => `${prefix}${i}`);

function loads(ring: HashRing, keys: readonly string[]): Map<string, number> {
  const result = new Map<string, number>(ring.members().map((member) => [member, 0]));
  for (const key of keys) {
    const owner = ring.owner(key);
    result.set(owner, result.get(owner)! + 1);
  }
  return result;
}

/** Distinct non-empty member names, with '#' and non-ASCII allowed (names are opaque to the ring). */
const memberNames = (minLength: number, maxLength: number) =>
  fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12, unit: 'binary' }), { minLength, maxLength });
const lookupKeys = fc.array(fc.string({ maxLength: 16 }), { minLength: 1, maxLength: 50 });
/** Few virtual nodes keep properties fast and make wraparound and collisions more likely to matter. */
const smallRing = { virtualNodesPerMember: 8 };

describe('HashRing: determinism', () => {
  it('the same members in any insertion order give the same ring', () => {
    fc.assert(
      fc.property(
        memberNames(1, 12).chain((names) =>
          fc.tuple(fc.constant(names), fc.shuffledSubarray(names, { minLength: names.length }),
            fc.array(fc.integer({ min: 1, max: 4 }), { minLength: names.length, maxLength: names.length }))),
        lookupKeys,
        ([names, shuffled, weightList], keys) => {
          const weightOf = new Map(names.map((name, i) => [name, weightList[i]!]));
          const a = new HashRing(smallRing);
          for (const name of names) a.add(name, weightOf.get(name));
          const b = HashRing.of(shuffled.map((name) => [name, weightOf.get(name)!] as const), smallRing);
          expect(b.virtualNodes()).toEqual(a.virtualNodes());
          expect(b.members()).toEqual(a.members());
          for (const key of keys) {
            expect(b.owner(key)).toBe(a.owner(key));
            expect(b.owners(key, 3)).toEqual(a.owners(key, 3));
          }
        },
      ),
    );
  });

  it('any add/remove/re-weight history gives the ring built from its final members', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), member: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), weight: fc.constantFrom(0.5, 1, 2) }),
      fc.record({ kind: fc.constant('remove' as const), member: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f') }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
        const ring = new HashRing(smallRing);
        const model = new Map<string, number>();
        for (const step of ops) {
          if (step.kind === 'add') {
            ring.add(step.member, step.weight);
            model.set(step.member, step.weight);
          } else {
            expect(ring.remove(step.member)).toBe(model.delete(step.member));
          }
        }
        const fresh = HashRing.of([...model], smallRing);
        expect(ring.virtualNodes()).toEqual(fresh.virtualNodes());
        expect(ring.size).toBe(model.size);
      }),
    );
  });

  it('a point is hash(`${member}#${replica}`) and points are sorted by hash', () => {
    const ring = HashRing.of(workers(3), { virtualNodesPerMember: 16 });
    const nodes = ring.virtualNodes();
    expect(nodes).toHaveLength(48);
    for (const node of nodes) expect(node.hash).toBe(hashString(`${node.member}#${node.replica}`));
    for (let i = 1; i < nodes.length; i++) expect(nodes[i - 1]!.hash).toBeLessThanOrEqual(nodes[i]!.hash);
  });
});

describe('HashRing: lookup', () => {
  it('a key belongs to the first point at or after its hash, wrapping past the last point', () => {
    fc.assert(
      fc.property(memberNames(1, 6), lookupKeys, (names, keys) => {
        const ring = HashRing.of(names, smallRing);
        const nodes = ring.virtualNodes();
        for (const key of keys) {
          const hash = hashString(key);
          // The model: a linear scan instead of the binary search.
          const expected = nodes.find((node) => node.hash >= hash) ?? nodes[0]!;
          expect(ring.owner(key)).toBe(expected.member);
        }
      }),
    );
  });

  it('keys hashing past the last point wrap to the first point', () => {
    const ring = HashRing.of(workers(3), { virtualNodesPerMember: 4 });
    const nodes = ring.virtualNodes();
    const last = nodes[nodes.length - 1]!.hash;
    const wrapping = keysOf(100_000).find((key) => hashString(key) > last);
    expect(wrapping).toBeDefined();
    expect(ring.owner(wrapping!)).toBe(nodes[0]!.member);
  });

  it('an empty ring fails clearly with a retryable UNAVAILABLE', () => {
    const ring = new HashRing();
    expect(() => ring.owner('job-1')).toThrow(/hash ring is empty/);
    expect(() => ring.owners('job-1', 2)).toThrow(/hash ring is empty/);
    try {
      ring.owner('job-1');
    } catch (error) {
      expect(isKeelError(error, 'UNAVAILABLE')).toBe(true);
      expect((error as { retryable: boolean }).retryable).toBe(true);
    }
    expect([...ring.successors('job-1')]).toEqual([]);
    ring.add('w1');
    ring.remove('w1');
    expect(() => ring.owner('job-1')).toThrow(/hash ring is empty/);
  });
});

describe('HashRing: balance', () => {
  // Measured (docs/placement.md): 10 members worker-0..9 at 128 virtual nodes, 100k keys:
  // max/avg 1.09, min/avg 0.86. The bounds leave room for other names, not for a broken ring.
  it('10 members, 128 virtual nodes, 100k keys: max/avg < 1.15 and min/avg > 0.8', () => {
    const counts = [...loads(HashRing.of(workers(10)), keysOf(100_000)).values()];
    const average = 100_000 / 10;
    expect(Math.max(...counts) / average).toBeLessThan(1.15);
    expect(Math.min(...counts) / average).toBeGreaterThan(0.8);
  });

  // A member's share is a sum of 128 arcs: relative spread about 1/sqrt(128) = 0.09. Over 200
  // random name sets the extremes were 0.67 and 1.28; [0.5, 1.6] is beyond 5 sigma either way,
  // so random fast-check seeds do not make this flaky, yet a ring ignoring vnodes fails it.
  it('any 10 member names at 128 virtual nodes: every share of the hash space within [0.5, 1.6] of average', () => {
    fc.assert(
      fc.property(memberNames(10, 10), (names) => {
        const shares = [...HashRing.of(names).shares().values()];
        expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
        for (const share of shares) {
          expect(share * 10).toBeGreaterThan(0.5);
          expect(share * 10).toBeLessThan(1.6);
        }
      }),
      { numRuns: 50 },
    );
  });

  it('more virtual nodes balance better', () => {
    const spread = (virtualNodesPerMember: number): number => {
      const shares = [...HashRing.of(workers(10), { virtualNodesPerMember }).shares().values()];
      return Math.max(...shares) / Math.min(...shares);
    };
    expect(spread(512)).toBeLessThan(spread(128));
    expect(spread(128)).toBeLessThan(spread(16));
  });

  it('weights are capacity: keys are roughly proportional to weight', () => {
    const ring = HashRing.of<string>([['small', 1], ['medium', 2], ['large', 4]]);
    expect(ring.virtualNodeCount).toBe(128 * 7);
    const counts = loads(ring, keysOf(70_000));
    // Expected 10k, 20k, 40k; measured 16.3k, 28.6k, 55.1k per 100k (shares 1.15 : 1.99 : 3.86).
    for (const [member, weight] of [['small', 1], ['medium', 2], ['large', 4]] as const) {
      const ratio = counts.get(member)! / (10_000 * weight);
      expect(ratio).toBeGreaterThan(0.8);
      expect(ratio).toBeLessThan(1.25);
    }
  });

  it('a fractional weight still places a member at least once', () => {
    const ring = HashRing.of<string>([['tiny', 0.001], ['big', 1]]);
    expect(ring.virtualNodes().filter((node) => node.member === 'tiny')).toHaveLength(1);
  });
});

describe('HashRing: minimal movement', () => {
  it('adding an 11th member moves about 1/11 of the keys, every one of them to the new member', () => {
    const ring = HashRing.of(workers(10));
    const keys = keysOf(100_000);
    const before = keys.map((key) => ring.owner(key));
    ring.add('worker-10');
    let moved = 0;
    keys.forEach((key, i) => {
      const owner = ring.owner(key);
      if (owner === before[i]) return;
      moved++;
      expect(owner).toBe('worker-10');
    });
    // Measured 8.0% against the ideal 9.1%.
    expect(moved / keys.length).toBeGreaterThan((1 / 11) * 0.7);
    expect(moved / keys.length).toBeLessThan((1 / 11) * 1.3);
  });

  it('removing a member moves only its keys, each to the member that owns its arc next', () => {
    const ring = HashRing.of(workers(10));
    const keys = keysOf(100_000);
    const before = keys.map((key) => ring.owners(key, 2));
    ring.remove('worker-3');
    let moved = 0;
    keys.forEach((key, i) => {
      const [first, second] = before[i]!;
      const owner = ring.owner(key);
      if (first === 'worker-3') {
        moved++;
        expect(owner).toBe(second);
      } else {
        expect(owner).toBe(first);
      }
    });
    expect(moved / keys.length).toBeGreaterThan(0.07);
    expect(moved / keys.length).toBeLessThan(0.13);
  });

  it('property: an add moves keys only to the added member; a remove moves only the removed member\'s keys', () => {
    fc.assert(
      fc.property(memberNames(2, 8), lookupKeys, fc.integer({ min: 1, max: 3 }), (names, keys, weight) => {
        const [extra, ...rest] = names as [string, ...string[]];
        const ring = HashRing.of(rest, smallRing);
        const before = keys.map((key) => ring.owner(key));
        ring.add(extra, weight);
        const after = keys.map((key) => ring.owner(key));
        keys.forEach((_, i) => {
          if (after[i] !== before[i]) expect(after[i]).toBe(extra);
        });
        ring.remove(extra);
        expect(keys.map((key) => ring.owner(key))).toEqual(before);
      }),
    );
  });

  it('property: raising a weight moves keys only to that member', () => {
    fc.assert(
      fc.property(memberNames(2, 6), lookupKeys, (names, keys) => {
        const ring = HashRing.of(names, smallRing);
        const before = keys.map((key) => ring.owner(key));
        ring.add(names[0]!, 3);
        keys.forEach((key, i) => {
          const owner = ring.owner(key);
          if (owner !== before[i]) expect(owner).toBe(names[0]);
        });
      }),
    );
  });
});

describe('HashRing: owners(key, n)', () => {
  it('property: distinct, the owner first, min(n, size) long, and each shorter list a prefix', () => {
    fc.assert(
      fc.property(memberNames(1, 8), lookupKeys, fc.integer({ min: 1, max: 10 }), (names, keys, n) => {
        const ring = HashRing.of(names, smallRing);
        for (const key of keys) {
          const owners = ring.owners(key, n);
          expect(owners).toHaveLength(Math.min(n, names.length));
          expect(new Set(owners).size).toBe(owners.length);
          expect(owners[0]).toBe(ring.owner(key));
          for (let k = 1; k < n; k++) expect(ring.owners(key, k)).toEqual(owners.slice(0, k));
          expect([...ring.successors(key)].sort()).toEqual([...names].sort());
        }
      }),
    );
  });

  it('property: owners(key, n) are the owners as members leave one after another (stable fallbacks)', () => {
    fc.assert(
      fc.property(memberNames(1, 8), lookupKeys, (names, keys) => {
        const ring = HashRing.of(names, smallRing);
        for (const key of keys) {
          const owners = ring.owners(key, names.length);
          const shrinking = HashRing.of(names, smallRing);
          for (const expected of owners) {
            expect(shrinking.owner(key)).toBe(expected);
            shrinking.remove(expected);
          }
        }
      }),
    );
  });

  it('property: removing a member outside owners(key, n) leaves owners(key, n) unchanged', () => {
    fc.assert(
      fc.property(memberNames(3, 8), lookupKeys, (names, keys) => {
        const ring = HashRing.of(names, smallRing);
        for (const key of keys) {
          const owners = ring.owners(key, 2);
          const outsider = names.find((name) => !owners.includes(name))!;
          const smaller = HashRing.of(names.filter((name) => name !== outsider), smallRing);
          expect(smaller.owners(key, 2)).toEqual(owners);
        }
      }),
    );
  });

  it('rejects a non-positive or fractional n as a programming error', () => {
    const ring = HashRing.of(workers(3));
    expect(() => ring.owners('k', 0)).toThrow(/positive integer/);
    expect(() => ring.owners('k', 1.5)).toThrow(/positive integer/);
  });

  it('the ring must not change while successors are iterated', () => {
    const ring = HashRing.of(workers(3));
    expect(() => {
      for (const member of ring.successors('k')) ring.remove(member);
    }).toThrow(/changed while iterating/);
  });
});

describe('HashRing: members, weights, options and limits', () => {
  it('members() is sorted whatever the insertion order; re-adding with the same weight changes nothing', () => {
    const ring = new HashRing();
    for (const name of ['w3', 'w1', 'w2']) ring.add(name);
    expect(ring.members()).toEqual(['w1', 'w2', 'w3']);
    const nodes = ring.virtualNodes();
    ring.add('w2');
    expect(ring.virtualNodes()).toBe(nodes);
    ring.add('w2', 2);
    expect(ring.weightOf('w2')).toBe(2);
    expect(ring.virtualNodeCount).toBe(128 * 4);
    expect(ring.remove('w2')).toBe(true);
    expect(ring.remove('w2')).toBe(false);
    expect(ring.has('w2')).toBe(false);
  });

  it('rejects bad members and weights with BAD_REQUEST and leaves the ring unchanged', () => {
    const ring = HashRing.of(workers(2));
    const nodes = ring.virtualNodes();
    for (const weight of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => ring.add('w', weight)).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    }
    expect(() => ring.add('')).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    expect(() => ring.addAll([['x', 1], ['x', 2]])).toThrow(/listed twice/);
    expect(() => ring.addAll([['ok', 1], ['bad', 0]])).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    expect(ring.virtualNodes()).toBe(nodes);
    expect(ring.members()).toEqual(workers(2));
  });

  it('enforces the virtual-node limits with TOO_LARGE', () => {
    const ring = new HashRing({ virtualNodesPerMember: 4096 });
    expect(() => ring.add('w', 100)).toThrow(expect.objectContaining({ code: 'TOO_LARGE' }));
    expect(ring.size).toBe(0);
  });

  it('resolves options: defaults, unknown keys and bad values listed at once', () => {
    expect(new HashRing().options).toEqual({ virtualNodesPerMember: 128 });
    expect(Object.isFrozen(new HashRing().options)).toBe(true);
    const bad = { virtualNodesPerMember: 0, vnodes: 3 } as unknown as { virtualNodesPerMember: number };
    expect(() => new HashRing(bad)).toThrow(/unknown option "vnodes".*virtualNodesPerMember must be an integer/);
    expect(() => new HashRing(bad)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});
