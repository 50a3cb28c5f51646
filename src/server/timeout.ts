/** Waiting on the injected timers: bounded promises and plain delays. */
import { KeelError } from '../core/errors.js';
import type { Timers } from '../ports/clock.js';

/** Bounds a promise in time: rejects with a retryable TIMEOUT (the outcome is then unknown). */
export function withTimeout<T>(promise: Promise<T>, ms: number, timers: Timers, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const cancel = timers.after(Math.max(1, ms), () => {
      reject(new KeelError('TIMEOUT', `${what} timed out after ${Math.round(ms)} ms; its outcome is unknown (retry with the same Keel-Client-Id and Keel-Seq to apply it at most once)`, { retryable: true }));
    });
    promise.then(
      (value) => {
        cancel();
        resolve(value);
      },
      (error: unknown) => {
        cancel();
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

export function sleep(timers: Timers, ms: number): Promise<void> {
  return new Promise((resolve) => timers.after(ms, resolve));
}
