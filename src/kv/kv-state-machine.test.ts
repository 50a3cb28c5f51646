import { describe, expect, it } from 'vitest';
import { AssertionError } from '../core/assert.js';
import { utf8 } from '../core/bytes.js';
import { isKeelError } from '../core/errors.js';
import { decodeResult } from './decode.js';
import { encodeCommand, encodeQuery } from './encode.js';
import { KvStateMachine } from './kv-state-machine.js';
import { Driver, cas, del, get, noop, put, txn } from './kv.test-kit.js';
import { keyBytesMax, valueBytesMax } from './limits.js';

describe('revisions and versions (etcd semantics)', () => {
  it('counts mutations globally and modifications per key', () => {
    const d = new Driver();
    expect(d.machine.revision).toBe(0);
    expect(d.run(put('a', '1'))).toEqual({ kind: 'put', revision: 1 });
    expect(d.run(put('b', '1'))).toEqual({ kind: 'put', revision: 2 });
    expect(d.run(put('a', '2'))).toEqual({ kind: 'put', revision: 3 });
    expect(d.get('a')).toEqual({ kind: 'get', revision: 3, found: true, value: '2', createRevision: 1, modRevision: 3, version: 2 });
    expect(d.get('b')).toEqual({ kind: 'get', revision: 3, found: true, value: '1', createRevision: 2, modRevision: 2, version: 1 });
  });

  it('bumps revision and version on a put of the same value', () => {
    const d = new Driver();
    d.run(put('a', 'v'));
    expect(d.run(put('a', 'v'))).toEqual({ kind: 'put', revision: 2 });
    expect(d.get('a')).toMatchObject({ modRevision: 2, version: 2 });
  });

  it('delete removes the key; a later put recreates it with version 1', () => {
    const d = new Driver();
    d.run(put('a', '1'));
    d.run(put('a', '2'));
    expect(d.run(del('a'))).toEqual({ kind: 'delete', revision: 3, deleted: true });
    expect(d.get('a')).toEqual({ kind: 'get', revision: 3, found: false });
    d.run(put('a', '3'));
    expect(d.get('a')).toEqual({ kind: 'get', revision: 4, found: true, value: '3', createRevision: 4, modRevision: 4, version: 1 });
  });

  it('delete of a missing key changes nothing', () => {
    const d = new Driver();
    d.run(put('a', '1'));
    const before = d.machine.snapshot();
    const twin = new Driver();
    twin.run(put('a', '1'));
    expect(d.run(del('zzz'))).toEqual({ kind: 'delete', revision: 1, deleted: false });
    twin.run(noop);
    expect(d.machine.revision).toBe(1);
    expect(d.machine.snapshot()).toEqual(twin.machine.snapshot());
    expect(before).not.toEqual(d.machine.snapshot()); // only appliedIndex moved
  });

  it('get and noop through the log read without mutating', () => {
    const d = new Driver();
    d.run(put('a', '1'));
    expect(d.run(get('a'))).toEqual({ kind: 'get', revision: 1, found: true, value: '1', createRevision: 1, modRevision: 1, version: 1 });
    expect(d.run(get('b'))).toEqual({ kind: 'get', revision: 1, found: false });
    expect(d.run(noop)).toEqual({ kind: 'noop', revision: 1 });
    expect(d.machine.revision).toBe(1);
  });
});

describe('compare-and-set', () => {
  it('succeeds when the value matches, fails otherwise and reports the current value', () => {
    const d = new Driver();
    d.run(put('k', 'a'));
    expect(d.run(cas('k', 'x', 'b'))).toEqual({ kind: 'cas', succeeded: false, revision: 1, value: 'a' });
    expect(d.run(cas('k', 'a', 'b'))).toEqual({ kind: 'cas', succeeded: true, revision: 2, value: 'b' });
    expect(d.get('k')).toMatchObject({ value: 'b', createRevision: 1, modRevision: 2, version: 2 });
  });

  it('expected null creates an absent key and fails on a present one', () => {
    const d = new Driver();
    expect(d.run(cas('k', null, 'a'))).toEqual({ kind: 'cas', succeeded: true, revision: 1, value: 'a' });
    expect(d.run(cas('k', null, 'b'))).toEqual({ kind: 'cas', succeeded: false, revision: 1, value: 'a' });
    expect(d.get('k')).toMatchObject({ value: 'a', version: 1 });
  });

  it('a non-null expected fails on an absent key with value null', () => {
    const d = new Driver();
    expect(d.run(cas('k', '', 'a'))).toEqual({ kind: 'cas', succeeded: false, revision: 0, value: null });
    expect(d.get('k').found).toBe(false);
  });

  it('expected "" matches an empty value, not an absent key', () => {
    const d = new Driver();
    d.run(put('k', ''));
    expect(d.run(cas('k', '', 'x'))).toMatchObject({ succeeded: true, value: 'x' });
  });
});

