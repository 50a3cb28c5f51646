import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { logisticNormalCdf, phiOf } from './phi.js';

/** Akka's PhiAccrualFailureDetector.phi, verbatim, as the reference where it is finite. */
function akkaPhi(timeDiff: number, mean: number, stdDeviation: number): number {
  const y = (timeDiff - mean) / stdDeviation;
  const e = Math.exp(-y * (1.5976 + 0.070566 * y * y));
  return timeDiff > mean ? -Math.log10(e / (1 + e)) : -Math.log10(1 - 1 / (1 + e));
}

describe('logistic approximation of the normal CDF', () => {
  it('is within 2e-4 of the standard normal CDF (Bowling et al. 2009)', () => {
    // Phi(y) from tables.
    const table: readonly [number, number][] = [[-3, 0.0013499], [-2, 0.0227501], [-1, 0.1586553], [0, 0.5], [0.5, 0.6914625], [1, 0.8413447], [2, 0.9772499], [3, 0.9986501]];
    for (const [y, expected] of table) expect(Math.abs(logisticNormalCdf(y) - expected)).toBeLessThan(2e-4);
  });
});

describe('phiOf', () => {
  it('is log10(2) at the mean and crosses 8 about 5.2 deviations above it', () => {
    expect(phiOf(600, 600, 50)).toBeCloseTo(Math.log10(2), 12);
    expect(phiOf(600 + 5.2 * 50, 600, 50)).toBeLessThan(8);
    expect(phiOf(600 + 5.25 * 50, 600, 50)).toBeGreaterThan(8);
  });

  it('equals Akka formula wherever that one is finite', () => {
    fc.assert(
      fc.property(fc.double({ min: -20, max: 20, noNaN: true }), fc.double({ min: 1, max: 2000, noNaN: true }), fc.double({ min: 1, max: 500, noNaN: true }), (y, mean, std) => {
        const elapsed = mean + y * std;
        const reference = akkaPhi(elapsed, mean, std);
        expect(Number.isFinite(reference)).toBe(true);
        expect(phiOf(elapsed, mean, std)).toBeCloseTo(reference, 6);
      }),
      { numRuns: 500 },
    );
  });

  it('is non-decreasing in the elapsed time, and never negative', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e6, max: 1e9, noNaN: true }), fc.double({ min: 0, max: 1e6, noNaN: true }), fc.double({ min: 0, max: 1e4, noNaN: true }), fc.double({ min: 1, max: 1e3, noNaN: true }), (a, delta, mean, std) => {
        const earlier = phiOf(a, mean, std);
        const later = phiOf(a + delta, mean, std);
        expect(earlier).toBeGreaterThanOrEqual(0);
        expect(later).toBeGreaterThanOrEqual(earlier);
      }),
    );
  });

  it('stays finite where the direct formula overflows to Infinity', () => {
    // y = 40: exp(-z) underflows to 0 and Akka's form gives -log10(0) = Infinity.
    expect(akkaPhi(600 + 40 * 50, 600, 50)).toBe(Infinity);
    const phi = phiOf(600 + 40 * 50, 600, 50);
    const z = 40 * (1.5976 + 0.070566 * 40 * 40);
    expect(phi).toBeCloseTo(z / Math.LN10, 9); // softplus(z) = z for large z: ~1989, not Infinity
    // Still the true value (not a clamp) far out: y = 2e10, phi ~ 2.4e29.
    const far = phiOf(600 + 1e12, 600, 50);
    expect(far).toBeLessThan(1e30);
    expect(far).toBeGreaterThan(1e29);
    for (const elapsed of [1e6, 1e12, Number.MAX_SAFE_INTEGER, 1e300, Number.MAX_VALUE, Infinity]) {
      const value = phiOf(elapsed, 600, 50);
      expect(Number.isFinite(value), `phi after ${elapsed} ms`).toBe(true);
      expect(value).toBeGreaterThan(8);
    }
    for (const elapsed of [-1e300, -Number.MAX_VALUE, -Infinity]) expect(phiOf(elapsed, 600, 50)).toBe(0);
  });
});
