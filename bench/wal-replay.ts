/**
 * Replay: the recovery read path. Writes a log of 4-16 KiB records (fsync 'unsafe-none': the write
 * phase is set-up, not the subject), closes it, then times `Wal.open` (which reads every segment and
 * verifies every checksum) and a full `iterate` (which verifies every checksum again).
 * Baseline in the same run: reading the same segment files with FileHandle.read in 4 MiB chunks.
 */
import { open, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { assert } from '../src/core/assert.js';
import { seededRandom } from '../src/core/prng.js';
import { nodeFileSystem } from '../src/runtime/node-fs.js';
import { systemTimers } from '../src/runtime/system-clock.js';
import { Wal, type WalRecord } from '../src/storage/index.js';
import { makePayload, progress, round } from './measure.js';

const payloadBytesMin = 4 * 1024;
const payloadBytesMax = 16 * 1024;
const recordsPerAppendMax = 64;
const readChunkBytes = 4 * 1024 * 1024;

export interface ReplayRun {
  readonly openMs: number;
  readonly iterateMs: number;
}

export interface ReplayResult {
  readonly records: number;
  readonly segments: number;
  /** Bytes of verified record frames (the log), as reported by Wal.open. */
  readonly logBytes: number;
  /** Bytes of the segment files, including the zero tail of the last one (what open reads). */
  readonly fileBytes: number;
  readonly writeMBps: number;
  /** Every timed open + iterate, in order; the report uses the median run. */
  readonly runs: readonly ReplayRun[];
  readonly rawReadMBps: number;
}

/** Writes the log once, then times `runs` rounds of open + iterate over it (page cache warm). */
export async function runReplay(parentDir: string, targetLogBytes: number, runs: number): Promise<ReplayResult> {
  const dir = join(parentDir, 'replay');
  try {
    const written = await writeLog(dir, targetLogBytes);
    const files = await segmentFiles(dir);
    await syncFiles(files);
    const rawRead = await readFiles(files);
    const timed: ReplayRun[] = [];
    let opened: { records: number; segments: number; logBytes: number } | undefined;
    for (let run = 1; run <= runs; run++) {
      progress(`replay open + iterate, run ${run}/${runs}`);
      const result = await openAndIterate(dir, written);
      timed.push(result.run);
      opened = result;
    }
    assert(opened !== undefined, 'no replay run');
    return { ...opened, fileBytes: rawRead.bytes, writeMBps: written.mbps, runs: timed, rawReadMBps: mbps(rawRead.bytes, rawRead.ms) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

interface WrittenLog {
  readonly records: number;
  readonly payloadBytes: number;
  readonly mbps: number;
}

async function openAndIterate(dir: string, written: WrittenLog): Promise<{ run: ReplayRun; records: number; segments: number; logBytes: number }> {
  const startMs = performance.now();
  const { wal, report } = await Wal.open({ fs: nodeFileSystem, dir, fsync: 'always', timers: systemTimers });
  const openedMs = performance.now();
  let records = 0;
  let payloadBytes = 0;
  try {
    for await (const record of wal.iterate(wal.firstIndex!)) {
      records += 1;
      payloadBytes += record.payload.length;
    }
  } finally {
    await wal.close();
  }
  const doneMs = performance.now();
  assert(report.recordCount === written.records, `open found ${report.recordCount} records, ${written.records} were written`);
  assert(records === written.records, `iterate returned ${records} records, ${written.records} were written`);
  assert(payloadBytes === written.payloadBytes, `iterate returned ${payloadBytes} payload bytes, ${written.payloadBytes} were written`);
  return { run: { openMs: openedMs - startMs, iterateMs: doneMs - openedMs }, records, segments: report.segmentCount, logBytes: report.verifiedBytes };
}

/** The run with the median total time (the middle one of an odd count). */
export function medianRun(result: ReplayResult): ReplayRun {
  const sorted = [...result.runs].sort((a, b) => a.openMs + a.iterateMs - (b.openMs + b.iterateMs));
  return sorted[(sorted.length - 1) >> 1]!;
}

export function replayMBps(result: ReplayResult): number {
  const run = medianRun(result);
  return mbps(result.logBytes, run.openMs + run.iterateMs);
}

export function replayReport(result: ReplayResult): Record<string, unknown> {
  const run = medianRun(result);
  const totals = result.runs.map((r) => mbps(result.logBytes, r.openMs + r.iterateMs));
  return {
    pageCache: 'warm',
    records: result.records,
    segments: result.segments,
    logBytes: result.logBytes,
    fileBytes: result.fileBytes,
    writeMBps: round(result.writeMBps, 1),
    runs: result.runs.length,
    openMs: round(run.openMs, 1),
    iterateMs: round(run.iterateMs, 1),
    replayMBps: round(replayMBps(result), 1),
    replayMBpsMin: round(Math.min(...totals), 1),
    replayMBpsMax: round(Math.max(...totals), 1),
    openScanMBps: round(mbps(result.logBytes, run.openMs), 1),
    iterateMBps: round(mbps(result.logBytes, run.iterateMs), 1),
    rawReadMBps: round(result.rawReadMBps, 1),
  };
}

async function writeLog(dir: string, targetLogBytes: number): Promise<WrittenLog> {
  progress(`replay write ~${Math.round(targetLogBytes / 1024 / 1024)} MiB (fsync unsafe-none)`);
  const random = seededRandom(42);
  const pool = makePayload(2 * payloadBytesMax, 3);
  const { wal } = await Wal.open({ fs: nodeFileSystem, dir, fsync: 'unsafe-none', timers: systemTimers });
  let records = 0;
  let payloadBytes = 0;
  const startMs = performance.now();
  try {
    while (wal.stats.bytesAppended < targetLogBytes) {
      const batch: WalRecord[] = [];
      let index = wal.nextIndex ?? 1;
      for (let i = 0; i < recordsPerAppendMax; i++) {
        const size = payloadBytesMin + random.int(payloadBytesMax - payloadBytesMin + 1);
        const offset = random.int(payloadBytesMax);
        batch.push({ index, term: 1, type: 1, payload: pool.subarray(offset, offset + size) });
        index += 1;
        payloadBytes += size;
      }
      await wal.append(batch);
      records += batch.length;
    }
    await wal.sync();
  } finally {
    await wal.close();
  }
  const mbps = payloadBytes / ((performance.now() - startMs) / 1000) / 1e6;
  return { records, payloadBytes, mbps };
}

async function segmentFiles(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.wal'));
  assert(names.length > 0, `no segment files in ${dir}`);
  return names.map((name) => join(dir, name));
}

/** 'unsafe-none' leaves the last segment's pages dirty: write them now so no writeback runs during the timing. */
async function syncFiles(files: readonly string[]): Promise<void> {
  for (const file of files) {
    const handle = await open(file, 'r');
    try {
      await handle.datasync();
    } finally {
      await handle.close();
    }
  }
}

/** Reads every byte of `files` in 4 MiB chunks: what the disk + page cache + FileHandle path can deliver. */
async function readFiles(files: readonly string[]): Promise<{ bytes: number; ms: number }> {
  const buffer = new Uint8Array(readChunkBytes);
  let bytes = 0;
  const startMs = performance.now();
  for (const file of files) {
    const size = (await stat(file)).size;
    const handle = await open(file, 'r');
    try {
      for (let position = 0; position < size; position += readChunkBytes) {
        const { bytesRead } = await handle.read(buffer, 0, Math.min(readChunkBytes, size - position), position);
        bytes += bytesRead;
      }
    } finally {
      await handle.close();
    }
  }
  return { bytes, ms: performance.now() - startMs };
}

function mbps(bytes: number, ms: number): number {
  return bytes / (ms / 1000) / 1e6;
}
