/**
 * The write-ahead log: a segmented, checksummed, group-committed record log.
 *
 * Invariants (asserted; docs/storage.md):
 * - Indexes are contiguous: segment k+1 starts at segment k's last index + 1.
 * - An append's promise resolves only after its bytes are fdatasynced (policy `always`/`batch`).
 * - One batch is written and synced before the next is written, and segment k is synced before
 *   any byte goes to segment k+1; so after a crash only the last batch can be damaged.
 * - Reads return only records whose checksum verifies now, not just at open.
 */
import { assert } from '../../core/assert.js';
import { KeelError, describeError, errnoCode } from '../../core/errors.js';
import { decodeFrame, encodeRecord, frameSize, type WalRecord } from './format.js';
import { resolveWalOptions, type WalOptions, type WalOptionsInput } from './options.js';
import { cutAt, recoverWal, type WalOpenReport } from './recover.js';
import { activateSegment, preallocateSegment, segmentHandle, segmentLastIndex, tempSegmentPath, type Segment } from './segment.js';
import type { FileHandle } from '../../ports/file-system.js';

interface PendingAppend {
  readonly records: readonly WalRecord[];
  readonly bytes: number;
  readonly resolve: (lastIndex: number) => void;
  readonly reject: (error: unknown) => void;
}

export interface WalStats {
  readonly batches: number;
  readonly syncs: number;
  readonly recordsAppended: number;
  readonly bytesAppended: number;
  readonly segmentsCreated: number;
}

const READ_CHUNK_BYTES = 4 * 1024 * 1024;

export class Wal {
  private readonly segments: Segment[];
  private pending: PendingAppend[] = [];
  private pendingBytes = 0;
  private nextIndexValue: number | undefined;
  private flushQueued = false;
  private cancelBatchTimer: (() => void) | undefined;
  private serial: Promise<void> = Promise.resolve();
  private failure: KeelError | undefined;
  private closed = false;
  private prepared: Promise<FileHandle> | undefined;
  private stats_ = { batches: 0, syncs: 0, recordsAppended: 0, bytesAppended: 0, segmentsCreated: 0 };

  private constructor(private readonly options: WalOptions, segments: Segment[]) {
    this.segments = segments;
    const last = this.lastIndex;
    this.nextIndexValue = last === undefined ? undefined : last + 1;
  }

  /** Opens (and recovers) the log in `input.dir`. Throws WAL_CORRUPT on mid-log corruption unless `salvage`. */
  static async open(input: WalOptionsInput): Promise<{ wal: Wal; report: WalOpenReport }> {
    const options = resolveWalOptions(input);
    const { segments, report } = await recoverWal(options);
    const wal = new Wal(options, segments);
    if (segments.length === 0) wal.prepareNextSegment();
    return { wal, report };
  }

  get firstIndex(): number | undefined {
    const first = this.segments.find((s) => s.offsets.length > 0);
    return first?.firstIndex;
  }

  /** Index of the last durable record, or undefined for an empty log. */
  get lastIndex(): number | undefined {
    for (let i = this.segments.length - 1; i >= 0; i--) {
      const segment = this.segments[i]!;
      if (segment.offsets.length > 0) return segmentLastIndex(segment);
    }
    return undefined;
  }

  /** The index the next appended record must carry (undefined: an empty log takes any start). */
  get nextIndex(): number | undefined {
    return this.nextIndexValue;
  }

  get stats(): WalStats {
    return { ...this.stats_ };
  }

  /**
   * Appends records (contiguous, starting at `nextIndex`). Resolves with the last index once
   * they are durable under the fsync policy. Validation is synchronous, so concurrent callers
   * may each append at `nextIndex` in turn.
   */
  async append(records: readonly WalRecord[]): Promise<number> {
    // Everything before the first await runs synchronously, so index reservation is atomic.
    this.checkWritable();
    assert(records.length > 0, 'append of no records');
    let expected = this.nextIndexValue ?? records[0]!.index;
    let bytes = 0;
    for (const record of records) {
      if (record.index !== expected) {
        throw new KeelError('WAL_INDEX_GAP', `append at index ${record.index}, expected ${expected}`, { data: { index: record.index, expected } });
      }
      assert(Number.isSafeInteger(record.term) && record.term >= 0, `record term out of range: ${record.term}`);
      if (record.payload.length > this.options.recordPayloadBytesMax) {
        throw new KeelError('WAL_RECORD_TOO_LARGE', `record of ${record.payload.length} bytes exceeds recordPayloadBytesMax (${this.options.recordPayloadBytesMax})`, { data: { size: record.payload.length } });
      }
      bytes += frameSize(record.payload.length);
      expected += 1;
    }
    this.nextIndexValue = expected;
    return new Promise<number>((resolve, reject) => {
      this.pending.push({ records, bytes, resolve, reject });
      this.pendingBytes += bytes;
      this.requestFlush();
    });
  }

