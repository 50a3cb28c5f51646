import { assert } from '../core/assert.js';
import { KeelError } from '../core/errors.js';
import { hashString } from './murmur3.js';
import {
  memberVirtualNodesMax, resolveHashRingOptions, ringVirtualNodesMax,
  type HashRingOptions, type HashRingOptionsInput,
} from './options.js';

/** One point on the ring: replica `replica` of `member`, at hash(`${member}#${replica}`). */
export interface VirtualNode<M extends string = string> {
  readonly hash: number;
  readonly member: M;
  readonly replica: number;
}

/** Size of the hash space: hashes are unsigned 32-bit integers. */
const hashSpaceSize = 0x1_0000_0000;

/**
 * A consistent-hash ring with virtual nodes (Karger et al. 1997; the virtual-node scheme of
 * Dynamo and Cassandra). Members are strings (worker or node ids); each member of weight w
 * is placed at round(w * virtualNodesPerMember) points (at least one), and a key belongs to the
 * member of the first point at or after the key's hash, wrapping past 2^32 - 1 to the start.
 *
 * Invariants (asserted on every change, see `checkInvariants`):
 * - The ring is a function of the member set, the weights and the options only: the same
 *   members in any insertion order, or after any add/remove history, give the same points in
 *   the same order. Points are sorted by (hash, member, replica), so even a hash collision is
 *   ordered the same everywhere.
 * - A member's points do not depend on the other members, so adding a member only moves keys
 *   to it, and removing a member only moves the keys it owned (docs/placement.md).
 *
 * Not safe to mutate while iterating `successors`; the iterator asserts that it is not.
 */
export class HashRing<M extends string = string> {
  readonly options: HashRingOptions;
  private readonly weights = new Map<M, number>();
  /** Sorted by compareNodes. */
  private nodes: VirtualNode<M>[] = [];
  /** nodes[i].hash, packed for the binary search of every lookup. */
  private hashes = new Uint32Array(0);
  /** Bumped on every change, so an iterator can tell that the ring moved under it. */
  private version = 0;

  constructor(options: HashRingOptionsInput = {}) {
    this.options = resolveHashRingOptions(options);
  }

  /** A ring holding `members`, each either a member (weight 1) or a [member, weight] pair. */
  static of<M extends string>(
    members: Iterable<M | readonly [M, number]>,
    options: HashRingOptionsInput = {},
  ): HashRing<M> {
    const ring = new HashRing<M>(options);
    const entries: (readonly [M, number])[] = [];
    for (const entry of members) entries.push(typeof entry === 'string' ? [entry, 1] : entry);
    ring.addAll(entries);
    return ring;
  }

  /** Number of members. */
  get size(): number {
    return this.weights.size;
  }

  /** Number of points on the ring. */
  get virtualNodeCount(): number {
    return this.nodes.length;
  }

  has(member: M): boolean {
    return this.weights.has(member);
  }

  weightOf(member: M): number | undefined {
    return this.weights.get(member);
  }

  /** The members, sorted by code unit (not insertion order, so every node lists them alike). */
  members(): M[] {
    return [...this.weights.keys()].sort(compareStrings);
  }

  /** The points in ring order: for inspection, tests and the docs' figures. */
  virtualNodes(): readonly VirtualNode<M>[] {
    return this.nodes;
  }

  /**
   * Adds `member` with `weight` (its capacity: a member of weight 2 gets twice the points and so
   * about twice the keys). Adding a present member with another weight re-weights it; with the
   * same weight it changes nothing. Fails with BAD_REQUEST for an empty member or a weight that
   * is not a positive finite number, and with TOO_LARGE beyond the ring's limits; a failed add
   * leaves the ring unchanged. Costs O(points); use addAll to add many members at once.
   */
  add(member: M, weight = 1): void {
    this.addAll([[member, weight]]);
  }

