import { describe, expect, it } from 'vitest';
import { fromUtf8, utf8 } from '../core/bytes.js';
import { isKeelError } from '../core/errors.js';
import { KvStateMachine } from './kv-state-machine.js';
import { Driver, cas, del, put, session } from './kv.test-kit.js';

function sample(): Driver {
  const d = new Driver();
  d.run(put('b', 'two'), session('zed', 1));
  d.run(put('a', 'one'));
  d.run(put('b', 'deux'), session('amy', 4));
  d.run(cas('c', null, 'x'));
  d.run(del('c'));
  d.run(put('😀', 'smile'));
  d.run(put('\uE000', 'private use'));
  return d;
}

function restoreError(snapshot: Uint8Array, index: number, machine = new KvStateMachine()): unknown {
  try {
    machine.restore(snapshot, index);
  } catch (error) {
    return error;
  }
  throw new Error('restore accepted the snapshot');
}

describe('snapshot format', () => {
  it('is line-oriented JSON: header, keys in UTF-8 byte order, sessions by client id', () => {
    expect(fromUtf8(sample().machine.snapshot())).toBe([
      '{"format":"keel-kv","version":1,"appliedIndex":7,"revision":7,"keyCount":4,"sessionCount":2}',
      '{"key":"a","value":"one","createRevision":2,"modRevision":2,"version":1}',
      '{"key":"b","value":"deux","createRevision":1,"modRevision":3,"version":2}',
      // U+E000 sorts before U+1F600 in UTF-8, though its UTF-16 code unit is larger than 0xD83D.
      '{"key":"\uE000","value":"private use","createRevision":7,"modRevision":7,"version":1}',
      '{"key":"😀","value":"smile","createRevision":6,"modRevision":6,"version":1}',
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
    expect(fromUtf8(empty)).toBe('{"format":"keel-kv","version":1,"appliedIndex":0,"revision":0,"keyCount":0,"sessionCount":0}\n');
  });
});

describe('restore', () => {
  it('gives a byte-identical snapshot, the same digest and the same behaviour', () => {
    const d = sample();
    const bytes = d.machine.snapshot();
    const m = new KvStateMachine();
    m.restore(bytes, 7);
    expect(m.snapshot()).toEqual(bytes);
    expect(m.digest()).toBe(d.machine.digest());
    expect(m.appliedIndex).toBe(7);
    expect(m.revision).toBe(7);
    expect(m.dataSizeBytes).toBe(d.machine.dataSizeBytes);
    expect(m.sessionsSizeBytes).toBe(d.machine.sessionsSizeBytes);
  });

  it('replaces everything, including state the snapshot does not have', () => {
    const m = sample().machine;
    m.restore(new KvStateMachine().snapshot(), 0);
    expect(m.keyCount).toBe(0);
    expect(m.sessionCount).toBe(0);
    expect(m.appliedIndex).toBe(0);
  });

  it('rejects damaged or non-canonical snapshots and leaves the state as it was', () => {
    const m = sample().machine;
    const before = m.snapshot();
    const text = fromUtf8(before);
    const damaged: readonly string[] = [
      '',
      text.slice(0, -1), // truncated: no final newline
      text.slice(0, text.lastIndexOf('\n', text.length - 2) + 1), // a whole line missing
      text.replace('"revision":7,', '"revision": 7,'), // not canonical
      text.replace('"createRevision":2,"modRevision":2', '"modRevision":2,"createRevision":2'), // field order
      text.replace('"key":"a"', '"key":"c"'), // keys out of order
      text.replace('"modRevision":3', '"modRevision":9'), // above the store revision
      text.replace('"version":2', '"version":4'), // more versions than revisions since creation
      text.replace('"lastIndex":3', '"lastIndex":1'), // two sessions at one index
      text.replace('"lastIndex":3', '"lastIndex":8'), // above appliedIndex
      text.replace('"lastResult":{"kind":"put","revision":3}', '"lastResult":{"kind":"put"}'),
      text.replace('"clientId":"amy"', '"clientId":"zzz"'), // sessions out of order
      text.replace('"format":"keel-kv"', '"format":"other"'),
      text.replace('"key":"a"', '"key":"a","extra":1'),
      text.replace('\n', '\n\n'),
    ];
    for (const bad of damaged) {
      const error = restoreError(utf8(bad), 7, m);
      expect(isKeelError(error, 'CHECKPOINT_CORRUPT'), `${bad}\n${String(error)}`).toBe(true);
      expect(m.snapshot()).toEqual(before);
    }
    const notUtf8 = before.slice();
    notUtf8[20] = 0xff;
    expect(isKeelError(restoreError(notUtf8, 7, m), 'CHECKPOINT_CORRUPT')).toBe(true);
  });

  it('names the line that failed', () => {
    const text = fromUtf8(sample().machine.snapshot()).replace('"version":2', '"version":"2"');
    expect(String(restoreError(utf8(text), 7))).toContain('line 3');
  });

  it('refuses a newer format version', () => {
    const text = fromUtf8(sample().machine.snapshot()).replace('"version":1,', '"version":2,');
    expect(isKeelError(restoreError(utf8(text), 7), 'FORMAT_VERSION_UNSUPPORTED')).toBe(true);
  });

  it('refuses a snapshot restored at another index than its own', () => {
    expect(isKeelError(restoreError(sample().machine.snapshot(), 6), 'CHECKPOINT_CORRUPT')).toBe(true);
  });

  it('refuses a snapshot that does not fit this node\'s options', () => {
    const error = restoreError(sample().machine.snapshot(), 7, new KvStateMachine({ sessionsMax: 1 }));
    expect(isKeelError(error, 'CONFIG_INVALID')).toBe(true);
  });
});
