import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bruteForceLinearizable, validateLinearization } from './check.test-kit.js';
import { describeOp, parseHistory, type HistoryOp } from './history.js';
import { checkHistory, type CheckResult } from './linearizability.js';

const fixturesDir = new URL('../../test/fixtures/histories/', import.meta.url);

function load(relative: string): readonly HistoryOp[] {
  const parsed = parseHistory(readFileSync(new URL(relative, fixturesDir), 'utf8'));
  if (parsed.kind === 'malformed') throw new Error(`${relative}: ${JSON.stringify(parsed.errors)}`);
  return parsed.ops;
}

function statusByKey(result: CheckResult): Record<string, string> {
  return Object.fromEntries(result.keys.map((k) => [k.key, k.status]));
}

/** Every ok key's linearization must be one (checked independently of the search). */
function expectValidLinearizations(ops: readonly HistoryOp[], result: CheckResult): void {
  for (const key of result.keys) {
    if (key.status === 'ok') validateLinearization(ops, key.key, key.linearization ?? []);
  }
}

const put = (client: number, value: string, call: number, ret: number | null, status: 'ok' | 'info' | 'fail' = 'ok'): HistoryOp =>
  ({ client, op: 'put', key: 'k', value, call, return: ret, status });
const get = (client: number, output: string | null, call: number, ret: number): HistoryOp =>
  ({ client, op: 'get', key: 'k', call, return: ret, status: 'ok', output });

describe('checkHistory: reference histories', () => {
  it('the positive reference history is linearizable, key by key', () => {
    const ops = load('linearizable.jsonl');
    const result = checkHistory(ops);
    expect(result.status).toBe('linearizable');
    expect(statusByKey(result)).toEqual({ x: 'ok', y: 'ok', lock: 'ok' });
    expect(result.keys.find((k) => k.key === 'x')).toMatchObject({ ops: 7, dropped: 1 });
    expectValidLinearizations(ops, result);
  });

  it('the negative reference history: x, z and lock are illegal, y is ok', () => {
    const ops = load('not-linearizable.jsonl');
    const result = checkHistory(ops);
    expect(result.status).toBe('not-linearizable');
    expect(statusByKey(result)).toEqual({ x: 'illegal', y: 'ok', z: 'illegal', lock: 'illegal' });
  });

  it('explains an illegal key: the longest prefix, the state, the operation that cannot be placed', () => {
    const ops = load('not-linearizable.jsonl');
    const x = checkHistory(ops).keys.find((k) => k.key === 'x')!;
    expect(x.witness).toMatchObject({ prefix: [0, 1], state: '200', blocked: 2, reason: 'illegal-in-state', evidence: [] });
    expect(x.witness!.explanation).toBe(
      'After the longest linearizable prefix found (2 of 3 operations; state: "200"), client 2 get -> null [40, 60] must take effect '
      + 'before it returns, but it is illegal there: it read null, the key holds "200".',
    );
    const lock = checkHistory(ops).keys.find((k) => k.key === 'lock')!;
    expect(lock.witness!.explanation).toMatch(/cas null => "c8" -> true \[10, 60\] must take effect before it returns, but it is illegal there: the swap needs null, the key holds "c7"/);
  });

  it('explains a read refuted before any search: the write it saw was overwritten before it began', () => {
    const ops = load('not-linearizable.jsonl');
    const z = checkHistory(ops).keys.find((k) => k.key === 'z')!;
    expect(z).toMatchObject({ status: 'illegal', steps: 0 });
    expect(z.witness).toMatchObject({ prefix: [], blocked: 6, reason: 'stale', evidence: [{ write: null, overwrittenBy: 5 }] });
    expect(z.witness!.explanation).toBe(
      'client 5 get -> null [20, 30] read null, but no write of that value can be the latest while it runs: '
      + 'the initial absence of the key was overwritten by client 4 put "a" [0, 10] before it was called.',
    );
    const ghost = checkHistory([put(0, 'a', 0, 10), get(1, 'b', 20, 30)]).keys[0]!;
    expect(ghost.witness).toMatchObject({ reason: 'never-written', blocked: 1 });
    expect(ghost.witness!.explanation).toBe('client 1 get -> "b" [20, 30] read "b", but no operation on this key that may have taken effect writes that value (or can build it), so it cannot take effect anywhere.');
  });
});