  /** Appends one record at the next index; resolves with its index once durable. */
  appendNext(term: number, type: number, payload: Uint8Array): Promise<number> {
    return this.append([{ index: this.nextIndexValue ?? 1, term, type, payload }]);
  }

  /** Term of a durable record. */
  term(index: number): number {
    const segment = this.segmentOf(index);
    return segment.terms[index - segment.firstIndex]!;
  }

  /** Reads durable records in [from, toExclusive); every checksum is verified again. */
  async read(from: number, toExclusive: number): Promise<WalRecord[]> {
    const out: WalRecord[] = [];
    for await (const record of this.iterate(from, toExclusive)) out.push(record);
    return out;
  }

  /** Streams durable records in [from, toExclusive) in chunks: the redo path of recovery. */
  async *iterate(from: number, toExclusive = (this.lastIndex ?? 0) + 1): AsyncGenerator<WalRecord> {
    if (from >= toExclusive) return;
    this.segmentOf(from);
    this.segmentOf(toExclusive - 1);
    let index = from;
    while (index < toExclusive) {
      const segment = this.segmentOf(index);
      const end = Math.min(toExclusive, segmentLastIndex(segment) + 1);
      const startOffset = segment.offsets[index - segment.firstIndex]!;
      let stop = index + 1;
      while (stop < end && segment.offsets[stop - segment.firstIndex]! - startOffset < READ_CHUNK_BYTES) stop += 1;
      const endOffset = stop - segment.firstIndex < segment.offsets.length ? segment.offsets[stop - segment.firstIndex]! : segment.endOffset;
      const handle = await segmentHandle(this.options.fs, segment);
      const bytes = await handle.read(startOffset, endOffset - startOffset);
      let offset = 0;
      for (let i = index; i < stop; i++) {
        const frame = decodeFrame(bytes, offset, this.options.recordPayloadBytesMax);
        if (frame === undefined || frame.index !== i) {
          const at = startOffset + offset;
          throw new KeelError('WAL_CORRUPT', `${segment.path}: record ${i} at byte ${at} fails its checksum on read`, { data: { file: segment.path, offset: at, index: i } });
        }
        yield { index: i, term: frame.term, type: frame.type, payload: bytes.slice(frame.payloadOffset, frame.payloadOffset + frame.payloadLength) };
        offset += frame.size;
      }
      index = stop;
    }
  }

  /** Waits until every append made so far is durable (or failed). */
  async sync(): Promise<void> {
    if (this.pending.length > 0) this.queueFlush();
    await this.serial;
    this.throwIfFailed();
  }

  /**
   * Removes every record with index >= `index` (a Raft log conflict). Later segments are
   * deleted newest first and the directory synced before the surviving segment is cut, so a
   * crash at any point leaves a contiguous log.
   */
  truncateSuffix(index: number): Promise<void> {
    this.checkWritable();
    const first = this.firstIndex;
    assert(first === undefined || index >= first, `truncateSuffix(${index}) below the first index ${first}`);
    assert(this.nextIndexValue === undefined || index <= this.nextIndexValue, `truncateSuffix(${index}) past the next index ${this.nextIndexValue}`);
    for (const p of this.pending) assert(p.records[0]!.index < index, 'truncateSuffix over appends that are still pending');
    if (this.nextIndexValue !== undefined) this.nextIndexValue = Math.min(this.nextIndexValue, index);
    return this.runSerial(async () => {
      await this.flushPending();
      let removed = false;
      while (this.segments.length > 0 && this.segments[this.segments.length - 1]!.firstIndex >= index) {
        const segment = this.segments.pop()!;
        await segment.handle?.close();
        await this.options.fs.unlink(segment.path);
        removed = true;
      }
      if (removed) await this.options.fs.syncDir(this.options.dir);
      const last = this.segments[this.segments.length - 1];
      if (last !== undefined && segmentLastIndex(last) >= index) {
        const keep = index - last.firstIndex;
        last.endOffset = last.offsets[keep]!;
        last.offsets.length = keep;
        last.terms.length = keep;
        await segmentHandle(this.options.fs, last);
        await cutAt(last, this.options.segmentSizeBytes);
      }
    });
  }

