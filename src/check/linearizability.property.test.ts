/**
 * Properties of the checker against deliberately simple references: histories built from a real
 * sequential execution are always linearizable; a read of a value never written never is; and on
 * tiny arbitrary histories the verdict equals an exhaustive search's.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bruteForceLinearizable, referenceLinearizable, simulateRegister, specStep, validateLinearization } from './check.test-kit.js';
import { formatHistoryOp, parseHistory, type HistoryOp } from './history.js';
import { checkHistory } from './linearizability.js';

type Kind = 'get' | 'put' | 'append' | 'delete' | 'casHit' | 'casMiss';
type Fate = 'ok' | 'info-effect' | 'info-never' | 'fail';

interface Step {
  readonly key: string;
  readonly kind: Kind;
  /** Time from the previous operation's effect to this one's (0: same instant). */
  readonly gap: number;
  /** The interval around the effect: call = effect - before, return = effect + after. */
  readonly before: number;
  readonly after: number;
  readonly fate: Fate;
}

const step: fc.Arbitrary<Step> = fc.record({
  key: fc.constantFrom('a', 'b'),
  kind: fc.constantFrom<Kind>('get', 'get', 'put', 'append', 'delete', 'casHit', 'casMiss'),
  gap: fc.nat(3),
  before: fc.nat(12),
  after: fc.nat(12),
  fate: fc.constantFrom<Fate>('ok', 'ok', 'ok', 'ok', 'info-effect', 'info-never', 'fail'),
});

/**
 * Runs the steps on a real sequential store, in order, each at its effect instant; the interval
 * written for each operation contains that instant (info: from the call on, forever).
 */
function execute(steps: readonly Step[]): HistoryOp[] {
  const state = new Map<string, string | null>();
  let effect = 100;
  const ops = steps.map((s, i): HistoryOp => {
    effect += s.gap;
    const current = state.get(s.key) ?? null;
    const status = s.fate === 'ok' ? 'ok' : s.fate === 'fail' ? 'fail' : 'info';
    const base = { client: 0, key: s.key, call: effect - s.before, return: status === 'info' ? null : effect + s.after, status } as const;
    let op: HistoryOp;
    switch (s.kind) {
      case 'get':
        op = status === 'ok' ? { ...base, op: 'get', output: current } : { ...base, op: 'get' };
        break;
      case 'put':
        op = { ...base, op: 'put', value: `v${i}` };
        break;
      case 'append':
        op = { ...base, op: 'append', value: `t${i};` };
        break;
      case 'delete':
        op = { ...base, op: 'delete' };
        break;
      case 'casHit':
      case 'casMiss': {
        const expected = s.kind === 'casHit' ? current : current === null ? `never${i}` : null;
        const cas = { ...base, op: 'cas', expected, value: `v${i}` } as const;
        op = status === 'ok' ? { ...cas, output: s.kind === 'casHit' } : cas;
        break;
      }
    }
    if (s.fate === 'ok' || (s.fate === 'info-effect' && op.op !== 'get')) {
      const next = specStep(op, current);
      if (next === undefined) throw new Error(`the store produced an illegal output at step ${i}`);
      state.set(s.key, next.state);
    }
    return op;
  });
  return assignClients(ops);
}

/** One operation in flight per client, a fresh client after an info outcome (the format's rules). */
function assignClients(ops: readonly HistoryOp[]): HistoryOp[] {
  const freeAt: number[] = [];
  const order = ops.map((_, i) => i).sort((a, b) => ops[a]!.call - ops[b]!.call || a - b);
  const out = [...ops];
  for (const index of order) {
    const op = ops[index]!;
    let client = freeAt.findIndex((t) => t <= op.call);
    if (client < 0) client = freeAt.push(0) - 1;
    freeAt[client] = op.status === 'info' ? Infinity : op.return!;
    out[index] = { ...op, client };
  }
  return out;
}

/** Through the writer and the reader, as the simulator's histories will go. */
function roundTrip(ops: readonly HistoryOp[], reverse: boolean): readonly HistoryOp[] {
  const lines = ops.map(formatHistoryOp);
  const parsed = parseHistory((reverse ? lines.reverse() : lines).join('\n'));
  if (parsed.kind === 'malformed') throw new Error(`malformed: ${JSON.stringify(parsed.errors)}`);
  return parsed.ops;
}

