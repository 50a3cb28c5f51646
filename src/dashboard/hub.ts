/**
 * The dashboard's sampler and its subscribers. One hub per node: it samples the `DashboardSource`
 * (every `sampleIntervalMs` while a page is connected, every `idleSampleIntervalMs` otherwise, so
 * the timeline also records faults nobody was watching), derives rates and timeline events, keeps
 * bounded history, and writes server-sent events to the connected pages.
 *
 * Ticks never overlap: the next one is scheduled when the previous one has finished. A slow
 * `source.cluster()` (seconds while a leader is dead and the forward times out) does not stall the
 * stream: a tick waits `clusterWaitMsMax` for it, then samples with the previous view and picks the
 * answer up at a later tick.
 */
import { assert } from '../core/assert.js';
import type { ClusterResponse } from '../api/wire.js';
import {
  chartPointsMax, clusterWaitMsMax, idleSampleIntervalMs, jobsMax, ratesBetween, sampleIntervalMs, subscribersMax, workersMax,
  type ChartPoint, type ClusterRead, type DashboardSample, type DashboardState,
} from './sample.js';
import type { DashboardSource } from './source.js';
import { Timeline } from './timeline.js';

export interface HubOptions {
  readonly sampleIntervalMs: number;
  readonly idleSampleIntervalMs: number;
  readonly clusterWaitMsMax: number;
  readonly chartPointsMax: number;
  readonly subscribersMax: number;
}

export const hubDefaults: HubOptions = Object.freeze({ sampleIntervalMs, idleSampleIntervalMs, clusterWaitMsMax, chartPointsMax, subscribersMax });

/** A connected page. `write` returns false when the subscriber cannot keep up; the hub then closes it. */
export interface Subscriber {
  write(chunk: string): boolean;
  close(): void;
}

/** One server-sent event. `data` is JSON on one line. */
export function sseMessage(event: string, data: unknown, id?: number): string {
  return `event: ${event}\n${id === undefined ? '' : `id: ${id}\n`}data: ${JSON.stringify(data)}\n\n`;
}

/** Tells EventSource how soon to reconnect after the stream drops. */
const reconnectHintMs = 1_000;

export class DashboardHub {
  private readonly options: HubOptions;
  private readonly timeline = new Timeline();
  private readonly points: ChartPoint[] = [];
  private readonly subscribers = new Set<Subscriber>();
  private latest: DashboardSample | null = null;
  private cluster: ClusterResponse | null = null;
  private clusterRead: ClusterRead | null = null;
  private clusterCall: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private lastTickStartedMs = -Infinity;
  private running = false;
  private stopped = false;

  constructor(private readonly source: DashboardSource, options: Partial<HubOptions> = {}) {
    this.options = { ...hubDefaults, ...options };
    assert(this.options.sampleIntervalMs > 0, 'dashboard sampleIntervalMs must be positive');
    assert(this.options.idleSampleIntervalMs >= this.options.sampleIntervalMs, 'dashboard idleSampleIntervalMs must not be below sampleIntervalMs');
    assert(this.options.clusterWaitMsMax < this.options.sampleIntervalMs, 'dashboard clusterWaitMsMax must be below sampleIntervalMs');
    assert(this.options.chartPointsMax >= 1, 'dashboard chartPointsMax must be at least 1');
    assert(this.options.subscribersMax >= 1, 'dashboard subscribersMax must be at least 1');
  }

  /** Starts sampling (first sample at once). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule();
  }

  /** Stops sampling and closes every subscriber. An in-flight `source.cluster()` is left to settle on its own. */
  async stop(): Promise<void> {
    this.running = false;
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const subscriber of [...this.subscribers]) this.drop(subscriber);
    await this.ticking;
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /** True when `subscribersMax` pages are connected. */
  get full(): boolean {
    return this.subscribers.size >= this.options.subscribersMax;
  }

  /** True once `stop()` was called: no new subscriber is taken (it would hold the server's close up). */
  get stopping(): boolean {
    return this.stopped;
  }