  /**
   * Compaction after a checkpoint at `index - 1`: deletes whole segments that hold only
   * records below `index`, oldest first. Records below `index` in the first kept segment stay.
   */
  truncatePrefix(index: number): Promise<void> {
    this.checkWritable();
    return this.runSerial(async () => {
      let removed = false;
      while (this.segments.length > 1 && this.segments[1]!.firstIndex <= index) {
        const segment = this.segments.shift()!;
        await segment.handle?.close();
        await this.options.fs.unlink(segment.path);
        removed = true;
      }
      if (removed) await this.options.fs.syncDir(this.options.dir);
    });
  }

  /** Empties the log so that it continues at `nextIndex` (after installing a snapshot past its end). */
  reset(nextIndex: number): Promise<void> {
    this.checkWritable();
    assert(this.pending.length === 0, 'reset with appends still pending');
    assert(Number.isSafeInteger(nextIndex) && nextIndex >= 1, `reset to invalid index ${nextIndex}`);
    this.nextIndexValue = nextIndex;
    return this.runSerial(async () => {
      while (this.segments.length > 0) {
        const segment = this.segments.pop()!;
        await segment.handle?.close();
        await this.options.fs.unlink(segment.path);
      }
      await this.options.fs.syncDir(this.options.dir);
    });
  }

  /** Flushes pending appends and closes every file. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.failure === undefined) await this.sync().catch(() => undefined); // the failure is already reported to each append
    this.closed = true;
    await this.serial;
    this.cancelBatchTimer?.();
    for (const segment of this.segments) {
      await segment.handle?.close();
      segment.handle = undefined;
    }
    if (this.prepared !== undefined) {
      const handle = await this.prepared.catch(() => undefined); // a failed preallocation left nothing to close
      if (handle !== undefined) {
        await handle.close();
        await this.options.fs.unlink(handle.path);
      }
    }
  }

  private segmentOf(index: number): Segment {
    for (let i = this.segments.length - 1; i >= 0; i--) {
      const segment = this.segments[i]!;
      if (index >= segment.firstIndex) {
        if (index <= segmentLastIndex(segment)) return segment;
        break;
      }
    }
    throw new RangeError(`index ${index} is not in the log [${this.firstIndex}, ${this.lastIndex}]`);
  }

  private checkWritable(): void {
    if (this.closed) throw new KeelError('WAL_CLOSED', 'write-ahead log is closed');
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  private runSerial(task: () => Promise<void>): Promise<void> {
    const run = this.serial.then(task);
    // The chain must survive a failed task; the task's own promise still rejects for its caller.
    this.serial = run.catch(() => undefined);
    return run;
  }

  private requestFlush(): void {
    if (this.flushQueued) return;
    if (this.options.fsync === 'batch' && this.pendingBytes < this.options.batchBytesMax) {
      if (this.cancelBatchTimer === undefined) {
        this.cancelBatchTimer = this.options.timers!.after(this.options.batchDelayMsMax, () => this.queueFlush());
      }
      return;
    }
    this.queueFlush();
  }

  private queueFlush(): void {
    this.cancelBatchTimer?.();
    this.cancelBatchTimer = undefined;
    if (this.flushQueued) return;
    this.flushQueued = true;
    this.runSerial(() => this.flushPending()).catch(() => undefined); // errors reach each append's promise
  }

  /** Writes and syncs everything pending, one batch (<= batchBytesMax) at a time. Serial context only. */
  private async flushPending(): Promise<void> {
    this.flushQueued = false;
    while (this.pending.length > 0 && this.failure === undefined) {
      const batch = this.takeBatch();
      try {
        await this.writeBatch(batch.flatMap((p) => p.records));
        for (const p of batch) p.resolve(p.records[p.records.length - 1]!.index);
      } catch (error) {
        this.fail(error, batch);
      }
    }
  }

