import { describe, expect, it } from 'vitest';
import { KeelError } from '../core/errors.js';
import { heartbeatTimeoutDefaults, phiAccrualDefaults, resolveHeartbeatTimeoutOptions, resolvePhiAccrualOptions } from './options.js';
import { PhiAccrualDetector } from './phi-accrual-detector.js';

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(KeelError);
    const keelError = error as KeelError;
    expect(keelError.code).toBe('CONFIG_INVALID');
    expect(keelError.retryable).toBe(false);
    return keelError.data.problems as string[];
  }
  throw new Error('expected CONFIG_INVALID');
}

describe('membership options', () => {
  it('fills defaults and freezes', () => {
    const options = resolvePhiAccrualOptions();
    expect(options).toEqual(phiAccrualDefaults);
    expect(Object.isFrozen(options)).toBe(true);
    expect(resolveHeartbeatTimeoutOptions({ timeoutMs: 250 })).toEqual({ ...heartbeatTimeoutDefaults, timeoutMs: 250 });
    expect(new PhiAccrualDetector({ phiThreshold: 10 }).options.phiThreshold).toBe(10);
  });

  it('lists every problem at once, unknown keys included', () => {
    const problems = problemsOf(() =>
      resolvePhiAccrualOptions({
        phiThreshold: 0,
        sampleCountMax: 1.5,
        stdDeviationMsMin: -1,
        acceptableHeartbeatPauseMs: Number.NaN,
        firstHeartbeatEstimateMs: 0,
        monitoredCountMax: 2_000_000,
        threshold: 8,
      } as never),
    );
    expect(problems).toEqual([
      'unknown option "threshold"',
      'phiThreshold must be > 0, got 0',
      'sampleCountMax must be an integer, got 1.5',
      'stdDeviationMsMin must be > 0, got -1',
      'acceptableHeartbeatPauseMs must be a finite number, got NaN',
      'firstHeartbeatEstimateMs must be > 0, got 0',
      'monitoredCountMax must be <= 1000000, got 2000000',
    ]);
    expect(problemsOf(() => resolveHeartbeatTimeoutOptions({ timeoutMs: '1s', extra: 1 } as never))).toEqual(['unknown option "extra"', 'timeoutMs must be a finite number, got "1s"']);
    expect(() => new PhiAccrualDetector({ sampleCountMax: 0 })).toThrow(/invalid phi accrual detector options: sampleCountMax must be >= 1/);
  });
});
