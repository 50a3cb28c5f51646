/**
 * The physical baseline: what the disk does for one writer doing positional write + fdatasync of
 * a payload, with nothing else around it. Same file system as the WAL, same kind of file (zero-filled
 * in advance, so fdatasync never has to update the file size or allocate blocks).
 */
import { execFile } from 'node:child_process';
import { accessSync, closeSync, constants, fdatasyncSync, openSync, writeSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { assert } from '../src/core/assert.js';
import { runRound, runRoundBlocking, type Series, type TimedWindow } from './measure.js';

/** Size of the baseline file; writes wrap around to offset 0 at its end (the blocks stay allocated). */
export const rawFileSizeBytes = 64 * 1024 * 1024;
const zeroChunkBytes = 1024 * 1024;

/** Zero-fills `path` the way the WAL preallocates a segment (1 MiB writes, then fdatasync). */
export async function preallocateZeros(path: string, sizeBytes: number): Promise<void> {
  const handle = await open(path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL);
  try {
    const zeros = new Uint8Array(zeroChunkBytes);
    for (let position = 0; position < sizeBytes; position += zeros.length) {
      const length = Math.min(zeros.length, sizeBytes - position);
      const { bytesWritten } = await handle.write(zeros, 0, length, position);
      assert(bytesWritten === length, `short write while zero-filling ${path}`);
    }
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

/**
 * The baseline file, open for both loops: one writer, positional writes at sequential offsets
 * (wrapping to 0 at the end of the file), each followed by fdatasync.
 */
export class RawTarget {
  private position = 0;

  private constructor(
    private readonly handle: FileHandle,
    private readonly fd: number,
  ) {}

  static async open(path: string): Promise<RawTarget> {
    const handle = await open(path, 'r+');
    let fd: number;
    try {
      fd = openSync(path, 'r+');
    } catch (error) {
      await handle.close();
      throw error;
    }
    return new RawTarget(handle, fd);
  }

  /** node:fs/promises FileHandle write + datasync: the WAL's own I/O path (a thread-pool hop per call). */
  async asyncRound(series: Series, payload: Uint8Array, window: TimedWindow): Promise<void> {
    await runRound(series, 1, window, async () => {
      const { bytesWritten } = await this.handle.write(payload, 0, payload.length, this.position);
      assert(bytesWritten === payload.length, 'short write in the raw baseline');
      await this.handle.datasync();
      this.advance(payload.length);
    });
  }

  /** fs.writeSync + fs.fdatasyncSync: the same system calls without the thread-pool hop. */
  async blockingRound(series: Series, payload: Uint8Array, window: TimedWindow): Promise<void> {
    await runRoundBlocking(series, window, () => {
      const written = writeSync(this.fd, payload, 0, payload.length, this.position);
      assert(written === payload.length, 'short write in the raw baseline');
      fdatasyncSync(this.fd);
      this.advance(payload.length);
    });
  }

  async close(): Promise<void> {
    closeSync(this.fd);
    await this.handle.close();
  }

  private advance(size: number): void {
    this.position = this.position + 2 * size > rawFileSizeBytes ? 0 : this.position + size;
  }
}

/** The fio executable on PATH, or undefined. */
export function findFio(): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir.length === 0) continue;
    const candidate = join(dir, 'fio');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this PATH entry: try the next one.
    }
  }
  return undefined;
}

/** fio's sequential write + fdatasync per write, one sync-engine job, for `seconds`. */
export async function runFio(fio: string, path: string, payloadBytes: number, seconds: number): Promise<number> {
  const args = [
    '--name=raw', `--filename=${path}`, '--rw=write', `--bs=${payloadBytes}`, `--size=${rawFileSizeBytes}`,
    '--fdatasync=1', '--ioengine=sync', '--time_based', `--runtime=${Math.max(1, Math.round(seconds))}`, '--output-format=json',
  ];
  const { stdout } = await promisify(execFile)(fio, args, { maxBuffer: 16 * 1024 * 1024 });
  return parseFio(stdout);
}

/** Write operations per second (each followed by its fdatasync) from fio's JSON report. */
function parseFio(stdout: string): number {
  // Some fio versions print notes before the JSON document.
  const doc = JSON.parse(stdout.slice(stdout.indexOf('{'))) as { jobs?: { write?: { iops?: number } }[] };
  const iops = doc.jobs?.[0]?.write?.iops;
  assert(typeof iops === 'number', 'fio output has no jobs[0].write.iops');
  return iops;
}
