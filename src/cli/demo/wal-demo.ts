/**
 * `keel demo wal` (what `npm start` ran before the job demo, `keel demo`): the storage layer on
 * this machine's disk (group-committed WAL, checkpoints, recovery across runs), then a crash lab
 * on the simulated disk (torn write, bit flip, corrupt checkpoint).
 */
import { resolve } from 'node:path';
import { nodeFileSystem } from '../../runtime/node-fs.js';
import { systemTimers } from '../../runtime/system-clock.js';
import { CheckpointStore, Wal, recover } from '../../storage/index.js';
import { Bank, encodeTransfer, transferFor } from './bank.js';
import { runCrashLab } from './crash-lab.js';
import { ProgressLine, formatCount } from './progress.js';

export interface WalDemoOptions {
  readonly dir: string;
  readonly transfers: number;
  readonly appenders: number;
  readonly checkpointEvery: number;
  readonly crashLab: boolean;
}

const out = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};

export async function runWalDemo(options: WalDemoOptions): Promise<void> {
  const dir = resolve(options.dir);
  out('Keel storage demo: write-ahead log + checkpoints + recovery (single node; `keel demo` shows the cluster)');
  out(`data directory: ${dir}`);
  out();
  const bank = new Bank();
  const started = performance.now();
  const { wal, report } = await Wal.open({ fs: nodeFileSystem, dir: `${dir}/wal`, timers: systemTimers });
  const checkpoints = await CheckpointStore.open({ fs: nodeFileSystem, dir: `${dir}/checkpoints`, keep: 3 });
  const recovery = await recover({ wal, checkpoints, target: bank });
  if (wal.lastIndex === undefined && bank.appliedIndex > 0) await wal.reset(bank.appliedIndex + 1);
  const recoveryMs = performance.now() - started;
  if (recovery.appliedIndex === 0) {
    out('1. recovery: fresh data directory, nothing to recover');
  } else {
    const from = recovery.checkpoint ? `checkpoint at index ${recovery.checkpoint.index}` : 'no checkpoint';
    out(`1. recovery: ${from} + redo of ${formatCount(recovery.recordsRedone)} WAL records -> state at index ${formatCount(recovery.appliedIndex)} in ${recoveryMs.toFixed(0)} ms`);
    if (report.tornTail) out(`   torn tail cut: ${report.tornTail.droppedBytes} bytes at byte ${report.tornTail.offset} of ${report.tornTail.file}`);
    for (const bad of recovery.corruptCheckpoints) out(`   skipped corrupt checkpoint: ${bad.reason}`);
    out(`   money conserved across the restart: ${bank.conserved() ? 'yes' : 'NO (bug!)'} (total ${formatCount(bank.total())})`);
  }
  out();
  await appendTransfers(wal, checkpoints, bank, options);
  await wal.close();
  if (options.crashLab) {
    out();
    await runCrashLab(out);
  }
  out();
  out(`Run \`keel demo wal\` again: recovery continues from index ${formatCount(bank.appliedIndex)} in ${dir} (delete it to start fresh).`);
}

async function appendTransfers(wal: Wal, checkpoints: CheckpointStore, bank: Bank, options: WalDemoOptions): Promise<void> {
  out(`2. ${formatCount(options.transfers)} transfers from ${options.appenders} concurrent writers, fsync on every acknowledgement (group commit)`);
  const progress = new ProgressLine(process.stdout);
  const acknowledged = new Map<number, Uint8Array>();
  const firstIndex = wal.nextIndex ?? 1;
  let issued = 0;
  let checkpointsWritten = 0;
  let checkpointing: Promise<void> = Promise.resolve();
  const started = performance.now();
  const syncsBefore = wal.stats.syncs;
  const applyInOrder = (): void => {
    for (let next = bank.appliedIndex + 1; acknowledged.has(next); next++) {
      bank.apply({ index: next, term: 1, type: 1, payload: acknowledged.get(next)! });
      acknowledged.delete(next);
      if (next % options.checkpointEvery === 0) {
        const snapshot = bank.snapshot();
        checkpointing = checkpointing.then(async () => {
          await checkpoints.save({ index: next, term: 1 }, snapshot);
          await wal.truncatePrefix(next + 1);
          checkpointsWritten += 1;
        });
      }
    }
  };
  const writer = async (): Promise<void> => {
    while (issued < options.transfers) {
      const n = firstIndex + issued;
      issued += 1;
      const payload = encodeTransfer(transferFor(n));
      const index = await wal.appendNext(1, 1, payload);
      acknowledged.set(index, payload);
      applyInOrder();
      const done = bank.appliedIndex - firstIndex + 1;
      const elapsed = (performance.now() - started) / 1000;
      const syncs = wal.stats.syncs - syncsBefore;
      progress.update(`   ${bar(done / options.transfers)} ${formatCount(done)}/${formatCount(options.transfers)} · ${formatCount(done / elapsed)} records/s · ${formatCount(syncs)} fsyncs · ${(done / Math.max(1, syncs)).toFixed(1)} records/fsync`);
    }
  };
  await Promise.all(Array.from({ length: options.appenders }, writer));
  await checkpointing;
  const elapsedS = (performance.now() - started) / 1000;
  const syncs = wal.stats.syncs - syncsBefore;
  progress.done(`   ${bar(1)} ${formatCount(options.transfers)} durable in ${elapsedS.toFixed(2)} s: ${formatCount(options.transfers / elapsedS)} records/s, ${formatCount(syncs)} fdatasyncs (${(options.transfers / Math.max(1, syncs)).toFixed(1)} records each), ${checkpointsWritten} checkpoints`);
  out(`   state at index ${formatCount(bank.appliedIndex)}; money conserved: ${bank.conserved() ? 'yes' : 'NO (bug!)'}`);
}

function bar(fraction: number): string {
  const width = 24;
  const filled = Math.round(Math.min(1, fraction) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}
