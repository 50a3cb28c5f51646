import { assert } from '../core/assert.js';
import { KeelError } from '../core/errors.js';
import type { MonitorStatus } from './failure-detector.js';

/** Per-id state shared by the detectors; the fields of MonitorStatus, mutable. */
export interface MonitorEntry {
  session: number;
  lastHeartbeatMs: number | undefined;
  heartbeatCount: number;
  markedDownAtMs: number | undefined;
}

/**
 * The bounded map of monitored ids behind both detectors: enforces `monitoredCountMax`, the
 * monotonic-time contract and the markDown bookkeeping, so each detector only decides suspicion.
 */
export class MonitorTable<Id extends string, Entry extends MonitorEntry> {
  readonly #entries = new Map<Id, Entry>();
  #sessionLast = 0;

  constructor(
    private readonly detectorName: string,
    private readonly monitoredCountMax: number,
    private readonly create: (session: number) => Entry,
  ) {}

  get(id: Id): Entry | undefined {
    return this.#entries.get(id);
  }

  /** The entry of `id`, creating it (within the limit) when `id` is new. */
  entry(id: Id): Entry {
    const existing = this.#entries.get(id);
    if (existing !== undefined) return existing;
    if (this.#entries.size >= this.monitoredCountMax) {
      throw new KeelError('TOO_LARGE', `${this.detectorName} already monitors ${this.monitoredCountMax} ids (monitoredCountMax); remove departed ids first`, {
        data: { monitoredCountMax: this.monitoredCountMax },
      });
    }
    this.#sessionLast += 1;
    const created = this.create(this.#sessionLast);
    this.#entries.set(id, created);
    return created;
  }

  /** Records a heartbeat's bookkeeping; the caller updates its own history first. */
  recordHeartbeat(entry: Entry, nowMs: number): void {
    assertTime(nowMs);
    if (entry.lastHeartbeatMs !== undefined) {
      assert(nowMs >= entry.lastHeartbeatMs, `heartbeat time went backwards: ${nowMs} < ${entry.lastHeartbeatMs} (the Clock port must be monotonic)`);
    }
    entry.lastHeartbeatMs = nowMs;
    entry.heartbeatCount += 1;
    entry.markedDownAtMs = undefined;
  }

  markDown(id: Id, nowMs: number): void {
    assertTime(nowMs);
    const entry = this.entry(id);
    entry.markedDownAtMs ??= nowMs;
  }

  remove(id: Id): void {
    this.#entries.delete(id);
  }

  ids(): Iterable<Id> {
    return this.#entries.keys();
  }

  get size(): number {
    return this.#entries.size;
  }

  status(id: Id): MonitorStatus | undefined {
    const entry = this.#entries.get(id);
    if (entry === undefined) return undefined;
    return { session: entry.session, lastHeartbeatMs: entry.lastHeartbeatMs, heartbeatCount: entry.heartbeatCount, markedDownAtMs: entry.markedDownAtMs };
  }
}

export function assertTime(nowMs: number): void {
  assert(Number.isFinite(nowMs), `time must be a finite number of milliseconds, got ${nowMs}`);
}
