import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AssertionError } from '../core/assert.js';
import { describeOp, formatHistoryOp, historyErrorsMax, parseHistory, type HistoryError, type HistoryOp } from './history.js';

const fixture = (name: string): string => readFileSync(new URL(`../../test/fixtures/histories/${name}`, import.meta.url), 'utf8');

const good = {
  put: '{"client":0,"op":"put","key":"x","value":"1","call":0,"return":100,"status":"ok"}',
  get: '{"client":1,"op":"get","key":"x","call":10,"return":40,"status":"ok","output":null}',
  cas: '{"client":2,"op":"cas","key":"x","value":"2","expected":"1","call":200,"return":300,"status":"ok","output":false}',
};

function errorsOf(text: string): readonly HistoryError[] {
  const result = parseHistory(text);
  if (result.kind === 'ok') throw new Error('expected a malformed history');
  return result.errors;
}

function opsOf(text: string): readonly HistoryOp[] {
  const result = parseHistory(text);
  if (result.kind === 'malformed') throw new Error(`unexpected errors: ${JSON.stringify(result.errors)}`);
  return result.ops;
}

describe('parseHistory', () => {
  it('reads both reference histories, remembering each operation\'s line', () => {
    const positive = parseHistory(fixture('linearizable.jsonl'));
    expect(positive.kind).toBe('ok');
    if (positive.kind !== 'ok') return;
    expect(positive.ops).toHaveLength(17);
    expect(positive.lines).toEqual(Array.from({ length: 17 }, (_, i) => i + 1));
    expect(positive.ops[9]).toEqual({ client: 3, op: 'put', key: 'y', value: 'b', call: 20, return: null, status: 'info', meta: { error: 'timeout' } });
    expect(parseHistory(fixture('not-linearizable.jsonl')).kind).toBe('ok');
  });

  it('skips blank lines (a trailing newline included) but counts them in line numbers', () => {
    const result = parseHistory(`\n${good.put}\n\n  \n${good.get}\n`);
    expect(result).toMatchObject({ kind: 'ok', lines: [2, 5] });
    expect(parseHistory('')).toEqual({ kind: 'ok', ops: [], lines: [] });
  });

  it('rejects an unknown top-level field, naming it and its line', () => {
    const errors = errorsOf(`${good.put}\n{"client":1,"op":"get","key":"x","call":10,"return":40,"status":"ok","output":null,"node":"n1"}`);
    expect(errors).toEqual([{ line: 2, message: 'unknown field "node" (put extra data under "meta")' }]);
  });

  it('rejects missing required fields, per operation and status', () => {
    const cases: readonly [string, string][] = [
      ['{"op":"get","key":"x","call":1,"return":2,"status":"ok","output":null}', 'missing field "client"'],
      ['{"client":0,"key":"x","call":1,"return":2,"status":"ok"}', 'missing field "op"'],
      ['{"client":0,"op":"delete","call":1,"return":2,"status":"ok"}', 'missing field "key"'],
      ['{"client":0,"op":"delete","key":"x","return":2,"status":"ok"}', 'missing field "call"'],
      ['{"client":0,"op":"delete","key":"x","call":1,"return":2}', 'missing field "status"'],
      ['{"client":0,"op":"delete","key":"x","call":1,"status":"ok"}', 'missing field "return" (required when status is ok)'],
      ['{"client":0,"op":"put","key":"x","call":1,"return":2,"status":"ok"}', 'missing field "value" (required for put)'],
      ['{"client":0,"op":"append","key":"x","call":1,"return":2,"status":"ok"}', 'missing field "value" (required for append)'],
      ['{"client":0,"op":"cas","key":"x","value":"v","call":1,"return":2,"status":"ok","output":true}', 'missing field "expected" (required for cas)'],
      ['{"client":0,"op":"get","key":"x","call":1,"return":2,"status":"ok"}', 'missing field "output" (required for an ok get: the value read, or null)'],
      ['{"client":0,"op":"cas","key":"x","value":"v","expected":null,"call":1,"return":2,"status":"ok"}', 'missing field "output" (required for an ok cas: true or false)'],
    ];
    for (const [line, message] of cases) expect(errorsOf(line), line).toEqual([{ line: 1, message }]);
  });

  it('does not require return or output for fail and info operations', () => {
    const ops = opsOf([
      '{"client":0,"op":"get","key":"x","call":1,"status":"info"}',
      '{"client":1,"op":"cas","key":"x","value":"v","expected":null,"call":1,"return":null,"status":"info"}',
      '{"client":2,"op":"put","key":"x","value":"v","call":1,"status":"fail"}',
      '{"client":3,"op":"put","key":"x","value":"v","call":1,"return":null,"status":"info","output":"ignored"}',
    ].join('\n'));
    expect(ops.map((op) => op.return)).toEqual([null, null, null, null]);
    expect(ops[3]).not.toHaveProperty('output');
  });

  it('rejects return < call for ok and fail operations, but ignores an info operation\'s return', () => {
    expect(errorsOf('{"client":0,"op":"delete","key":"x","call":50,"return":49,"status":"ok"}')).toEqual([{ line: 1, message: '"return" (49) is before "call" (50)' }]);
    expect(errorsOf('{"client":0,"op":"delete","key":"x","call":50,"return":10,"status":"fail"}')).toHaveLength(1);
    expect(opsOf('{"client":0,"op":"delete","key":"x","call":50,"return":10,"status":"info"}')).toHaveLength(1);
    expect(opsOf('{"client":0,"op":"delete","key":"x","call":50,"return":50,"status":"ok"}')).toHaveLength(1);
  });

  it('rejects a bad status, a bad op and ill-typed fields', () => {
    expect(errorsOf(`${good.put}\n${good.get}\n{"client":2,"op":"delete","key":"x","call":1,"return":2,"status":"timeout"}`))
      .toEqual([{ line: 3, message: '"status" must be one of ok, fail, info, got "timeout"' }]);
    const cases: readonly [string, string][] = [
      ['{"client":0,"op":"read","key":"x","call":1,"return":2,"status":"ok"}', '"op" must be one of get, put, append, cas, delete, got "read"'],
      ['{"client":-1,"op":"delete","key":"x","call":1,"return":2,"status":"ok"}', '"client" must be an integer >= 0, got -1'],
      ['{"client":"c1","op":"delete","key":"x","call":1,"return":2,"status":"ok"}', '"client" must be an integer >= 0, got "c1"'],
      ['{"client":0,"op":"delete","key":7,"call":1,"return":2,"status":"ok"}', '"key" must be a string, got 7'],
      ['{"client":0,"op":"delete","key":"x","call":1.5,"return":2,"status":"ok"}', '"call" must be an integer of magnitude <= 2^53-1, got 1.5'],
      ['{"client":0,"op":"delete","key":"x","call":"1","return":2,"status":"ok"}', '"call" must be an integer of magnitude <= 2^53-1, got "1"'],
      ['{"client":0,"op":"delete","key":"x","call":1,"return":null,"status":"ok"}', '"return" must be an integer when status is ok, got null'],
      ['{"client":0,"op":"put","key":"x","value":1,"call":1,"return":2,"status":"ok"}', '"value" must be a string, got 1'],
      ['{"client":0,"op":"get","key":"x","value":"1","call":1,"return":2,"status":"ok","output":null}', 'field "value" does not apply to get'],
      ['{"client":0,"op":"put","key":"x","value":"1","expected":null,"call":1,"return":2,"status":"ok"}', 'field "expected" does not apply to put'],
      ['{"client":0,"op":"cas","key":"x","value":"1","expected":3,"call":1,"return":2,"status":"ok","output":true}', '"expected" must be a string or null, got 3'],
      ['{"client":0,"op":"get","key":"x","call":1,"return":2,"status":"ok","output":1}', '"output" of a get must be a string or null, got 1'],
      ['{"client":0,"op":"cas","key":"x","value":"1","expected":null,"call":1,"return":2,"status":"ok","output":"true"}', '"output" of a cas must be true or false, got "true"'],
      ['[1,2]', 'a line must be one JSON object'],
      ['null', 'a line must be one JSON object'],
    ];
    for (const [line, message] of cases) expect(errorsOf(line), line).toEqual([{ line: 1, message }]);
  });

  it('enforces call <= 2^53-1 (larger integers lose precision as JSON numbers)', () => {
    const at = (call: string): string => `{"client":0,"op":"get","key":"x","call":${call},"status":"info"}`;
    expect(opsOf(at('9007199254740991'))[0]!.call).toBe(Number.MAX_SAFE_INTEGER);
    expect(errorsOf(at('9007199254740992'))[0]!.message).toMatch(/"call" must be an integer of magnitude <= 2\^53-1/);
    expect(errorsOf(at('1e300'))).toHaveLength(1);
  });

  it('reports invalid JSON and every problem of a line, each with its line number, sorted', () => {
    const errors = errorsOf(`${good.put}\n{"client":0,"op":"put"\n${good.get}\n{"client":0,"op":"cas","key":"x","call":5,"return":1,"status":"ok","colour":1}`);
    expect(errors.map((e) => e.line)).toEqual([2, 4, 4, 4, 4, 4]);
    expect(errors[0]!.message).toMatch(/^invalid JSON/);
    expect(errors.slice(1).map((e) => e.message)).toEqual([
      'unknown field "colour" (put extra data under "meta")',
      '"return" (1) is before "call" (5)',
      'missing field "value" (required for cas)',
      'missing field "expected" (required for cas)',
      'missing field "output" (required for an ok cas: true or false)',
    ]);
  });

  it('lists at most historyErrorsMax errors but counts them all', () => {
    const result = parseHistory(Array.from({ length: historyErrorsMax + 5 }, () => '{}').join('\n'));
    expect(result.kind).toBe('malformed');
    if (result.kind !== 'malformed') return;
    expect(result.errors).toHaveLength(historyErrorsMax);
    expect(result.errorCount).toBe((historyErrorsMax + 5) * 5);
  });

  it('rejects a client with two operations in flight, or reused after an info outcome', () => {
    const overlapping = errorsOf([
      '{"client":0,"op":"put","key":"x","value":"1","call":0,"return":100,"status":"ok"}',
      '{"client":0,"op":"get","key":"y","call":50,"return":60,"status":"ok","output":null}',
    ].join('\n'));
    expect(overlapping).toEqual([{ line: 2, message: 'client 0 already has an operation in flight (line 1, returned at 100, after this call at 50)' }]);
    const reused = errorsOf([
      '{"client":3,"op":"get","key":"y","call":90,"return":95,"status":"ok","output":null}',
      '{"client":3,"op":"put","key":"y","value":"b","call":20,"return":null,"status":"info"}',
    ].join('\n'));
    expect(reused).toEqual([{ line: 1, message: 'client 3 is reused after its info operation at line 2 (retire the id: that operation may still be pending)' }]);
    // Back to back (touching) is fine, and so is reuse after a fail.
    expect(opsOf([
      '{"client":0,"op":"put","key":"x","value":"1","call":0,"return":100,"status":"ok"}',
      '{"client":0,"op":"put","key":"x","value":"2","call":100,"return":150,"status":"fail"}',
      '{"client":0,"op":"get","key":"x","call":150,"return":160,"status":"ok","output":"1"}',
    ].join('\n'))).toHaveLength(3);
  });
});

