/**
 * Recovery = newest valid checkpoint + redo of every WAL record after its index.
 * The one function every later subsystem (Raft node, KV, task engine) restarts through.
 */
import { KeelError } from '../core/errors.js';
import type { CheckpointInfo, CheckpointStore, CorruptCheckpoint } from './checkpoint/checkpoint-store.js';
import type { WalRecord } from './wal/format.js';
import type { Wal } from './wal/wal.js';

export interface RecoveryTarget {
  /** Replaces the whole state with the checkpoint's data; must not keep partial state if the stream throws. */
  restore(checkpoint: CheckpointInfo, data: AsyncIterable<Uint8Array>): Promise<void>;
  /** Redoes one record; called in index order for every record after the checkpoint. */
  apply(record: WalRecord): void | Promise<void>;
}

export interface RecoveryOptions {
  readonly wal: Wal;
  readonly checkpoints: CheckpointStore;
  readonly target: RecoveryTarget;
  /** Redo only up to this index (e.g. the durable Raft commit index); default: the whole log. */
  readonly redoUpTo?: number;
}

export interface RecoveryReport {
  readonly checkpoint: { readonly index: number; readonly term: number; readonly file: string } | undefined;
  /** Checkpoints skipped because they failed verification (newest first). */
  readonly corruptCheckpoints: readonly CorruptCheckpoint[];
  readonly redoFrom: number;
  readonly recordsRedone: number;
  readonly bytesRedone: number;
  /** Index of the last entry whose effect is in the recovered state (0: nothing). */
  readonly appliedIndex: number;
}

export async function recover(options: RecoveryOptions): Promise<RecoveryReport> {
  const { wal, checkpoints, target } = options;
  const { checkpoint, corrupt } = await checkpoints.latestValid();
  if (checkpoint !== undefined) await target.restore(checkpoint, checkpoints.read(checkpoint.file));
  const base = checkpoint?.index ?? 0;
  const redoFrom = base + 1;
  const last = Math.min(wal.lastIndex ?? 0, options.redoUpTo ?? Number.MAX_SAFE_INTEGER);
  const first = wal.firstIndex;
  let recordsRedone = 0;
  let bytesRedone = 0;
  if (last >= redoFrom) {
    if (first === undefined || first > redoFrom) {
      const fellBack = corrupt.length > 0 ? ` (the newer checkpoint ${corrupt[0]!.file} is corrupt)` : '';
      throw new KeelError('RECOVERY_GAP', `cannot recover: the newest usable checkpoint ends at index ${base}${fellBack} but the write-ahead log starts at ${first}; entries ${redoFrom}..${(first ?? redoFrom) - 1} exist nowhere on this node, rebuild it from a peer`, { data: { checkpointIndex: base, walFirstIndex: first } });
    }
    for await (const record of wal.iterate(redoFrom, last + 1)) {
      await target.apply(record);
      recordsRedone += 1;
      bytesRedone += record.payload.length;
    }
  }
  return {
    checkpoint: checkpoint && { index: checkpoint.index, term: checkpoint.term, file: checkpoint.file },
    corruptCheckpoints: corrupt,
    redoFrom,
    recordsRedone,
    bytesRedone,
    appliedIndex: Math.max(base, last >= redoFrom ? last : base),
  };
}
