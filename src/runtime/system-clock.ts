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

/**
 * Wall-clock milliseconds since the epoch. The task engine stamps commands with it: task
 * deadlines must mean the same on every node, and each process's monotonic clock starts anew.
 */
export const systemWallClock: Clock = {
  now: () => Date.now(),
};
