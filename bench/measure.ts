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

/**
 * One measured quantity accumulated over several rounds. The benchmark interleaves short rounds of
 * the baseline and of the WAL, so that drift in the disk's speed (a shared virtual disk drifts a
 * lot) hits both alike instead of whichever happened to run during a slow spell.
 */
export class Series {
  readonly latency = new LatencyRecorder();
  ops = 0;
  measuredMs = 0;
  readonly roundOpsPerSec: number[] = [];

  get opsPerSec(): number {
    return this.measuredMs === 0 ? Number.NaN : this.ops / (this.measuredMs / 1000);
  }

  addRound(ops: number, durationMs: number): void {
    this.ops += ops;
    this.measuredMs += durationMs;
    this.roundOpsPerSec.push(ops / (durationMs / 1000));
  }
}

/**
 * Runs `concurrency` async loops of `op` for warmup + duration, adding to `series` the operations
 * that complete inside the measured window (a latency may have started in the warm-up).
 * `onWindowStart` runs once, at the first completion inside the window (e.g. to snapshot stats).
 */
export async function runRound(
  series: Series, concurrency: number, window: TimedWindow, op: () => Promise<void>, onWindowStart?: () => void,
): Promise<void> {
  assert(Number.isSafeInteger(concurrency) && concurrency > 0, `concurrency must be a positive integer, got ${concurrency}`);
  const windowStart = performance.now() + window.warmupMs;
  const windowEnd = windowStart + window.durationMs;
  let ops = 0;
  const loop = async (): Promise<void> => {
    for (;;) {
      const before = performance.now();
      if (before >= windowEnd) return;
      await op();
      const after = performance.now();
      if (after < windowStart || after > windowEnd) continue;
      if (ops === 0) onWindowStart?.();
      ops += 1;
      series.latency.add(after - before);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  series.addRound(ops, window.durationMs);
}

/** Longest stretch a blocking round holds the event loop: signals (Ctrl-C) must get through. */
const blockingStretchMsMax = 10;

/**
 * The same for a synchronous operation on one thread. It blocks the event loop, so it yields every
 * few milliseconds (tsx SIGKILLs a child that does not answer a relayed signal within 60 ms, which
 * would skip the cleanup); time spent yielding is not counted as measured time.
 */
export async function runRoundBlocking(series: Series, window: TimedWindow, op: () => void): Promise<void> {
  const windowStart = performance.now() + window.warmupMs;
  const windowEnd = windowStart + window.durationMs;
  let ops = 0;
  let yieldedMs = 0;
  let stretchStart = performance.now();
  for (;;) {
    const before = performance.now();
    if (before >= windowEnd) break;
    if (before - stretchStart >= blockingStretchMsMax) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      stretchStart = performance.now();
      yieldedMs += Math.max(0, Math.min(stretchStart, windowEnd) - Math.max(before, windowStart));
      continue;
    }
    op();
    const after = performance.now();
    if (after < windowStart || after > windowEnd) continue;
    ops += 1;
    series.latency.add(after - before);
  }
  series.addRound(ops, window.durationMs - yieldedMs);
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
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
