import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AssertionError } from '../core/assert.js';
import { HeartbeatHistory } from './heartbeat-history.js';

describe('HeartbeatHistory', () => {
  it('keeps the mean and deviation of the last sampleCountMax intervals (model: recompute from the tail)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.array(fc.double({ min: 0, max: 10_000, noNaN: true }), { minLength: 1, maxLength: 200 }), (sampleCountMax, samples) => {
        const history = new HeartbeatHistory(sampleCountMax);
        for (const sample of samples) history.add(sample);
        const tail = samples.slice(-sampleCountMax);
        const mean = tail.reduce((sum, x) => sum + x, 0) / tail.length;
        const variance = tail.reduce((sum, x) => sum + (x - mean) ** 2, 0) / tail.length;
        expect(history.count).toBe(tail.length);
        expect(history.meanMs()).toBeCloseTo(mean, 6);
        expect(Math.abs(history.stdDeviationMs() - Math.sqrt(variance))).toBeLessThan(1e-3);
      }),
    );
  });

  it('never reports a NaN deviation for identical fractional samples', () => {
    const history = new HeartbeatHistory(100);
    for (let i = 0; i < 10_000; i++) history.add(100.1);
    expect(history.stdDeviationMs()).toBeGreaterThanOrEqual(0);
    expect(history.stdDeviationMs()).toBeLessThan(1e-3);
    expect(history.meanMs()).toBeCloseTo(100.1, 9);
  });

  it('rejects negative and non-finite intervals as bugs', () => {
    const history = new HeartbeatHistory(10);
    expect(() => history.add(-1)).toThrow(AssertionError);
    expect(() => history.add(Number.NaN)).toThrow(AssertionError);
    expect(() => history.meanMs()).toThrow(AssertionError);
  });
});
