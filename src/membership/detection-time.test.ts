import { describe, expect, it } from 'vitest';
import { seededRandom } from '../core/prng.js';
import { HeartbeatTimeoutDetector } from './heartbeat-timeout-detector.js';
import { heartbeatsFromGaps, jitteredHeartbeats, quantile, replay, silenceUntilSuspected } from './membership.test-kit.js';
import { PhiAccrualDetector } from './phi-accrual-detector.js';

/**
 * Measured detection time (ms of silence after the last heartbeat until suspicion, at 1 ms
 * resolution; a driver ticking every T ms adds up to T) at default options, the figures of
 * docs/membership.md. KEEL_PRINT_DETECTION=1 prints them as JSON.
 */
const seedCount = 200;

interface Figures {
  readonly pattern: string;
  readonly minMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

function measure(pattern: string, gapsFor: (seed: number) => number[]): Figures {
  const detections: number[] = [];
  for (let seed = 1; seed <= seedCount; seed++) {
    const detector = new PhiAccrualDetector();
    const beats = heartbeatsFromGaps(gapsFor(seed));
    expect(replay(detector, 'w', beats, 10).suspectedAtMs, `${pattern} seed ${seed}: suspected while alive`).toEqual([]);
    detections.push(silenceUntilSuspected(detector, 'w', beats.at(-1)!, 1, 10_000));
  }
  detections.sort((a, b) => a - b);
  return { pattern, minMs: detections[0]!, p50Ms: quantile(detections, 0.5), p99Ms: quantile(detections, 0.99), maxMs: detections.at(-1)! };
}

function gapsOf(beats: readonly number[]): number[] {
  return beats.slice(1).map((t, i) => t - beats[i]!);
}

describe('detection time at defaults (100 ms heartbeats)', () => {
  it('is under 1 s for regular heartbeats, and bounded for a busy worker', () => {
    const figures = [
      measure('100 ms, no jitter', () => Array.from({ length: 300 }, () => 100)),
      measure('100 ms +- 10 ms', (seed) => gapsOf(jitteredHeartbeats(seededRandom(seed), { intervalMs: 100, jitterMs: 10, count: 300 }))),
      measure('100 ms +- 30 ms', (seed) => gapsOf(jitteredHeartbeats(seededRandom(seed), { intervalMs: 100, jitterMs: 30, count: 300 }))),
      measure('100 ms +- 50 ms', (seed) => gapsOf(jitteredHeartbeats(seededRandom(seed), { intervalMs: 100, jitterMs: 50, count: 300 }))),
      measure('one heartbeat only', () => []),
      measure('100 ms +- 100 ms', (seed) => gapsOf(jitteredHeartbeats(seededRandom(seed), { intervalMs: 100, jitterMs: 100, count: 300 }))),
      measure('busy: 1 in 5 beats 200-800 ms late', (seed) => {
        const random = seededRandom(seed);
        return Array.from({ length: 300 }, () => (random.next() < 0.2 ? 200 + random.next() * 600 : 80 + random.next() * 40));
      }),
    ];
    if (process.env.KEEL_PRINT_DETECTION === '1') console.log(JSON.stringify(figures, null, 1));
    for (const f of figures.slice(0, 5)) {
      expect(f.minMs, f.pattern).toBeGreaterThan(600); // never before mean + acceptable pause
      expect(f.maxMs, f.pattern).toBeLessThan(1000);
    }
    expect(figures[5]!.maxMs).toBeLessThan(1200);
    expect(figures[6]!.maxMs).toBeLessThan(2500);
    // The fixed timeout is exactly its timeout, whatever the rhythm.
    const timeout = new HeartbeatTimeoutDetector();
    timeout.heartbeat('w', 0);
    expect(silenceUntilSuspected(timeout, 'w', 0, 1, 10_000)).toBe(1000);
  });
});
