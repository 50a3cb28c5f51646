/**
 * `npm run bench:wal [-- --quick] [-- --dir <parent>] [-- --seconds <s>]`
 *
 * Measures the Keel write-ahead log on the real disk against the physical baseline in the same run,
 * and prints ONE JSON document on stdout (progress on stderr). It reports targets; it does not
 * assert them (exit code 0 when the run completes). Fields are described in bench/BENCHMARKS.md.
 */
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { walDefaults } from '../src/storage/index.js';
import { machineInfo, gitCommit } from './machine.js';
import { makePayload, median, progress, round, Series, type TimedWindow } from './measure.js';
import { findFio, preallocateZeros, RawTarget, rawFileSizeBytes, runFio } from './raw-baseline.js';
import { WalSeries, WalTarget, walRow } from './wal-append.js';
import { replayMBps, replayReport, runReplay } from './wal-replay.js';
import { createWorkDir } from './work-dir.js';

const payloadSizesBytes = [128, 1024, 16384] as const;
const appenderCounts = [1, 8, 64] as const;
const sequentialWriteBytes = 1024 * 1024;
const sequentialRoundsMax = 6;
/** Timed open + iterate runs over the same log; the median is reported. */
const replayRuns = 3;
const targets = { ratio1AppenderMin: 0.8, speedup64Min: 10, replayMBpsMin: 200 } as const;
const projectRoot = fileURLToPath(new URL('..', import.meta.url));

interface Settings {
  readonly quick: boolean;
  readonly secondsPerCell: number;
  readonly rounds: number;
  /** One round of one series; a series runs `rounds` of them, interleaved with the others. */
  readonly window: TimedWindow;
  readonly replayLogBytes: number;
  readonly parentDir: string;
}

/** Short slices: this kind of disk swings between fast and slow spells lasting a second or so. */
const sliceSecondsTarget = 0.15;
const secondsMax = 60;

/** A bad command line: reported as a message and the usage, not a stack trace. */
class UsageError extends Error {}

const usage = 'usage: npm run bench:wal -- [--quick] [--seconds <per cell, default 3; --quick 0.7>] [--dir <parent of the data dir, default bench/out>]';

