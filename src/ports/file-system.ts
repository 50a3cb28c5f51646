/**
 * The file-system port. Storage (WAL, hard state, checkpoints) is written only against this
 * interface, so the same code runs on a real disk (runtime/node-fs) and on the simulator's
 * fault-injecting in-memory disk (sim/memory-fs), and both pass one contract suite
 * (ports/file-system.contract.ts).
 *
 * Durability contract, which both implementations honour and the storage code relies on:
 * - `write` lands in the (modelled) page cache. It is durable only after `sync`/`datasync`
 *   on that file returns.
 * - `truncate` changes the size; it is durable after `sync`/`datasync` on that file.
 * - Creating, renaming and unlinking a directory entry is durable only after `syncDir` on the
 *   parent directory returns. A file created and synced but whose entry was not synced may
 *   vanish at a crash.
 * - Errors are thrown as objects with a POSIX `code` (ENOENT, EEXIST, EIO, ENOSPC, ENOTDIR,
 *   EISDIR, ENOTEMPTY); a failed `sync` (EIO) means the data written since the last successful
 *   sync may be lost even though reads still return it.
 * Paths are POSIX strings; the pure tier joins them with core/path.
 */
export interface FileSystem {
  /** Creates the directory and any missing parents; succeeds if it exists. */
  mkdirp(path: string): Promise<void>;
  /** Entry names (not paths) in the directory, sorted. Throws ENOENT / ENOTDIR. */
  readdir(path: string): Promise<string[]>;
  /** Size of a file, or undefined when nothing exists at the path. Throws EISDIR for a directory. */
  fileSize(path: string): Promise<number | undefined>;
  /**
   * Opens a file. `read`: must exist, read-only. `readWrite`: must exist. `create`: created
   * empty if missing, kept if present. `createNew`: must not exist (EEXIST otherwise).
   */
  open(path: string, mode: OpenMode): Promise<FileHandle>;
  /** Atomically replaces `to` with `from` (same directory in Keel's use). */
  rename(from: string, to: string): Promise<void>;
  /** Removes a file. Throws ENOENT when it does not exist. */
  unlink(path: string): Promise<void>;
  /** Makes entry creations, renames and unlinks in this directory durable. */
  syncDir(path: string): Promise<void>;
}

export type OpenMode = 'read' | 'readWrite' | 'create' | 'createNew';

export interface FileHandle {
  readonly path: string;
  /**
   * Reads up to `length` bytes at `position` into a new array; shorter only at end of file.
   */
  read(position: number, length: number): Promise<Uint8Array>;
  /** Writes all of `data` at `position`, extending the file (zero-filled gap) if needed. */
  write(position: number, data: Uint8Array): Promise<void>;
  /** Current size, including unsynced writes. */
  size(): Promise<number>;
  /** Sets the size; bytes past the old end read as zeros. */
  truncate(size: number): Promise<void>;
  /** fsync: data and metadata durable. */
  sync(): Promise<void>;
  /** fdatasync: data durable, plus the metadata needed to read it back (size). */
  datasync(): Promise<void>;
  close(): Promise<void>;
}