describe('checkHistory properties', () => {
  it('a history recorded from a real sequential execution is linearizable, with a valid witness order', () => {
    fc.assert(fc.property(fc.array(step, { minLength: 1, maxLength: 60 }), fc.boolean(), (steps, reverse) => {
      const ops = roundTrip(execute(steps), reverse);
      const result = checkHistory(ops);
      expect(result.status).toBe('linearizable');
      for (const key of result.keys) validateLinearization(ops, key.key, key.linearization!);
    }), { numRuns: 300 });
  });

  it('changing one read to a value never written makes it not linearizable, on that key', () => {
    fc.assert(fc.property(fc.array(step, { minLength: 1, maxLength: 60 }), fc.nat(), (steps, pick) => {
      const ops = execute(steps);
      const reads = ops.flatMap((op, i) => (op.op === 'get' && op.status === 'ok' ? [i] : []));
      fc.pre(reads.length > 0);
      const target = reads[pick % reads.length]!;
      const mutated = ops.map((op, i) => (i === target && op.op === 'get' ? { ...op, output: 'never-written!' } : op));
      const result = checkHistory(mutated);
      expect(result.status).toBe('not-linearizable');
      expect(result.keys.find((k) => k.key === ops[target]!.key)!.status).toBe('illegal');
    }), { numRuns: 300 });
  });

  it('agrees with an exhaustive search on tiny arbitrary histories (both verdicts)', () => {
    const value = fc.constantFrom('a', 'b', 'ab');
    const tiny = fc.record({
      kind: fc.constantFrom('get', 'get', 'put', 'append', 'delete', 'cas'),
      value,
      expected: fc.constantFrom(null, 'a', 'b', 'ab'),
      output: fc.constantFrom(null, 'a', 'b', 'ab', 'ba'),
      swapped: fc.boolean(),
      call: fc.nat(10),
      duration: fc.nat(6),
      status: fc.constantFrom('ok', 'ok', 'ok', 'info', 'fail'),
    });
    let searchedIllegal = 0;
    let linearizable = 0;
    fc.assert(fc.property(fc.array(tiny, { minLength: 1, maxLength: 7 }), (specs) => {
      const ops = specs.map((t, client): HistoryOp => {
        const status = t.status;
        const base = { client, key: 'k', call: t.call, return: status === 'info' ? null : t.call + t.duration, status };
        switch (t.kind) {
          case 'get':
            return status === 'ok' ? { ...base, op: 'get', output: t.output } : { ...base, op: 'get' };
          case 'put':
            return { ...base, op: 'put', value: t.value };
          case 'append':
            return { ...base, op: 'append', value: t.value };
          case 'delete':
            return { ...base, op: 'delete' };
          default:
            return status === 'ok'
              ? { ...base, op: 'cas', expected: t.expected, value: t.value, output: t.swapped }
              : { ...base, op: 'cas', expected: t.expected, value: t.value };
        }
      });
      const expected = bruteForceLinearizable(ops);
      const result = checkHistory(ops);
      expect(result.status).toBe(expected ? 'linearizable' : 'not-linearizable');
      const key = result.keys[0]!;
      if (expected) {
        linearizable += 1;
        validateLinearization(ops, 'k', key.linearization!);
      } else {
        if (key.steps > 0) searchedIllegal += 1;
        validateLinearization(ops, 'k', key.witness!.prefix, false);
      }
    }), { numRuns: 3000 });
    // Both verdicts, and illegal ones found by the search itself (not only by the quick refutation).
    expect(linearizable).toBeGreaterThan(100);
    expect(searchedIllegal).toBeGreaterThan(100);
  });
});

describe('checkHistory against the plain memoized search', () => {
  it('agrees on mid-size simulated histories with random corruptions', () => {
    const mixes = [
      { get: 4, put: 3, cas: 2, delete: 1, append: 0 },
      { get: 4, put: 1, cas: 1, delete: 1, append: 3 },
      { get: 2, put: 3, cas: 0, delete: 2, append: 0 },
    ] as const;
    let compared = 0;
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 1_000_000 }),
      fc.constantFrom(...mixes),
      fc.array(fc.record({ at: fc.nat(), how: fc.nat(), shift: fc.integer({ min: 1, max: 20 }) }), { maxLength: 2 }),
      (seed, mix, corruptions) => {
        const ops = simulateRegister({ seed, clients: 2 + (seed % 4), ops: 10 + (seed % 30), infoRate: 0.15, failRate: 0.05, mix, latencyMax: 30 });
        const values = [...new Set(ops.flatMap((op) => (op.op === 'get' || op.op === 'delete' ? [] : [op.value])))];
        const corrupted = [...ops];
        for (const { at, how, shift } of corruptions) {
          const op = corrupted[at % corrupted.length]!;
          if (op.op === 'get' && op.status === 'ok') corrupted[at % corrupted.length] = { ...op, output: how % 5 === 0 ? null : values[how % values.length] ?? null };
          else if (op.op === 'cas' && op.status === 'ok') corrupted[at % corrupted.length] = { ...op, output: !op.output };
          else if (op.status === 'ok') corrupted[at % corrupted.length] = { ...op, call: op.call + shift, return: op.return! + shift };
        }
        const expected = referenceLinearizable(corrupted);
        fc.pre(expected !== undefined);
        compared += 1;
        expect(checkHistory(corrupted).status).toBe(expected ? 'linearizable' : 'not-linearizable');
      },
    ), { numRuns: 400 });
    expect(compared).toBeGreaterThan(300);
  });
});
