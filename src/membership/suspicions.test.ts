import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HeartbeatTimeoutDetector } from './heartbeat-timeout-detector.js';
import { PhiAccrualDetector } from './phi-accrual-detector.js';
import { Suspicions, type SuspicionEvent } from './suspicions.js';

describe('Suspicions', () => {
  it('reports each suspicion and recovery once, as edge events, with detection time', () => {
    const detector = new HeartbeatTimeoutDetector({ timeoutMs: 1000 });
    const suspicions = new Suspicions(detector);
    detector.heartbeat('a', 0);
    detector.heartbeat('b', 0);
    expect(suspicions.tick(500)).toEqual([]);
    detector.heartbeat('b', 900);
    expect(suspicions.tick(1000)).toEqual([{ kind: 'suspected', id: 'a', atMs: 1000, cause: 'silence', detectionMs: 1000 }]);
    expect(suspicions.tick(1100)).toEqual([]); // no repeat while still suspected
    expect(suspicions.isSuspected('a')).toBe(true);
    expect(suspicions.suspected()).toEqual(['a']);
    detector.heartbeat('a', 1150);
    expect(suspicions.tick(1200)).toEqual([{ kind: 'recovered', id: 'a', atMs: 1200, suspectedForMs: 200, falseSuspicion: true }]);
    expect(suspicions.metrics()).toEqual({
      suspicionCount: 1,
      recoveryCount: 1,
      falseSuspicionCount: 1,
      detection: { silence: { count: 1, totalMs: 1000, maxMs: 1000, lastMs: 1000 }, markedDown: { count: 0, totalMs: 0, maxMs: 0, lastMs: undefined } },
    });
  });

  it('reports a markDown at the next tick with its cause', () => {
    const detector = new PhiAccrualDetector();
    const suspicions = new Suspicions(detector);
    for (let t = 0; t <= 1000; t += 100) detector.heartbeat('w', t);
    detector.markDown('w', 1020);
    expect(suspicions.tick(1030)).toEqual([{ kind: 'suspected', id: 'w', atMs: 1030, cause: 'markedDown', detectionMs: 30 }]);
    expect(suspicions.metrics().detection.markedDown).toEqual({ count: 1, totalMs: 30, maxMs: 30, lastMs: 30 });
    expect(suspicions.metrics().detection.silence.count).toBe(0);
  });

  it('does not lose a heartbeat between two ticks that both see the id suspected', () => {
    const detector = new HeartbeatTimeoutDetector();
    const suspicions = new Suspicions(detector);
    detector.markDown('w', 0); // never heard from: no detection time
    expect(suspicions.tick(0)).toEqual([{ kind: 'suspected', id: 'w', atMs: 0, cause: 'markedDown', detectionMs: undefined }]);
    detector.heartbeat('w', 10); // reconnected ...
    detector.markDown('w', 20); // ... and dropped again before the next tick
    expect(suspicions.tick(30)).toEqual<SuspicionEvent[]>([
      { kind: 'recovered', id: 'w', atMs: 30, suspectedForMs: 30, falseSuspicion: true },
      { kind: 'suspected', id: 'w', atMs: 30, cause: 'markedDown', detectionMs: 20 },
    ]);
    expect(suspicions.metrics().falseSuspicionCount).toBe(1);
  });

  it('drops removed ids silently', () => {
    const detector = new HeartbeatTimeoutDetector({ timeoutMs: 100 });
    const suspicions = new Suspicions(detector);
    detector.heartbeat('w', 0);
    expect(suspicions.tick(100).map((e) => e.kind)).toEqual(['suspected']);
    detector.remove('w');
    expect(suspicions.tick(200)).toEqual([]);
    expect(suspicions.suspected()).toEqual([]);
  });

  it('treats an id removed and monitored anew before the next tick as a new id (no stale recovery)', () => {
    const detector = new HeartbeatTimeoutDetector({ timeoutMs: 100 });
    const suspicions = new Suspicions(detector);
    detector.markDown('w', 0);
    expect(suspicions.tick(0).map((e) => e.kind)).toEqual(['suspected']);
    detector.remove('w');
    detector.heartbeat('w', 10); // e.g. a restarted worker that reuses its id
    expect(detector.status('w')?.session).toBe(2);
    expect(suspicions.tick(20)).toEqual([]);
    expect(suspicions.metrics().falseSuspicionCount).toBe(0);
  });

  it('measures phi detection time of a stopped 100 ms heartbeat', () => {
    const detector = new PhiAccrualDetector();
    const suspicions = new Suspicions(detector);
    let t = 0;
    for (; t <= 10_000; t += 10) {
      if (t % 100 === 0) detector.heartbeat('w', t);
      expect(suspicions.tick(t)).toEqual([]);
    }
    const lastHeartbeatMs = 10_000;
    let event: SuspicionEvent | undefined;
    for (; event === undefined && t <= 20_000; t += 10) event = suspicions.tick(t)[0];
    expect(event).toMatchObject({ kind: 'suspected', id: 'w', cause: 'silence' });
    expect(event?.kind === 'suspected' ? event.detectionMs : undefined).toBe(t - 10 - lastHeartbeatMs);
    expect(suspicions.metrics().detection.silence.maxMs).toBeLessThan(1000);
    expect(suspicions.metrics().falseSuspicionCount).toBe(0);
  });

  it('after every tick, agrees with the detector, and events alternate per id (model check)', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('heartbeat' as const), id: fc.constantFrom('a', 'b', 'c') }),
      fc.record({ kind: fc.constant('markDown' as const), id: fc.constantFrom('a', 'b', 'c') }),
      fc.record({ kind: fc.constant('remove' as const), id: fc.constantFrom('a', 'b', 'c') }),
      fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 400 }) }),
      fc.record({ kind: fc.constant('tick' as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const detector = new HeartbeatTimeoutDetector({ timeoutMs: 250 });
        const suspicions = new Suspicions(detector);
        const lastKind = new Map<string, SuspicionEvent['kind']>();
        let nowMs = 0;
        for (const o of ops) {
          switch (o.kind) {
            case 'heartbeat': detector.heartbeat(o.id, nowMs); break;
            case 'markDown': detector.markDown(o.id, nowMs); break;
            case 'remove': detector.remove(o.id); lastKind.delete(o.id); break;
            case 'advance': nowMs += o.ms; break;
            case 'tick':
              for (const event of suspicions.tick(nowMs)) {
                expect(lastKind.get(event.id) ?? 'recovered').not.toBe(event.kind);
                lastKind.set(event.id, event.kind);
              }
              for (const id of detector.ids()) expect(suspicions.isSuspected(id)).toBe(!detector.isAvailable(id, nowMs));
              break;
            default: throw new Error('unreachable');
          }
        }
        const metrics = suspicions.metrics();
        expect(metrics.falseSuspicionCount).toBeLessThanOrEqual(metrics.recoveryCount);
        expect(metrics.recoveryCount).toBeLessThanOrEqual(metrics.suspicionCount);
      }),
      { numRuns: 1000 },
    );
  });
});
