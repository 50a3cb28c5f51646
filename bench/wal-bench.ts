/**
 * `npm run bench:wal [-- --quick] [-- --dir <parent>] [-- --seconds <s>]`
 *
 * Measures the Keel write-ahead log on the real disk against the physical baseline in the same run,
 * and prints ONE JSON document on stdout (progress on stderr). It reports targets; it does not
 * assert them (exit code 0 when the run completes). Fields are described in bench/BENCHMARKS.md.
 */
import { mkdir, rm } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { walDefaults } from '../src/storage/index.js';
import { machineInfo, gitCommit } from './machine.js';
import { progress, round, type TimedResult, type TimedWindow } from './measure.js';
import { findFio, preallocateZeros, rawAsyncWriteSync, rawBlockingWriteSync, rawFileSizeBytes, runFio } from './raw-baseline.js';
import { runWalCells, walRow, type WalCell } from './wal-append.js';
import { replayReport, runReplay } from './wal-replay.js';

const payloadSizesBytes = [128, 1024, 16384] as const;
const appenderCounts = [1, 8, 64] as const;
const targets = { ratio1AppenderMin: 0.8, speedup64Min: 10, replayMBpsMin: 200 } as const;
const projectRoot = fileURLToPath(new URL('..', import.meta.url));

interface Settings {
  readonly quick: boolean;
  readonly window: TimedWindow;
  readonly replayLogBytes: number;
  readonly parentDir: string;
}

function parseSettings(): Settings {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean', default: false }, dir: { type: 'string' }, seconds: { type: 'string' } },
    strict: true,
  });
  const quick = values.quick;
  const seconds = values.seconds === undefined ? (quick ? 0.7 : 3) : Number(values.seconds);
  if (!(Number.isFinite(seconds) && seconds > 0 && seconds <= 600)) throw new Error(`--seconds must be a number in (0, 600], got "${values.seconds}"`);
  return {
    quick,
    window: { warmupMs: quick ? 200 : 500, durationMs: seconds * 1000 },
    replayLogBytes: (quick ? 64 : 256) * 1024 * 1024,
    parentDir: resolve(values.dir ?? join(projectRoot, 'bench', 'out')),
  };
}

interface RawRow {
  readonly payloadBytes: number;
  readonly async: TimedResult;
  readonly blocking: TimedResult;
  readonly fioOpsPerSec: number | undefined;
}

async function measurePayload(workDir: string, payloadBytes: number, window: TimedWindow, fio: string | undefined): Promise<{ raw: RawRow; cells: WalCell[] }> {
  const rawFile = join(workDir, 'raw.bin');
  progress(`raw    payload ${payloadBytes} B: FileHandle write + datasync`);
  const asyncResult = await rawAsyncWriteSync(rawFile, payloadBytes, window);
  progress(`raw    payload ${payloadBytes} B: writeSync + fdatasyncSync`);
  const blocking = rawBlockingWriteSync(rawFile, payloadBytes, window);
  let fioOpsPerSec: number | undefined;
  if (fio !== undefined) {
    progress(`fio    payload ${payloadBytes} B`);
    const fioFile = join(workDir, 'fio.bin');
    try {
      fioOpsPerSec = await runFio(fio, fioFile, payloadBytes, window.durationMs / 1000);
    } finally {
      await rm(fioFile, { force: true });
    }
  }
  const cells = await runWalCells(workDir, payloadBytes, appenderCounts, window);
  return { raw: { payloadBytes, async: asyncResult, blocking, fioOpsPerSec }, cells };
}

function rowsFor(raw: RawRow, cells: readonly WalCell[]): Record<string, number | null>[] {
  const single = cells.find((c) => c.appenders === 1);
  return cells.map((cell) => ({
    ...walRow(cell),
    rawOpsPerSec: round(raw.async.opsPerSec),
    rawSyncOpsPerSec: round(raw.blocking.opsPerSec),
    ...(raw.fioOpsPerSec === undefined ? {} : { fioOpsPerSec: round(raw.fioOpsPerSec) }),
    ratio: round(cell.opsPerSec / raw.async.opsPerSec, 3),
    ...(cell.appenders > 1 && single !== undefined ? { speedupVs1Appender: round(cell.opsPerSec / single.opsPerSec, 2) } : {}),
  }));
}

function rawReport(raw: RawRow): Record<string, number | null> {
  return {
    payloadBytes: raw.payloadBytes,
    rawOpsPerSec: round(raw.async.opsPerSec),
    rawP50Ms: round(raw.async.latency.p50Ms, 3),
    rawP99Ms: round(raw.async.latency.p99Ms, 3),
    rawSyncOpsPerSec: round(raw.blocking.opsPerSec),
    rawSyncP50Ms: round(raw.blocking.latency.p50Ms, 3),
    rawSyncP99Ms: round(raw.blocking.latency.p99Ms, 3),
    ...(raw.fioOpsPerSec === undefined ? {} : { fioOpsPerSec: round(raw.fioOpsPerSec) }),
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
  const workDir = join(settings.parentDir, `wal-${process.pid}`);
  await mkdir(settings.parentDir, { recursive: true });
  await mkdir(workDir); // fails if it exists: never bench in (and then delete) someone else's directory
  const onSignal = (signal: NodeJS.Signals): void => {
    progress(`${signal}: removing ${workDir}`);
    rmSync(workDir, { recursive: true, force: true });
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const startedAt = new Date();
    const fio = findFio();
    progress(`data in ${workDir}; ${settings.window.durationMs / 1000} s per cell${fio === undefined ? '; fio not installed' : ''}`);
    await preallocateZeros(join(workDir, 'raw.bin'), rawFileSizeBytes);
    const raws: RawRow[] = [];
    const rows: Record<string, number | null>[] = [];
    for (const payloadBytes of payloadSizesBytes) {
      const { raw, cells } = await measurePayload(workDir, payloadBytes, settings.window, fio);
      raws.push(raw);
      rows.push(...rowsFor(raw, cells));
    }
    await rm(join(workDir, 'raw.bin'));
    const replay = await runReplay(workDir, settings.replayLogBytes);
    const commit = gitCommit(projectRoot);
    const report = {
      machine: machineInfo(workDir),
      commit,
      commitShort: commit?.slice(0, 7) ?? null,
      date: startedAt.toISOString(),
      settings: {
        quick: settings.quick,
        secondsPerCell: settings.window.durationMs / 1000,
        warmupSeconds: settings.window.warmupMs / 1000,
        fsync: 'always',
        segmentSizeBytes: walDefaults.segmentSizeBytes,
        rawFileSizeBytes,
        replayLogBytesTarget: settings.replayLogBytes,
      },
      ...(fio === undefined ? { fio: 'not installed' } : {}),
      raw: raws.map(rawReport),
      wal: rows,
      replayMBps: round(replay.replayMBps, 1),
      replay: replayReport(replay),
      targets: targetReport(rows, replay.replayMBps),
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await rm(workDir, { recursive: true, force: true });
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`[bench:wal] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
