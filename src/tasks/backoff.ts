/**
 * Retry backoff with deterministic jitter: every replica computes the same delay, because the
 * "random" part is a hash of the task id and the attempt number, not a random draw.
 */
import { hashString } from '../placement/murmur3.js';
import type { BackoffSpec } from './commands.js';
import type { TaskId } from './ids.js';

export const backoffDefaults: BackoffSpec = Object.freeze({ initialMs: 100, maxMs: 30_000 });

/**
 * Delay before the retry after failed attempt `attempt` (>= 1): the exponential base
 * min(maxMs, initialMs * 2^(attempt-1)), scaled into [base/2, base) by the jitter fraction
 * hash(`${taskId}#${attempt}`) / 2^32 ("equal jitter": retries of many tasks spread out, yet
 * every retry waits at least half the base).
 */
export function backoffDelayMs(spec: BackoffSpec, taskId: TaskId, attempt: number): number {
  const exponent = Math.min(attempt - 1, 52);
  const base = Math.min(spec.maxMs, spec.initialMs * 2 ** exponent);
  const fraction = hashString(`${taskId}#${attempt}`) / 0x1_0000_0000;
  return Math.floor(base / 2 + (base / 2) * fraction);
}
