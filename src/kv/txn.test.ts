/** Transactions (etcd's Txn): compares, branches, one revision for all writes, atomic failure. */
import { describe, expect, it } from 'vitest';
import type { KvTxnOp } from './commands.js';
import { Driver, cmp, del, get, put, range, txn } from './kv.test-kit.js';
import { keyBytesMax, txnOpsMax, valueBytesMax } from './limits.js';

function seeded(): Driver {
  const d = new Driver();
  d.run(put('a', '1')); // revision 1
  d.run(put('b', '2')); // revision 2
  d.run(put('a', '3')); // revision 3: a has createRevision 1, modRevision 3, version 2
  return d;
}

describe('txn', () => {
  it('gives all writes one new revision and reads see earlier writes of the txn', () => {
    const d = seeded();
    const result = d.run(txn([cmp('a', 'value', '=', '3')], [put('c', 'new'), del('b'), get('c'), get('b'), range(''), put('a', '4')]));
    const c = { key: 'c', value: 'new', createRevision: 4, modRevision: 4, version: 1 };
    expect(result).toEqual({
      kind: 'txn', succeeded: true, revision: 4, results: [
        { kind: 'put', revision: 4 },
        { kind: 'delete', deleted: true },
        { kind: 'get', kv: c },
        { kind: 'get', kv: null },
        { kind: 'range', more: false, kvs: [{ key: 'a', value: '3', createRevision: 1, modRevision: 3, version: 2 }, c] },
        { kind: 'put', revision: 4 },
      ],
    });
    expect(d.machine.revision).toBe(4);
    expect(d.get('a')).toMatchObject({ value: '4', modRevision: 4, version: 3 });
    // One revision, three events, in op order.
    expect(d.machine.eventsSince(4, { kind: 'prefix', prefix: '' }, 100)).toEqual({
      kind: 'events', nextRevision: 5, events: [
        { type: 'put', revision: 4, key: 'c', kv: c },
        { type: 'delete', revision: 4, key: 'b' },
        { type: 'put', revision: 4, key: 'a', kv: { key: 'a', value: '4', createRevision: 1, modRevision: 4, version: 3 } },
      ],
    });
  });

  it('runs the failure branch when a compare fails', () => {
    const d = seeded();
    expect(d.run(txn([cmp('a', 'value', '=', '3'), cmp('b', 'version', '>', 1)], [put('x', 'yes')], [put('x', 'no'), get('b')]))).toEqual({
      kind: 'txn', succeeded: false, revision: 4, results: [
        { kind: 'put', revision: 4 },
        { kind: 'get', kv: { key: 'b', value: '2', createRevision: 2, modRevision: 2, version: 1 } },
      ],
    });
    expect(d.get('x')).toMatchObject({ value: 'no' });
  });

  it('does not spend a revision when it writes nothing', () => {
    const d = seeded();
    expect(d.run(txn([], [get('a'), del('missing')]))).toEqual({
      kind: 'txn', succeeded: true, revision: 3, results: [{ kind: 'get', kv: { key: 'a', value: '3', createRevision: 1, modRevision: 3, version: 2 } }, { kind: 'delete', deleted: false }],
    });
    expect(d.run(txn([], []))).toEqual({ kind: 'txn', succeeded: true, revision: 3, results: [] });
    expect(d.machine.revision).toBe(3);
    expect(d.machine.historyEventCount).toBe(3);
  });

  it('compares an absent key as value null and version and revisions 0', () => {
    const d = seeded();
    const holds = (c: ReturnType<typeof cmp>) => (d.run(txn([c], [])) as { succeeded: boolean }).succeeded;
    expect(holds(cmp('none', 'value', '=', null))).toBe(true);
    expect(holds(cmp('none', 'value', '!=', 'x'))).toBe(true);
    expect(holds(cmp('none', 'value', '<', 'x'))).toBe(false); // null is not ordered
    expect(holds(cmp('none', 'value', '>', ''))).toBe(false);
    expect(holds(cmp('none', 'version', '=', 0))).toBe(true);
    expect(holds(cmp('none', 'createRevision', '=', 0))).toBe(true);
    expect(holds(cmp('none', 'modRevision', '<', 1))).toBe(true);
    expect(holds(cmp('a', 'value', '!=', null))).toBe(true);
    expect(holds(cmp('a', 'value', '=', null))).toBe(false);
  });

  it('compares values by UTF-8 bytes and numbers numerically', () => {
    const d = new Driver();
    d.run(put('k', '\uE000'));
    const holds = (c: ReturnType<typeof cmp>) => (d.run(txn([c], [])) as { succeeded: boolean }).succeeded;
    expect(holds(cmp('k', 'value', '<', '😀'))).toBe(true); // U+E000 < U+1F600 in UTF-8, not in UTF-16
    expect(holds(cmp('k', 'value', '>', 'z'))).toBe(true);
    expect(holds(cmp('k', 'version', '=', 1))).toBe(true);
    expect(holds(cmp('k', 'modRevision', '>', 0))).toBe(true);
    expect(holds(cmp('k', 'createRevision', '!=', 1))).toBe(false);
  });

  it('refuses a branch that writes a key twice, even the branch that would not run', () => {
    const d = seeded();
    expect(d.run(txn([], [put('k', '1'), put('k', '2')]))).toMatchObject({ kind: 'error', code: 'TXN_DUPLICATE_KEY' });
    expect(d.run(txn([], [put('k', '1'), del('k')]))).toMatchObject({ kind: 'error', code: 'TXN_DUPLICATE_KEY' });
    expect(d.run(txn([], [], [del('k'), del('k')]))).toMatchObject({ kind: 'error', code: 'TXN_DUPLICATE_KEY' });
    expect(d.run(txn([], [put('k', '1'), get('k')], [put('k', '2')]))).toMatchObject({ kind: 'txn', succeeded: true }); // one write per branch
    expect(d.machine.revision).toBe(4);
  });

  it('refuses too many compares or ops and malformed compares, changing nothing', () => {
    const d = seeded();
    const many = Array.from({ length: txnOpsMax + 1 }, (_, i): KvTxnOp => get(`k${i}`));
    expect(d.run(txn([], many))).toMatchObject({ kind: 'error', code: 'TXN_TOO_LARGE' });
    expect(d.run(txn([], [], many))).toMatchObject({ kind: 'error', code: 'TXN_TOO_LARGE' });
    expect(d.run(txn(many.map((_, i) => cmp(`k${i}`, 'version', '=', 0)), []))).toMatchObject({ kind: 'error', code: 'TXN_TOO_LARGE' });
    expect(d.run(txn([], many.slice(1)))).toMatchObject({ kind: 'txn' }); // exactly txnOpsMax
    for (const bad of [cmp('a', 'value', '<', null), cmp('a', 'value', '=', 1), cmp('a', 'version', '=', 'x'), cmp('a', 'version', '=', -1), cmp('a', 'modRevision', '=', 1.5)]) {
      expect(d.run(txn([bad], [put('z', 'z')])), JSON.stringify(bad)).toMatchObject({ kind: 'error', code: 'COMMAND_MALFORMED' });
    }
    expect(d.run(txn([cmp('', 'version', '=', 0)], []))).toMatchObject({ kind: 'error', code: 'KEY_EMPTY' });
    expect(d.run(txn([cmp('a', 'value', '=', 'v'.repeat(valueBytesMax + 1))], []))).toMatchObject({ kind: 'error', code: 'VALUE_TOO_LARGE' });
    expect(d.run(txn([], [put('k'.repeat(keyBytesMax + 1), 'v')]))).toMatchObject({ kind: 'error', code: 'KEY_TOO_LARGE', message: expect.stringContaining('success[0]') as unknown });
    expect(d.machine.revision).toBe(3);
  });

  it('applies nothing when a put names an unknown lease, even after earlier writes of the branch', () => {
    const d = seeded();
    const before = d.machine.snapshot();
    expect(d.run(txn([], [put('x', '1'), del('a'), put('y', '2', '999')]))).toMatchObject({ kind: 'error', code: 'LEASE_NOT_FOUND' });
    expect(d.machine.revision).toBe(3);
    expect(d.get('a')).toMatchObject({ found: true });
    expect(d.get('x')).toMatchObject({ found: false });
    const twin = seeded();
    twin.run({ kind: 'noop' });
    expect(d.machine.snapshot()).toEqual(twin.machine.snapshot());
    expect(before).not.toEqual(d.machine.snapshot()); // only appliedIndex moved
  });

  it('applies nothing when its writes would exceed dataBytesMax, but may shrink a full store', () => {
    const d = new Driver({ dataBytesMax: keyBytesMax + valueBytesMax });
    d.run(put('big', 'x'.repeat(valueBytesMax)));
    expect(d.run(txn([], [put('a', '1'), put('b', 'y'.repeat(keyBytesMax))]))).toMatchObject({ kind: 'error', code: 'QUOTA_EXCEEDED' });
    expect(d.get('a').found).toBe(false);
    expect(d.run(txn([], [del('big'), put('b', 'y'.repeat(keyBytesMax))]))).toMatchObject({ kind: 'txn', revision: 2 }); // net shrink
  });

  it('applies nothing when its gets do not fit resultKvBytesMax; ranges stop early instead', () => {
    const d = new Driver({ dataBytesMax: 8 * valueBytesMax });
    for (const key of ['a', 'b', 'c']) d.run(put(key, 'x'.repeat(valueBytesMax)));
    expect(d.run(txn([], [put('w', '1'), get('a'), get('b')]))).toMatchObject({ kind: 'error', code: 'RESULT_TOO_LARGE' });
    expect(d.get('w').found).toBe(false);
    const result = d.run(txn([], [get('a'), range('')]));
    expect(result).toMatchObject({ kind: 'txn', results: [{ kind: 'get' }, { kind: 'range', kvs: [], more: true }] });
  });
});
