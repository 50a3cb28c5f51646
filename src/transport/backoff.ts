import type { Random } from '../ports/random.js';

/**
 * Exponential backoff with full jitter (uniform in [0, min(cap, base * 2^attempt))): spreads
 * the retries of many nodes that lost the same peer at the same moment.
 */
export function backoffDelayMs(attempt: number, baseMs: number, capMs: number, random: Random): number {
  const ceilingMs = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random.next() * ceilingMs);
}

/** Randomness for jitter only; nothing here needs to replay, so the process PRNG will do. */
export const processRandom: Random = Object.freeze({
  next: () => Math.random(),
  int: (n: number) => Math.floor(Math.random() * n),
});
