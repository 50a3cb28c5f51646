/** Injected time: a virtual clock in the simulator, the monotonic clock in real processes. */
export interface Clock {
  /** Milliseconds on a monotonic clock; only differences are meaningful. */
  now(): number;
}

/** Injected timers, owned by whoever schedules them. */
export interface Timers {
  /** Runs `callback` once after `delayMs`; the returned function cancels it. */
  after(delayMs: number, callback: () => void): () => void;
}
