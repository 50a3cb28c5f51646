import { describe, expect, it } from 'vitest';
import { isKeelError } from '../../core/errors.js';
import { joinPath } from '../../core/path.js';
import { ManualTimers, WAL_DIR, memoryFs, openWal, payloadFor, record, records, settle } from '../storage.test-kit.js';
import { SEGMENT_FORMAT_VERSION, encodeSegmentHeader } from './format.js';
import { tornTailResurrectionScenario } from './torn-tail.test-kit.js';

async function segmentFiles(fs: ReturnType<typeof memoryFs>): Promise<string[]> {
  return (await fs.readdir(WAL_DIR)).filter((n) => n.endsWith('.wal'));
}

describe('wal: append, read, reopen', () => {
  it('reads back what was appended, across segment rotations and a reopen', async () => {
    const fs = memoryFs();
    const { wal } = await openWal(fs);
    for (let i = 1; i <= 200; i += 10) await wal.append(records(i, 10, 100));
    expect(wal.firstIndex).toBe(1);
    expect(wal.lastIndex).toBe(200);
    expect((await segmentFiles(fs)).length).toBeGreaterThan(2);
    const read = await wal.read(1, 201);
    expect(read.map((r) => r.index)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(read[41]!.payload).toEqual(payloadFor(42, 0, 100));
    await wal.close();
    fs.crash('lose');
    const reopened = await openWal(fs);
    expect(reopened.report.recordCount).toBe(200);
    expect(reopened.report.tornTail).toBeUndefined();
    expect((await reopened.wal.read(150, 160)).map((r) => r.payload)).toEqual(records(150, 10, 100).map((r) => r.payload));
    expect(reopened.wal.term(77)).toBe(1);
  });

  it('an empty log accepts any starting index and keeps it across a reopen', async () => {
    const fs = memoryFs();
    const { wal } = await openWal(fs);
    expect(wal.nextIndex).toBeUndefined();
    await wal.append(records(1000, 3));
    await wal.close();
    const { wal: again } = await openWal(fs);
    expect([again.firstIndex, again.lastIndex, again.nextIndex]).toEqual([1000, 1002, 1003]);
  });

  it('rejects an index gap and an oversized record with typed errors', async () => {
    const { wal } = await openWal(memoryFs());
    await wal.append(records(1, 2));
    await expect(wal.append([record(5)])).rejects.toMatchObject({ code: 'WAL_INDEX_GAP' });
    await expect(wal.append([record(3, 5000)])).rejects.toMatchObject({ code: 'WAL_RECORD_TOO_LARGE' });
    await expect(wal.append([record(3)])).resolves.toBe(3);
  });

  it('rejects unknown and inconsistent options, listing every problem', async () => {
    await expect(openWal(memoryFs(), { segmentSizeBytes: 4096, recordPayloadBytesMax: 8192, fsync: 'batch' })).rejects.toSatisfy(
      (error: unknown) => isKeelError(error, 'CONFIG_INVALID') && /recordPayloadBytesMax/.test(error.message) && /timers/.test(error.message),
    );
    await expect(openWal(memoryFs(), { bogus: 1 } as never)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });
});

describe('wal: group commit', () => {
  it('coalesces concurrent appends into far fewer fdatasyncs, each caller resolving after its batch is durable', async () => {
    const fs = memoryFs();
    const { wal } = await openWal(fs, { segmentSizeBytes: 1 << 20 });
    const results = await Promise.all(Array.from({ length: 100 }, () => wal.appendNext(1, 1, payloadFor(0, 0, 32))));
    expect(new Set(results).size).toBe(100);
    expect(wal.stats.recordsAppended).toBe(100);
    expect(wal.stats.syncs).toBeLessThan(10);
    fs.crash('lose');
    const { report } = await openWal(fs, { segmentSizeBytes: 1 << 20 });
    expect(report.recordCount).toBe(100);
  });

  it('batch policy waits for the timer, then syncs once', async () => {
    const timers = new ManualTimers();
    const fs = memoryFs();
    const { wal } = await openWal(fs, { fsync: 'batch', timers, batchDelayMsMax: 5 });
    let resolved = 0;
    const appends = [1, 2, 3].map((i) => wal.append([record(i)]).then(() => (resolved += 1)));
    await settle();
    expect(resolved).toBe(0);
    expect(timers.scheduled).toBe(1);
    timers.fire();
    await Promise.all(appends);
    expect(wal.stats.syncs).toBe(1);
  });

  it('unsafe-none acknowledges without fdatasync (and a crash can lose acknowledged records)', async () => {
    const fs = memoryFs();
    const { wal } = await openWal(fs, { fsync: 'unsafe-none' });
    await wal.append(records(1, 5));
    expect(wal.stats.syncs).toBe(0);
    fs.crash('lose');
    const { report } = await openWal(fs);
    expect(report.recordCount).toBe(0);
  });
});

describe('wal: truncation', () => {
  it('truncateSuffix drops the conflicting tail, across segments, durably', async () => {
    const fs = memoryFs();
    const { wal } = await openWal(fs);
    for (let i = 1; i <= 120; i += 10) await wal.append(records(i, 10, 100));
    const before = (await segmentFiles(fs)).length;
    await wal.truncateSuffix(35);
    expect(wal.lastIndex).toBe(34);
    expect((await segmentFiles(fs)).length).toBeLessThan(before);
    await wal.append(records(35, 5, 100, 1));
    fs.crash('lose');
    const { wal: again, report } = await openWal(fs);
    expect(report.lastIndex).toBe(39);
    expect((await again.read(35, 40)).map((r) => r.payload)).toEqual(records(35, 5, 100, 1).map((r) => r.payload));
    expect((await again.read(1, 35)).map((r) => r.payload)).toEqual(records(1, 34, 100).map((r) => r.payload));
  });

  it('truncatePrefix deletes only whole segments below the index', async () => {
    const fs = memoryFs();
    const { wal } = await openWal(fs);
    for (let i = 1; i <= 120; i += 10) await wal.append(records(i, 10, 100));
    await wal.truncatePrefix(60);
    expect(wal.firstIndex).toBeLessThanOrEqual(60);
    expect(wal.firstIndex).toBeGreaterThan(1);
    expect((await wal.read(60, 121)).length).toBe(61);
    fs.crash('lose');
    const { report } = await openWal(fs);
    expect(report.firstIndex).toBe(wal.firstIndex);
    expect(report.lastIndex).toBe(120);
  });

  it('reset empties the log so that it continues at a new index', async () => {
    const fs = memoryFs();
    const { wal } = await openWal(fs);
    await wal.append(records(1, 30, 100));
    await wal.reset(500);
    await wal.append(records(500, 2));
    fs.crash('lose');
    const { report } = await openWal(fs);
    expect([report.firstIndex, report.lastIndex]).toEqual([500, 501]);
  });
});

describe('wal: torn writes and corruption', () => {
  /** Durable bytes of the only segment after appending `synced` records in separate batches and one more. */
  async function segmentWithLastRecord(synced: number, lastSize: number) {
    const fs = memoryFs();
    const { wal } = await openWal(fs, { segmentSizeBytes: 1 << 16 });
    for (let i = 1; i <= synced; i++) await wal.append([record(i, 50)]);
    const lastStart = (await fs.readdir(WAL_DIR)).find((n) => n.endsWith('.wal'))!;
    const path = joinPath(WAL_DIR, lastStart);
    const before = fs.durableBytes(path)!;
    await wal.append([record(synced + 1, lastSize)]);
    await wal.close();
    return { path, name: lastStart, full: fs.durableBytes(path)!, before };
  }

  it('a crash at every byte offset of the last record keeps every synced record and never returns a partial one', async () => {
    const { name, full, before } = await segmentWithLastRecord(5, 300);
    let start = 0;
    while (start < full.length && full[start] === before[start]) start += 1;
    let end = full.length;
    while (end > start && full[end - 1] === before[end - 1]) end -= 1;
    expect(end - start).toBeGreaterThan(300);
    for (let cut = start; cut <= end; cut++) {
      const fs = memoryFs();
      await fs.mkdirp(WAL_DIR);
      const file = await fs.open(joinPath(WAL_DIR, name), 'createNew');
      const torn = before.slice();
      torn.set(full.subarray(start, cut), start);
      await file.write(0, torn);
      await file.sync();
      await fs.syncDir(WAL_DIR);
      const { wal, report } = await openWal(fs, { segmentSizeBytes: 1 << 16 });
      const complete = cut === end;
      expect(report.lastIndex).toBe(complete ? 6 : 5);
      expect((await wal.read(1, 6)).map((r) => r.payload)).toEqual(Array.from({ length: 5 }, (_, i) => payloadFor(i + 1, 0, 50)));
      if (!complete && cut > start) expect(report.tornTail?.droppedBytes).toBeGreaterThan(0);
      // The repaired log accepts the next record where the torn one was.
      await wal.append([record(report.lastIndex! + 1)]);
      await wal.close();
    }
  });

  it('a bit flip in a synced record followed by a later batch is refused with file and offset, or salvaged on request', async () => {
    for (let seed = 1; seed <= 40; seed++) {
      const fs = memoryFs(seed);
      const { wal } = await openWal(fs, { segmentSizeBytes: 1 << 16 });
      for (let i = 1; i <= 20; i++) await wal.append([record(i, 64)]);
      await wal.close();
      const name = (await segmentFiles(fs))[0]!;
      const path = joinPath(WAL_DIR, name);
      const lastRecordStart = 64 + 19 * (40 + 64);
      const offset = 64 + ((seed * 7919) % (lastRecordStart - 64));
      fs.flipBit(path, offset, seed % 8);
      const error = await openWal(fs, { segmentSizeBytes: 1 << 16 }).then(() => undefined, (e: unknown) => e);
      expect(isKeelError(error, 'WAL_CORRUPT'), `seed ${seed} offset ${offset}`).toBe(true);
      expect((error as Error).message).toContain(path);
      const recordStart = 64 + Math.floor((offset - 64) / 104) * 104;
      expect((error as { data: { offset: number } }).data.offset).toBe(recordStart);
      const { wal: salvaged, report } = await openWal(fs, { segmentSizeBytes: 1 << 16, salvage: true });
      expect(report.salvaged?.offset).toBe(recordStart);
      const kept = (recordStart - 64) / 104;
      expect(report.lastIndex ?? 0).toBe(kept);
      expect((await salvaged.read(1, kept + 1)).map((r) => r.payload)).toEqual(Array.from({ length: kept }, (_, i) => payloadFor(i + 1, 0, 64)));
    }
  });

  it('damage in a segment that precedes a later segment is corruption even at its end', async () => {
    const fs = memoryFs();
    const { wal } = await openWal(fs);
    for (let i = 1; i <= 100; i += 10) await wal.append(records(i, 10, 100));
    await wal.close();
    const first = joinPath(WAL_DIR, (await segmentFiles(fs))[0]!);
    const bytes = fs.durableBytes(first)!;
    let lastNonZero = bytes.length - 1;
    while (bytes[lastNonZero] === 0) lastNonZero -= 1;
    fs.flipBit(first, lastNonZero - 3, 0);
    await expect(openWal(fs)).rejects.toMatchObject({ code: 'WAL_CORRUPT', data: { file: first } });
  });

  it('a record damaged after opening is never returned: the read fails with file and offset', async () => {
    const fs = memoryFs();
    const { wal } = await openWal(fs);
    await wal.append(records(1, 10, 50));
    const path = joinPath(WAL_DIR, (await segmentFiles(fs))[0]!);
    fs.flipBit(path, 64 + 3 * 96 + 45, 2);
    await expect(wal.read(1, 11)).rejects.toMatchObject({ code: 'WAL_CORRUPT', data: { file: path, offset: 64 + 3 * 96, index: 4 } });
  });

  it('a damaged segment header, or a newer format version, stops the open with a clear error', async () => {
    const fs = memoryFs();
    const { wal } = await openWal(fs);
    await wal.append(records(1, 3));
    await wal.close();
    const path = joinPath(WAL_DIR, (await segmentFiles(fs))[0]!);
    const handle = await fs.open(path, 'readWrite');
    await handle.write(0, encodeSegmentHeader({ version: SEGMENT_FORMAT_VERSION + 1, seq: 1, firstIndex: 1 }));
    await handle.sync();
    await expect(openWal(fs)).rejects.toMatchObject({ code: 'FORMAT_VERSION_UNSUPPORTED' });
    fs.flipBit(path, 20, 1);
    await expect(openWal(fs)).rejects.toMatchObject({ code: 'WAL_CORRUPT' });
  });
});

describe('wal: torn tail repair', () => {
  it('frames of a torn batch that survived past the cut never come back after the next append', async () => {
    expect(await tornTailResurrectionScenario()).toBe(4);
  });
});

describe('wal: bad environments', () => {
  it('an fsync error fails the append and every later one; acknowledged records survive the crash', async () => {
    const fs = memoryFs();
    const { wal } = await openWal(fs);
    await wal.append(records(1, 5));
    fs.injectSyncError(/\.wal$/);
    await expect(wal.append(records(6, 2))).rejects.toMatchObject({ code: 'WAL_FAILED', data: { errno: 'EIO' } });
    await expect(wal.append(records(8, 1))).rejects.toMatchObject({ code: 'WAL_FAILED' });
    fs.crash('random');
    const { report } = await openWal(fs);
    expect(report.lastIndex).toBeGreaterThanOrEqual(5);
  });

  it('a full disk is a clear WAL_FAILED naming ENOSPC, not a crash loop', async () => {
    const fs = memoryFs();
    const { wal } = await openWal(fs, { segmentSizeBytes: 8192 });
    await wal.append(records(1, 10, 100));
    fs.setCapacity(fs.stats.bytesWritten > 0 ? 3 * 8192 : 0);
    let failure: unknown;
    for (let i = 11; i < 400 && failure === undefined; i += 10) {
      failure = await wal.append(records(i, 10, 100)).then(() => undefined, (e: unknown) => e);
    }
    expect(failure).toMatchObject({ code: 'WAL_FAILED', data: { errno: 'ENOSPC' } });
    expect((failure as Error).message).toContain('ENOSPC');
  });

  it('a missing directory (when not creating) or a file in its place is DATA_DIR_UNAVAILABLE', async () => {
    const fs = memoryFs();
    await expect(openWal(fs, { createIfMissing: false })).rejects.toMatchObject({ code: 'DATA_DIR_UNAVAILABLE' });
    await fs.mkdirp('/data');
    const handle = await fs.open(WAL_DIR, 'createNew');
    await handle.close();
    await expect(openWal(fs)).rejects.toMatchObject({ code: 'DATA_DIR_UNAVAILABLE' });
  });
});
