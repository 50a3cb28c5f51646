import { assertNever } from '../core/assert.js';
import type { FailureDetector } from './failure-detector.js';
import { assertTime } from './monitor-table.js';

/** Why an id became suspected: its silence (phi or timeout), or a markDown (connection closed). */
export type SuspicionCause = 'silence' | 'markedDown';

/** Edge events of one `tick`, in the detector's id order; for one id a recovery comes first. */
export type SuspicionEvent<Id extends string = string> =
  | {
      readonly kind: 'suspected';
      readonly id: Id;
      readonly atMs: number;
      readonly cause: SuspicionCause;
      /** Detection time: ms from the last heartbeat to this suspicion; undefined if none was ever seen. */
      readonly detectionMs: number | undefined;
    }
  | {
      readonly kind: 'recovered';
      readonly id: Id;
      readonly atMs: number;
      /** How long the id was held suspected (ms from the suspecting tick to this one). */
      readonly suspectedForMs: number;
      /** The id heartbeated after being suspected: it was alive, so the suspicion was false. */
      readonly falseSuspicion: boolean;
    };

export interface DetectionSummary {
  readonly count: number;
  readonly totalMs: number;
  readonly maxMs: number;
  readonly lastMs: number | undefined;
}

export interface SuspicionMetrics {
  readonly suspicionCount: number;
  readonly recoveryCount: number;
  /** Suspected ids that heartbeated again (each such recovery); includes reconnects after a markDown. */
  readonly falseSuspicionCount: number;
  /** Detection times of suspicions caused by silence, and of those caused by markDown. */
  readonly detection: { readonly silence: DetectionSummary; readonly markedDown: DetectionSummary };
}

interface SuspectedRecord {
  readonly atMs: number;
  /** The monitoring session suspected; another one means the id was removed and monitored anew. */
  readonly session: number;
  /** The detector's heartbeat count when suspected: any change means the id heartbeated since. */
  readonly heartbeatCount: number;
}

/**
 * Turns a detector's level view (available or not, at a time) into edge events and metrics.
 * The owner calls `tick(nowMs)` on its own schedule (a driver tick, a timer at the edge); each
 * call compares the detector with what the last tick reported. A heartbeat between ticks is not
 * lost: a suspected id whose heartbeat count changed is reported recovered (and, if it is
 * suspected again by now, suspected anew) even if the two ticks both see it unavailable. An id
 * removed from the detector leaves the suspected set without an event, even if it is monitored
 * again by the next tick.
 */
export class Suspicions<Id extends string = string> {
  readonly #detector: FailureDetector<Id>;
  readonly #suspected = new Map<Id, SuspectedRecord>();
  #suspicionCount = 0;
  #recoveryCount = 0;
  #falseSuspicionCount = 0;
  readonly #detection = { silence: new Summary(), markedDown: new Summary() };

  constructor(detector: FailureDetector<Id>) {
    this.#detector = detector;
  }

  tick(nowMs: number): readonly SuspicionEvent<Id>[] {
    assertTime(nowMs);
    const events: SuspicionEvent<Id>[] = [];
    for (const [id, record] of this.#suspected) {
      // Removed (and perhaps monitored anew since): the owner removed it, so it knows; no event.
      if (this.#detector.status(id)?.session !== record.session) this.#suspected.delete(id);
    }
    for (const id of this.#detector.ids()) {
      const status = this.#detector.status(id);
      if (status === undefined) continue;
      const record = this.#suspected.get(id);
      const available = this.#detector.isAvailable(id, nowMs);
      const heartbeated = record !== undefined && status.heartbeatCount !== record.heartbeatCount;
      if (record !== undefined && (heartbeated || available)) {
        this.#suspected.delete(id);
        this.#recoveryCount += 1;
        if (heartbeated) this.#falseSuspicionCount += 1;
        events.push({ kind: 'recovered', id, atMs: nowMs, suspectedForMs: nowMs - record.atMs, falseSuspicion: heartbeated });
      }
      if (!available && !this.#suspected.has(id)) {
        const cause: SuspicionCause = status.markedDownAtMs === undefined ? 'silence' : 'markedDown';
        const detectionMs = status.lastHeartbeatMs === undefined ? undefined : nowMs - status.lastHeartbeatMs;
        this.#suspected.set(id, { atMs: nowMs, session: status.session, heartbeatCount: status.heartbeatCount });
        this.#suspicionCount += 1;
        if (detectionMs !== undefined) this.#summaryOf(cause).add(detectionMs);
        events.push({ kind: 'suspected', id, atMs: nowMs, cause, detectionMs });
      }
    }
    return events;
  }

  /** Whether the last tick left `id` suspected. */
  isSuspected(id: Id): boolean {
    return this.#suspected.has(id);
  }

  /** Ids suspected as of the last tick, in the order they became suspected. */
  suspected(): readonly Id[] {
    return [...this.#suspected.keys()];
  }

  metrics(): SuspicionMetrics {
    return {
      suspicionCount: this.#suspicionCount,
      recoveryCount: this.#recoveryCount,
      falseSuspicionCount: this.#falseSuspicionCount,
      detection: { silence: this.#detection.silence.snapshot(), markedDown: this.#detection.markedDown.snapshot() },
    };
  }

  #summaryOf(cause: SuspicionCause): Summary {
    switch (cause) {
      case 'silence': return this.#detection.silence;
      case 'markedDown': return this.#detection.markedDown;
      default: return assertNever(cause);
    }
  }
}

class Summary {
  #count = 0;
  #totalMs = 0;
  #maxMs = 0;
  #lastMs: number | undefined = undefined;

  add(ms: number): void {
    this.#count += 1;
    this.#totalMs += ms;
    this.#maxMs = Math.max(this.#maxMs, ms);
    this.#lastMs = ms;
  }

  snapshot(): DetectionSummary {
    return { count: this.#count, totalMs: this.#totalMs, maxMs: this.#maxMs, lastMs: this.#lastMs };
  }
}
