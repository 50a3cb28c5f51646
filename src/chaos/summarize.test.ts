import { describe, expect, it } from 'vitest';
import type { HistoryOp } from '../check/index.js';
import { quantile, summarize, warningsOf, type SummarizeInput } from './summarize.js';
import type { FaultRecord } from './types.js';

const ms = 1e6;
const s = 1e9;

let nextClient = 0;
const put = (key: string, value: string, call: number, ret: number | null, status: HistoryOp['status'] = 'ok'): HistoryOp =>
  ({ client: nextClient++, op: 'put', key, value, call, return: status === 'info' ? null : ret, status });
const get = (key: string, output: string | null, call: number, ret: number): HistoryOp =>
  ({ client: nextClient++, op: 'get', key, call, return: ret, status: 'ok', output });
const casFalse = (key: string, call: number, ret: number): HistoryOp =>
  ({ client: nextClient++, op: 'cas', key, expected: 'nope', value: `v${call}`, call, return: ret, status: 'ok', output: false });

const fault = (id: number, kind: FaultRecord['kind'], startNs: number, endNs: number | null, recoveryFromNs: number | null): FaultRecord =>
  ({ id, kind, targets: ['n2'], detail: `${kind} n2`, startNs, endNs, recoveryFromNs });

function input(overrides: Partial<SummarizeInput>): SummarizeInput {
  return { seed: 7, nodes: 3, workload: 'register', nemeses: ['kill'], durationNs: 10 * s, finalHealNs: 10 * s, history: [], faults: [], ...overrides };
}

describe('summarize: recovery', () => {
  const history = [
    put('k1', 'a', 0, 10 * ms),
    get('k1', 'a', 1000 * ms, 1100 * ms), // a read is not a write: does not end recovery
    put('k1', 'x', 1010 * ms, 1050 * ms, 'fail'), // nor does a failed write
    put('k2', 'b', 1200 * ms, 1500 * ms),
    casFalse('k2', 6100 * ms, 6250 * ms), // a cas that compared false still committed
    put('k3', 'c', 7000 * ms, 7400 * ms),
  ];
  const faults = [
    fault(1, 'kill', 1 * s, 3 * s, 1 * s),
    fault(2, 'partition', 4 * s, 6 * s, 6 * s),
    fault(3, 'pause', 8 * s, null, null),
    fault(4, 'partition', 8.5 * s, 9 * s, 9 * s),
    fault(5, 'partition', 5 * s, 5.5 * s, 5.5 * s),
  ];
  const summary = summarize(input({ history, faults, nemeses: ['kill', 'partition', 'pause'] }));

  it('measures recovery from recoveryFromNs to the return of the first ok write after it', () => {
    expect(summary.faults.map((f) => [f.id, f.recoveryMs, f.recovered])).toEqual([
      [1, 500, true],
      [2, 250, true],
      [3, null, false], // never healed
      [4, null, false], // healed, but no write succeeded afterwards
      [5, 750, true],
    ]);
  });

  it('aggregates per kind and overall', () => {
    expect(summary.recoveryByKind.kill).toEqual({ count: 1, recovered: 1, rate: 1, medianMs: 500, p99Ms: 500, maxMs: 500 });
    expect(summary.recoveryByKind.partition).toEqual({ count: 3, recovered: 2, rate: 2 / 3, medianMs: 500, p99Ms: 745, maxMs: 750 });
    expect(summary.recoveryByKind.pause).toEqual({ count: 1, recovered: 0, rate: 0, medianMs: null, p99Ms: null, maxMs: null });
    expect(summary.recoveryByKind['restart-wipe']).toBeUndefined();
    expect(summary.recoveryRate).toBe(3 / 5);
  });

  it('recovery rate is 1 without faults', () => {
    expect(summarize(input({ history })).recoveryRate).toBe(1);
  });

  it('counts ops by outcome', () => {
    expect(summary.ops).toEqual({ total: 6, ok: 5, failed: 1, indeterminate: 0 });
    expect(summary.durationMs).toBe(10_000);
  });

  it('quantile interpolates between closest ranks', () => {
    expect(quantile([], 0.5)).toBeNull();
    expect(quantile([1, 3], 0.5)).toBe(2);
    expect(quantile([10, 20, 30, 40], 0.99)).toBe(39.7);
  });
});

describe('summarize: availability', () => {
  it('is the fraction of 1 s windows in which some ok write returned', () => {
    const history = [
      put('a', '1', 100 * ms, 200 * ms), // window 0
      get('a', '1', 1100 * ms, 1200 * ms), // window 1: a read only
      casFalse('a', 2500 * ms, 2999 * ms), // window 2
      put('a', '2', 2600 * ms, 2700 * ms), // window 2 again
      put('a', '3', 3100 * ms, 3200 * ms, 'fail'), // window 3: failed
      put('a', '4', 3300 * ms, null, 'info'), // window 3: unknown
      put('a', '5', 3900 * ms, 4100 * ms), // returned after the end
    ];
    expect(summarize(input({ history, durationNs: 4 * s })).availability).toBe(0.5);
  });

  it('counts a final partial window', () => {
    expect(summarize(input({ history: [put('a', '1', 0, 1 * ms)], durationNs: 2.5 * s })).availability).toBeCloseTo(1 / 3);
  });
});

