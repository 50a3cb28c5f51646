import { describe, expect, it } from 'vitest';
import { fromUtf8, utf8 } from '../core/bytes.js';
import { isKeelError } from '../core/errors.js';
import { KvStateMachine } from './kv-state-machine.js';
import { Driver, cas, del, put, session, txn } from './kv.test-kit.js';

const options = { historyEventsMax: 6 };

/** Keys, a lease with a key, sessions, and a history that has already compacted revisions 1-2. */
function sample(): Driver {
  const d = new Driver(options);
  d.run(put('b', 'two'), session('zed', 1));
  d.run(put('a', 'one'));
  d.run(put('b', 'deux'), session('amy', 4));
  d.run(cas('c', null, 'x'));
  d.run(del('c'));
  d.run(put('😀', 'smile'));
  d.run(put('\uE000', 'private use'));
  const lease = d.grant(5000); // index 8
  d.run(put('l', 'leased', lease));
  return d;
}

function restoreError(snapshot: Uint8Array, index: number, machine = new KvStateMachine(options)): unknown {
  try {
    machine.restore(snapshot, index);
  } catch (error) {
    return error;
  }
  throw new Error('restore accepted the snapshot');
}

describe('snapshot format (version 2)', () => {
  it('is line-oriented JSON: header, leases, keys in UTF-8 byte order, events, sessions by client id', () => {
    expect(fromUtf8(sample().machine.snapshot())).toBe([
      '{"format":"keel-kv","version":2,"appliedIndex":9,"revision":8,"compactRevision":2,"leaseCount":1,"keyCount":5,"eventCount":6,"sessionCount":2}',
      '{"id":"8","ttlMs":5000}',
      '{"key":"a","value":"one","createRevision":2,"modRevision":2,"version":1}',
      '{"key":"b","value":"deux","createRevision":1,"modRevision":3,"version":2}',
      '{"key":"l","value":"leased","createRevision":8,"modRevision":8,"version":1,"lease":"8"}',
      // U+E000 sorts before U+1F600 in UTF-8, though its UTF-16 code unit is larger than 0xD83D.
      '{"key":"\uE000","value":"private use","createRevision":7,"modRevision":7,"version":1}',
      '{"key":"😀","value":"smile","createRevision":6,"modRevision":6,"version":1}',
      // historyEventsMax 6: revisions 1 and 2 were compacted.
      '{"revision":3,"type":"put","key":"b","value":"deux","createRevision":1,"version":2}',
      '{"revision":4,"type":"put","key":"c","value":"x","createRevision":4,"version":1}',
      '{"revision":5,"type":"delete","key":"c"}',
      '{"revision":6,"type":"put","key":"😀","value":"smile","createRevision":6,"version":1}',
      '{"revision":7,"type":"put","key":"\uE000","value":"private use","createRevision":7,"version":1}',
      '{"revision":8,"type":"put","key":"l","value":"leased","createRevision":8,"version":1,"lease":"8"}',
      '{"clientId":"amy","lastSeq":4,"lastIndex":3,"lastResult":{"kind":"put","revision":3}}',
      '{"clientId":"zed","lastSeq":1,"lastIndex":1,"lastResult":{"kind":"put","revision":1}}',
      '',
    ].join('\n'));
  });

  it('of an empty machine round-trips', () => {
    const empty = new KvStateMachine().snapshot();
    const m = new KvStateMachine();
    m.restore(empty, 0);
    expect(m.snapshot()).toEqual(empty);
    expect(fromUtf8(empty)).toBe('{"format":"keel-kv","version":2,"appliedIndex":0,"revision":0,"compactRevision":0,"leaseCount":0,"keyCount":0,"eventCount":0,"sessionCount":0}\n');
  });
});

