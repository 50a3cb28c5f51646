/** Exponential backoff with full jitter, and a sleep that an AbortSignal cuts short. */

/**
 * Delay before retry `retryIndex` (0 for the first retry): uniform in [0, cap) where cap doubles
 * from `baseMs` up to `maxMs`. Full jitter spreads clients that failed together (a leader died)
 * so they do not come back in lockstep.
 */
export function backoffDelayMs(retryIndex: number, baseMs: number, maxMs: number, random: () => number): number {
  const capMs = Math.min(maxMs, baseMs * 2 ** Math.min(retryIndex, 30));
  return Math.floor(random() * capMs);
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
