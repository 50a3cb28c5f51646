import { describe, expect, it } from 'vitest';
import { ratesBetween } from './sample.js';

const at = (atMs: number, writes: number, writeSecondsSum: number, tasksCompleted: number) => ({
  atMs, counters: { writes, writeSecondsSum, tasksCompleted, zombieResultsRejected: 0 },
});

describe('ratesBetween', () => {
  it('turns counter differences into per-second rates and a mean latency', () => {
    const r = ratesBetween(at(1_000, 100, 0.5, 10), 1_500, at(1_500, 150, 0.6, 14).counters);
    expect(r.writesPerSec).toBeCloseTo(100);
    expect(r.writeLatencyMsMean).toBeCloseTo(2); // 0.1 s over 50 writes
    expect(r.tasksPerSec).toBeCloseTo(8);
  });

  it('has no latency when nothing was written', () => {
    expect(ratesBetween(at(0, 7, 0.1, 0), 500, at(500, 7, 0.1, 3).counters)).toEqual({ writesPerSec: 0, writeLatencyMsMean: null, tasksPerSec: 6 });
  });

  it('gives zero rates without a previous reading, without elapsed time, or after a counter reset', () => {
    const zero = { writesPerSec: 0, writeLatencyMsMean: null, tasksPerSec: 0 };
    expect(ratesBetween(undefined, 500, at(500, 10, 1, 1).counters)).toEqual(zero);
    expect(ratesBetween(at(500, 1, 1, 1), 500, at(500, 10, 2, 2).counters)).toEqual(zero);
    expect(ratesBetween(at(0, 10, 1, 1), 500, at(500, 2, 0.1, 1).counters)).toEqual(zero);
  });
});