describe('restore', () => {
  it('gives a byte-identical snapshot, the same digest and the same behaviour', () => {
    const d = sample();
    const bytes = d.machine.snapshot();
    const m = new KvStateMachine(options);
    m.restore(bytes, 9);
    expect(m.snapshot()).toEqual(bytes);
    expect(m.digest()).toBe(d.machine.digest());
    expect(m.appliedIndex).toBe(9);
    expect(m.revision).toBe(8);
    expect(m.compactRevision).toBe(2);
    expect(m.leaseCount).toBe(1);
    expect(m.dataSizeBytes).toBe(d.machine.dataSizeBytes);
    expect(m.sessionsSizeBytes).toBe(d.machine.sessionsSizeBytes);
    expect(m.historySizeBytes).toBe(d.machine.historySizeBytes);
    expect(m.eventsSince(3, { kind: 'prefix', prefix: '' }, 100)).toEqual(d.machine.eventsSince(3, { kind: 'prefix', prefix: '' }, 100));
  });

  it('then applying the rest gives the state of applying everything (leases, txn, revoke, history)', () => {
    const steps = (d: Driver) => [
      () => d.run({ kind: 'leaseRevoke', id: '8' }), // index 10: deletes l
      () => d.run(txn([], [put('t1', '1'), put('t2', '2'), del('a')])),
      () => d.run({ kind: 'leaseGrant', ttlMs: 1000 }), // index 12: lease "12"
      () => d.run(put('m', 'x', '12')),
      () => d.run({ kind: 'leaseKeepAlive', id: '12' }),
    ];
    const reference = sample();
    for (const step of steps(reference)) step();
    expect(reference.get('m')).toMatchObject({ found: true, lease: '12' });
    for (let split = 0; split <= 5; split++) {
      const head = sample();
      for (const step of steps(head).slice(0, split)) step();
      const restored = new Driver(options);
      restored.machine.restore(head.machine.snapshot(), head.machine.appliedIndex);
      for (const step of steps(restored).slice(split)) step();
      expect(restored.machine.snapshot(), `split ${split}`).toEqual(reference.machine.snapshot());
      expect(restored.machine.digest()).toBe(reference.machine.digest());
    }
  });

  it('replaces everything, including state the snapshot does not have', () => {
    const m = sample().machine;
    m.restore(new KvStateMachine(options).snapshot(), 0);
    expect(m.keyCount).toBe(0);
    expect(m.sessionCount).toBe(0);
    expect(m.leaseCount).toBe(0);
    expect(m.historyEventCount).toBe(0);
    expect(m.compactRevision).toBe(0);
    expect(m.appliedIndex).toBe(0);
  });

  it('rejects damaged, inconsistent or non-canonical snapshots and leaves the state as it was', () => {
    const m = sample().machine;
    const before = m.snapshot();
    const text = fromUtf8(before);
    const damaged: readonly [string, string][] = [
      ['empty', ''],
      ['truncated: no final newline', text.slice(0, -1)],
      ['a whole line missing', text.slice(0, text.lastIndexOf('\n', text.length - 2) + 1)],
      ['not canonical', text.replace('"revision":8,', '"revision": 8,')],
      ['field order', text.replace('"createRevision":2,"modRevision":2', '"modRevision":2,"createRevision":2')],
      ['keys out of order', text.replace('"key":"a"', '"key":"c"')],
      ['modRevision above the store revision', text.replace('"modRevision":3', '"modRevision":9')],
      ['more versions than revisions since creation', text.replace('"modRevision":3,"version":2', '"modRevision":3,"version":4')],
      ['two sessions at one index', text.replace('"lastIndex":3', '"lastIndex":1')],
      ['session above appliedIndex', text.replace('"lastIndex":3', '"lastIndex":10')],
      ['bad session result', text.replace('"lastResult":{"kind":"put","revision":3}', '"lastResult":{"kind":"put"}')],
      ['sessions out of order', text.replace('"clientId":"amy"', '"clientId":"zzz"')],
      ['other format', text.replace('"format":"keel-kv"', '"format":"other"')],
      ['unknown field', text.replace('"key":"a"', '"key":"a","extra":1')],
      ['blank line', text.replace('\n', '\n\n')],
      ['key attached to an unknown lease', text.replace('"version":1,"lease":"8"}\n{"key"', '"version":1,"lease":"7"}\n{"key"')],
      ['lease id not canonical', text.replace('{"id":"8"', '{"id":"08"')],
      ['lease granted after appliedIndex', text.replace('{"id":"8"', '{"id":"10"').replace(/"lease":"8"/g, '"lease":"10"')],
      ['lease ttl out of bounds', text.replace('"ttlMs":5000', '"ttlMs":1')],
      ['history gap', text.replace('{"revision":5,"type":"delete","key":"c"}', '{"revision":6,"type":"delete","key":"c"}')],
      ['history does not reach the store revision', text.replace('"revision":8,"compactRevision":2', '"revision":9,"compactRevision":2')],
      ['history starts after compactRevision + 1', text.replace('"compactRevision":2', '"compactRevision":1')],
      ['compactRevision above revision', text.replace('"compactRevision":2', '"compactRevision":12')],
      ['event type', text.replace('"type":"delete"', '"type":"gone"')],
      ['put event with a delete shape', text.replace('{"revision":5,"type":"delete","key":"c"}', '{"revision":5,"type":"put","key":"c"}')],
      ['event createRevision above its revision', text.replace('"revision":4,"type":"put","key":"c","value":"x","createRevision":4', '"revision":4,"type":"put","key":"c","value":"x","createRevision":5')],
    ];
    for (const [what, bad] of damaged) {
      expect(bad, what).not.toBe(text);
      const error = restoreError(utf8(bad), 9, m);
      expect(isKeelError(error, 'CHECKPOINT_CORRUPT'), `${what}: ${String(error)}`).toBe(true);
      expect(m.snapshot()).toEqual(before);
    }
    const notUtf8 = before.slice();
    notUtf8[20] = 0xff;
    expect(isKeelError(restoreError(notUtf8, 9, m), 'CHECKPOINT_CORRUPT')).toBe(true);
  });

  it('names the line that failed', () => {
    const text = fromUtf8(sample().machine.snapshot()).replace('"modRevision":3,"version":2', '"modRevision":3,"version":"2"');
    expect(String(restoreError(utf8(text), 9))).toContain('line 4');
  });

  it('refuses another format version, version 1 included', () => {
    for (const version of [1, 3]) {
      const text = fromUtf8(sample().machine.snapshot()).replace('"version":2,"appliedIndex"', `"version":${version},"appliedIndex"`);
      expect(isKeelError(restoreError(utf8(text), 9), 'FORMAT_VERSION_UNSUPPORTED')).toBe(true);
    }
  });

  it('refuses a snapshot restored at another index than its own', () => {
    expect(isKeelError(restoreError(sample().machine.snapshot(), 8), 'CHECKPOINT_CORRUPT')).toBe(true);
  });

  it('refuses a snapshot that does not fit this node\'s options', () => {
    for (const tight of [{ sessionsMax: 1 }, { historyEventsMax: 5 }]) {
      const error = restoreError(sample().machine.snapshot(), 9, new KvStateMachine(tight));
      expect(isKeelError(error, 'CONFIG_INVALID'), JSON.stringify(tight)).toBe(true);
    }
  });
});
