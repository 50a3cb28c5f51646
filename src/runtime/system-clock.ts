import type { Clock, Timers } from '../ports/clock.js';

/** The process's monotonic clock (never jumps with wall-clock changes). */
export const systemClock: Clock = {
  now: () => performance.now(),
};

/** Real timers; `unref`ed so a pending timer never keeps a finished process alive. */
export const systemTimers: Timers = {
  after(delayMs, callback) {
    const timer = setTimeout(callback, delayMs);
    timer.unref();
    return () => clearTimeout(timer);
  },
};
