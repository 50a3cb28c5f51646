/**
 * Atomic, checksummed checkpoints (snapshots) of a state machine.
 *
 * save(): stream into `<name>.tmp`, fsync, rename, fsync the directory: a checkpoint is either
 * wholly present under its final name or absent. The newest N are kept. Reading verifies the
 * header and the data checksum; a corrupt newest checkpoint is reported and an older one used.
 */
import { assert } from '../../core/assert.js';
import { KeelError, describeError, errnoCode } from '../../core/errors.js';
import { joinPath } from '../../core/path.js';
import type { FileHandle, FileSystem } from '../../ports/file-system.js';
import { crc32cChunk, maskCrc } from '../crc.js';
import {
  CHECKPOINT_FORMAT_VERSION, CHECKPOINT_HEADER_SIZE, CHECKPOINT_METADATA_BYTES_MAX,
  checkpointFileName, decodeCheckpointHeader, encodeCheckpointHeader, parseCheckpointFileName,
  type CheckpointHeader,
} from './format.js';

export interface CheckpointMeta {
  /** Last log index whose effect the checkpoint contains. */
  readonly index: number;
  /** Term of that entry. */
  readonly term: number;
  /** Small opaque caller data (e.g. the Raft membership at `index`). */
  readonly metadata?: Uint8Array;
}

export interface CheckpointInfo {
  readonly index: number;
  readonly term: number;
  readonly file: string;
  readonly dataLength: number;
  readonly metadata: Uint8Array;
}

export interface CorruptCheckpoint {
  readonly file: string;
  readonly reason: string;
}

export interface CheckpointStoreOptions {
  readonly fs: FileSystem;
  readonly dir: string;
  /** How many checkpoints to keep (>= 2 so that a corrupt newest one has a fallback). */
  readonly keep?: number;
  readonly readChunkBytes?: number;
  readonly createIfMissing?: boolean;
}

export type CheckpointData = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

const DEFAULT_KEEP = 3;
const DEFAULT_READ_CHUNK_BYTES = 1024 * 1024;

export class CheckpointStore {
  private readonly keep: number;
  private readonly readChunkBytes: number;

  private constructor(private readonly fs: FileSystem, private readonly dir: string, options: CheckpointStoreOptions) {
    this.keep = options.keep ?? DEFAULT_KEEP;
    this.readChunkBytes = options.readChunkBytes ?? DEFAULT_READ_CHUNK_BYTES;
    if (!(Number.isInteger(this.keep) && this.keep >= 1)) throw new KeelError('CONFIG_INVALID', `checkpoint keep must be an integer >= 1, got ${this.keep}`);
  }

  /** Opens the checkpoint directory and removes leftovers of interrupted saves. */
  static async open(options: CheckpointStoreOptions): Promise<CheckpointStore> {
    const { fs, dir } = options;
    try {
      if (options.createIfMissing ?? true) await fs.mkdirp(dir);
      const names = await fs.readdir(dir);
      const leftovers = names.filter((n) => n.endsWith('.ckpt.tmp'));
      for (const name of leftovers) await fs.unlink(joinPath(dir, name));
      if (leftovers.length > 0) await fs.syncDir(dir);
    } catch (error) {
      if (error instanceof KeelError) throw error;
      throw new KeelError('DATA_DIR_UNAVAILABLE', `cannot open checkpoint directory ${dir}: ${describeError(error)}`, { cause: error, data: { dir, errno: errnoCode(error) } });
    }
    return new CheckpointStore(fs, dir, options);
  }

  /** Checkpoint files by name, newest (highest index) first; not yet verified. */
  async list(): Promise<{ index: number; term: number; file: string }[]> {
    const names = await this.fs.readdir(this.dir);
    return names
      .flatMap((name) => {
        const parsed = parseCheckpointFileName(name);
        return parsed ? [{ ...parsed, file: joinPath(this.dir, name) }] : [];
      })
      .sort((a, b) => b.index - a.index || b.term - a.term);
  }

  /** Writes a checkpoint atomically from a stream of chunks, then prunes to `keep`. */
  async save(meta: CheckpointMeta, data: CheckpointData): Promise<CheckpointInfo> {
    const metadata = meta.metadata ?? new Uint8Array(0);
    assert(metadata.length <= CHECKPOINT_METADATA_BYTES_MAX, `checkpoint metadata over ${CHECKPOINT_METADATA_BYTES_MAX} bytes`);
    assert(Number.isSafeInteger(meta.index) && meta.index >= 0, `checkpoint index out of range: ${meta.index}`);
    const file = joinPath(this.dir, checkpointFileName(meta.index, meta.term));
    const tmp = `${file}.tmp`;
    if ((await this.fs.fileSize(tmp)) !== undefined) await this.fs.unlink(tmp);
    const handle = await this.fs.open(tmp, 'createNew');
    let header: CheckpointHeader;
    try {
      const dataStart = CHECKPOINT_HEADER_SIZE + metadata.length;
      let position = dataStart;
      let crc = 0;
      for await (const chunk of data) {
        await handle.write(position, chunk);
        crc = crc32cChunk(chunk, crc);
        position += chunk.length;
      }
      header = { index: meta.index, term: meta.term, dataLength: position - dataStart, dataCrc: maskCrc(crc), metadata };
      await handle.write(0, encodeCheckpointHeader(header));
      await handle.sync();
    } catch (error) {
      await handle.close();
      await this.fs.unlink(tmp).catch(() => undefined); // best effort: open() removes leftovers too
      throw error;
    }
    await handle.close();
    await this.fs.rename(tmp, file);
    await this.fs.syncDir(this.dir);
    await this.prune(this.keep);
    return { index: header.index, term: header.term, file, dataLength: header.dataLength, metadata };
  }

