/** Prefix ranges: byte order, limit, paging with `after`, the result byte budget, and a txn's view of its own writes. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareKeys } from './keys.js';
import { Driver, put, range } from './kv.test-kit.js';
import { keyBytesMax, kvOverheadBytes, rangeLimitMax, resultKvBytesMax, valueBytesMax } from './limits.js';
import { PendingView } from './reads.js';
import type { KvResult } from './results.js';
import { KeyStore, type KeyRecord } from './store.js';

function keysOf(result: KvResult): string[] {
  if (result.kind !== 'range') throw new Error(`not a range: ${JSON.stringify(result)}`);
  return result.kvs.map((kv) => kv.key);
}

const rec = (value: string, revision = 1): KeyRecord => ({ value, createRevision: revision, modRevision: revision, version: 1 });

describe('range', () => {
  it('returns the keys with the prefix in UTF-8 byte order, with their revisions and leases', () => {
    const d = new Driver();
    const lease = d.grant();
    for (const key of ['a/2', 'a/1', 'b', 'a', 'a/😀', 'a/\uE000']) d.run(put(key, key.toUpperCase()));
    d.run(put('a/1', 'leased', lease));
    const result = d.run(range('a/'));
    expect(result).toEqual({
      kind: 'range', revision: 7, more: false, kvs: [
        { key: 'a/1', value: 'leased', createRevision: 2, modRevision: 7, version: 2, lease },
        { key: 'a/2', value: 'A/2', createRevision: 1, modRevision: 1, version: 1 },
        { key: 'a/\uE000', value: 'A/\uE000', createRevision: 6, modRevision: 6, version: 1 },
        { key: 'a/😀', value: 'A/😀', createRevision: 5, modRevision: 5, version: 1 },
      ],
    });
    expect(d.query(range('a/'))).toEqual(result); // a query gives the same answer without a log entry
    expect(d.machine.revision).toBe(7);
  });

  it('an empty prefix lists every key; a prefix nothing has gives none', () => {
    const d = new Driver();
    for (const key of ['b', 'a', 'c']) d.run(put(key, ''));
    expect(keysOf(d.query(range('')))).toEqual(['a', 'b', 'c']);
    expect(d.query(range('zz'))).toEqual({ kind: 'range', revision: 3, kvs: [], more: false });
  });

  it('stops at limit with more: true, and pages on with after', () => {
    const d = new Driver();
    for (const key of ['k1', 'k2', 'k3', 'k4', 'x']) d.run(put(key, 'v'));
    expect(d.query(range('k', 2))).toMatchObject({ kvs: [{ key: 'k1' }, { key: 'k2' }], more: true });
    expect(d.query(range('k', 2, 'k2'))).toMatchObject({ kvs: [{ key: 'k3' }, { key: 'k4' }], more: false }); // exactly the rest
    expect(keysOf(d.query(range('k', 10, 'k0')))).toEqual(['k1', 'k2', 'k3', 'k4']); // after below the prefix
    expect(keysOf(d.query(range('k', 10, 'zzz')))).toEqual([]);
  });

  it('refuses a limit above rangeLimitMax, an oversized prefix, and a limit below 1', () => {
    const d = new Driver();
    expect(d.run(range('', rangeLimitMax + 1))).toMatchObject({ kind: 'error', code: 'RANGE_LIMIT_TOO_LARGE' });
    expect(d.run(range('p'.repeat(keyBytesMax + 1)))).toMatchObject({ kind: 'error', code: 'KEY_TOO_LARGE' });
    expect(d.run(range('', 0))).toMatchObject({ kind: 'error', code: 'COMMAND_MALFORMED' });
    expect(d.query(range('', rangeLimitMax + 1))).toMatchObject({ kind: 'error', code: 'RANGE_LIMIT_TOO_LARGE' });
  });

  it('stops at resultKvBytesMax with more: true, always returning at least one key', () => {
    const d = new Driver({ dataBytesMax: 8 * valueBytesMax });
    for (const key of ['a', 'b', 'c']) d.run(put(key, 'x'.repeat(valueBytesMax)));
    const fit = Math.floor(resultKvBytesMax / (1 + valueBytesMax + kvOverheadBytes));
    expect(fit).toBe(1); // 2 MiB holds one full value and a bit
    const result = d.query(range(''));
    expect(result).toMatchObject({ kind: 'range', more: true });
    expect(keysOf(result)).toEqual(['a']);
  });
});

describe('PendingView (a txn reading its own writes)', () => {
  it('merges pending puts and deletes into the base range in byte order', () => {
    fc.assert(fc.property(
      fc.uniqueArray(fc.constantFrom('a', 'ab', 'b', 'é', '😀', '\uE000', 'a😀'), { maxLength: 7 }),
      fc.array(fc.tuple(fc.constantFrom('a', 'ab', 'b', 'c', 'é', '😀', '\uE000', 'a😀'), fc.boolean()), { maxLength: 8 }),
      fc.constantFrom('', 'a', 'é'), fc.option(fc.constantFrom('a', 'ab', 'b'), { nil: undefined }),
      (baseKeys, writes, prefix, after) => {
        const store = KeyStore.empty();
        const expected = new Map<string, string>();
        for (const key of baseKeys) {
          store.set(key, rec(`base ${key}`));
          expected.set(key, `base ${key}`);
        }
        const view = new PendingView(store);
        for (const [key, isPut] of writes) {
          view.set(key, isPut ? rec(`new ${key}`, 2) : null);
          if (isPut) expected.set(key, `new ${key}`);
          else expected.delete(key);
        }
        const want = [...expected.entries()]
          .filter(([key]) => key.startsWith(prefix) && (after === undefined || compareKeys(key, after) > 0))
          .sort((a, b) => compareKeys(a[0], b[0]));
        expect([...view.range(prefix, after)].map(([key, r]) => [key, r.value])).toEqual(want);
        for (const key of ['a', 'b', 'c', 'é']) expect(view.get(key)?.value).toBe(expected.get(key));
        expect(store.count).toBe(baseKeys.length); // nothing reached the base
      },
    ));
  });
});
