/**
 * Opening a WAL directory: find the segments, verify every record, repair a torn tail,
 * refuse (or, when told, salvage) mid-log corruption. Rules in docs/storage.md.
 */
import { bugs } from '../../core/bug-switches.js';
import { KeelError, describeError, errnoCode } from '../../core/errors.js';
import { joinPath } from '../../core/path.js';
import type { FileSystem } from '../../ports/file-system.js';
import { SEGMENT_FORMAT_VERSION, decodeSegmentHeader, parseSegmentFileName } from './format.js';
import type { WalOptions } from './options.js';
import { scanSegment, type TailState } from './scan.js';
import type { Segment } from './segment.js';

export interface WalOpenReport {
  readonly segmentCount: number;
  readonly recordCount: number;
  /** Bytes of valid record frames verified during the scan. */
  readonly verifiedBytes: number;
  readonly firstIndex: number | undefined;
  readonly lastIndex: number | undefined;
  /** A torn, never-acknowledged tail that was cut off. */
  readonly tornTail: { readonly file: string; readonly offset: number; readonly droppedBytes: number } | undefined;
  /** Corruption cut off because `salvage` was set: records after `offset` are lost. */
  readonly salvaged: { readonly file: string; readonly offset: number; readonly reason: string; readonly segmentsRemoved: number } | undefined;
  readonly removedTempFiles: readonly string[];
  /** Segments activated just before a crash that never received a record. */
  readonly removedEmptySegments: number;
  readonly unknownFiles: readonly string[];
}

export interface RecoveredWal {
  readonly segments: Segment[];
  readonly report: WalOpenReport;
}

export async function recoverWal(options: WalOptions): Promise<RecoveredWal> {
  const { fs, dir } = options;
  const names = await listDirectory(fs, dir, options.createIfMissing);
  const removedTempFiles: string[] = [];
  const unknownFiles: string[] = [];
  const found: { seq: number; firstIndex: number; name: string }[] = [];
  for (const name of names) {
    const parsed = parseSegmentFileName(name);
    if (parsed) found.push({ ...parsed, name });
    else if (name.endsWith('.wal.tmp')) removedTempFiles.push(name);
    else unknownFiles.push(name);
  }
  for (const name of removedTempFiles) await fs.unlink(joinPath(dir, name));
  found.sort((a, b) => a.seq - b.seq);

  const segments: Segment[] = [];
  try {
    return await scanAll(options, found, segments, removedTempFiles, unknownFiles);
  } catch (error) {
    for (const segment of segments) await segment.handle?.close();
    throw error;
  }
}

async function scanAll(
  options: WalOptions, found: readonly { seq: number; firstIndex: number; name: string }[], segments: Segment[],
  removedTempFiles: readonly string[], unknownFiles: readonly string[],
): Promise<RecoveredWal> {
  const { fs, dir } = options;
  let verifiedBytes = 0;
  let tornTail: WalOpenReport['tornTail'];
  let salvaged: WalOpenReport['salvaged'];
  for (let i = 0; i < found.length; i++) {
    const entry = found[i]!;
    const path = joinPath(dir, entry.name);
    const handle = await fs.open(path, 'readWrite');
    const bytes = await handle.read(0, (await handle.size()));
    const header = decodeSegmentHeader(bytes);
    if (header.kind === 'newerVersion') {
      await handle.close();
      throw new KeelError('FORMAT_VERSION_UNSUPPORTED', `${path}: WAL segment format version ${header.version} is newer than this build supports (${SEGMENT_FORMAT_VERSION}); upgrade Keel`, { data: { file: path, version: header.version } });
    }
    const expectedFirst = segments.length === 0 ? entry.firstIndex : lastIndexOf(segments[segments.length - 1]!) + 1;
    const problem =
      header.kind === 'invalid' ? `segment header invalid (${header.reason})`
      : header.header.firstIndex !== entry.firstIndex || header.header.seq !== entry.seq ? 'segment header does not match its file name'
      : entry.firstIndex !== expectedFirst ? `segment starts at index ${entry.firstIndex}, expected ${expectedFirst} (a gap in the log)`
      : undefined;
    if (problem !== undefined) {
      await handle.close();
      const removed = await refuseOrSalvage(options, found, i, path, 0, problem);
      salvaged = { file: path, offset: 0, reason: problem, segmentsRemoved: removed };
      break;
    }
    const scan = scanSegment(bytes, entry.firstIndex, options.recordPayloadBytesMax);
    const segment: Segment = {
      seq: entry.seq, firstIndex: entry.firstIndex, path,
      offsets: scan.records.map((r) => r.offset), terms: scan.records.map((r) => r.term),
      endOffset: scan.endOffset, handle,
    };
    verifiedBytes += scan.endOffset;
    const isLast = i === found.length - 1;
    const damage = describeDamage(scan.tail, isLast);
    if (damage === undefined) {
      segments.push(segment);
      continue;
    }
    if (damage.torn) {
      if (!bugs.skipTornTailTruncation) await cutAt(segment, options.segmentSizeBytes);
      tornTail = { file: path, offset: scan.endOffset, droppedBytes: damage.droppedBytes };
      segments.push(segment);
      continue;
    }
    const removed = await refuseOrSalvage(options, found, i + 1, path, scan.endOffset, damage.reason);
    await cutAt(segment, options.segmentSizeBytes);
    salvaged = { file: path, offset: scan.endOffset, reason: damage.reason, segmentsRemoved: removed };
    segments.push(segment);
    break;
  }
  // A segment activated just before a crash may hold no record; its name fixes a first index the
  // next append need not have, so it goes (appending a different index into it would be lost).
  let removedEmptySegments = 0;
  while (segments.length > 0 && segments[segments.length - 1]!.offsets.length === 0) {
    const empty = segments.pop()!;
    await empty.handle?.close();
    await fs.unlink(empty.path);
    removedEmptySegments += 1;
  }
  if (removedEmptySegments > 0) await fs.syncDir(dir);
  const recordCount = segments.reduce((sum, s) => sum + s.offsets.length, 0);
  const nonEmpty = segments.filter((s) => s.offsets.length > 0);
  return {
    segments,
    report: {
      segmentCount: segments.length, recordCount, verifiedBytes,
      firstIndex: nonEmpty.length > 0 ? nonEmpty[0]!.firstIndex : undefined,
      lastIndex: nonEmpty.length > 0 ? lastIndexOf(nonEmpty[nonEmpty.length - 1]!) : undefined,
      tornTail, salvaged, removedTempFiles, removedEmptySegments, unknownFiles,
    },
  };
}