  /**
   * The newest checkpoint whose header and data verify. Corrupt ones met on the way are
   * returned in `corrupt` (file and reason) so the caller can log them; they are left on
   * disk for inspection until pruned. A checkpoint from a newer format version is an error.
   */
  async latestValid(): Promise<{ checkpoint: CheckpointInfo | undefined; corrupt: CorruptCheckpoint[] }> {
    const corrupt: CorruptCheckpoint[] = [];
    for (const candidate of await this.list()) {
      const result = await this.verify(candidate.file);
      if (result.kind === 'ok') return { checkpoint: result.info, corrupt };
      corrupt.push({ file: candidate.file, reason: result.reason });
    }
    return { checkpoint: undefined, corrupt };
  }

  /** Verifies one checkpoint file end to end (header and data checksum). */
  async verify(file: string): Promise<{ kind: 'ok'; info: CheckpointInfo } | { kind: 'corrupt'; reason: string }> {
    try {
      for await (const _chunk of this.read(file)) {
        // reading to the end is the verification
      }
      const handle = await this.fs.open(file, 'read');
      try {
        const { header } = await this.readHeader(handle);
        return { kind: 'ok', info: { index: header.index, term: header.term, file, dataLength: header.dataLength, metadata: header.metadata } };
      } finally {
        await handle.close();
      }
    } catch (error) {
      if (error instanceof KeelError && error.code === 'CHECKPOINT_CORRUPT') return { kind: 'corrupt', reason: error.message };
      throw error;
    }
  }

  /**
   * Streams a checkpoint's data. The data checksum is checked at the end: the last step of
   * the iteration throws CHECKPOINT_CORRUPT if it fails, so a consumer must not commit what
   * it restored until the iteration has finished.
   */
  async *read(file: string): AsyncGenerator<Uint8Array> {
    const handle = await this.fs.open(file, 'read');
    try {
      const { header, size } = await this.readHeader(handle);
      const fileSize = await handle.size();
      if (fileSize !== size + header.dataLength) {
        throw corruptError(file, size, `file is ${fileSize} bytes, header says ${size + header.dataLength}`);
      }
      let crc = 0;
      for (let position = size; position < fileSize; position += this.readChunkBytes) {
        const chunk = await handle.read(position, Math.min(this.readChunkBytes, fileSize - position));
        crc = crc32cChunk(chunk, crc);
        if (position + chunk.length >= fileSize && maskCrc(crc) !== header.dataCrc) {
          throw corruptError(file, size, 'data checksum mismatch');
        }
        yield chunk;
      }
      if (header.dataLength === 0 && maskCrc(0) !== header.dataCrc) throw corruptError(file, size, 'data checksum mismatch');
    } finally {
      await handle.close();
    }
  }

  /** Deletes all but the newest `keep` checkpoints. */
  async prune(keep: number): Promise<void> {
    const all = await this.list();
    const doomed = all.slice(keep);
    for (const entry of doomed) await this.fs.unlink(entry.file);
    if (doomed.length > 0) await this.fs.syncDir(this.dir);
  }

  private async readHeader(handle: FileHandle): Promise<{ header: CheckpointHeader; size: number }> {
    let bytes = await handle.read(0, CHECKPOINT_HEADER_SIZE);
    let decoded = decodeCheckpointHeader(bytes);
    if (decoded.kind === 'needMore') {
      bytes = await handle.read(0, decoded.size);
      decoded = decodeCheckpointHeader(bytes);
    }
    switch (decoded.kind) {
      case 'ok':
        return { header: decoded.header, size: decoded.size };
      case 'newerVersion':
        throw new KeelError('FORMAT_VERSION_UNSUPPORTED', `${handle.path}: checkpoint format version ${decoded.version} is newer than this build supports (${CHECKPOINT_FORMAT_VERSION}); upgrade Keel`, { data: { file: handle.path, version: decoded.version } });
      case 'needMore':
        throw corruptError(handle.path, 0, 'header truncated');
      case 'invalid':
        throw corruptError(handle.path, 0, decoded.reason);
    }
  }
}

function corruptError(file: string, offset: number, reason: string): KeelError {
  return new KeelError('CHECKPOINT_CORRUPT', `${file}: checkpoint corrupt at byte ${offset}: ${reason}`, { data: { file, offset, reason } });
}
