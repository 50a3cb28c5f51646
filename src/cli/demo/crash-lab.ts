/** The demo's crash lab: faults a real disk cannot be asked for, on the simulated disk. */
import { seededRandom } from '../../core/prng.js';
import { isKeelError } from '../../core/errors.js';
import { MemoryFileSystem } from '../../sim/memory-fs.js';
import { CheckpointStore, Wal, recover } from '../../storage/index.js';
import { Bank, encodeTransfer, transferFor } from './bank.js';

const WAL_DIR = '/node/wal';
const CHECKPOINT_DIR = '/node/checkpoints';
const walOptions = { dir: WAL_DIR, segmentSizeBytes: 64 * 1024, recordPayloadBytesMax: 4096 } as const;

type Print = (line?: string) => void;

async function appendTransfers(wal: Wal, count: number, writers = 8): Promise<number> {
  let issued = 0;
  let last = 0;
  await Promise.all(Array.from({ length: writers }, async () => {
    while (issued < count) {
      issued += 1;
      last = Math.max(last, await wal.appendNext(1, 1, encodeTransfer(transferFor(wal.nextIndex ?? 1))));
    }
  }));
  return last;
}

async function reopen(disk: MemoryFileSystem, salvage = false) {
  const fs = disk.mount();
  const { wal, report } = await Wal.open({ fs, ...walOptions, salvage });
  const checkpoints = await CheckpointStore.open({ fs, dir: CHECKPOINT_DIR });
  const bank = new Bank();
  const recovery = await recover({ wal, checkpoints, target: bank });
  return { wal, report, bank, recovery };
}

export async function runCrashLab(print: Print): Promise<void> {
  print('3. crash lab on the simulated disk (deterministic: same seed, same outcome)');
  await tornWrite(print);
  await bitFlip(print);
  await corruptCheckpoint(print);
}

async function tornWrite(print: Print): Promise<void> {
  // Whether a crash tears the last write depends on the seed; show the first seed that does.
  for (let seed = 1; seed <= 100; seed++) {
    const disk = new MemoryFileSystem({ random: seededRandom(seed) });
    const { wal } = await Wal.open({ fs: disk.mount(), ...walOptions });
    const acknowledged = await appendTransfers(wal, 500);
    const inFlight = Array.from({ length: 40 }, () => wal.appendNext(1, 1, encodeTransfer(transferFor(7))).catch(() => undefined));
    for (let i = 0; i < 3; i++) await Promise.resolve();
    disk.crash('torn');
    await Promise.all(inFlight);
    const { report, recovery, bank } = await reopen(disk);
    if (report.tornTail === undefined && seed < 100) continue;
    print(`   power loss with 40 unacknowledged transfers in flight (disk seed ${seed}):`);
    print(report.tornTail
      ? `     torn tail detected and cut: ${report.tornTail.droppedBytes} bytes at byte ${report.tornTail.offset}`
      : '     the in-flight batch was lost whole (no torn bytes on disk)');
    const kept = recovery.appliedIndex >= acknowledged;
    print(`     recovered to index ${recovery.appliedIndex}: all ${acknowledged} acknowledged transfers ${kept ? 'present' : 'MISSING (bug!)'}, money conserved: ${bank.conserved() ? 'yes' : 'NO'}`);
    return;
  }
}

async function bitFlip(print: Print): Promise<void> {
  const disk = new MemoryFileSystem({ random: seededRandom(12) });
  const { wal } = await Wal.open({ fs: disk.mount(), ...walOptions });
  await appendTransfers(wal, 300, 4);
  await wal.close();
  const [segment] = (await disk.readdir(WAL_DIR)).filter((n) => n.endsWith('.wal'));
  disk.flipBit(`${WAL_DIR}/${segment}`, 2000, 3);
  print('   one bit flipped in the middle of the log (bit rot):');
  try {
    await reopen(disk);
    print('     NOT DETECTED (bug!)');
  } catch (error) {
    if (!isKeelError(error, 'WAL_CORRUPT')) throw error;
    print(`     open refused: ${error.message.split('. ')[0]}`);
  }
  const { report, recovery } = await reopen(disk, true);
  print(`     with salvage: log cut at byte ${report.salvaged?.offset}, ${recovery.appliedIndex} records kept (a cluster node refetches the rest from its peers)`);
}

async function corruptCheckpoint(print: Print): Promise<void> {
  const disk = new MemoryFileSystem({ random: seededRandom(13) });
  const fs = disk.mount();
  const { wal } = await Wal.open({ fs, ...walOptions });
  const checkpoints = await CheckpointStore.open({ fs, dir: CHECKPOINT_DIR });
  const live = new Bank();
  for (let round = 1; round <= 3; round++) {
    const from = (wal.nextIndex ?? 1);
    await appendTransfers(wal, 100, 4);
    for (const record of await wal.read(from, (wal.lastIndex ?? 0) + 1)) live.apply(record);
    await checkpoints.save({ index: live.appliedIndex, term: 1 }, live.snapshot());
  }
  await wal.close();
  const [newest] = await checkpoints.list();
  disk.flipBit(newest!.file, 100, 0);
  const { recovery, bank } = await reopen(disk);
  print('   one bit flipped in the newest checkpoint:');
  print(`     skipped: ${recovery.corruptCheckpoints.map((c) => c.reason.replace(/^.*checkpoint corrupt/, 'checkpoint corrupt')).join('; ')}`);
  print(`     recovered from the checkpoint at index ${recovery.checkpoint?.index} + ${recovery.recordsRedone} redone records; same balances as before the flip: ${JSON.stringify(bank.balances) === JSON.stringify(live.balances) ? 'yes' : 'NO (bug!)'}`);
}
