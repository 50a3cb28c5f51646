/** Client sessions: exactly-once application of retried commands (Raft dissertation §6.3). */
import { describe, expect, it } from 'vitest';
import { Driver, cas, get, noop, put, session } from './kv.test-kit.js';
import { clientIdBytesMax, resultBytesMax, valueBytesMax } from './limits.js';

describe('client sessions (Raft dissertation §6.3)', () => {
  it('applies a retried command once and returns the stored result, even after other writes', () => {
    const d = new Driver();
    expect(d.run(put('k', 'mine'), session('c1', 1))).toEqual({ kind: 'put', revision: 1 });
    expect(d.run(put('k', 'theirs'), session('c2', 1))).toEqual({ kind: 'put', revision: 2 });
    expect(d.run(put('other', 'x'))).toEqual({ kind: 'put', revision: 3 });
    // The retry of c1's seq 1 (its first answer was lost) returns the first result and changes nothing.
    expect(d.run(put('k', 'mine'), session('c1', 1))).toEqual({ kind: 'put', revision: 1 });
    expect(d.machine.revision).toBe(3);
    expect(d.get('k')).toMatchObject({ value: 'theirs', version: 2 });
  });

  it('answers a retried cas with its first outcome, not a re-evaluation', () => {
    const d = new Driver();
    expect(d.run(cas('lock', null, 'c1'), session('c1', 7))).toEqual({ kind: 'cas', succeeded: true, revision: 1, value: 'c1' });
    // Re-evaluated now, the cas would fail (the key exists); the client must still learn it won.
    expect(d.run(cas('lock', null, 'c1'), session('c1', 7))).toEqual({ kind: 'cas', succeeded: true, revision: 1, value: 'c1' });
    expect(d.machine.revision).toBe(1);
  });

  it('returns SESSION_EXPIRED_SEQ for an older seq and changes nothing', () => {
    const d = new Driver();
    d.run(put('k', '1'), session('c1', 1));
    d.run(put('k', '2'), session('c1', 2));
    const twin = new Driver();
    twin.run(put('k', '1'), session('c1', 1));
    twin.run(put('k', '2'), session('c1', 2));
    expect(d.run(put('k', 'stale'), session('c1', 1))).toMatchObject({ kind: 'error', code: 'SESSION_EXPIRED_SEQ' });
    twin.run(noop);
    expect(d.machine.snapshot()).toEqual(twin.machine.snapshot());
    // The newest seq still answers from the table.
    expect(d.run(put('k', 'again'), session('c1', 2))).toEqual({ kind: 'put', revision: 2 });
  });

  it('records error results too, so a retry sees the same answer', () => {
    const d = new Driver();
    expect(d.run(put('', 'v'), session('c1', 1))).toMatchObject({ kind: 'error', code: 'KEY_EMPTY' });
    expect(d.run(put('', 'v'), session('c1', 1))).toMatchObject({ kind: 'error', code: 'KEY_EMPTY' });
    expect(d.machine.sessionCount).toBe(1);
  });

  it('accepts gaps in seq (a request that never committed)', () => {
    const d = new Driver();
    d.run(put('k', '1'), session('c1', 1));
    expect(d.run(put('k', '5'), session('c1', 5))).toEqual({ kind: 'put', revision: 2 });
    expect(d.run(put('k', '3'), session('c1', 3))).toMatchObject({ code: 'SESSION_EXPIRED_SEQ' });
  });

  it('keeps sessions independent per client', () => {
    const d = new Driver();
    d.run(put('k', 'a'), session('c1', 1));
    expect(d.run(put('k', 'b'), session('c2', 1))).toEqual({ kind: 'put', revision: 2 });
  });

  it('evicts the session with the smallest lastIndex when sessionsMax is reached', () => {
    const d = new Driver({ sessionsMax: 2 });
    d.run(put('k', 'c1'), session('c1', 1)); // index 1
    d.run(put('k', 'c2'), session('c2', 1)); // index 2
    d.run(put('k', 'c1'), session('c1', 2)); // index 3: c1 is now the most recent
    d.run(put('k', 'c3'), session('c3', 1)); // index 4: evicts c2 (lastIndex 2), not c1 (lastIndex 3)
    expect(d.machine.sessionCount).toBe(2);
    // c1 is still known: its retry is deduplicated.
    expect(d.run(put('k', 'c1'), session('c1', 2))).toEqual({ kind: 'put', revision: 3 });
    // c2 was evicted: the trade-off is that its retry is applied again (a second revision).
    const revision = d.machine.revision;
    expect(d.run(put('k', 'c2'), session('c2', 1))).toEqual({ kind: 'put', revision: revision + 1 });
  });

  it('applies normally a command of an evicted client with seq > 1', () => {
    const d = new Driver({ sessionsMax: 1 });
    d.run(put('a', '1'), session('c1', 1));
    d.run(put('b', '1'), session('c2', 1)); // evicts c1
    expect(d.run(put('a', '2'), session('c1', 2))).toEqual({ kind: 'put', revision: 3 });
    expect(d.run(put('a', '2'), session('c1', 2))).toEqual({ kind: 'put', revision: 3 });
  });

  it('does not refresh a session on a duplicate (no state change at all)', () => {
    const d = new Driver({ sessionsMax: 2 });
    d.run(noop, session('c1', 1)); // index 1
    d.run(noop, session('c2', 1)); // index 2
    d.run(noop, session('c1', 1)); // duplicate: c1 keeps lastIndex 1
    d.run(noop, session('c3', 1)); // evicts c1
    expect(d.run(put('k', 'v'), session('c1', 1))).toEqual({ kind: 'put', revision: 1 });
  });

  it('bounds the bytes of stored results with sessionsBytesMax', () => {
    const sessionsBytesMax = clientIdBytesMax + resultBytesMax; // the smallest allowed: one worst-case session
    const d = new Driver({ sessionsBytesMax });
    d.run(put('big', 'x'.repeat(valueBytesMax)));
    d.run(get('big'), session('c1', 1)); // stores a 1 MiB result
    const perSession = d.machine.sessionsSizeBytes;
    const fit = Math.floor(sessionsBytesMax / perSession); // ~12 MiB of budget, ~1 MiB per session
    expect(fit).toBeGreaterThan(2);
    for (let i = 2; i <= fit + 2; i++) d.run(get('big'), session(`c${i}`, 1));
    expect(d.machine.sessionsSizeBytes).toBeLessThanOrEqual(sessionsBytesMax);
    expect(d.machine.sessionCount).toBe(fit);
    // The oldest were evicted: c1's seq 1 is applied as new; the newest is deduplicated.
    expect(d.run(put('k', 'v'), session('c1', 1))).toMatchObject({ kind: 'put' });
    expect(d.run(put('k', 'v'), session(`c${fit + 2}`, 1))).toMatchObject({ kind: 'get', found: true });
  });

  it('evicts the same sessions on every replica, including one restored from a snapshot', () => {
    const a = new Driver({ sessionsMax: 3 });
    const b = new Driver({ sessionsMax: 3 });
    const script = (d: Driver, from: number, to: number) => {
      for (let i = from; i < to; i++) d.run(put(`k${i % 4}`, `${i}`), session(`c${(i * 7) % 5}`, i + 1));
    };
    script(a, 0, 10);
    script(b, 0, 10);
    const restored = new Driver({ sessionsMax: 3 });
    restored.machine.restore(b.machine.snapshot(), b.machine.appliedIndex);
    script(a, 10, 25);
    script(restored, 10, 25);
    expect(restored.machine.snapshot()).toEqual(a.machine.snapshot());
  });
});
