import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AssertionError } from '../core/assert.js';
import { isKeelError } from '../core/errors.js';
import { seededRandom } from '../core/prng.js';
import { heartbeatsFromGaps, jitteredHeartbeats, replay, silenceUntilSuspected } from './membership.test-kit.js';
import { phiAccrualDefaults } from './options.js';
import { PhiAccrualDetector } from './phi-accrual-detector.js';

const id = 'w1';

function regularDetector(heartbeatCount = 50, intervalMs = 100): { detector: PhiAccrualDetector; lastMs: number } {
  const detector = new PhiAccrualDetector();
  let nowMs = 0;
  for (let i = 0; i < heartbeatCount; i++, nowMs += intervalMs) detector.heartbeat(id, nowMs);
  return { detector, lastMs: nowMs - intervalMs };
}

describe('PhiAccrualDetector', () => {
  it('does not suspect ids it has never heard of', () => {
    const detector = new PhiAccrualDetector();
    expect(detector.phi(id, 1e9)).toBe(0);
    expect(detector.isAvailable(id, 1e9)).toBe(true);
    expect(detector.status(id)).toBeUndefined();
    expect([...detector.ids()]).toEqual([]);
  });

  it('seeds the history from firstHeartbeatEstimateMs (Akka: estimate -/+ estimate/4)', () => {
    const detector = new PhiAccrualDetector({ firstHeartbeatEstimateMs: 200 });
    detector.heartbeat(id, 1000);
    expect(detector.intervalStats(id)).toEqual({ sampleCount: 2, meanMs: 200, stdDeviationMs: 50 });
    expect(detector.phi(id, 1000)).toBeLessThan(0.01);
  });

  it('phi grows monotonically with silence (any heartbeat history)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2000 }), { minLength: 0, maxLength: 60 }), fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 30 }), (gaps, probes) => {
        const detector = new PhiAccrualDetector();
        const beats = heartbeatsFromGaps(gaps);
        for (const beat of beats) detector.heartbeat(id, beat);
        const lastMs = beats.at(-1)!;
        let previous = -1;
        for (const offset of [...probes].sort((a, b) => a - b)) {
          const phi = detector.phi(id, lastMs + offset);
          expect(Number.isFinite(phi)).toBe(true);
          expect(phi).toBeGreaterThanOrEqual(previous);
          previous = phi;
        }
      }),
    );
    // Strictly, once past the expected arrival.
    const { detector, lastMs } = regularDetector();
    let previous = detector.phi(id, lastMs + 600);
    for (let silence = 610; silence <= 3000; silence += 10) {
      const phi = detector.phi(id, lastMs + silence);
      expect(phi).toBeGreaterThan(previous);
      previous = phi;
    }
  });

  it('regular 100 ms heartbeats with jitter and pauses shorter than the allowance are never suspected', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 0, max: 30 }), (seed, jitterMs) => {
        const random = seededRandom(seed);
        const detector = new PhiAccrualDetector();
        // 60 s of heartbeats, and every ~5 s a pause of up to the allowance (the gap is then
        // interval + pause, at most 600 ms).
        const gaps: number[] = [];
        for (let i = 0; i < 600; i++) {
          const pause = i % 50 === 49 ? random.next() * phiAccrualDefaults.acceptableHeartbeatPauseMs : 0;
          gaps.push(100 + (random.next() * 2 - 1) * jitterMs + pause);
        }
        const result = replay(detector, id, heartbeatsFromGaps(gaps), 5, (who, t) => detector.phi(who, t));
        expect(result.suspectedAtMs).toEqual([]);
        expect(result.maxPhi).toBeLessThan(phiAccrualDefaults.phiThreshold);
      }),
      { numRuns: 30 },
    );
  });

  it('suspects within a bounded time once 100 ms heartbeats stop (< 1 s at defaults)', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 0, max: 20 }), (seed, jitterMs) => {
        const detector = new PhiAccrualDetector();
        const beats = jitteredHeartbeats(seededRandom(seed), { intervalMs: 100, jitterMs, count: 300 });
        expect(replay(detector, id, beats, 10).suspectedAtMs).toEqual([]);
        const silenceMs = silenceUntilSuspected(detector, id, beats.at(-1)!, 1, 5000);
        // mean + pause + ~5.2 * max(deviation, floor): about 100 + 500 + 261 ms.
        expect(silenceMs).toBeGreaterThan(100 + phiAccrualDefaults.acceptableHeartbeatPauseMs);
        expect(silenceMs).toBeLessThan(1000);
      }),
      { numRuns: 50 },
    );
  });

  it('a busy-but-alive id (irregular but present heartbeats) is not suspected', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const random = seededRandom(seed);
        const detector = new PhiAccrualDetector();
        // A loaded worker: mostly 100 +- 20 ms, but one heartbeat in five delayed to 200-800 ms.
        const gaps = Array.from({ length: 600 }, () => (random.next() < 0.2 ? 200 + random.next() * 600 : 80 + random.next() * 40));
        expect(replay(detector, id, heartbeatsFromGaps(gaps), 5).suspectedAtMs).toEqual([]);
        // It learned the rhythm: a dead busy worker is still found, just later.
        const stats = detector.intervalStats(id)!;
        expect(stats.stdDeviationMs).toBeGreaterThan(phiAccrualDefaults.stdDeviationMsMin);
        const lastMs = heartbeatsFromGaps(gaps).at(-1)!;
        expect(silenceUntilSuspected(detector, id, lastMs, 10, 10_000)).toBeLessThan(3000);
      }),
      { numRuns: 20 },
    );
  });

  it('markDown is immediate and cleared by the next heartbeat, without polluting the history', () => {
    const { detector, lastMs } = regularDetector();
    const before = detector.intervalStats(id)!;
    expect(detector.isAvailable(id, lastMs + 1)).toBe(true);
    detector.markDown(id, lastMs + 1);
    expect(detector.isAvailable(id, lastMs + 1)).toBe(false);
    expect(detector.phi(id, lastMs + 1)).toBeLessThan(1); // phi itself is unchanged
    expect(detector.status(id)?.markedDownAtMs).toBe(lastMs + 1);
    expect(detector.isAvailable(id, lastMs + 50)).toBe(false);
    detector.heartbeat(id, lastMs + 2000); // reconnected
    expect(detector.isAvailable(id, lastMs + 2000)).toBe(true);
    expect(detector.status(id)?.markedDownAtMs).toBeUndefined();
    expect(detector.intervalStats(id)).toEqual(before); // the 2 s gap was not sampled
  });

  it('markDown of an id never heard from monitors it as suspected', () => {
    const detector = new PhiAccrualDetector();
    detector.markDown(id, 5);
    expect([...detector.ids()]).toEqual([id]);
    expect(detector.isAvailable(id, 5)).toBe(false);
    expect(detector.status(id)).toEqual({ session: 1, lastHeartbeatMs: undefined, heartbeatCount: 0, markedDownAtMs: 5 });
    detector.heartbeat(id, 10);
    expect(detector.isAvailable(id, 10)).toBe(true);
    expect(detector.intervalStats(id)?.sampleCount).toBe(2);
  });

  it('does not learn from the first heartbeat after a suspicion (Akka), so it recovers with the old rhythm', () => {
    const { detector, lastMs } = regularDetector();
    const before = detector.intervalStats(id)!;
    expect(detector.isAvailable(id, lastMs + 5000)).toBe(false);
    detector.heartbeat(id, lastMs + 5000);
    expect(detector.isAvailable(id, lastMs + 5000)).toBe(true);
    expect(detector.intervalStats(id)).toEqual(before);
    detector.heartbeat(id, lastMs + 5100);
    expect(detector.intervalStats(id)!.sampleCount).toBe(before.sampleCount + 1);
  });

  it('keeps at most sampleCountMax intervals', () => {
    const { detector } = regularDetector(1000);
    expect(detector.intervalStats(id)!.sampleCount).toBe(phiAccrualDefaults.sampleCountMax);
    expect(detector.intervalStats(id)!.meanMs).toBe(100);
  });

  it('stays numerically sound after huge silences: phi finite, never NaN, id suspected', () => {
    const { detector, lastMs } = regularDetector(200); // the seeded samples have left the window
    for (const silence of [1e4, 1e6, 1e9, 1e12, Number.MAX_SAFE_INTEGER]) {
      const phi = detector.phi(id, lastMs + silence);
      expect(Number.isFinite(phi), `phi after ${silence} ms`).toBe(true);
      expect(Number.isNaN(phi)).toBe(false);
      expect(detector.isAvailable(id, lastMs + silence)).toBe(false);
    }
    // Identical intervals: measured deviation 0, the floor keeps phi finite.
    expect(detector.intervalStats(id)!.stdDeviationMs).toBe(0);
    expect(Number.isFinite(detector.phi(id, lastMs + 1e7))).toBe(true);
  });

  it('remove forgets the id and its history', () => {
    const { detector, lastMs } = regularDetector();
    detector.remove(id);
    expect(detector.status(id)).toBeUndefined();
    expect(detector.isAvailable(id, lastMs + 1e6)).toBe(true);
    detector.heartbeat(id, lastMs + 1e6);
    expect(detector.intervalStats(id)!.sampleCount).toBe(2);
    expect(detector.status(id)?.session).toBe(2);
  });

  it('refuses more than monitoredCountMax ids with TOO_LARGE', () => {
    const detector = new PhiAccrualDetector({ monitoredCountMax: 2 });
    detector.heartbeat('a', 0);
    detector.heartbeat('b', 0);
    let caught: unknown;
    try {
      detector.heartbeat('c', 0);
    } catch (error) {
      caught = error;
    }
    expect(isKeelError(caught, 'TOO_LARGE')).toBe(true);
    detector.remove('a');
    detector.heartbeat('c', 0);
    expect([...detector.ids()]).toEqual(['b', 'c']);
  });

  it('treats time going backwards or non-finite time as a bug', () => {
    const detector = new PhiAccrualDetector();
    detector.heartbeat(id, 100);
    expect(() => detector.heartbeat(id, 99)).toThrow(AssertionError);
    expect(() => detector.phi(id, Number.NaN)).toThrow(AssertionError);
    expect(() => detector.isAvailable(id, Infinity)).toThrow(AssertionError);
    detector.heartbeat(id, 100); // the same instant is fine
    expect(detector.status(id)?.heartbeatCount).toBe(2);
  });
});
