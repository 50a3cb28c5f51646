/**
 * Raft's durable state on the storage layer: WAL (entries), hard state, checkpoints (snapshots).
 * Opening applies the protocol-aware recovery rules (docs/raft.md): a torn, never-acknowledged
 * tail is cut and forgotten; anything that may have held acknowledged data (salvaged mid-log
 * corruption, a commit index beyond the surviving log, a checkpoint lost with the log compacted
 * past it) marks the node `recovering`, so it neither votes nor counts toward a quorum until it
 * has caught up from the leader.
 */
import { assert } from '../core/assert.js';
import { isKeelError } from '../core/errors.js';
import { concatBytes } from '../core/bytes.js';
import { joinPath } from '../core/path.js';
import type { FileSystem } from '../ports/file-system.js';
import { decodeMembership, encodeMembership } from '../raft/membership.js';
import type { Entry, EntryKind, HardState, Ready, Snapshot, SnapshotMeta } from '../raft/types.js';
import { CheckpointStore, HardStateStore, Wal, type WalRecord } from '../storage/index.js';

const kindCode: Readonly<Record<EntryKind, number>> = { normal: 1, noop: 2, config: 3 };
const codeKind = new Map<number, EntryKind>(Object.entries(kindCode).map(([k, v]) => [v, k as EntryKind]));

export function entryToRecord(entry: Entry): WalRecord {
  return { index: entry.index, term: entry.term, type: kindCode[entry.kind], payload: entry.data };
}

export function recordToEntry(record: WalRecord): Entry {
  const kind = codeKind.get(record.type);
  if (kind === undefined) throw new Error(`WAL record ${record.index} has unknown entry type ${record.type}`);
  return { index: record.index, term: record.term, kind, data: record.payload };
}

export interface RaftStorageOpen {
  readonly storage: RaftStorage;
  readonly hardState: HardState;
  readonly snapshot: Snapshot | undefined;
  readonly entries: Entry[];
  readonly recovering: boolean;
  /** Human-readable notes on what recovery found (torn tails, salvage, fallbacks). */
  readonly notes: string[];
}

export class RaftStorage {
  private constructor(
    readonly wal: Wal,
    private readonly hard: HardStateStore,
    private readonly checkpoints: CheckpointStore,
  ) {}

  static async open(fs: FileSystem, dir: string, options: { segmentSizeBytes?: number; recordPayloadBytesMax?: number; fsync?: 'always' | 'unsafe-none' } = {}): Promise<RaftStorageOpen> {
    const notes: string[] = [];
    let recovering = false;
    const walOptions = {
      fs, dir: joinPath(dir, 'wal'),
      ...(options.segmentSizeBytes === undefined ? {} : { segmentSizeBytes: options.segmentSizeBytes }),
      ...(options.recordPayloadBytesMax === undefined ? {} : { recordPayloadBytesMax: options.recordPayloadBytesMax }),
      ...(options.fsync === undefined ? {} : { fsync: options.fsync }),
    };
    let opened: Awaited<ReturnType<typeof Wal.open>>;
    try {
      opened = await Wal.open(walOptions);
    } catch (error) {
      if (!isKeelError(error, 'WAL_CORRUPT')) throw error;
      // A damaged record that may be committed: cut the log there and repair it from peers.
      notes.push(`WAL corrupt, salvaged: ${error.message}`);
      recovering = true;
      opened = await Wal.open({ ...walOptions, salvage: true });
    }
    const { wal, report } = opened;
    if (report.tornTail) notes.push(`torn tail cut: ${report.tornTail.droppedBytes} bytes at ${report.tornTail.file}:${report.tornTail.offset}`);
    const { store: hard, state: hardState, report: hardReport } = await HardStateStore.open(fs, joinPath(dir, 'hardstate'));
    if (hardReport.damagedSlots.length > 0) notes.push(`hard state slot(s) ${hardReport.damagedSlots.join(', ')} damaged; used the other`);
    const checkpoints = await CheckpointStore.open({ fs, dir: joinPath(dir, 'checkpoints'), keep: 3 });
    const { checkpoint, corrupt } = await checkpoints.latestValid();
    for (const bad of corrupt) notes.push(`checkpoint skipped: ${bad.reason}`);
    let snapshot: Snapshot | undefined;
    if (checkpoint !== undefined) {
      const chunks: Uint8Array[] = [];
      for await (const chunk of checkpoints.read(checkpoint.file)) chunks.push(chunk);
      snapshot = { meta: { index: checkpoint.index, term: checkpoint.term, membership: decodeMembership(checkpoint.metadata) }, data: concatBytes(chunks) };
    }
    const base = snapshot?.meta.index ?? 0;
    let entries: Entry[] = [];
    const first = wal.firstIndex;
    const last = wal.lastIndex;
    if (first !== undefined && last !== undefined && last > base) {
      if (first > base + 1) {
        notes.push(`log starts at ${first} but the usable checkpoint ends at ${base}: log discarded, catching up from the leader`);
        recovering = true;
        await wal.reset(base + 1);
      } else {
        for await (const record of wal.iterate(base + 1, last + 1)) entries.push(recordToEntry(record));
      }
    } else if (last === undefined || last < base) {
      await wal.reset(base + 1);
      entries = [];
    }
    const lastIndex = base + entries.length;
    if (hardState.commit > lastIndex) {
      notes.push(`commit index ${hardState.commit} is beyond the surviving log (${lastIndex}): acknowledged entries lost locally`);
      recovering = true;
    }
    return {
      storage: new RaftStorage(wal, hard, checkpoints),
      hardState: { ...hardState, commit: Math.min(hardState.commit, lastIndex) },
      snapshot, entries, recovering, notes,
    };
  }

  /** Step 1 of the Ready contract: snapshot, entries, hard state, all durable. */
  async persist(rd: Ready, keptSuffixAfterSnapshot: boolean): Promise<void> {
    if (rd.snapshot !== undefined) {
      await this.saveSnapshot(rd.snapshot);
      const { index } = rd.snapshot.meta;
      if (keptSuffixAfterSnapshot) await this.wal.truncatePrefix(index + 1);
      else await this.wal.reset(index + 1);
    }
    if (rd.entries.length > 0) {
      const first = rd.entries[0]!.index;
      const next = this.wal.nextIndex;
      assert(next === undefined || first <= next, `entries from ${first} would leave a gap after ${next}`);
      if (next !== undefined && first < next) await this.wal.truncateSuffix(first);
      await this.wal.append(rd.entries.map(entryToRecord));
    }
    if (rd.hardState !== undefined) await this.hard.save(rd.hardState);
  }

  async saveSnapshot(snapshot: Snapshot): Promise<void> {
    await this.checkpoints.save({ index: snapshot.meta.index, term: snapshot.meta.term, metadata: encodeMembership(snapshot.meta.membership) }, [snapshot.data]);
  }

  /** After a local snapshot at `index` is durable: drop whole WAL segments before it. */
  async compact(meta: SnapshotMeta): Promise<void> {
    await this.wal.truncatePrefix(meta.index + 1);
  }

  async close(): Promise<void> {
    await this.wal.close();
    await this.hard.close();
  }
}