function lastIndexOf(segment: Segment): number {
  return segment.firstIndex + segment.offsets.length - 1;
}

type Damage = { readonly torn: true; readonly droppedBytes: number } | { readonly torn: false; readonly reason: string };

function describeDamage(tail: TailState, isLastSegment: boolean): Damage | undefined {
  switch (tail.kind) {
    case 'clean':
      return undefined;
    case 'torn':
      // A later segment is created only after this one was fdatasynced: damage here is not a torn write.
      if (isLastSegment) return { torn: true, droppedBytes: tail.droppedBytes };
      return { torn: false, reason: `damaged record in a segment that was synced before a later segment was started (${tail.droppedBytes} bytes after the last valid record)` };
    case 'corrupt':
      return { torn: false, reason: `damaged record followed by ${tail.validFramesAfter} valid record(s) of a later batch (index ${tail.evidenceIndex} at byte ${tail.evidenceOffset})` };
  }
}

/** Throws WAL_CORRUPT, or with `salvage` deletes the segments from `firstRemoved` on (newest first). */
async function refuseOrSalvage(
  options: WalOptions, found: readonly { name: string }[], firstRemoved: number, file: string, offset: number, reason: string,
): Promise<number> {
  if (!options.salvage) {
    throw new KeelError('WAL_CORRUPT', `${file}: corrupt at byte ${offset}: ${reason}. Refusing to open: acknowledged records may follow. Rebuild this node from a peer, or reopen with salvage to truncate the log at byte ${offset} (records after it are lost).`, { data: { file, offset, reason } });
  }
  let removed = 0;
  for (let j = found.length - 1; j >= firstRemoved; j--) {
    await options.fs.unlink(joinPath(options.dir, found[j]!.name));
    removed += 1;
  }
  await options.fs.syncDir(options.dir);
  return removed;
}

/** Cuts the segment at its valid end: the bytes after it become zeros again, durably. */
export async function cutAt(segment: Segment, segmentSizeBytes: number): Promise<void> {
  const handle = segment.handle!;
  await handle.truncate(segment.endOffset);
  await handle.truncate(Math.max(segmentSizeBytes, segment.endOffset));
  await handle.datasync();
}

async function listDirectory(fs: FileSystem, dir: string, createIfMissing: boolean): Promise<string[]> {
  try {
    if (createIfMissing) await fs.mkdirp(dir);
    return await fs.readdir(dir);
  } catch (error) {
    const code = errnoCode(error);
    const hint = code === 'ENOENT' ? 'it does not exist' : code === 'ENOTDIR' ? 'it is not a directory' : code === 'EACCES' ? 'permission denied' : describeError(error);
    throw new KeelError('DATA_DIR_UNAVAILABLE', `cannot open WAL directory ${dir}: ${hint}`, { cause: error, data: { dir, errno: code } });
  }
}
