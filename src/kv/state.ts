/**
 * The replicated state besides sessions: keys, leases, the store revision and the watch history,
 * and the one way to change keys, `commit`, which keeps the four in step: every write of a
 * commit shares one new revision, moves the key's lease attachment and records an event.
 * Callers check everything that can fail (sizes, quota, leases) before committing: a commit
 * only fails on a bug (an assertion), so a command never applies halfway.
 */
import { assert } from '../core/assert.js';
import { History, type HistoryLimits } from './history.js';
import { LeaseTable } from './leases.js';
import { kvError, type KvErrorResult } from './results.js';
import type { DecodedSnapshot } from './snapshot.js';
import { KeyStore, dataSizeBytes, keyValue, type KeyRecord } from './store.js';

/** A key's new record (its modRevision the commit's revision), or null to delete it. */
export interface Write {
  readonly key: string;
  readonly record: KeyRecord | null;
}

export class KvState {
  private revisionValue: number;

  private constructor(
    readonly store: KeyStore,
    readonly leases: LeaseTable,
    readonly history: History,
    revision: number,
  ) {
    this.revisionValue = revision;
  }

  static empty(limits: HistoryLimits): KvState {
    return new KvState(KeyStore.empty(), new LeaseTable(), new History(limits), 0);
  }

  /**
   * From validated snapshot parts: keys sorted, every key's lease among `leases`, events
   * contiguous up to `revision`.
   */
  static restored(parts: DecodedSnapshot, limits: HistoryLimits): KvState {
    const leases = LeaseTable.from(parts.leases);
    for (const [key, record] of parts.keys) if (record.lease !== undefined) leases.attach(record.lease, key);
    return new KvState(KeyStore.fromSorted(parts.keys), leases, History.from(parts.events, parts.compactRevision, limits), parts.revision);
  }

  /** The number of revisions spent so far: each commit spends one. */
  get revision(): number {
    return this.revisionValue;
  }

  /**
   * QUOTA_EXCEEDED if the writes would take the data above `dataBytesMax`. Writes that do not
   * grow the data pass even at the quota, so a full store can always shrink.
   */
  quotaError(writes: readonly Write[], dataBytesMax: number): KvErrorResult | undefined {
    let growth = 0;
    for (const { key, record } of writes) {
      const previous = this.store.get(key);
      growth += (record === null ? 0 : dataSizeBytes(key, record)) - (previous === undefined ? 0 : dataSizeBytes(key, previous));
    }
    const dataBytes = this.store.dataBytes + growth;
    if (growth <= 0 || dataBytes <= dataBytesMax) return undefined;
    return kvError('QUOTA_EXCEEDED', `write would take the store to ${dataBytes} bytes, dataBytesMax is ${dataBytesMax}`);
  }

  /** Applies `writes` (one per key, at least one) as the next revision; returns it. */
  commit(writes: readonly Write[]): number {
    assert(writes.length > 0, 'a commit writes at least one key');
    const revision = this.revisionValue + 1;
    const seen = new Set<string>();
    for (const { key, record } of writes) {
      assert(!seen.has(key), `key ${JSON.stringify(key)} written twice in one revision`);
      seen.add(key);
      const previous = this.store.get(key);
      if (previous?.lease !== undefined) this.leases.detach(previous.lease, key);
      if (record === null) {
        assert(previous !== undefined, `delete of absent key ${JSON.stringify(key)} committed`);
        this.store.remove(key);
        this.history.append({ type: 'delete', revision, key });
        continue;
      }
      assert(record.modRevision === revision, `record of ${JSON.stringify(key)} has modRevision ${record.modRevision}, commit is at ${revision}`);
      if (record.lease !== undefined) this.leases.attach(record.lease, key);
      this.store.set(key, record);
      this.history.append({ type: 'put', revision, key, kv: keyValue(key, record) });
    }
    this.revisionValue = revision;
    this.history.trim();
    return revision;
  }
}
