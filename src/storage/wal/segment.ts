import { assert } from '../../core/assert.js';
import { joinPath } from '../../core/path.js';
import type { FileHandle, FileSystem } from '../../ports/file-system.js';
import { SEGMENT_FORMAT_VERSION, encodeSegmentHeader, segmentFileName } from './format.js';

/** In-memory index of one segment: where each record starts and its term. */
export interface Segment {
  readonly seq: number;
  readonly firstIndex: number;
  readonly path: string;
  readonly offsets: number[];
  readonly terms: number[];
  /** Where the next record goes; everything from here to the end of the file is zero. */
  endOffset: number;
  handle: FileHandle | undefined;
}

export function segmentLastIndex(segment: Segment): number {
  return segment.firstIndex + segment.offsets.length - 1;
}

export async function segmentHandle(fs: FileSystem, segment: Segment): Promise<FileHandle> {
  segment.handle ??= await fs.open(segment.path, 'readWrite');
  return segment.handle;
}

const ZERO_CHUNK_BYTES = 1024 * 1024;

export function tempSegmentPath(dir: string, seq: number): string {
  return joinPath(dir, `${seq.toString(16).padStart(16, '0')}.wal.tmp`);
}

/**
 * Zero-fills a future segment under a temporary name. Writing real zeros (not a sparse
 * ftruncate) means later appends overwrite allocated blocks, so fdatasync need not update
 * the file size: the cheapest fsync a file system offers.
 */
export async function preallocateSegment(fs: FileSystem, dir: string, seq: number, sizeBytes: number): Promise<FileHandle> {
  const path = tempSegmentPath(dir, seq);
  if ((await fs.fileSize(path)) !== undefined) await fs.unlink(path);
  const handle = await fs.open(path, 'createNew');
  try {
    const zeros = new Uint8Array(Math.min(ZERO_CHUNK_BYTES, sizeBytes));
    for (let position = 0; position < sizeBytes; position += zeros.length) {
      await handle.write(position, zeros.subarray(0, Math.min(zeros.length, sizeBytes - position)));
    }
    await handle.datasync();
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * Turns a preallocated file into segment `seq` starting at `firstIndex`: header written and
 * synced, then renamed into place and the directory synced, so a segment that recovery finds
 * under its final name always has a valid header.
 */
export async function activateSegment(fs: FileSystem, dir: string, handle: FileHandle, seq: number, firstIndex: number): Promise<Segment> {
  assert(handle.path === tempSegmentPath(dir, seq), 'activating a segment from the wrong temporary file');
  const header = encodeSegmentHeader({ version: SEGMENT_FORMAT_VERSION, seq, firstIndex });
  await handle.write(0, header);
  await handle.datasync();
  const path = joinPath(dir, segmentFileName(seq, firstIndex));
  await fs.rename(handle.path, path);
  await fs.syncDir(dir);
  await handle.close();
  const reopened = await fs.open(path, 'readWrite');
  return { seq, firstIndex, path, offsets: [], terms: [], endOffset: header.length, handle: reopened };
}
