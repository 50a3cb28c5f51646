/**
 * What the dashboard stream carries: one `DashboardSample` per sampling tick, a `ChartPoint` per
 * sample kept for the charts, and the limits that bound them. Types only plus the pure rate
 * arithmetic, so the browser code can import the shapes (JSDoc) and the tests can check the math.
 */
import type { ClusterResponse } from '../api/wire.js';
import type { WorkerView } from '../tasks/index.js';
import type { DashboardCounters, DashboardJob } from './source.js';
import type { TimelineEvent } from './timeline.js';

/** Sampling period while at least one page is connected. */
export const sampleIntervalMs = 500;
/** Sampling period while nobody watches (the timeline keeps recording faults at a coarser grain). */
export const idleSampleIntervalMs = 2_000;
/** How long a tick waits for `source.cluster()` before reusing the previous view (the call may take seconds while a leader is dead). */
export const clusterWaitMsMax = 400;
/** Chart points kept and replayed to a new subscriber (a minute at the live rate). */
export const chartPointsMax = 120;
/** Timeline events kept and replayed to a new subscriber. */
export const timelineEventsMax = 200;
/** Jobs carried per sample (the newest); older ones are left out of the page and the timeline. */
export const jobsMax = 50;
/** Workers carried per sample (sorted by id). */
export const workersMax = 100;
/** Connected pages per node; one more gets 503. */
export const subscribersMax = 32;
/** Bytes queued to one slow subscriber before it is dropped (it reconnects and gets the history again). */
export const subscriberBufferBytesMax = 1024 * 1024;

export interface DashboardRates {
  readonly writesPerSec: number;
  /** Mean latency of the writes served during the interval; null when there were none. */
  readonly writeLatencyMsMean: number | null;
  readonly tasksPerSec: number;
}

export interface DashboardSample {
  /** When the sample was taken (source wall clock). */
  readonly atMs: number;
  readonly nodeId: string;
  /** The cluster as the leader sees it (forwarded by the serving node); null until a first answer. */
  readonly cluster: ClusterResponse | null;
  /**
   * When `cluster` was asked for and when it answered: the view holds for some moment in between.
   * Older than `atMs` when the last read did not answer in time (the page flags it).
   */
  readonly clusterRead: ClusterRead | null;
  /** The newest `jobsMax` jobs, newest last. */
  readonly jobs: readonly DashboardJob[];
  /** How many jobs the replica holds (may exceed `jobs.length`). */
  readonly jobsCount: number;
  readonly workers: readonly WorkerView[];
  readonly rates: DashboardRates;
  readonly counters: DashboardCounters;
}

export interface ClusterRead {
  readonly askedAtMs: number;
  readonly answeredAtMs: number;
}

/** The part of a sample the charts keep. */
export interface ChartPoint {
  readonly atMs: number;
  readonly rates: DashboardRates;
}

/** GET /v1/dashboard/state; a stream's first `history` event is the same without `sample`. */
export interface DashboardState {
  readonly nodeId: string;
  readonly sample: DashboardSample | null;
  readonly points: readonly ChartPoint[];
  readonly timeline: readonly TimelineEvent[];
}

const noRates: DashboardRates = { writesPerSec: 0, writeLatencyMsMean: null, tasksPerSec: 0 };

/**
 * Rates over the interval between two counter readings. No previous reading, no elapsed time, or
 * a counter that went backwards (a counter reset) gives zero rates rather than a made-up number.
 */
export function ratesBetween(
  previous: { readonly atMs: number; readonly counters: DashboardCounters } | undefined,
  atMs: number,
  counters: DashboardCounters,
): DashboardRates {
  if (previous === undefined) return noRates;
  const elapsedSec = (atMs - previous.atMs) / 1000;
  const writes = counters.writes - previous.counters.writes;
  const writeSeconds = counters.writeSecondsSum - previous.counters.writeSecondsSum;
  const tasks = counters.tasksCompleted - previous.counters.tasksCompleted;
  if (elapsedSec <= 0 || writes < 0 || writeSeconds < 0 || tasks < 0) return noRates;
  return {
    writesPerSec: writes / elapsedSec,
    writeLatencyMsMean: writes === 0 ? null : (writeSeconds / writes) * 1000,
    tasksPerSec: tasks / elapsedSec,
  };
}
