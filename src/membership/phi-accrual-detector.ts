import type { FailureDetector, MonitorStatus } from './failure-detector.js';
import { HeartbeatHistory } from './heartbeat-history.js';
import { assertTime, MonitorTable, type MonitorEntry } from './monitor-table.js';
import { resolvePhiAccrualOptions, type PhiAccrualOptions, type PhiAccrualOptionsInput } from './options.js';
import { phiOf } from './phi.js';

interface PhiEntry extends MonitorEntry {
  /** Created at the first heartbeat, seeded from `firstHeartbeatEstimateMs`. */
  history: HeartbeatHistory | undefined;
}

export interface IntervalStats {
  readonly sampleCount: number;
  readonly meanMs: number;
  /** The measured deviation, before the `stdDeviationMsMin` floor. */
  readonly stdDeviationMs: number;
}

/**
 * Phi-accrual failure detector (Hayashibara et al. 2004), as in Akka and Cassandra: instead of
 * a yes/no timeout it learns each id's heartbeat inter-arrival distribution (a normal fitted to
 * the last `sampleCountMax` intervals) and reports phi, the suspicion level, which grows
 * continuously with silence and adapts to each id's own rhythm. Suspected = phi >= threshold,
 * or a `markDown` not yet cleared by a heartbeat.
 *
 *   phi(t) = phiOf(t - lastHeartbeat, mean + acceptableHeartbeatPauseMs, max(stdDeviation, stdDeviationMsMin))
 *
 * Like Akka, an interval is added to the history only if the id was available when the
 * heartbeat arrived: the first heartbeat after a long pause (or after a markDown) would skew the
 * statistics toward tolerating the next failure. Pure: time comes in as `nowMs`.
 */
export class PhiAccrualDetector<Id extends string = string> implements FailureDetector<Id> {
  readonly options: PhiAccrualOptions;
  readonly #table: MonitorTable<Id, PhiEntry>;

  constructor(input: PhiAccrualOptionsInput = {}) {
    this.options = resolvePhiAccrualOptions(input);
    this.#table = new MonitorTable('phi accrual detector', this.options.monitoredCountMax, (session) => ({
      session,
      history: undefined,
      lastHeartbeatMs: undefined,
      heartbeatCount: 0,
      markedDownAtMs: undefined,
    }));
  }

  heartbeat(id: Id, nowMs: number): void {
    assertTime(nowMs);
    const entry = this.#table.entry(id);
    const previousMs = entry.lastHeartbeatMs;
    const sampled = previousMs !== undefined && this.#isAvailableEntry(entry, nowMs);
    this.#table.recordHeartbeat(entry, nowMs); // asserts that time did not go backwards
    if (entry.history === undefined) entry.history = this.#seededHistory();
    else if (sampled) entry.history.add(nowMs - previousMs);
  }

  markDown(id: Id, nowMs: number): void {
    this.#table.markDown(id, nowMs);
  }

  /**
   * The suspicion level of `id` at `nowMs`: 0 for an id not monitored or never heard from,
   * always finite and never NaN. A markDown does not change phi (it overrides `isAvailable`).
   */
  phi(id: Id, nowMs: number): number {
    assertTime(nowMs);
    const entry = this.#table.get(id);
    return entry === undefined ? 0 : this.#phiOfEntry(entry, nowMs);
  }

  isAvailable(id: Id, nowMs: number): boolean {
    assertTime(nowMs);
    const entry = this.#table.get(id);
    return entry === undefined || this.#isAvailableEntry(entry, nowMs);
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

  /** The learned inter-arrival statistics of `id` (for dashboards and tests). */
  intervalStats(id: Id): IntervalStats | undefined {
    const history = this.#table.get(id)?.history;
    if (history === undefined) return undefined;
    return { sampleCount: history.count, meanMs: history.meanMs(), stdDeviationMs: history.stdDeviationMs() };
  }

  #isAvailableEntry(entry: PhiEntry, nowMs: number): boolean {
    return entry.markedDownAtMs === undefined && this.#phiOfEntry(entry, nowMs) < this.options.phiThreshold;
  }

  #phiOfEntry(entry: PhiEntry, nowMs: number): number {
    if (entry.history === undefined || entry.lastHeartbeatMs === undefined) return 0;
    const elapsedMs = nowMs - entry.lastHeartbeatMs;
    const meanMs = entry.history.meanMs() + this.options.acceptableHeartbeatPauseMs;
    const stdDeviationMs = Math.max(entry.history.stdDeviationMs(), this.options.stdDeviationMsMin);
    return phiOf(elapsedMs, meanMs, stdDeviationMs);
  }

  /** Akka's first-heartbeat estimate: two samples at estimate -/+ estimate/4 (mean = estimate). */
  #seededHistory(): HeartbeatHistory {
    const history = new HeartbeatHistory(this.options.sampleCountMax);
    const estimateMs = this.options.firstHeartbeatEstimateMs;
    const deviationMs = estimateMs / 4;
    history.add(estimateMs - deviationMs);
    history.add(estimateMs + deviationMs);
    return history;
  }
}