/** How each anomaly is caught: before any search (refutation) or by the search itself. */
const expectedReasons: Readonly<Record<string, string>> = {
  'append-applied-twice.jsonl': 'illegal-in-state',
  'cas-against-unwritten-value.jsonl': 'never-written',
  'cas-split-brain.jsonl': 'illegal-in-state',
  'divergent-write-order.jsonl': 'illegal-in-state',
  'failed-write-visible.jsonl': 'never-written',
  'info-write-flicker.jsonl': 'illegal-in-state',
  'lost-delete.jsonl': 'stale',
  'lost-write.jsonl': 'illegal-in-state',
  'non-monotonic-reads-across-clients.jsonl': 'illegal-in-state',
  'read-before-info-write-call.jsonl': 'stale',
  'read-of-unwritten-value.jsonl': 'never-written',
  'read-your-writes-violation.jsonl': 'stale',
  'stale-read.jsonl': 'stale',
};

describe('checkHistory: fixture corpus', () => {
  for (const folder of ['linearizable', 'non-linearizable'] as const) {
    const files = readdirSync(new URL(`${folder}/`, fixturesDir)).filter((name) => name.endsWith('.jsonl')).sort();
    it(`${folder}/ holds a corpus`, () => {
      expect(files.length).toBeGreaterThanOrEqual(folder === 'linearizable' ? 4 : 8);
    });
    for (const file of files) {
      it(`${folder}/${file}`, () => {
        const ops = load(`${folder}/${file}`);
        const result = checkHistory(ops);
        // The fixture's label is confirmed by the brute-force reference too.
        expect(bruteForceLinearizable(ops)).toBe(folder === 'linearizable');
        if (folder === 'linearizable') {
          expect(result.status).toBe('linearizable');
          expectValidLinearizations(ops, result);
        } else {
          expect(result.status).toBe('not-linearizable');
          for (const key of result.keys.filter((k) => k.status === 'illegal')) {
            expect(key.witness!.explanation).toContain(describeOp(ops[key.witness!.blocked]!));
            if (file in expectedReasons) expect(key.witness!.reason).toBe(expectedReasons[file]);
          }
        }
      });
    }
  }
});

describe('checkHistory: semantics', () => {
  it('an info write may take effect long after its call', () => {
    const ops = [put(0, 'a', 0, 10), put(1, 'b', 20, null, 'info'), get(2, 'a', 30, 40), get(3, 'a', 500, 510), get(4, 'b', 1000, 1010)];
    const result = checkHistory(ops);
    expect(result.status).toBe('linearizable');
    expect(result.keys[0]!.linearization).toEqual([0, 2, 3, 1, 4]);
  });

  it('an info write may never take effect, and then is left out of the linearization', () => {
    const ops = [put(0, 'a', 0, 10), put(1, 'b', 20, null, 'info'), get(2, 'a', 30, 40), get(3, 'a', 500, 510)];
    const result = checkHistory(ops);
    expect(result.status).toBe('linearizable');
    expect(result.keys[0]!.linearization).not.toContain(1);
  });

  it('an info write cannot take effect before its call', () => {
    expect(checkHistory([get(0, 'b', 0, 10), put(1, 'b', 20, null, 'info')]).status).toBe('not-linearizable');
  });

  it('intervals are closed: operations that touch are concurrent, operations that do not are ordered', () => {
    expect(checkHistory([put(0, 'a', 0, 10), get(1, null, 10, 20)]).status).toBe('linearizable');
    expect(checkHistory([put(0, 'a', 0, 10), get(1, null, 11, 20)]).status).toBe('not-linearizable');
    expect(checkHistory([get(1, 'a', 0, 10), put(0, 'a', 10, 20)]).status).toBe('linearizable');
    expect(checkHistory([get(1, 'a', 0, 9), put(0, 'a', 10, 20)]).status).toBe('not-linearizable');
    expect(checkHistory([put(0, 'a', 5, 5), get(1, 'a', 5, 5), get(2, null, 5, 5)]).status).toBe('linearizable');
  });

  it('fail operations and info gets are dropped', () => {
    const ops: HistoryOp[] = [
      put(0, 'ghost', 0, 10, 'fail'),
      { client: 1, op: 'get', key: 'k', call: 0, return: null, status: 'info' },
      get(2, null, 20, 30),
    ];
    const result = checkHistory(ops);
    expect(result.status).toBe('linearizable');
    expect(result.keys[0]).toMatchObject({ ops: 1, dropped: 2, linearization: [2] });
    expect(checkHistory([put(0, 'ghost', 0, 10, 'fail'), get(2, 'ghost', 20, 30)]).status).toBe('not-linearizable');
  });

  it('cas: true needs the expected state (null = absent), false needs any other, info takes either branch', () => {
    const cas = (client: number, expected: string | null, value: string, output: boolean | undefined, call: number, ret: number | null): HistoryOp =>
      (output === undefined
        ? { client, op: 'cas', key: 'k', expected, value, call, return: null, status: 'info' }
        : { client, op: 'cas', key: 'k', expected, value, call, return: ret, status: 'ok', output });
    expect(checkHistory([cas(0, null, 'a', true, 0, 10), get(1, 'a', 20, 30)]).status).toBe('linearizable');
    expect(checkHistory([cas(0, null, 'a', false, 0, 10)]).status).toBe('not-linearizable');
    expect(checkHistory([put(0, 'x', 0, 10), cas(1, null, 'a', false, 20, 30), get(2, 'x', 40, 50)]).status).toBe('linearizable');
    expect(checkHistory([put(0, 'x', 0, 10), cas(1, 'y', 'a', true, 20, 30)]).status).toBe('not-linearizable');
    // An info cas from the wrong state takes effect as a failed comparison: it cannot produce its value.
    expect(checkHistory([put(0, 'x', 0, 10), cas(1, 'y', 'a', undefined, 20, null), get(2, 'a', 40, 50)]).status).toBe('not-linearizable');
    expect(checkHistory([put(0, 'y', 0, 10), cas(1, 'y', 'a', undefined, 20, null), get(2, 'a', 40, 50)]).status).toBe('linearizable');
  });

  it('append concatenates onto absent as "", delete makes the key absent', () => {
    const append = (client: number, value: string, call: number, ret: number): HistoryOp => ({ client, op: 'append', key: 'k', value, call, return: ret, status: 'ok' });
    const del = (client: number, call: number, ret: number): HistoryOp => ({ client, op: 'delete', key: 'k', call, return: ret, status: 'ok' });
    expect(checkHistory([append(0, 'a;', 0, 10), append(1, 'b;', 20, 30), get(2, 'a;b;', 40, 50), del(3, 60, 70), get(4, null, 80, 90), append(5, 'c;', 100, 110), get(6, 'c;', 120, 130)]).status).toBe('linearizable');
    expect(checkHistory([append(0, 'a;', 0, 10), append(1, 'b;', 20, 30), get(2, 'b;a;', 40, 50)]).status).toBe('not-linearizable');
  });

  it('checks keys independently and reports them in order of first appearance', () => {
    const ops: HistoryOp[] = [{ ...get(0, 'nope', 0, 1), key: 'b' }, { ...put(1, 'v', 0, 1), key: 'a' }, { ...get(2, 'v', 2, 3), key: 'a' }];
    const result = checkHistory(ops);
    expect(result.keys.map((k) => [k.key, k.status])).toEqual([['b', 'illegal'], ['a', 'ok']]);
    expect(result.keys[1]!.linearization).toEqual([1, 2]);
    expect(result.keys[0]!.witness).toMatchObject({ prefix: [], state: null, blocked: 0 });
    expect(checkHistory([])).toEqual({ status: 'linearizable', keys: [], steps: 0 });
  });
});

