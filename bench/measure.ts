/**
 * Measurement primitives for the benchmarks: a latency recorder (sorted Float64Array, nearest-rank
 * percentiles), timed windows with a warm-up, and progress output on stderr (stdout carries JSON only).
 */
import { assert } from '../src/core/assert.js';

/** A limit on recorded samples: 16 Mi doubles = 128 MiB; far above any cell this bench runs. */
export const latencySamplesMax = 16 * 1024 * 1024;

export interface LatencySummary {
  readonly samples: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
}

export class LatencyRecorder {
  private samples = new Float64Array(16 * 1024);
  private count = 0;

  add(latencyMs: number): void {
    if (this.count === this.samples.length) {
      assert(this.samples.length < latencySamplesMax, `more than ${latencySamplesMax} latency samples: use a shorter --seconds`);
      const grown = new Float64Array(Math.min(this.samples.length * 2, latencySamplesMax));
      grown.set(this.samples);
      this.samples = grown;
    }
    this.samples[this.count] = latencyMs;
    this.count += 1;
  }

  get size(): number {
    return this.count;
  }

  summary(): LatencySummary {
    const sorted = this.samples.slice(0, this.count).sort(); // typed arrays sort numerically
    let sum = 0;
    for (const value of sorted) sum += value;
    return {
      samples: this.count,
      p50Ms: percentile(sorted, 0.5),
      p99Ms: percentile(sorted, 0.99),
      maxMs: this.count === 0 ? Number.NaN : sorted[this.count - 1]!,
      meanMs: this.count === 0 ? Number.NaN : sum / this.count,
    };
  }
}

/** Nearest-rank percentile of an ascending array (NaN when empty). */
export function percentile(sorted: Float64Array, quantile: number): number {
  assert(quantile > 0 && quantile <= 1, `quantile out of range: ${quantile}`);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.max(0, Math.ceil(quantile * sorted.length) - 1)]!;
}

export interface TimedWindow {
  readonly warmupMs: number;
  readonly durationMs: number;
}

export interface TimedResult {
  /** Operations that completed inside the measured window. */
  readonly ops: number;
  readonly opsPerSec: number;
  readonly latency: LatencySummary;
  /** performance.now() when the measured window opened and when the last loop stopped. */
  readonly startedAtMs: number;
  readonly stoppedAtMs: number;
}

/**
 * Runs `concurrency` async loops of `op` for warmup + duration. Counts and times the operations
 * that complete inside the measured window (a latency may have started in the warm-up).
 * `onWindowStart` runs once, at the first completion inside the window (e.g. to snapshot stats).
 */
export async function runTimed(
  concurrency: number, window: TimedWindow, op: () => Promise<void>, onWindowStart?: () => void,
): Promise<TimedResult> {
  assert(Number.isSafeInteger(concurrency) && concurrency > 0, `concurrency must be a positive integer, got ${concurrency}`);
  const recorder = new LatencyRecorder();
  const begin = performance.now();
  const windowStart = begin + window.warmupMs;
  const windowEnd = windowStart + window.durationMs;
  let started = false;
  const loop = async (): Promise<void> => {
    for (;;) {
      const before = performance.now();
      if (before >= windowEnd) return;
      await op();
      const after = performance.now();
      if (after < windowStart || after > windowEnd) continue;
      if (!started) {
        started = true;
        onWindowStart?.();
      }
      recorder.add(after - before);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  const stoppedAtMs = performance.now();
  return { ops: recorder.size, opsPerSec: recorder.size / (window.durationMs / 1000), latency: recorder.summary(), startedAtMs: windowStart, stoppedAtMs };
}

/** The same for a synchronous operation on one thread (blocks the event loop while it runs). */
export function runTimedSync(window: TimedWindow, op: () => void): TimedResult {
  const recorder = new LatencyRecorder();
  const begin = performance.now();
  const windowStart = begin + window.warmupMs;
  const windowEnd = windowStart + window.durationMs;
  for (;;) {
    const before = performance.now();
    if (before >= windowEnd) break;
    op();
    const after = performance.now();
    if (after >= windowStart && after <= windowEnd) recorder.add(after - before);
  }
  const stoppedAtMs = performance.now();
  return { ops: recorder.size, opsPerSec: recorder.size / (window.durationMs / 1000), latency: recorder.summary(), startedAtMs: windowStart, stoppedAtMs };
}

/** Rounds for the JSON report; NaN and infinities become null (JSON has no NaN). */
export function round(value: number, digits = 0): number | null {
  if (!Number.isFinite(value)) return null;
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

export function progress(message: string): void {
  process.stderr.write(`[bench:wal] ${message}\n`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A payload of `size` bytes, not all zeros (a zero record header would read as end of log). */
export function makePayload(size: number, seed = 1): Uint8Array {
  const payload = new Uint8Array(size);
  for (let i = 0; i < size; i++) payload[i] = (i * 31 + seed * 17 + 7) & 0xff;
  return payload;
}