  state(): DashboardState {
    return { nodeId: this.source.nodeId, sample: this.latest, points: [...this.points], timeline: [...this.timeline.events()] };
  }

  /**
   * Adds a page: it first gets the history (chart points and timeline) and the latest sample, then
   * every new one. Returns the function that removes it, or undefined when `subscribersMax` pages
   * are already connected or the hub is stopping.
   */
  subscribe(subscriber: Subscriber): (() => void) | undefined {
    if (this.full || this.stopped) return undefined;
    this.subscribers.add(subscriber);
    const { sample, ...history } = this.state();
    let ok = subscriber.write(`retry: ${reconnectHintMs}\n\n`) && subscriber.write(sseMessage('history', history));
    if (ok && sample !== null) ok = subscriber.write(sseMessage('sample', sample));
    if (!ok) this.drop(subscriber);
    // Switch from the idle period to the live one now rather than at the next idle tick.
    else if (this.subscribers.size === 1 && this.running && this.ticking === undefined) this.schedule();
    return () => this.subscribers.delete(subscriber);
  }

  /** Takes one sample now (the timer calls it; tests call it directly). */
  async tick(): Promise<void> {
    assert(this.ticking === undefined, 'dashboard ticks overlap');
    this.lastTickStartedMs = performance.now();
    this.ticking = this.sampleOnce();
    try {
      await this.ticking;
    } finally {
      this.ticking = undefined;
    }
  }

  private async sampleOnce(): Promise<void> {
    await this.readCluster();
    const source = this.source;
    const atMs = source.nowMs();
    const counters = source.counters();
    const allJobs = source.jobs();
    const workers = [...source.workers()].sort((a, b) => (a.workerId < b.workerId ? -1 : a.workerId > b.workerId ? 1 : 0)).slice(0, workersMax);
    const sample: DashboardSample = {
      atMs, nodeId: source.nodeId, cluster: this.cluster, clusterRead: this.clusterRead,
      jobs: allJobs.slice(-jobsMax), jobsCount: allJobs.length, workers,
      rates: ratesBetween(this.latest ?? undefined, atMs, counters), counters,
    };
    const events = this.timeline.observe(sample);
    this.latest = sample;
    this.points.push({ atMs, rates: sample.rates });
    if (this.points.length > this.options.chartPointsMax) this.points.splice(0, this.points.length - this.options.chartPointsMax);
    this.broadcast(sseMessage('sample', sample));
    for (const event of events) this.broadcast(sseMessage('timeline', event, event.seq));
  }

  /** Waits up to `clusterWaitMsMax` for a fresh cluster view; a slower one lands in `this.cluster` later. */
  private async readCluster(): Promise<void> {
    const askedAtMs = this.source.nowMs();
    this.clusterCall ??= this.source.cluster().then(
      (cluster) => {
        this.cluster = cluster;
        this.clusterRead = { askedAtMs, answeredAtMs: this.source.nowMs() };
      },
      () => {
        // No view this time (node starting or stopping): keep the previous one; its age shows on the page.
      },
    ).finally(() => {
      this.clusterCall = undefined;
    });
    let waited: NodeJS.Timeout | undefined;
    await Promise.race([this.clusterCall, new Promise<void>((resolve) => { waited = setTimeout(resolve, this.options.clusterWaitMsMax); })]);
    clearTimeout(waited);
  }

  private broadcast(chunk: string): void {
    for (const subscriber of [...this.subscribers]) if (!subscriber.write(chunk)) this.drop(subscriber);
  }

  private drop(subscriber: Subscriber): void {
    this.subscribers.delete(subscriber);
    subscriber.close();
  }

  private schedule(): void {
    clearTimeout(this.timer);
    if (!this.running) return;
    const periodMs = this.subscribers.size > 0 ? this.options.sampleIntervalMs : this.options.idleSampleIntervalMs;
    const delayMs = Math.max(0, this.lastTickStartedMs + periodMs - performance.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.tick().then(() => this.schedule(), (error: unknown) => {
        // A broken invariant in the sampler is a bug: crash loudly rather than show a frozen page.
        setImmediate(() => { throw error; });
      });
    }, delayMs);
  }
}