function parseSettings(): Settings {
  try {
    return settingsFrom(process.argv.slice(2));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

function settingsFrom(args: string[]): Settings {
  const { values } = parseArgs({
    args,
    options: { quick: { type: 'boolean', default: false }, dir: { type: 'string' }, seconds: { type: 'string' } },
    strict: true,
  });
  const quick = values.quick;
  const seconds = values.seconds === undefined ? (quick ? 0.7 : 3) : Number(values.seconds);
  // Capped so that the latency samples of the fastest cell stay under latencySamplesMax.
  if (!(Number.isFinite(seconds) && seconds > 0 && seconds <= secondsMax)) throw new Error(`--seconds must be a number in (0, ${secondsMax}], got "${values.seconds}"`);
  const rounds = Math.max(3, Math.round(seconds / sliceSecondsTarget));
  return {
    quick,
    secondsPerCell: seconds,
    rounds,
    window: { warmupMs: 30, durationMs: (seconds * 1000) / rounds },
    replayLogBytes: (quick ? 64 : 256) * 1024 * 1024,
    parentDir: resolve(values.dir ?? join(projectRoot, 'bench', 'out')),
  };
}

interface PayloadResult {
  readonly payloadBytes: number;
  readonly rawAsync: Series;
  readonly rawBlocking: Series;
  readonly fioOpsPerSec: number | undefined;
  readonly wal: readonly WalSeries[];
}

/**
 * Interleaved rounds of short slices: raw async, WAL 1 appender, raw blocking, WAL 8, WAL 64; every
 * other round in reverse order, so that each series sees the same mix of fast and slow spells of the
 * disk and the raw-async/WAL-1 pair (the key ratio) always runs back to back.
 */
async function measurePayload(workDir: string, payloadBytes: number, settings: Settings, fio: string | undefined): Promise<PayloadResult> {
  const payload = makePayload(payloadBytes);
  const result: PayloadResult = {
    payloadBytes,
    rawAsync: new Series(),
    rawBlocking: new Series(),
    fioOpsPerSec: fio === undefined ? undefined : await fioBaseline(fio, workDir, payloadBytes, settings.secondsPerCell),
    wal: appenderCounts.map((n) => new WalSeries(n)),
  };
  progress(`payload ${payloadBytes} B: ${settings.rounds} rounds of raw async, WAL 1, raw blocking, WAL 8, WAL 64`);
  const raw = await RawTarget.open(join(workDir, 'raw.bin'));
  try {
    const wal = await WalTarget.open(join(workDir, `wal-${payloadBytes}`), payload);
    try {
      const walSlice = async (series: WalSeries): Promise<void> => {
        await wal.round(series, settings.window);
        await wal.settle();
      };
      const sliceList = (into: PayloadResult): (() => Promise<void> | void)[] => {
        const [single, ...concurrent] = into.wal;
        return [
          () => raw.asyncRound(into.rawAsync, payload, settings.window),
          () => walSlice(single!),
          () => raw.blockingRound(into.rawBlocking, payload, settings.window),
          ...concurrent.map((series) => () => walSlice(series)),
        ];
      };
      // One round whose figures are thrown away: JIT compilation, first touches of the files.
      const discarded = { ...result, rawAsync: new Series(), rawBlocking: new Series(), wal: appenderCounts.map((n) => new WalSeries(n)) };
      for (const slice of sliceList(discarded)) await slice();
      const slices = sliceList(result);
      for (let r = 0; r < settings.rounds; r++) {
        for (const slice of r % 2 === 0 ? slices : [...slices].reverse()) await slice();
      }
    } finally {
      await wal.close();
    }
  } finally {
    await raw.close();
  }
  return result;
}

/**
 * The disk's bandwidth for large durable writes: 1 MiB write + fdatasync in a loop, the shape of a
 * 64-appender batch of 16 KiB records. Bounds what group commit can reach for large payloads.
 */
async function sequentialWriteMBps(workDir: string, settings: Settings): Promise<number> {
  progress(`raw    1 MiB write + datasync (disk bandwidth)`);
  const payload = makePayload(sequentialWriteBytes);
  const series = new Series();
  const raw = await RawTarget.open(join(workDir, 'raw.bin'));
  try {
    for (let r = 0; r < Math.min(settings.rounds, sequentialRoundsMax); r++) await raw.asyncRound(series, payload, settings.window);
  } finally {
    await raw.close();
  }
  return (series.opsPerSec * sequentialWriteBytes) / 1e6;
}

async function fioBaseline(fio: string, workDir: string, payloadBytes: number, seconds: number): Promise<number> {
  progress(`fio    payload ${payloadBytes} B`);
  const fioFile = join(workDir, 'fio.bin');
  try {
    return await runFio(fio, fioFile, payloadBytes, seconds);
  } finally {
    await rm(fioFile, { force: true });
  }
}

function rowsFor(result: PayloadResult): Record<string, number | null>[] {
  const rawOpsPerSec = result.rawAsync.opsPerSec;
  const single = result.wal.find((s) => s.appenders === 1);
  return result.wal.map((series) => {
    const roundRatios = series.roundOpsPerSec.map((ops, i) => ops / result.rawAsync.roundOpsPerSec[i]!);
    return {
      ...walRow(series, result.payloadBytes),
      rawOpsPerSec: round(rawOpsPerSec),
      rawSyncOpsPerSec: round(result.rawBlocking.opsPerSec),
      ...(result.fioOpsPerSec === undefined ? {} : { fioOpsPerSec: round(result.fioOpsPerSec) }),
      ratio: round(series.opsPerSec / rawOpsPerSec, 3),
      ...(series.appenders === 1
        ? { ratioRoundsMedian: round(median(roundRatios), 3), ratioRoundsMin: round(Math.min(...roundRatios), 3), ratioRoundsMax: round(Math.max(...roundRatios), 3) }
        : {}),
      ...(series.appenders > 1 && single !== undefined ? { speedupVs1Appender: round(series.opsPerSec / single.opsPerSec, 2) } : {}),
    };
  });
}

function rawReport(result: PayloadResult): Record<string, number | null> {
  const asyncLatency = result.rawAsync.latency.summary();
  const blockingLatency = result.rawBlocking.latency.summary();
  return {
    payloadBytes: result.payloadBytes,
    rawOpsPerSec: round(result.rawAsync.opsPerSec),
    rawP50Ms: round(asyncLatency.p50Ms, 3),
    rawP99Ms: round(asyncLatency.p99Ms, 3),
    rawSyncOpsPerSec: round(result.rawBlocking.opsPerSec),
    rawSyncP50Ms: round(blockingLatency.p50Ms, 3),
    rawSyncP99Ms: round(blockingLatency.p99Ms, 3),
    ...(result.fioOpsPerSec === undefined ? {} : { fioOpsPerSec: round(result.fioOpsPerSec) }),
  };
}

function targetReport(rows: readonly Record<string, number | null>[], replayMBps: number): Record<string, unknown> {
  const worst = (appenders: number, field: string): number => {
    const values = rows.filter((r) => r['appenders'] === appenders).map((r) => r[field] ?? Number.NaN);
    return values.length === 0 ? Number.NaN : Math.min(...values);
  };
  const ratio1 = worst(1, 'ratio');
  const speedup64 = worst(64, 'speedupVs1Appender');
  return {
    ...targets,
    worst: { ratio1Appender: round(ratio1, 3), speedup64: round(speedup64, 2), replayMBps: round(replayMBps, 1) },
    met: {
      ratio1AppenderMin: ratio1 >= targets.ratio1AppenderMin,
      speedup64Min: speedup64 >= targets.speedup64Min,
      replayMBpsMin: replayMBps >= targets.replayMBpsMin,
    },
    byPayload: Object.fromEntries(payloadSizesBytes.map((size) => {
      const of = (appenders: number, field: string): number | null => rows.find((r) => r['payloadBytes'] === size && r['appenders'] === appenders)?.[field] ?? null;
      return [size, { ratio1Appender: of(1, 'ratio'), speedup64: of(64, 'speedupVs1Appender') }];
    })),
  };
}

async function main(): Promise<void> {
  const settings = parseSettings();
  const work = await createWorkDir(settings.parentDir);
  const workDir = work.path;
  try {
    const startedAt = new Date();
    const fio = findFio();
    progress(`data in ${workDir}; ${settings.secondsPerCell} s per cell in ${settings.rounds} round(s)${fio === undefined ? '; fio not installed' : ''}`);
    await preallocateZeros(join(workDir, 'raw.bin'), rawFileSizeBytes);
    const results: PayloadResult[] = [];
    for (const payloadBytes of payloadSizesBytes) results.push(await measurePayload(workDir, payloadBytes, settings, fio));
    const rows = results.flatMap(rowsFor);
    const sequential = await sequentialWriteMBps(workDir, settings);
    await rm(join(workDir, 'raw.bin'));
    const replay = await runReplay(workDir, settings.replayLogBytes, replayRuns);
    const commit = gitCommit(projectRoot);
    const report = {
      machine: machineInfo(workDir),
      commit,
      commitShort: commit?.slice(0, 7) ?? null,
      date: startedAt.toISOString(),
      settings: {
        quick: settings.quick,
        secondsPerCell: settings.secondsPerCell,
        rounds: settings.rounds,
        warmupSecondsPerRound: settings.window.warmupMs / 1000,
        fsync: 'always',
        segmentSizeBytes: walDefaults.segmentSizeBytes,
        rawFileSizeBytes,
        replayLogBytesTarget: settings.replayLogBytes,
      },
      ...(fio === undefined ? { fio: 'not installed' } : {}),
      raw: results.map(rawReport),
      rawSequentialWriteMBps: round(sequential, 1),
      wal: rows,
      replayMBps: round(replayMBps(replay), 1),
      replay: replayReport(replay),
      targets: targetReport(rows, replayMBps(replay)),
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await work.remove();
  }
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) process.stderr.write(`[bench:wal] ${error.message}\n${usage}\n`);
  else process.stderr.write(`[bench:wal] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = error instanceof UsageError ? 2 : 1;
});