describe('summarize: liveness', () => {
  it('passes when a write called after the final heal returns within 10 s', () => {
    const history = [put('a', '1', 9.9 * s, 10.1 * s), put('a', '2', 10.5 * s, 10.6 * s)];
    const summary = summarize(input({ history, finalHealNs: 10 * s }));
    expect(summary.liveness).toEqual({ ok: true, healAtMs: 10_000, firstWriteAfterHealMs: 600 });
    expect(summary.violations).toEqual([]);
  });

  it('fails when the first write after the heal comes too late', () => {
    const history = [put('a', '1', 9.9 * s, 10.1 * s), put('a', '2', 20 * s, 21 * s)];
    const summary = summarize(input({ history, finalHealNs: 10 * s }));
    expect(summary.liveness).toEqual({ ok: false, healAtMs: 10_000, firstWriteAfterHealMs: 11_000 });
    expect(summary.violations).toHaveLength(1);
    expect(summary.violations[0]).toMatch(/^liveness: .*first came after 11000 ms/);
  });

  it('fails when no write succeeds after the heal', () => {
    const history = [put('a', '1', 9.9 * s, 10.1 * s), put('a', '2', 10.2 * s, null, 'info')];
    const summary = summarize(input({ history, finalHealNs: 10 * s }));
    expect(summary.liveness).toEqual({ ok: false, healAtMs: 10_000, firstWriteAfterHealMs: null });
    expect(summary.violations[0]).toContain('none came');
  });
});

describe('summarize: register workload', () => {
  const healed = put('after', 'h', 10 * s, 10 * s + 5 * ms);

  it('is linearizable for a correct history', () => {
    const history = [put('x', '1', 0, 100), get('x', '1', 150, 200), healed];
    const summary = summarize(input({ history }));
    expect(summary.linearizable).toBe(true);
    expect(summary.lostAcknowledgedWrites).toBe(0);
    expect(summary.violations).toEqual([]);
    expect(warningsOf(summary)).toEqual([]);
  });

  it('a stale read (history-format.md negative fixture, key x) is a violation naming the key', () => {
    const history = [
      put('x', '200', 0, 100),
      get('x', '200', 10, 30),
      get('x', null, 40, 60),
      put('y', 'a', 0, 10),
      get('y', 'a', 20, 30),
      healed,
    ];
    const summary = summarize(input({ history }));
    expect(summary.linearizable).toBe(false);
    expect(summary.violations).toHaveLength(1);
    expect(summary.violations[0]).toMatch(/^not linearizable: 1 key\(s\): "x"\./);
    expect(summary.violations[0]).not.toContain('"y"');
  });

  it('an unknown verdict is a warning, not a violation', () => {
    const history = [put('x', '1', 0, 100), get('x', '1', 150, 200), healed];
    const summary = summarize(input({ history, checkOptions: { budgetSteps: 0 } }));
    expect(summary.linearizable).toBe('unknown');
    expect(summary.violations).toEqual([]);
    expect(warningsOf(summary)[0]).toMatch(/^linearizability unknown/);
  });
});

describe('summarize: set workload', () => {
  const healed = put('set/h', 'h', 10 * s, 10 * s + 5 * ms);
  const adds = [put('set/a', 'a', 0, 10), put('set/b', 'b', 20, 30), put('set/c', 'c', 40, 50), put('set/d', 'd', 60, null, 'info'), healed];
  const acknowledged = ['a', 'b', 'c', 'h'];
  const set = (finalRead: string[] | null, history = adds): SummarizeInput =>
    input({ workload: 'set', history, setFinal: { acknowledged, indeterminate: ['d'], finalRead } });

  it('passes when every acknowledged add is read back (indeterminate ones may or may not be)', () => {
    expect(summarize(set(['a', 'b', 'c', 'h'])).violations).toEqual([]);
    const summary = summarize(set(['a', 'b', 'c', 'd', 'h']));
    expect(summary.linearizable).toBe(true);
    expect(summary.lostAcknowledgedWrites).toBe(0);
  });

  it('a lost acknowledged element is a violation', () => {
    const summary = summarize(set(['a', 'b', 'd', 'h']));
    expect(summary.linearizable).toBe(false);
    expect(summary.lostAcknowledgedWrites).toBe(1);
    expect(summary.violations).toEqual(['set: 1 acknowledged add(s) lost (absent from the final read): c']);
  });

  it('an ok add seen only in the history counts as acknowledged', () => {
    const summary = summarize(set(['a', 'b', 'c', 'h'], [...adds, put('set/e', 'e', 70, 80)]));
    expect(summary.lostAcknowledgedWrites).toBe(1);
    expect(summary.violations[0]).toMatch(/lost.*: e$/);
  });

  it('an invented element is a violation', () => {
    const summary = summarize(set(['a', 'b', 'c', 'h', 'zz']));
    expect(summary.linearizable).toBe(false);
    expect(summary.lostAcknowledgedWrites).toBe(0);
    expect(summary.violations).toEqual(['set: 1 element(s) in the final read were never added: zz']);
  });

  it('an element whose add failed definitely must not be read', () => {
    const summary = summarize(set(['a', 'b', 'c', 'h', 'f'], [...adds, put('set/f', 'f', 70, 80, 'fail')]));
    expect(summary.linearizable).toBe(false);
    expect(summary.violations).toEqual(['set: 1 element(s) whose add failed definitely are in the final read: f']);
  });

  it('is unknown without a final read', () => {
    const summary = summarize(set(null));
    expect(summary.linearizable).toBe('unknown');
    expect(summary.violations).toEqual([]);
    expect(warningsOf(summary)).toEqual(['set verdict unknown: there was no final read']);
  });
});
