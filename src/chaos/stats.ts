/** Small numeric helpers of the chaos summaries: quantiles, ns to ms, rounding. Pure. */
import { assert } from '../core/assert.js';
import type { LatencyStats } from './types.js';

const nsPerMs = 1e6;

/** Linear interpolation between closest ranks (numpy's default), rounded to 0.1; null if empty. */
export function quantile(sortedAscending: readonly number[], q: number): number | null {
  assert(q >= 0 && q <= 1, `quantile must be in [0, 1], got ${q}`);
  if (sortedAscending.length === 0) return null;
  const position = (sortedAscending.length - 1) * q;
  const below = sortedAscending[Math.floor(position)]!;
  const above = sortedAscending[Math.ceil(position)]!;
  return round1(below + (above - below) * (position - Math.floor(position)));
}

/** Count, median, p99 and max of samples in ms (any order). */
export function latencyStats(samplesMs: readonly number[]): LatencyStats {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  return { count: sorted.length, medianMs: quantile(sorted, 0.5), p99Ms: quantile(sorted, 0.99), maxMs: sorted.length === 0 ? null : round1(sorted.at(-1)!) };
}

export function nsToMs(ns: number): number {
  return round1(ns / nsPerMs);
}

export function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
