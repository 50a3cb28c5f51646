import { assert } from '../core/assert.js';

/**
 * The last `sampleCountMax` heartbeat inter-arrival times of one monitored id, with their mean
 * and (population) standard deviation in O(1). Sums are kept incrementally and recomputed from
 * the samples each time the ring wraps, so floating-point drift cannot accumulate over a
 * long-lived connection.
 */
export class HeartbeatHistory {
  readonly #samplesMs: number[] = [];
  readonly #sampleCountMax: number;
  #nextIndex = 0;
  #sumMs = 0;
  #sumSquaresMs2 = 0;

  constructor(sampleCountMax: number) {
    assert(Number.isSafeInteger(sampleCountMax), 'sampleCountMax must be an integer');
    assert(sampleCountMax > 0, 'sampleCountMax must be positive');
    this.#sampleCountMax = sampleCountMax;
  }

  get count(): number {
    return this.#samplesMs.length;
  }

  add(intervalMs: number): void {
    assert(Number.isFinite(intervalMs), `interval must be finite, got ${intervalMs}`);
    assert(intervalMs >= 0, `interval must not be negative, got ${intervalMs}`);
    if (this.#samplesMs.length < this.#sampleCountMax) {
      this.#samplesMs.push(intervalMs);
      this.#sumMs += intervalMs;
      this.#sumSquaresMs2 += intervalMs * intervalMs;
      return;
    }
    const evicted = this.#samplesMs[this.#nextIndex] ?? 0;
    this.#samplesMs[this.#nextIndex] = intervalMs;
    this.#nextIndex = (this.#nextIndex + 1) % this.#sampleCountMax;
    if (this.#nextIndex === 0) {
      this.#recomputeSums();
    } else {
      this.#sumMs += intervalMs - evicted;
      this.#sumSquaresMs2 += intervalMs * intervalMs - evicted * evicted;
    }
  }

  meanMs(): number {
    assert(this.#samplesMs.length > 0, 'mean of an empty history');
    return this.#sumMs / this.#samplesMs.length;
  }

  /** Population standard deviation; never NaN (rounding can make the variance a hair below 0). */
  stdDeviationMs(): number {
    const mean = this.meanMs();
    const variance = this.#sumSquaresMs2 / this.#samplesMs.length - mean * mean;
    return Math.sqrt(Math.max(0, variance));
  }

  #recomputeSums(): void {
    let sum = 0;
    let sumSquares = 0;
    for (const sample of this.#samplesMs) {
      sum += sample;
      sumSquares += sample * sample;
    }
    this.#sumMs = sum;
    this.#sumSquaresMs2 = sumSquares;
  }
}
