/**
 * WAL append cells: N concurrent appenders, each awaiting `appendNext` in a loop, on the real
 * disk with fsync 'always' (every resolved append is fdatasynced; group commit batches callers).
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { assert } from '../src/core/assert.js';
import { nodeFileSystem } from '../src/runtime/node-fs.js';
import { systemTimers } from '../src/runtime/system-clock.js';
import { Wal, walDefaults, type WalStats } from '../src/storage/index.js';
import { makePayload, progress, round, runTimed, sleep, type LatencySummary, type TimedWindow } from './measure.js';

export interface WalCell {
  readonly appenders: number;
  readonly payloadBytes: number;
  readonly ops: number;
  readonly opsPerSec: number;
  readonly latency: LatencySummary;
  /** Records per fdatasync over the window (group commit). */
  readonly avgBatchRecords: number;
  /** Log bytes (framed records) made durable per second, 10^6 bytes. */
  readonly logMBps: number;
  readonly syncsPerSec: number;
  /** Segment rotations during the window: each one also zero-fills the next 64 MiB segment in the background. */
  readonly segmentsCreated: number;
}

const preallocationWaitMsMax = 30_000;

/** Opens a fresh WAL under `parentDir`, runs one cell per appender count, closes and deletes it. */
export async function runWalCells(parentDir: string, payloadBytes: number, appenderCounts: readonly number[], window: TimedWindow): Promise<WalCell[]> {
  const dir = join(parentDir, `wal-${payloadBytes}`);
  const { wal } = await Wal.open({ fs: nodeFileSystem, dir, fsync: 'always', timers: systemTimers });
  const cells: WalCell[] = [];
  try {
    const payload = makePayload(payloadBytes);
    // Warm-up append (discarded): activates segment 1 and starts zero-filling segment 2.
    await wal.appendNext(1, 1, payload);
    await waitForPreallocatedSegment(dir, walDefaults.segmentSizeBytes);
    for (const appenders of appenderCounts) {
      // Old segments are not needed; dropping them keeps the disk footprint to ~2 segments.
      await wal.truncatePrefix(wal.nextIndex!);
      progress(`wal    payload ${payloadBytes} B, ${appenders} appender(s)`);
      cells.push(await runCell(wal, appenders, payload, window));
    }
  } finally {
    await wal.close();
    await rm(dir, { recursive: true, force: true });
  }
  return cells;
}

async function runCell(wal: Wal, appenders: number, payload: Uint8Array, window: TimedWindow): Promise<WalCell> {
  let before: WalStats | undefined;
  let beforeAtMs = 0;
  const result = await runTimed(appenders, window, async () => {
    await wal.appendNext(1, 1, payload);
  }, () => {
    before = wal.stats;
    beforeAtMs = performance.now();
  });
  const after = wal.stats;
  const afterAtMs = performance.now();
  assert(before !== undefined, 'no append completed inside the measured window');
  const seconds = (afterAtMs - beforeAtMs) / 1000;
  const syncs = after.syncs - before.syncs;
  return {
    appenders,
    payloadBytes: payload.length,
    ops: result.ops,
    opsPerSec: result.opsPerSec,
    latency: result.latency,
    avgBatchRecords: syncs === 0 ? Number.NaN : (after.recordsAppended - before.recordsAppended) / syncs,
    logMBps: (after.bytesAppended - before.bytesAppended) / seconds / 1e6,
    syncsPerSec: syncs / seconds,
    segmentsCreated: after.segmentsCreated - before.segmentsCreated,
  };
}

/**
 * The WAL zero-fills the next segment in the background after each rotation. Timing starts once
 * that file has reached its full size, so the first cell does not measure the initial preallocation
 * (its final fdatasync may still be in flight; the per-cell warm-up absorbs it).
 */
async function waitForPreallocatedSegment(dir: string, segmentSizeBytes: number): Promise<void> {
  const deadline = performance.now() + preallocationWaitMsMax;
  while (performance.now() < deadline) {
    for (const name of await readdir(dir)) {
      if (name.endsWith('.wal.tmp') && (await stat(join(dir, name))).size >= segmentSizeBytes) return;
    }
    await sleep(20);
  }
  progress(`warning: no preallocated segment appeared within ${preallocationWaitMsMax} ms; timing anyway`);
}

export function walRow(cell: WalCell): Record<string, number | null> {
  return {
    appenders: cell.appenders,
    payloadBytes: cell.payloadBytes,
    opsPerSec: round(cell.opsPerSec),
    p50Ms: round(cell.latency.p50Ms, 3),
    p99Ms: round(cell.latency.p99Ms, 3),
    maxMs: round(cell.latency.maxMs, 3),
    meanMs: round(cell.latency.meanMs, 3),
    avgBatchRecords: round(cell.avgBatchRecords, 2),
    MBps: round(cell.logMBps, 2),
    syncsPerSec: round(cell.syncsPerSec),
    segmentsCreated: cell.segmentsCreated,
    samples: cell.latency.samples,
  };
}