describe('formatHistoryOp', () => {
  it('writes the stable field order whatever order the object was built in', () => {
    const op = { status: 'ok', output: true, return: 400, call: 330, expected: '12', value: '3', key: 'x', op: 'cas', client: 2 } as const;
    expect(formatHistoryOp(op)).toBe('{"client":2,"op":"cas","key":"x","expected":"12","value":"3","call":330,"return":400,"status":"ok","output":true}');
    expect(formatHistoryOp({ client: 3, op: 'put', key: 'y', value: 'b', call: 20, return: null, status: 'info', meta: { error: 'timeout' } }))
      .toBe('{"client":3,"op":"put","key":"y","value":"b","call":20,"return":null,"status":"info","meta":{"error":"timeout"}}');
  });

  it('reproduces every line of the reference histories byte for byte', () => {
    for (const name of ['linearizable.jsonl', 'not-linearizable.jsonl']) {
      const text = fixture(name);
      const out = opsOf(text).map(formatHistoryOp).join('\n');
      expect(`${out}\n`).toBe(text);
    }
  });

  it('refuses to write an operation the reader would reject', () => {
    expect(() => formatHistoryOp({ client: 0, op: 'get', key: 'x', call: 5, return: 4, status: 'ok', output: null })).toThrow(AssertionError);
    expect(() => formatHistoryOp({ client: 0, op: 'get', key: 'x', call: 5, return: 6, status: 'ok' })).toThrow(/missing field "output"/);
    expect(() => formatHistoryOp({ client: 0, op: 'put', key: 'x', value: 'v', call: Number.NaN, return: 6, status: 'ok' })).toThrow(AssertionError);
  });

  it('round-trips through parseHistory (property)', () => {
    const value = fc.string({ maxLength: 6 });
    const base = { client: fc.nat(), key: fc.string({ maxLength: 4 }), call: fc.integer({ min: 0, max: 1e12 }), duration: fc.nat(1000), status: fc.constantFrom<'ok' | 'fail' | 'info'>('ok', 'fail', 'info') };
    const arbitraryOp: fc.Arbitrary<HistoryOp> = fc.oneof(
      fc.record({ ...base, output: fc.option(value, { nil: null }) }).map(({ duration, ...o }) => (o.status === 'ok' ? { ...o, op: 'get' as const, return: o.call + duration } : { client: o.client, key: o.key, call: o.call, status: o.status, op: 'get' as const, return: null })),
      fc.record({ ...base, value }).map(({ duration, ...o }) => ({ ...o, op: 'put' as const, return: o.status === 'info' ? null : o.call + duration })),
      fc.record({ ...base, value }).map(({ duration, ...o }) => ({ ...o, op: 'append' as const, return: o.call + duration })),
      fc.record(base).map(({ duration, ...o }) => ({ ...o, op: 'delete' as const, return: o.call + duration, meta: { n: duration, s: 'x' } })),
      fc.record({ ...base, value, expected: fc.option(value, { nil: null }), output: fc.boolean() }).map(({ duration, output, ...o }) => (o.status === 'ok' ? { ...o, op: 'cas' as const, return: o.call + duration, output } : { ...o, op: 'cas' as const, return: null })),
    );
    fc.assert(fc.property(arbitraryOp, (op) => {
      const result = parseHistory(formatHistoryOp(op));
      expect(result).toEqual({ kind: 'ok', ops: [op], lines: [1] });
    }));
  });
});

describe('describeOp', () => {
  it('is short, one line, and shortens long values', () => {
    const [put, , , , , cas] = opsOf(fixture('linearizable.jsonl'));
    expect(describeOp(put!)).toBe('client 0 put "1" [0, 100]');
    expect(describeOp(cas!)).toBe('client 2 cas "12" => "3" -> true [330, 400]');
    expect(describeOp({ client: 3, op: 'put', key: 'y', value: 'b', call: 20, return: null, status: 'info' })).toBe('client 3 put "b" [20, inf) info');
    expect(describeOp({ client: 1, op: 'get', key: 'y', call: 1, return: 2, status: 'ok', output: 'ab;'.repeat(100) })).toMatch(/^client 1 get -> "\.\.\.(ab;)+\w*" \(300 chars\) \[1, 2\]$/);
  });
});
