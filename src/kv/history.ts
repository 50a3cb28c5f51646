/**
 * The watch history: the last change events, bounded by count and bytes, the same on every
 * replica (it is in the snapshot and the digest). The server feeds watchers from it with
 * `eventsSince` after each apply.
 *
 * Invariant: events are in revision order and hold every event of every revision in
 * (compactRevision, last revision]. Eviction removes whole revisions (a txn's events go
 * together), and every revision has at least one event (a revision is only spent on a change),
 * so a reader never sees half a revision and a gap always shows as COMPACTED.
 */
import { assert } from '../core/assert.js';
import { utf8Length } from './keys.js';
import { eventOverheadBytes } from './limits.js';
import type { KeyValue } from './results.js';

/** A change, as the HTTP API's WatchEvent: a put carries the key-value after it. */
export type KvEvent =
  | { readonly type: 'put'; readonly revision: number; readonly key: string; readonly kv: KeyValue }
  | { readonly type: 'delete'; readonly revision: number; readonly key: string };

/** One key, or every key starting with `prefix` ('' for all). */
export type KvWatchFilter =
  | { readonly kind: 'key'; readonly key: string }
  | { readonly kind: 'prefix'; readonly prefix: string };

export type KvEventsResult =
  /** Matching events from the asked revision on; ask again from `nextRevision`. */
  | { readonly kind: 'events'; readonly events: readonly KvEvent[]; readonly nextRevision: number }
  /** Events at or below `compactRevision` are gone: re-read the keys, then watch from revision + 1. */
  | { readonly kind: 'compacted'; readonly compactRevision: number };

export interface HistoryLimits {
  readonly historyEventsMax: number;
  readonly historyBytesMax: number;
}

export class History {
  /** Kept events are `events[head..]`; the dead prefix is dropped when it grows past half. */
  private events: KvEvent[] = [];
  private head = 0;
  private bytes = 0;
  private compactRevisionValue = 0;

  constructor(private readonly limits: HistoryLimits) {}

  /** From validated snapshot events; they fit the limits (checked by the caller). */
  static from(events: readonly KvEvent[], compactRevision: number, limits: HistoryLimits): History {
    const history = new History(limits);
    history.compactRevisionValue = compactRevision;
    for (const event of events) history.append(event);
    assert(!history.overLimits(), 'restored history exceeds its limits');
    return history;
  }

  get compactRevision(): number {
    return this.compactRevisionValue;
  }

  get count(): number {
    return this.events.length - this.head;
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  /** Kept events, oldest first. */
  kept(): readonly KvEvent[] {
    return this.events.slice(this.head);
  }

  append(event: KvEvent): void {
    const last = this.events.at(-1)?.revision ?? this.compactRevisionValue;
    assert(event.revision === last || event.revision === last + 1, `event at revision ${event.revision} after revision ${last}: revisions must be contiguous`);
    this.events.push(event);
    this.bytes += eventSizeBytes(event);
  }

  /** Evicts the oldest whole revisions until the history fits its limits. */
  trim(): void {
    while (this.overLimits()) {
      const revision = this.events[this.head]?.revision;
      assert(revision !== undefined, 'history over its limits while empty');
      for (let e = this.events[this.head]; e !== undefined && e.revision === revision; e = this.events[this.head]) {
        this.bytes -= eventSizeBytes(e);
        this.head += 1;
      }
      this.compactRevisionValue = revision;
    }
    // Drop the dead prefix once it is the larger part: amortized O(1) per event.
    if (this.head * 2 > this.events.length) {
      this.events = this.events.slice(this.head);
      this.head = 0;
    }
  }

  /**
   * Events matching `filter` with revision >= `fromRevision` (>= 1), at most `limit` of them but
   * whole revisions only: a revision with more matching events than `limit` is returned whole
   * when it comes first. `storeRevision` is the current revision, so `nextRevision` can move past
   * revisions with no matching event.
   */
  since(fromRevision: number, filter: KvWatchFilter, limit: number, storeRevision: number): KvEventsResult {
    assert(Number.isSafeInteger(fromRevision) && fromRevision >= 1, `fromRevision ${fromRevision} is not an integer >= 1`);
    assert(Number.isSafeInteger(limit) && limit >= 1, `limit ${limit} is not an integer >= 1`);
    if (fromRevision <= this.compactRevisionValue) return { kind: 'compacted', compactRevision: this.compactRevisionValue };
    const events: KvEvent[] = [];
    let position = this.firstAtOrAfter(fromRevision);
    while (position < this.events.length) {
      const revision = this.events[position]!.revision;
      const group: KvEvent[] = [];
      for (; position < this.events.length && this.events[position]!.revision === revision; position++) {
        const event = this.events[position]!;
        if (matches(event.key, filter)) group.push(event);
      }
      if (events.length > 0 && events.length + group.length > limit) return { kind: 'events', events, nextRevision: revision };
      events.push(...group);
      if (events.length >= limit) return { kind: 'events', events, nextRevision: revision + 1 };
    }
    return { kind: 'events', events, nextRevision: Math.max(fromRevision, storeRevision + 1) };
  }

  private overLimits(): boolean {
    return this.count > this.limits.historyEventsMax || this.bytes > this.limits.historyBytesMax;
  }

  private firstAtOrAfter(revision: number): number {
    let low = this.head;
    let high = this.events.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.events[middle]!.revision < revision) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

function matches(key: string, filter: KvWatchFilter): boolean {
  return filter.kind === 'key' ? key === filter.key : key.startsWith(filter.prefix);
}

/** What an event counts against historyBytesMax. */
export function eventSizeBytes(event: KvEvent): number {
  const kvBytes = event.type === 'put' ? utf8Length(event.kv.value) + (event.kv.lease?.length ?? 0) : 0;
  return utf8Length(event.key) + kvBytes + eventOverheadBytes;
}