  private takeBatch(): PendingAppend[] {
    let bytes = 0;
    let count = 0;
    while (count < this.pending.length && (count === 0 || bytes + this.pending[count]!.bytes <= this.options.batchBytesMax)) {
      bytes += this.pending[count]!.bytes;
      count += 1;
    }
    const batch = this.pending.splice(0, count);
    this.pendingBytes -= bytes;
    return batch;
  }

  /** One write and one fdatasync per segment touched; returns the last index written. */
  private async writeBatch(records: readonly WalRecord[]): Promise<number> {
    const batchFirstIndex = records[0]!.index;
    let start = 0;
    while (start < records.length) {
      const segment = await this.segmentWithRoomFor(records[start]!);
      let end = start;
      let size = 0;
      while (end < records.length && segment.endOffset + size + frameSize(records[end]!.payload.length) <= this.options.segmentSizeBytes) {
        size += frameSize(records[end]!.payload.length);
        end += 1;
      }
      assert(end > start, 'a record does not fit in an empty segment');
      assert(segment.offsets.length > 0 || segment.firstIndex === records[start]!.index, 'an empty segment receives a record other than its first index');
      const buffer = new Uint8Array(size);
      let offset = 0;
      for (let i = start; i < end; i++) offset += encodeRecord(buffer, offset, records[i]!, batchFirstIndex);
      const handle = await segmentHandle(this.options.fs, segment);
      await handle.write(segment.endOffset, buffer);
      if (this.options.fsync !== 'unsafe-none') {
        await handle.datasync();
        this.stats_.syncs += 1;
      }
      for (let i = start, at = segment.endOffset; i < end; i++) {
        segment.offsets.push(at);
        segment.terms.push(records[i]!.term);
        at += frameSize(records[i]!.payload.length);
      }
      segment.endOffset += size;
      this.stats_.bytesAppended += size;
      if (segment.endOffset > this.options.segmentSizeBytes / 2) this.prepareNextSegment();
      start = end;
    }
    this.stats_.batches += 1;
    this.stats_.recordsAppended += records.length;
    return records[records.length - 1]!.index;
  }

  /** The active segment if the record fits, otherwise a new one (the old one synced first). */
  private async segmentWithRoomFor(record: WalRecord): Promise<Segment> {
    const active = this.segments[this.segments.length - 1];
    const size = frameSize(record.payload.length);
    if (active !== undefined && active.endOffset + size <= this.options.segmentSizeBytes) return active;
    if (active !== undefined) {
      // Invariant: nothing reaches segment k+1 before segment k is durable (recovery relies on it).
      if (this.options.fsync === 'unsafe-none') await (await segmentHandle(this.options.fs, active)).datasync();
      await active.handle?.close();
      active.handle = undefined;
    }
    const seq = this.nextSegmentSeq();
    const prepared = this.prepared;
    this.prepared = undefined;
    let handle = await prepared;
    if (handle !== undefined && handle.path !== tempSegmentPath(this.options.dir, seq)) {
      // Prepared before a truncation changed which sequence comes next.
      await handle.close();
      await this.options.fs.unlink(handle.path);
      handle = undefined;
    }
    handle ??= await preallocateSegment(this.options.fs, this.options.dir, seq, this.options.segmentSizeBytes);
    const segment = await activateSegment(this.options.fs, this.options.dir, handle, seq, record.index);
    this.segments.push(segment);
    this.stats_.segmentsCreated += 1;
    return segment;
  }

  private nextSegmentSeq(): number {
    const last = this.segments[this.segments.length - 1];
    return last === undefined ? 1 : last.seq + 1;
  }

  /** Zero-fills the next segment in the background (once the active one is half full) so rotation does not stall appends. */
  private prepareNextSegment(): void {
    if (this.prepared !== undefined) return;
    this.prepared = preallocateSegment(this.options.fs, this.options.dir, this.nextSegmentSeq(), this.options.segmentSizeBytes);
    this.prepared.catch(() => undefined); // surfaced when the next rotation awaits it
  }


  private fail(error: unknown, batch: readonly PendingAppend[]): void {
    const errno = errnoCode(error);
    this.failure = new KeelError('WAL_FAILED', `write-ahead log failed (${errno ?? 'error'}: ${describeError(error)}); it accepts no more appends and must be reopened so recovery decides what is durable`, { cause: error, data: { errno } });
    for (const p of [...batch, ...this.pending]) p.reject(this.failure);
    this.pending = [];
    this.pendingBytes = 0;
  }
}
