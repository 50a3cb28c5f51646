import type { FailureDetector, MonitorStatus } from './failure-detector.js';
import { assertTime, MonitorTable, type MonitorEntry } from './monitor-table.js';
import { resolveHeartbeatTimeoutOptions, type HeartbeatTimeoutOptions, type HeartbeatTimeoutOptionsInput } from './options.js';

/**
 * The classic fixed-timeout detector: an id is suspected once `timeoutMs` have passed since
 * its last heartbeat (or after a `markDown`, until its next heartbeat). Kept beside the phi
 * detector as the baseline it is measured against: one number for every id, however regular or
 * irregular its heartbeats are.
 */
export class HeartbeatTimeoutDetector<Id extends string = string> implements FailureDetector<Id> {
  readonly options: HeartbeatTimeoutOptions;
  readonly #table: MonitorTable<Id, MonitorEntry>;

  constructor(input: HeartbeatTimeoutOptionsInput = {}) {
    this.options = resolveHeartbeatTimeoutOptions(input);
    this.#table = new MonitorTable('heartbeat timeout detector', this.options.monitoredCountMax, (session) => ({
      session,
      lastHeartbeatMs: undefined,
      heartbeatCount: 0,
      markedDownAtMs: undefined,
    }));
  }

  heartbeat(id: Id, nowMs: number): void {
    assertTime(nowMs);
    this.#table.recordHeartbeat(this.#table.entry(id), nowMs);
  }

  markDown(id: Id, nowMs: number): void {
    this.#table.markDown(id, nowMs);
  }

  isAvailable(id: Id, nowMs: number): boolean {
    assertTime(nowMs);
    const entry = this.#table.get(id);
    if (entry === undefined) return true;
    if (entry.markedDownAtMs !== undefined) return false;
    return entry.lastHeartbeatMs === undefined || nowMs - entry.lastHeartbeatMs < this.options.timeoutMs;
  }

  remove(id: Id): void {
    this.#table.remove(id);
  }

  ids(): Iterable<Id> {
    return this.#table.ids();
  }

  status(id: Id): MonitorStatus | undefined {
    return this.#table.status(id);
  }
}
