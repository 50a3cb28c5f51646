/** The watch history: bounded, whole revisions, COMPACTED when a reader falls behind, filters and limits. */
import { describe, expect, it } from 'vitest';
import { History, type KvEvent, type KvWatchFilter } from './history.js';
import { Driver, del, put, txn } from './kv.test-kit.js';
import { eventOverheadBytes, valueBytesMax } from './limits.js';
import { eventBytesMax } from './options.js';

const all: KvWatchFilter = { kind: 'prefix', prefix: '' };

describe('eventsSince', () => {
  it('returns puts with the key-value after them and deletes, from a revision on', () => {
    const d = new Driver();
    const lease = d.grant();
    d.run(put('a', '1', lease));
    d.run(put('a', '2'));
    d.run(del('a'));
    expect(d.machine.eventsSince(1, all, 10)).toEqual({
      kind: 'events', nextRevision: 4, events: [
        { type: 'put', revision: 1, key: 'a', kv: { key: 'a', value: '1', createRevision: 1, modRevision: 1, version: 1, lease } },
        { type: 'put', revision: 2, key: 'a', kv: { key: 'a', value: '2', createRevision: 1, modRevision: 2, version: 2 } },
        { type: 'delete', revision: 3, key: 'a' },
      ],
    });
    expect(d.machine.eventsSince(3, all, 10)).toMatchObject({ events: [{ revision: 3 }], nextRevision: 4 });
    expect(d.machine.eventsSince(4, all, 10)).toEqual({ kind: 'events', events: [], nextRevision: 4 }); // caught up
    expect(d.machine.eventsSince(9, all, 10)).toEqual({ kind: 'events', events: [], nextRevision: 9 }); // ahead: wait for 9
  });

  it('filters by key or prefix and moves nextRevision past revisions with nothing matching', () => {
    const d = new Driver();
    for (const key of ['a/1', 'b', 'a/2', 'a', 'c']) d.run(put(key, 'v'));
    const keys = (filter: KvWatchFilter) => {
      const result = d.machine.eventsSince(1, filter, 10);
      return result.kind === 'events' ? [result.events.map((e) => e.key), result.nextRevision] : result;
    };
    expect(keys({ kind: 'prefix', prefix: 'a/' })).toEqual([['a/1', 'a/2'], 6]);
    expect(keys({ kind: 'key', key: 'a' })).toEqual([['a'], 6]);
    expect(keys({ kind: 'key', key: 'zz' })).toEqual([[], 6]);
  });

  it('returns whole revisions only: stops before a txn that would pass the limit, or returns it whole when first', () => {
    const d = new Driver();
    d.run(put('x', '1')); // revision 1
    d.run(txn([], [put('a', '1'), put('b', '1'), put('c', '1')])); // revision 2: three events
    d.run(put('y', '1')); // revision 3
    expect(d.machine.eventsSince(1, all, 2)).toMatchObject({ events: [{ revision: 1 }], nextRevision: 2 });
    expect(d.machine.eventsSince(2, all, 2)).toMatchObject({ events: [{ revision: 2 }, { revision: 2 }, { revision: 2 }], nextRevision: 3 });
    expect(d.machine.eventsSince(1, all, 4)).toMatchObject({ events: [{}, {}, {}, {}], nextRevision: 3 });
    expect(d.machine.eventsSince(1, all, 5)).toMatchObject({ events: [{}, {}, {}, {}, {}], nextRevision: 4 });
  });

  it('answers COMPACTED once the events of a revision were evicted, whole revisions at a time', () => {
    const d = new Driver({ historyEventsMax: 3 });
    d.run(put('a', '1')); // revision 1
    d.run(put('b', '1')); // revision 2
    d.run(txn([], [put('c', '1'), put('d', '1')])); // revision 3: two events, evicts revision 1
    expect(d.machine.compactRevision).toBe(1);
    expect(d.machine.eventsSince(1, all, 10)).toEqual({ kind: 'compacted', compactRevision: 1 });
    expect(d.machine.eventsSince(2, all, 10)).toMatchObject({ kind: 'events', nextRevision: 4 });
    d.run(put('e', '1')); // revision 4: 4 events > 3: revision 2 goes
    expect(d.machine.compactRevision).toBe(2);
    expect(d.machine.historyEventCount).toBe(3);
    d.run(put('f', '1')); // revision 5: revision 3 goes whole, leaving 2 events
    expect(d.machine.compactRevision).toBe(3);
    expect(d.machine.historyEventCount).toBe(2);
  });

  it('a revision larger than the whole history is compacted at once', () => {
    const d = new Driver({ historyEventsMax: 2 });
    d.run(put('a', '1'));
    d.run(txn([], [put('x', '1'), put('y', '1'), put('z', '1')]));
    expect(d.machine.compactRevision).toBe(2);
    expect(d.machine.historyEventCount).toBe(0);
    expect(d.machine.eventsSince(2, all, 10)).toEqual({ kind: 'compacted', compactRevision: 2 });
    expect(d.machine.eventsSince(3, all, 10)).toEqual({ kind: 'events', events: [], nextRevision: 3 });
  });

  it('is bounded by bytes as well as by count', () => {
    const d = new Driver({ historyBytesMax: eventBytesMax, dataBytesMax: 8 * valueBytesMax });
    d.run(put('a', 'x'.repeat(valueBytesMax))); // about eventBytesMax
    d.run(put('b', 'x'.repeat(valueBytesMax))); // the two do not fit together
    expect(d.machine.compactRevision).toBe(1);
    expect(d.machine.historySizeBytes).toBe(1 + valueBytesMax + eventOverheadBytes);
  });
});

describe('History', () => {
  const put1 = (revision: number, key: string): KvEvent => ({ type: 'put', revision, key, kv: { key, value: '', createRevision: revision, modRevision: revision, version: 1 } });

  it('asserts that revisions are contiguous and arguments are sane (bugs, not input)', () => {
    const h = new History({ historyEventsMax: 10, historyBytesMax: 1 << 20 });
    h.append(put1(1, 'a'));
    h.append(put1(1, 'b'));
    expect(() => h.append(put1(3, 'c'))).toThrow(/contiguous/);
    expect(() => h.since(0, all, 1, 1)).toThrow(/fromRevision/);
    expect(() => h.since(1, all, 0, 1)).toThrow(/limit/);
  });

  it('keeps its memory bounded while evicting for a long time', () => {
    const h = new History({ historyEventsMax: 5, historyBytesMax: 1 << 20 });
    for (let revision = 1; revision <= 10_000; revision++) {
      h.append(put1(revision, 'k'));
      h.trim();
    }
    expect(h.count).toBe(5);
    expect(h.compactRevision).toBe(9995);
    expect(h.kept().map((e) => e.revision)).toEqual([9996, 9997, 9998, 9999, 10_000]);
  });
});
