import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromUtf8 } from '../core/bytes.js';
import { backoffDelayMs } from './backoff.js';
import { findDagProblem } from './dag.js';
import { decodeCommand } from './decode.js';
import { encodeCommand } from './encode.js';
import type { TaskId } from './ids.js';
import { canonicalJson, NotJsonError } from './json.js';
import { mapReduceJob } from './map-reduce.js';
import { Harness } from './tasks.test-kit.js';

describe('canonical JSON', () => {
  it('sorts keys at every level, so field order does not change the bytes', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 0, y: null }], c: 'x' } })).toBe('{"a":{"c":"x","d":[1,{"y":null,"z":0}]},"b":1}');
    const a = encodeCommand({ kind: 'complete', taskId: 'j/t', attempt: 2, output: { x: 1, y: 2 } });
    const b = encodeCommand({ output: { y: 2, x: 1 }, attempt: 2, taskId: 'j/t', kind: 'complete' } as const);
    expect(b).toEqual(a);
    expect(fromUtf8(a)).toBe('{"attempt":2,"kind":"complete","output":{"x":1,"y":2},"taskId":"j/t"}');
  });

  it('refuses what is not JSON', () => {
    expect(() => canonicalJson([undefined])).toThrow(NotJsonError);
    expect(() => canonicalJson(Number.NaN)).toThrow(NotJsonError);
    expect(() => canonicalJson(new Date(0))).toThrow(NotJsonError);
    expect(() => canonicalJson([[[1]]], 2)).toThrow(/deeper than 2/);
  });

  it('decode(encode(c)) re-encodes to the same bytes', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), fc.integer({ min: 1, max: 100 }), (output, attempt) => {
      const bytes = encodeCommand({ kind: 'complete', taskId: 'j/t', attempt, output: output as never });
      const decoded = decodeCommand(bytes);
      expect(decoded.ok).toBe(true);
      if (decoded.ok) expect(encodeCommand(decoded.value)).toEqual(bytes);
    }));
  });
});

describe('backoff', () => {
  it('grows exponentially within [base/2, base), capped, and is the same on every call', () => {
    const spec = { initialMs: 100, maxMs: 1000 };
    for (let attempt = 1; attempt <= 8; attempt++) {
      const base = Math.min(1000, 100 * 2 ** (attempt - 1));
      const delay = backoffDelayMs(spec, 'j/t' as TaskId, attempt);
      expect(delay).toBeGreaterThanOrEqual(base / 2);
      expect(delay).toBeLessThan(base);
      expect(backoffDelayMs(spec, 'j/t' as TaskId, attempt)).toBe(delay);
    }
    const spread = new Set(Array.from({ length: 20 }, (_, i) => backoffDelayMs(spec, `j/t${i}` as TaskId, 3)));
    expect(spread.size).toBeGreaterThan(10);
  });
});

describe('dag', () => {
  it('accepts a DAG and a long chain without deep recursion, finds cycles', () => {
    const n = 100_000;
    const ids = Array.from({ length: n }, (_, i) => `t${i}`);
    expect(findDagProblem(ids, ids.map((_, i) => (i === 0 ? [] : [`t${i - 1}`])))).toBeUndefined();
    expect(findDagProblem(['a', 'b'], [['b'], ['a']])).toEqual({ kind: 'cycle', path: ['a', 'b', 'a'] });
  });
});

describe('mapReduceJob', () => {
  it('builds chunked map tasks and a reduce depending on all of them, which runs last', () => {
    const job = mapReduceJob({ items: [1, 2, 3, 4, 5], map: 'square', chunk: 2, reduce: { handler: 'sum' }, jobId: 'mr' });
    expect(job.tasks.map((t) => [t.id, t.input, t.dependsOn])).toEqual([
      ['map-0', { offset: 0, items: [1, 2] }, undefined], ['map-1', { offset: 2, items: [3, 4] }, undefined],
      ['map-2', { offset: 4, items: [5] }, undefined], ['reduce', null, ['map-0', 'map-1', 'map-2']],
    ]);
    const h = new Harness();
    h.ok('registerWorker', { kind: 'registerWorker', workerId: 'w', capacity: 4, handlers: ['square', 'sum'], nowMs: 0 });
    h.ok('submitJob', job);
    expect([...h.machine.view.ready]).toEqual(['mr/map-0', 'mr/map-1', 'mr/map-2']);
    for (const id of ['mr/map-0', 'mr/map-1', 'mr/map-2']) {
      h.ok('assign', { kind: 'assign', taskId: id, workerId: 'w', nowMs: 1 });
      h.ok('complete', { kind: 'complete', taskId: id, attempt: 1, output: 1 });
    }
    expect([...h.machine.view.ready]).toEqual(['mr/reduce']);
    expect(() => mapReduceJob({ items: [], map: 'm' })).toThrow(/at least one item/);
  });
});
