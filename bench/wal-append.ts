/**
 * WAL append rounds: N concurrent appenders, each awaiting `appendNext` in a loop, on the real
 * disk with fsync 'always' (every resolved append is fdatasynced; group commit batches callers).
 */
import { open, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { assert } from '../src/core/assert.js';
import { errnoCode } from '../src/core/errors.js';
import { nodeFileSystem } from '../src/runtime/node-fs.js';
import { systemTimers } from '../src/runtime/system-clock.js';
import { Wal, walDefaults, type WalStats } from '../src/storage/index.js';
import { round, runRound, sleep, Series, type TimedWindow } from './measure.js';

/** One appender count's measurements, accumulated over rounds. */
export class WalSeries extends Series {
  syncs = 0;
  records = 0;
  logBytes = 0;
  segmentsCreated = 0;
  statsMs = 0;

  constructor(readonly appenders: number) {
    super();
  }

  addStats(before: WalStats, after: WalStats, elapsedMs: number): void {
    this.syncs += after.syncs - before.syncs;
    this.records += after.recordsAppended - before.recordsAppended;
    this.logBytes += after.bytesAppended - before.bytesAppended;
    this.segmentsCreated += after.segmentsCreated - before.segmentsCreated;
    this.statsMs += elapsedMs;
  }
}

const settleWaitMsMax = 10_000;
const settlePollMs = 20;
const settleStablePolls = 5;

/** A file listed a moment ago may have been renamed (a segment activated): skip it. */
function ignoreVanished(error: unknown): undefined {
  if (errnoCode(error) === 'ENOENT') return undefined;
  throw error;
}

/** A fresh WAL in its own directory, for one payload size. */
export class WalTarget {
  private constructor(
    private readonly wal: Wal,
    private readonly dir: string,
    private readonly payload: Uint8Array,
  ) {}

  static async open(dir: string, payload: Uint8Array): Promise<WalTarget> {
    const { wal } = await Wal.open({ fs: nodeFileSystem, dir, fsync: 'always', timers: systemTimers });
    const target = new WalTarget(wal, dir, payload);
    try {
      // Warm-up append (not counted): activates segment 1, so no cell times the creation of the log.
      await wal.appendNext(1, 1, payload);
      await target.settle();
      return target;
    } catch (error) {
      await target.close();
      throw error;
    }
  }

  async round(series: WalSeries, window: TimedWindow): Promise<void> {
    let before: WalStats | undefined;
    let beforeAtMs = 0;
    await runRound(series, series.appenders, window, async () => {
      await this.wal.appendNext(1, 1, this.payload);
    }, () => {
      before = this.wal.stats;
      beforeAtMs = performance.now();
    });
    assert(before !== undefined, 'no append completed inside the measured window');
    series.addStats(before, this.wal.stats, performance.now() - beforeAtMs);
  }

  /**
   * Waits until the WAL's background zero-fill of a next segment (if one is under way) is on disk,
   * so that the next round, a baseline's or the WAL's, starts on a quiet disk. Rotations and
   * zero-fills inside a round stay in that round: they are part of what the WAL costs.
   * Best effort, relying only on files: a `.wal.tmp` is done when it stops growing; then an
   * fdatasync of our own on each file returns once its dirty pages are written.
   */
  async settle(): Promise<void> {
    const deadline = performance.now() + settleWaitMsMax;
    let sizes = await this.tempFileSizes();
    if (sizes.size === 0) {
      await sleep(settlePollMs); // a zero-fill started by the last batch may not have created its file yet
      sizes = await this.tempFileSizes();
    }
    let stablePolls = 0;
    while (sizes.size > 0 && stablePolls < settleStablePolls && performance.now() < deadline) {
      await sleep(settlePollMs);
      const next = await this.tempFileSizes();
      const grew = [...next].some(([name, size]) => size !== sizes.get(name) && size < walDefaults.segmentSizeBytes);
      const done = [...next].every(([, size]) => size >= walDefaults.segmentSizeBytes);
      stablePolls = done ? settleStablePolls : grew ? 0 : stablePolls + 1;
      sizes = next;
    }
    for (const name of await readdir(this.dir)) {
      const handle = await open(join(this.dir, name), 'r').catch(ignoreVanished);
      if (handle === undefined) continue;
      try {
        await handle.datasync();
      } finally {
        await handle.close();
      }
    }
  }

  private async tempFileSizes(): Promise<Map<string, number>> {
    const sizes = new Map<string, number>();
    for (const name of await readdir(this.dir)) {
      if (!name.endsWith('.wal.tmp')) continue;
      const info = await stat(join(this.dir, name)).catch(ignoreVanished);
      if (info !== undefined) sizes.set(name, info.size);
    }
    return sizes;
  }

  async close(): Promise<void> {
    try {
      await this.wal.close();
    } finally {
      await rm(this.dir, { recursive: true, force: true });
    }
  }
}

export function walRow(series: WalSeries, payloadBytes: number): Record<string, number | null> {
  const seconds = series.statsMs / 1000;
  const latency = series.latency.summary();
  return {
    appenders: series.appenders,
    payloadBytes,
    opsPerSec: round(series.opsPerSec),
    p50Ms: round(latency.p50Ms, 3),
    p99Ms: round(latency.p99Ms, 3),
    maxMs: round(latency.maxMs, 3),
    avgBatchRecords: round(series.syncs === 0 ? Number.NaN : series.records / series.syncs, 2),
    MBps: round(series.logBytes / seconds / 1e6, 2),
    syncsPerSec: round(series.syncs / seconds),
    segmentsCreated: series.segmentsCreated,
    samples: series.latency.size,
  };
}