  /**
   * Adds (or re-weights) several members in one O(points + added log added) step, as `add`
   * would one by one; all are checked before any is added, so a failure changes nothing.
   * A member listed twice fails with BAD_REQUEST.
   */
  addAll(entries: Iterable<readonly [M, number]>): void {
    const batch = new Map<M, number>();
    let total = this.nodes.length;
    for (const [member, weight] of entries) {
      this.checkEntry(member, weight);
      if (batch.has(member)) throw new KeelError('BAD_REQUEST', `ring member "${member}" is listed twice in one addAll`);
      batch.set(member, weight);
      const previous = this.weights.get(member);
      total += this.virtualNodeCountOf(weight) - (previous === undefined ? 0 : this.virtualNodeCountOf(previous));
    }
    if (total > ringVirtualNodesMax) {
      throw new KeelError('TOO_LARGE', `adding ${batch.size} ring member(s) would make ${total} virtual nodes, above ringVirtualNodesMax (${ringVirtualNodesMax})`, {
        data: { total, ringVirtualNodesMax },
      });
    }
    const reweighted = new Set<M>();
    const added: VirtualNode<M>[] = [];
    for (const [member, weight] of batch) {
      const previous = this.weights.get(member);
      if (previous === weight) continue;
      if (previous !== undefined) reweighted.add(member);
      const count = this.virtualNodeCountOf(weight);
      for (let replica = 0; replica < count; replica++) {
        added.push({ hash: hashString(`${member}#${replica}`), member, replica });
      }
    }
    if (added.length === 0) return;
    added.sort(compareNodes);
    const kept = reweighted.size === 0 ? this.nodes : this.nodes.filter((node) => !reweighted.has(node.member));
    this.nodes = mergeSorted(kept, added);
    for (const [member, weight] of batch) this.weights.set(member, weight);
    this.changed();
  }

  private checkEntry(member: M, weight: number): void {
    if (typeof member !== 'string' || member.length === 0) {
      throw new KeelError('BAD_REQUEST', `hash ring member must be a non-empty string, got ${JSON.stringify(member)}`);
    }
    if (!(Number.isFinite(weight) && weight > 0)) {
      throw new KeelError('BAD_REQUEST', `weight of ring member "${member}" must be a positive finite number, got ${String(weight)}`);
    }
    const count = this.virtualNodeCountOf(weight);
    if (count > memberVirtualNodesMax) {
      throw new KeelError('TOO_LARGE', `weight ${weight} of ring member "${member}" gives ${count} virtual nodes, above memberVirtualNodesMax (${memberVirtualNodesMax})`, {
        data: { member, weight, count, memberVirtualNodesMax },
      });
    }
  }

  /** Removes `member`; returns false if it was not a member. */
  remove(member: M): boolean {
    if (!this.weights.has(member)) return false;
    this.nodes = this.nodes.filter((node) => node.member !== member);
    this.weights.delete(member);
    this.changed();
    return true;
  }

  /** The member owning `key`. Fails with UNAVAILABLE (retryable) on an empty ring. */
  owner(key: string): M {
    this.assertNotEmpty(key);
    const node = this.nodes[this.indexOf(hashString(key))];
    assert(node !== undefined, 'ring lookup must land on a point');
    return node.member;
  }

  /**
   * The first `n` distinct members met walking the ring clockwise from `key`: the owner first,
   * then the members its keys would fall to if it left (replicas, fallbacks). Fewer than `n`
   * when the ring has fewer members. `owners(key, k)` is a prefix of `owners(key, n)` for k < n.
   * Fails with UNAVAILABLE (retryable) on an empty ring.
   */
  owners(key: string, n: number): M[] {
    assert(Number.isSafeInteger(n) && n > 0, `owners: n must be a positive integer, got ${n}`);
    this.assertNotEmpty(key);
    const result: M[] = [];
    for (const member of this.successors(key)) {
      result.push(member);
      if (result.length === n) break;
    }
    return result;
  }