describe('limits', () => {
  it('returns error results for oversized or empty keys and oversized values', () => {
    const d = new Driver();
    expect(d.run(put('k'.repeat(keyBytesMax + 1), 'v'))).toMatchObject({ kind: 'error', code: 'KEY_TOO_LARGE' });
    expect(d.run(put('', 'v'))).toMatchObject({ kind: 'error', code: 'KEY_EMPTY' });
    expect(d.run(put('k', 'v'.repeat(valueBytesMax + 1)))).toMatchObject({ kind: 'error', code: 'VALUE_TOO_LARGE' });
    expect(d.run(cas('k', null, 'v'.repeat(valueBytesMax + 1)))).toMatchObject({ kind: 'error', code: 'VALUE_TOO_LARGE' });
    expect(d.run(get('k'.repeat(keyBytesMax + 1)))).toMatchObject({ kind: 'error', code: 'KEY_TOO_LARGE' });
    expect(d.machine.revision).toBe(0);
    expect(d.machine.keyCount).toBe(0);
  });

  it('refuses writes that would exceed dataBytesMax, but lets the store shrink', () => {
    const d = new Driver({ dataBytesMax: keyBytesMax + valueBytesMax });
    expect(d.run(put('a', 'x'.repeat(valueBytesMax)))).toEqual({ kind: 'put', revision: 1 });
    expect(d.run(put('b', 'y'.repeat(keyBytesMax)))).toMatchObject({ kind: 'error', code: 'QUOTA_EXCEEDED' });
    expect(d.run(cas('b', null, 'y'.repeat(keyBytesMax)))).toMatchObject({ kind: 'error', code: 'QUOTA_EXCEEDED' });
    expect(d.machine.revision).toBe(1);
    expect(d.run(put('a', 'small'))).toEqual({ kind: 'put', revision: 2 });
    expect(d.machine.dataSizeBytes).toBe(1 + 5);
    expect(d.run(put('b', 'y'.repeat(keyBytesMax)))).toEqual({ kind: 'put', revision: 3 });
    d.run(del('a'));
    d.run(del('b'));
    expect(d.machine.dataSizeBytes).toBe(0);
  });

  it('counts data in UTF-8 bytes', () => {
    const d = new Driver();
    d.run(put('é', '😀'));
    expect(d.machine.dataSizeBytes).toBe(2 + 4);
  });
});

describe('malformed entries', () => {
  it('return an error result and leave the state unchanged', () => {
    const d = new Driver();
    const twin = new Driver();
    for (const driver of [d, twin]) driver.run(put('a', '1'));
    const garbage = [utf8('nope'), new Uint8Array([0xff, 0xfe]), utf8('{"command":{"kind":"put","key":"a"}}'), new Uint8Array(0)];
    for (const bytes of garbage) {
      expect(d.raw(bytes)).toMatchObject({ kind: 'error', code: 'COMMAND_MALFORMED' });
      twin.run(noop);
    }
    expect(d.machine.appliedIndex).toBe(5);
    expect(d.machine.snapshot()).toEqual(twin.machine.snapshot());
    expect(d.machine.digest()).toBe(twin.machine.digest());
  });

  it('are an assertion failure when indexes do not strictly increase (a driver bug)', () => {
    const m = new KvStateMachine();
    const command = encodeCommand({ command: { kind: 'noop' } });
    m.apply({ index: 5, term: 1, command });
    expect(() => m.apply({ index: 5, term: 1, command })).toThrow(AssertionError);
    expect(() => m.apply({ index: 4, term: 1, command })).toThrow(AssertionError);
    m.apply({ index: 9, term: 2, command }); // gaps are allowed: not every log entry is a KV command
    expect(m.appliedIndex).toBe(9);
  });
});

describe('query', () => {
  it('serves gets, ranges and the lease list without touching the state, and refuses everything else', () => {
    const d = new Driver();
    const lease = d.grant();
    d.run(put('a', '1', lease));
    const snapshot = d.machine.snapshot();
    const q = (bytes: Uint8Array) => decodeResult(d.machine.query(bytes));
    expect(q(encodeQuery({ kind: 'get', key: 'a' }))).toEqual({ kind: 'get', revision: 1, found: true, value: '1', createRevision: 1, modRevision: 1, version: 1, lease });
    expect(q(encodeQuery({ kind: 'range', prefix: '' }))).toMatchObject({ kind: 'range', kvs: [{ key: 'a', lease }], more: false });
    expect(q(encodeQuery({ kind: 'leases' }))).toEqual({ kind: 'leases', leases: [{ id: lease, ttlMs: 5000, keys: 1 }] });
    const writes = [
      put('a', '2'), noop, txn([], [get('a')]), { kind: 'leaseGrant', ttlMs: 1000 }, { kind: 'leaseKeepAlive', id: lease }, { kind: 'leaseRevoke', id: lease },
    ] as const;
    for (const command of writes) {
      expect(q(encodeCommand({ command })), command.kind).toMatchObject({ kind: 'error', code: 'QUERY_UNSUPPORTED' });
    }
    expect(q(encodeCommand({ session: { clientId: 'c', seq: 1 }, command: get('a') }))).toMatchObject({ kind: 'error', code: 'QUERY_UNSUPPORTED' });
    expect(q(utf8('{'))).toMatchObject({ kind: 'error', code: 'COMMAND_MALFORMED' });
    expect(q(encodeQuery({ kind: 'get', key: '' }))).toMatchObject({ kind: 'error', code: 'KEY_EMPTY' });
    expect(d.machine.snapshot()).toEqual(snapshot);
  });
});

describe('options', () => {
  it('rejects unknown keys and impossible values, listing every problem', () => {
    let caught: unknown;
    try {
      new KvStateMachine({ sessionsMax: 0, dataBytesMax: 10, leasesMax: 1e6, historyEventsMax: -1, historyBytesMax: 100, bogus: 1 } as never);
    } catch (error) {
      caught = error;
    }
    expect(isKeelError(caught, 'CONFIG_INVALID')).toBe(true);
    const message = (caught as Error).message;
    expect(message).toContain('unknown option "bogus"');
    expect(message).toContain('sessionsMax must be a positive integer');
    expect(message).toContain('dataBytesMax (10)');
    expect(message).toContain('leasesMax (1000000) is too large');
    expect(message).toContain('historyEventsMax must be a positive integer');
    expect(message).toContain('historyBytesMax (100)');
  });

  it('are frozen', () => {
    expect(Object.isFrozen(new KvStateMachine().options)).toBe(true);
  });
});
