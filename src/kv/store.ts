/**
 * The live keys: a Map for lookups plus a sorted index for prefix ranges, and the data size
 * counted against dataBytesMax. It knows nothing of revisions, leases or events: KvState
 * (state.ts) decides what to write, this only keeps the two structures and the size in step.
 */
import { assert } from '../core/assert.js';
import { SortedKeys } from './key-index.js';
import { utf8Length } from './keys.js';
import { kvOverheadBytes } from './limits.js';
import type { KeyValue } from './results.js';

export interface KeyRecord {
  readonly value: string;
  /** Revision of the put that created the key (since its last delete). */
  readonly createRevision: number;
  /** Revision of the last change to the key. */
  readonly modRevision: number;
  /** Changes since creation: 1 after the creating put. */
  readonly version: number;
  /** The lease the key is attached to, if any. */
  readonly lease?: string;
}

/** What reads see: the store itself, or the store with a txn's pending writes over it. */
export interface KeyView {
  get(key: string): KeyRecord | undefined;
  /** Keys starting with `prefix` and ordered after `after` (if given), in UTF-8 byte order. */
  range(prefix: string, after: string | undefined): Iterable<readonly [string, KeyRecord]>;
}

export class KeyStore implements KeyView {
  private readonly records = new Map<string, KeyRecord>();
  private readonly index: SortedKeys;
  private bytes = 0;

  private constructor(index: SortedKeys) {
    this.index = index;
  }

  static empty(): KeyStore {
    return new KeyStore(new SortedKeys());
  }

  /** From entries in strictly increasing key order (a validated snapshot). */
  static fromSorted(entries: readonly (readonly [string, KeyRecord])[]): KeyStore {
    const store = new KeyStore(SortedKeys.fromSorted(entries.map(([key]) => key)));
    for (const [key, record] of entries) {
      store.records.set(key, record);
      store.bytes += dataSizeBytes(key, record);
    }
    return store;
  }

  get count(): number {
    return this.records.size;
  }

  /** UTF-8 bytes of all keys plus values. */
  get dataBytes(): number {
    return this.bytes;
  }

  get(key: string): KeyRecord | undefined {
    return this.records.get(key);
  }

  *range(prefix: string, after: string | undefined): Generator<readonly [string, KeyRecord]> {
    let position = this.index.lowerBound(prefix);
    if (after !== undefined) position = Math.max(position, this.index.upperBound(after));
    for (; position < this.index.length; position++) {
      const key = this.index.at(position);
      assert(key !== undefined, 'position below length');
      if (!key.startsWith(prefix)) return; // keys with a prefix are contiguous in byte order
      const record = this.records.get(key);
      assert(record !== undefined, `indexed key ${JSON.stringify(key)} has no record`);
      yield [key, record];
    }
  }

  /** Every key in UTF-8 byte order. */
  entries(): Generator<readonly [string, KeyRecord]> {
    return this.range('', undefined);
  }

  set(key: string, record: KeyRecord): void {
    const previous = this.records.get(key);
    if (previous === undefined) this.index.insert(key);
    else this.bytes -= dataSizeBytes(key, previous);
    this.records.set(key, record);
    this.bytes += dataSizeBytes(key, record);
    assert(this.index.length === this.records.size, 'key index and records disagree');
  }

  remove(key: string): void {
    const previous = this.records.get(key);
    assert(previous !== undefined, `removing absent key ${JSON.stringify(key)}`);
    this.records.delete(key);
    this.index.remove(key);
    this.bytes -= dataSizeBytes(key, previous);
    assert(this.bytes >= 0, 'data bytes went negative');
  }
}

/** What a key counts against dataBytesMax. */
export function dataSizeBytes(key: string, record: KeyRecord): number {
  return utf8Length(key) + utf8Length(record.value);
}

/** What a key-value costs against resultKvBytesMax. */
export function kvCostBytes(key: string, record: KeyRecord): number {
  return dataSizeBytes(key, record) + kvOverheadBytes;
}

export function keyValue(key: string, record: KeyRecord): KeyValue {
  return {
    key, value: record.value, createRevision: record.createRevision, modRevision: record.modRevision, version: record.version,
    ...(record.lease === undefined ? {} : { lease: record.lease }),
  };
}
