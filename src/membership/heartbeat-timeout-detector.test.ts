import { describe, expect, it } from 'vitest';
import { AssertionError } from '../core/assert.js';
import { isKeelError } from '../core/errors.js';
import { seededRandom } from '../core/prng.js';
import { HeartbeatTimeoutDetector } from './heartbeat-timeout-detector.js';
import { heartbeatsFromGaps, replay, silenceUntilSuspected } from './membership.test-kit.js';
import { PhiAccrualDetector } from './phi-accrual-detector.js';

const id = 'w1';

describe('HeartbeatTimeoutDetector', () => {
  it('suspects exactly timeoutMs after the last heartbeat', () => {
    const detector = new HeartbeatTimeoutDetector({ timeoutMs: 300 });
    detector.heartbeat(id, 1000);
    expect(detector.isAvailable(id, 1299)).toBe(true);
    expect(detector.isAvailable(id, 1300)).toBe(false);
    expect(silenceUntilSuspected(detector, id, 1000, 1, 5000)).toBe(300);
    detector.heartbeat(id, 1400);
    expect(detector.isAvailable(id, 1400)).toBe(true);
  });

  it('does not suspect ids it has never heard of', () => {
    const detector = new HeartbeatTimeoutDetector();
    expect(detector.isAvailable(id, 1e12)).toBe(true);
    expect(detector.status(id)).toBeUndefined();
  });

  it('markDown is immediate and cleared by the next heartbeat', () => {
    const detector = new HeartbeatTimeoutDetector();
    detector.heartbeat(id, 0);
    detector.markDown(id, 10);
    expect(detector.isAvailable(id, 10)).toBe(false);
    expect(detector.status(id)).toEqual({ session: 1, lastHeartbeatMs: 0, heartbeatCount: 1, markedDownAtMs: 10 });
    detector.heartbeat(id, 20);
    expect(detector.isAvailable(id, 20)).toBe(true);
    detector.remove(id);
    expect([...detector.ids()]).toEqual([]);
  });

  it('enforces monitoredCountMax and monotonic time', () => {
    const detector = new HeartbeatTimeoutDetector({ monitoredCountMax: 1 });
    detector.heartbeat('a', 5);
    expect(() => detector.heartbeat('a', 4)).toThrow(AssertionError);
    try {
      detector.markDown('b', 5);
      expect.unreachable();
    } catch (error) {
      expect(isKeelError(error, 'TOO_LARGE')).toBe(true);
    }
  });

  it('unlike phi, a fixed timeout as fast as phi on regular beats flags a busy-but-alive worker', () => {
    // The comparison the phi detector exists for: a timeout matching phi's ~0.86 s detection
    // time on regular 100 ms heartbeats, on a worker whose heartbeats are often held up. Phi
    // learns the stalls (200-800 ms at first, then up to 1.2 s) and tolerates them; the timeout
    // cannot. (Phi only learns gaps it did not suspect: a sudden first stall beyond its current
    // threshold is suspected, and the heartbeat ending it is not sampled; see docs/membership.md.)
    const random = seededRandom(7);
    const gaps = Array.from({ length: 900 }, (_, i) => {
      if (random.next() >= 0.2) return 80 + random.next() * 40;
      return 200 + random.next() * (i < 300 ? 600 : 1000);
    });
    const beats = heartbeatsFromGaps(gaps);
    const timeout = replay(new HeartbeatTimeoutDetector({ timeoutMs: 860 }), id, beats, 5);
    expect(timeout.suspectedAtMs.length).toBeGreaterThan(0);
    const phi = replay(new PhiAccrualDetector(), id, beats, 5);
    expect(phi.suspectedAtMs).toEqual([]);
  });
});
