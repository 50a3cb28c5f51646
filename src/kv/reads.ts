/**
 * Reads shared by top-level commands and txn ops: ranges under a byte budget, and the view a
 * txn's later ops read through (the store with the txn's earlier writes over it, as in etcd).
 */
import type { KvRange } from './commands.js';
import { compareKeys } from './keys.js';
import { rangeLimitMax } from './limits.js';
import type { KeyValue } from './results.js';
import { keyValue, kvCostBytes, type KeyRecord, type KeyView } from './store.js';

/** What is left of resultKvBytesMax for the key-values of one result. */
export interface Budget {
  bytesLeft: number;
}

/** Keys of the range in order, until `limit` or the budget; `more` if a matching key was left out. */
export function collectRange(view: KeyView, range: KvRange, budget: Budget): { readonly kvs: KeyValue[]; readonly more: boolean } {
  const limit = range.limit ?? rangeLimitMax;
  const kvs: KeyValue[] = [];
  for (const [key, record] of view.range(range.prefix, range.after)) {
    const cost = kvCostBytes(key, record);
    if (kvs.length === limit || cost > budget.bytesLeft) return { kvs, more: true };
    kvs.push(keyValue(key, record));
    budget.bytesLeft -= cost;
  }
  return { kvs, more: false };
}

/** A base view with pending writes over it (null: deleted). Nothing reaches the base. */
export class PendingView implements KeyView {
  private readonly pending = new Map<string, KeyRecord | null>();

  constructor(private readonly base: KeyView) {}

  set(key: string, record: KeyRecord | null): void {
    this.pending.set(key, record);
  }

  get(key: string): KeyRecord | undefined {
    const pending = this.pending.get(key);
    return pending === null ? undefined : pending ?? this.base.get(key);
  }

  /** The base's keys with pending records substituted, deleted ones skipped, and new ones merged in order. */
  *range(prefix: string, after: string | undefined): Generator<readonly [string, KeyRecord]> {
    const inRange = (key: string) => key.startsWith(prefix) && (after === undefined || compareKeys(key, after) > 0);
    const created: (readonly [string, KeyRecord])[] = [];
    for (const [key, record] of this.pending) {
      if (record !== null && this.base.get(key) === undefined && inRange(key)) created.push([key, record]);
    }
    created.sort((a, b) => compareKeys(a[0], b[0]));
    let next = 0;
    for (const [key, record] of this.base.range(prefix, after)) {
      for (; next < created.length && compareKeys(created[next]![0], key) < 0; next++) yield created[next]!;
      const pending = this.pending.get(key);
      if (pending === undefined) yield [key, record];
      else if (pending !== null) yield [key, pending];
    }
    for (; next < created.length; next++) yield created[next]!;
  }
}