  /**
   * Every member once, in the order met walking the ring clockwise from `key`; lazy, so a caller
   * looking for the first member that passes a test (see pickWorker) stops early. Empty on an
   * empty ring. The ring must not change while the iterator is in use (asserted).
   */
  *successors(key: string): Generator<M, void, undefined> {
    const count = this.nodes.length;
    if (count === 0) return;
    const version = this.version;
    const memberCount = this.weights.size;
    const start = this.indexOf(hashString(key));
    const seen = new Set<M>();
    for (let step = 0; step < count && seen.size < memberCount; step++) {
      const node = this.nodes[(start + step) % count];
      assert(node !== undefined, 'ring walk must stay on points');
      if (seen.has(node.member)) continue;
      seen.add(node.member);
      yield node.member;
      assert(this.version === version, 'hash ring changed while iterating its successors');
    }
    assert(seen.size === memberCount, 'a full walk of the ring must meet every member');
  }

  /**
   * The fraction of the hash space each member owns (sums to 1): the expected share of
   * uniformly hashed keys. Every member is listed, with 0 if all its points tie with others.
   */
  shares(): Map<M, number> {
    const result = new Map<M, number>();
    for (const member of this.members()) result.set(member, 0);
    const count = this.nodes.length;
    for (let i = 0; i < count; i++) {
      const node = this.nodes[i]!;
      const previousHash = i === 0 ? this.nodes[count - 1]!.hash - hashSpaceSize : this.nodes[i - 1]!.hash;
      result.set(node.member, (result.get(node.member) ?? 0) + (node.hash - previousHash) / hashSpaceSize);
    }
    return result;
  }

  /** The index of the first point at or after `hash`, wrapping to 0 past the last point. */
  private indexOf(hash: number): number {
    const hashes = this.hashes;
    let lo = 0;
    let hi = hashes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (hashes[mid]! < hash) lo = mid + 1;
      else hi = mid;
    }
    return lo === hashes.length ? 0 : lo;
  }

  private virtualNodeCountOf(weight: number): number {
    return Math.max(1, Math.round(weight * this.options.virtualNodesPerMember));
  }

  private assertNotEmpty(key: string): void {
    if (this.nodes.length > 0) return;
    const shown = key.length > 64 ? `${key.slice(0, 64)}...` : key;
    throw new KeelError('UNAVAILABLE', `hash ring is empty: no member to own key "${shown}" (add a member first)`, {
      retryable: true,
    });
  }

  private changed(): void {
    this.version++;
    const hashes = new Uint32Array(this.nodes.length);
    for (let i = 0; i < hashes.length; i++) hashes[i] = this.nodes[i]!.hash;
    this.hashes = hashes;
    this.checkInvariants();
  }

  /** O(points), as is every add and remove that calls it. Kept on in production (STYLE.md). */
  private checkInvariants(): void {
    let expected = 0;
    for (const weight of this.weights.values()) expected += this.virtualNodeCountOf(weight);
    assert(this.nodes.length === expected, `ring holds ${this.nodes.length} points, its weights make ${expected}`);
    assert(this.hashes.length === this.nodes.length, 'packed hashes must mirror the points');
    const hashes = this.hashes;
    for (let i = 1; i < hashes.length; i++) {
      // Hashes decide almost always; the full comparison runs only on a collision.
      if (hashes[i - 1]! < hashes[i]!) continue;
      assert(compareNodes(this.nodes[i - 1]!, this.nodes[i]!) < 0, `ring points out of order at index ${i}`);
    }
  }
}

/** Code-unit order: the same on every machine, unlike localeCompare. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Total order of points: by hash, then member, then replica (so collisions order alike everywhere). */
function compareNodes<M extends string>(a: VirtualNode<M>, b: VirtualNode<M>): number {
  return a.hash - b.hash || compareStrings(a.member, b.member) || a.replica - b.replica;
}

function mergeSorted<M extends string>(left: readonly VirtualNode<M>[], right: readonly VirtualNode<M>[]): VirtualNode<M>[] {
  const out = new Array<VirtualNode<M>>(left.length + right.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < left.length && j < right.length) {
    out[k++] = compareNodes(left[i]!, right[j]!) <= 0 ? left[i++]! : right[j++]!;
  }
  while (i < left.length) out[k++] = left[i++]!;
  while (j < right.length) out[k++] = right[j++]!;
  return out;
}
