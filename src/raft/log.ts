/**
 * The Raft log as the core sees it: a snapshot boundary plus every entry after it, with the
 * durable prefix (`stableIndex`), the commit index and the applied index. Persistence itself is
 * the driver's job; this tracks what it has been told is durable.
 */
import { assert } from '../core/assert.js';
import type { Entry, SnapshotMeta } from './types.js';

export class RaftLog {
  /** Index and term of the last entry covered by the snapshot (0, 0 for none). */
  snapshotIndex: number;
  snapshotTerm: number;
  private entries: Entry[];
  /** Last index known durable on this node. */
  stableIndex: number;
  committed: number;
  applied: number;

  constructor(snapshot: { index: number; term: number }, entries: readonly Entry[], committed: number) {
    this.snapshotIndex = snapshot.index;
    this.snapshotTerm = snapshot.term;
    this.entries = [...entries];
    entries.forEach((e, i) => assert(e.index === snapshot.index + 1 + i, `restored log not contiguous at ${e.index}`));
    this.stableIndex = this.lastIndex();
    this.committed = Math.max(committed, snapshot.index);
    assert(this.committed <= this.lastIndex(), `commit ${committed} beyond the last index ${this.lastIndex()}`);
    this.applied = snapshot.index;
  }

  firstIndex(): number {
    return this.snapshotIndex + 1;
  }

  lastIndex(): number {
    return this.snapshotIndex + this.entries.length;
  }

  lastTerm(): number {
    return this.entries.length === 0 ? this.snapshotTerm : this.entries[this.entries.length - 1]!.term;
  }

  /** Term at `index`, or undefined when compacted away or beyond the end. */
  term(index: number): number | undefined {
    if (index === this.snapshotIndex) return this.snapshotTerm;
    if (index < this.snapshotIndex || index > this.lastIndex()) return undefined;
    return this.entries[index - this.snapshotIndex - 1]!.term;
  }

  entry(index: number): Entry {
    assert(index > this.snapshotIndex && index <= this.lastIndex(), `entry ${index} not in memory`);
    return this.entries[index - this.snapshotIndex - 1]!;
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** Raft §5.4.1: is a log ending at (lastIndex, lastTerm) at least as up to date as ours? */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    return lastTerm > this.lastTerm() || (lastTerm === this.lastTerm() && lastIndex >= this.lastIndex());
  }

  /** Entries in [lo, hi), at most `bytesMax` of data (but at least one). */
  slice(lo: number, hi: number, bytesMax = Number.POSITIVE_INFINITY): Entry[] {
    assert(lo > this.snapshotIndex, `slice from ${lo} reaches into the snapshot`);
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = lo; i < hi && i <= this.lastIndex(); i++) {
      const entry = this.entry(i);
      if (out.length > 0 && bytes + entry.data.length > bytesMax) break;
      bytes += entry.data.length;
      out.push(entry);
    }
    return out;
  }

  /** Appends at the end (the leader's own proposals). */
  appendLocal(entries: readonly Entry[]): void {
    for (const e of entries) {
      assert(e.index === this.lastIndex() + 1, `local append at ${e.index} after ${this.lastIndex()}`);
      this.entries.push(e);
    }
  }

  /**
   * A follower's append after (prevIndex, prevTerm) matched: skip entries we already have,
   * truncate at the first conflict (never at or below commit), append the rest.
   * Returns the last index now known to match the leader.
   */
  appendFromLeader(prevIndex: number, entries: readonly Entry[]): number {
    for (const e of entries) {
      if (e.index <= this.snapshotIndex) continue;
      const existing = this.term(e.index);
      if (existing === e.term) continue;
      if (existing !== undefined) {
        assert(e.index > this.committed, `conflict at ${e.index} at or below commit ${this.committed}`);
        this.truncateFrom(e.index);
      }
      assert(e.index === this.lastIndex() + 1, `gap appending ${e.index} after ${this.lastIndex()}`);
      this.entries.push(e);
    }
    return entries.length === 0 ? prevIndex : entries[entries.length - 1]!.index;
  }

  private truncateFrom(index: number): void {
    this.entries.length = index - this.snapshotIndex - 1;
    this.stableIndex = Math.min(this.stableIndex, index - 1);
  }

  /** Entries not yet durable. */
  unstable(): Entry[] {
    return this.stableIndex >= this.lastIndex() ? [] : this.slice(Math.max(this.stableIndex + 1, this.firstIndex()), this.lastIndex() + 1);
  }

  stableTo(index: number, term: number): void {
    // Only if the entry is still the one that was persisted (not truncated and replaced since).
    if (this.term(index) === term && index > this.stableIndex) this.stableIndex = index;
  }

  commitTo(index: number): void {
    if (index <= this.committed) return;
    assert(index <= this.lastIndex(), `commit ${index} beyond last index ${this.lastIndex()}`);
    this.committed = index;
  }

  /** Committed entries not yet applied, up to what is durable here. */
  toApply(): Entry[] {
    const hi = Math.min(this.committed, this.stableIndex);
    if (hi <= this.applied) return [];
    return this.slice(this.applied + 1, hi + 1);
  }

  appliedTo(index: number): void {
    assert(index <= this.committed, `applied ${index} beyond commit ${this.committed}`);
    if (index > this.applied) this.applied = index;
  }

  /** Drops entries up to `index` (now covered by a local snapshot). */
  compact(index: number): void {
    if (index <= this.snapshotIndex) return;
    assert(index <= this.applied, `compact(${index}) beyond applied ${this.applied}`);
    const term = this.term(index)!;
    this.entries = this.entries.slice(index - this.snapshotIndex);
    this.snapshotIndex = index;
    this.snapshotTerm = term;
  }

  /** Installs a snapshot from the leader: keep the suffix if it matches, otherwise drop the log. */
  restore(meta: SnapshotMeta): void {
    if (this.matchTerm(meta.index, meta.term)) {
      this.entries = this.entries.slice(meta.index - this.snapshotIndex);
    } else {
      this.entries = [];
      this.stableIndex = meta.index;
    }
    this.snapshotIndex = meta.index;
    this.snapshotTerm = meta.term;
    this.stableIndex = Math.max(this.stableIndex, meta.index);
    this.committed = Math.max(this.committed, meta.index);
    this.applied = meta.index;
  }
}