describe('checkHistory: budgets', () => {
  // x and lock need the search; z is refuted before it (0 steps); y is linearizable.
  const hard = load('not-linearizable.jsonl');
  const full = checkHistory(hard);
  const stepsOf = (key: string): number => full.keys.find((k) => k.key === key)!.steps;
  const only = (...keys: string[]): HistoryOp[] => hard.filter((op) => keys.includes(op.key));

  it('reports unknown, not illegal, when a key runs out of steps, and never hangs', () => {
    expect(stepsOf('x')).toBeGreaterThan(1);
    const result = checkHistory(only('x', 'y'), { keyBudgetSteps: stepsOf('x') - 1 });
    expect(result.status).toBe('unknown');
    expect(statusByKey(result)).toEqual({ x: 'unknown', y: 'ok' });
    expect(result.keys[0]!.steps).toBe(stepsOf('x') - 1);
    expect(checkHistory(only('x', 'y'), { keyBudgetSteps: stepsOf('x') }).status).toBe('not-linearizable');
  });

  it('an illegal key wins over an unknown one', () => {
    const result = checkHistory(hard, { keyBudgetSteps: 1 });
    expect(statusByKey(result)).toMatchObject({ x: 'unknown', z: 'illegal', lock: 'unknown' });
    expect(result.status).toBe('not-linearizable');
  });

  it('the total budget is shared: keys after it is spent are unknown', () => {
    const result = checkHistory(only('x', 'lock'), { budgetSteps: stepsOf('x') });
    expect(result.steps).toBe(stepsOf('x'));
    expect(statusByKey(result)).toEqual({ x: 'illegal', lock: 'unknown' });
  });

  it('rejects a nonsensical budget as a programming error', () => {
    expect(() => checkHistory(hard, { budgetSteps: -1 })).toThrow(/budgetSteps/);
    expect(() => checkHistory(hard, { keyBudgetSteps: 1.5 })).toThrow(/keyBudgetSteps/);
  });
});
