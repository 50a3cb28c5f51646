/**
 * What the task engine and the cluster view need from a failure detector. Time is always passed
 * in (milliseconds from the caller's Clock port, monotonic); a detector never reads a clock.
 *
 * An id the detector has never heard of is not suspected: monitoring starts with its first
 * `heartbeat` (or a `markDown`), and ends with `remove`.
 */
export interface FailureDetector<Id extends string = string> {
  /** A heartbeat from `id` arrived at `nowMs`; clears a `markDown`. */
  heartbeat(id: Id, nowMs: number): void;
  /**
   * An immediate failure signal, such as the id's connection closing: `id` is suspected from now
   * until its next heartbeat, whatever its heartbeat history says.
   */
  markDown(id: Id, nowMs: number): void;
  /** False while `id` is suspected at `nowMs`. */
  isAvailable(id: Id, nowMs: number): boolean;
  /** Stops monitoring `id` and forgets its history. */
  remove(id: Id): void;
  /** Monitored ids, in the order they were first seen (deterministic iteration). */
  ids(): Iterable<Id>;
  /** What the detector has seen of `id`, or undefined when it is not monitored. */
  status(id: Id): MonitorStatus | undefined;
}

export interface MonitorStatus {
  /** Which monitoring of the id this is: a new number (per detector) after `remove` and a new start. */
  readonly session: number;
  /** Arrival time of the last heartbeat; undefined when only a `markDown` was seen. */
  readonly lastHeartbeatMs: number | undefined;
  /** Heartbeats seen since monitoring started (changes with every heartbeat, even at the same ms). */
  readonly heartbeatCount: number;
  /** When a `markDown` not yet cleared by a heartbeat happened. */
  readonly markedDownAtMs: number | undefined;
}
