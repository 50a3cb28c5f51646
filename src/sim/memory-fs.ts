import { assert } from '../core/assert.js';
import type { FileHandle, FileSystem, OpenMode } from '../ports/file-system.js';
import type { Random } from '../ports/random.js';
import { ByteContent, memoryFileSizeBytesMax } from './memory-fs-content.js';
import { applyDataOp, entryOpsSurvivingCrash, persistAtCrash, resolveCrashMode, type CrashMode } from './memory-fs-crash.js';
import { fsError } from './memory-fs-errors.js';
import { MountedFileSystem } from './memory-fs-mount.js';
import { applyEntryOp, components, findEntry, mentions, newDir, normalize, type Dir, type Entry, type Inode } from './memory-fs-tree.js';

export type { CrashMode } from './memory-fs-crash.js';

/**
 * A deterministic in-memory disk for tests and the simulator, modelling the page cache so that
 * a simulated power loss (`crash`) loses, tears or reorders what was not made durable.
 *
 * Model:
 * - A file (inode) has `cached` content (what reads see), `durable` content (what survives a
 *   crash) and the ordered data operations (writes, truncates) not yet synced. `sync` and
 *   `datasync` apply them to `durable` (the model keeps no metadata beyond the size, so the two
 *   are the same here).
 * - A directory has a cached and a durable name -> entry map and the ordered entry operations
 *   (create, rename, unlink) not yet made durable by `syncDir`.
 * - `mkdirp` is immediately durable, a simplification so that every caller need not sync each
 *   new parent. The exception: when the parent has a pending operation on the same name (say an
 *   unsynced unlink of a file there), the new directory's entry is a pending create like any other.
 * - Renaming a file across directories is a pending unlink in one and a pending create in the
 *   other, each made durable by its own directory's sync, so a crash can leave either, both or
 *   neither name. Renaming a directory across directories is not modelled (EXDEV).
 * - Stale paths: a handle keeps the path it was opened with, and `injectSyncError` matches that.
 * - Capacity counts the cached sizes of all files that are named or open.
 */
export class MemoryFileSystem implements FileSystem {
  private readonly random: Random;
  private capacityBytes: number;
  private usedBytes = 0;
  private readonly root: Dir = newDir();
  /** Bumped by every crash; a handle from an older epoch is invalid. */
  private epoch = 0;
  private nextInodeId = 1;
  private syncErrorRules: SyncErrorRule[] = [];
  private readonly counters: MemoryFileSystemStats = { syncs: 0, datasyncs: 0, syncDirs: 0, writes: 0, bytesWritten: 0, crashes: 0 };

  constructor(options: MemoryFileSystemOptions) {
    this.random = options.random;
    this.capacityBytes = options.capacityBytes ?? Infinity;
    assert(this.capacityBytes >= 0, `capacityBytes must be >= 0, got ${this.capacityBytes}`);
  }

  /**
   * A process's view of this disk: valid until the next `crash`, after which every call through
   * it fails (handles opened through it already do). Give each simulated process its own mount.
   */
  mount(): FileSystem {
    const epoch = this.epoch;
    return new MountedFileSystem(this, () => this.epoch === epoch);
  }

  mkdirp(path: string): Promise<void> {
    return run(() => this.mkdirpNow(path));
  }

  readdir(path: string): Promise<string[]> {
    return run(() => {
      const entry = this.lookup(path, 'scandir');
      if (entry === undefined) throw fsError('ENOENT', 'scandir', path);
      if (entry.kind === 'file') throw fsError('ENOTDIR', 'scandir', path);
      return [...entry.cached.keys()].sort();
    });
  }

  fileSize(path: string): Promise<number | undefined> {
    return run(() => {
      const entry = this.lookup(path, 'stat');
      if (entry?.kind === 'dir') throw fsError('EISDIR', 'stat', path);
      return entry?.cached.size;
    });
  }

  open(path: string, mode: OpenMode): Promise<FileHandle> {
    return run(() => this.openNow(path, mode));
  }

  rename(from: string, to: string): Promise<void> {
    return run(() => this.renameNow(from, to));
  }

  unlink(path: string): Promise<void> {
    return run(() => {
      const { dir, name } = this.parentOf(path, 'unlink');
      const entry = dir.cached.get(name);
      if (entry === undefined) throw fsError('ENOENT', 'unlink', path);
      if (entry.kind === 'dir') throw fsError('EISDIR', 'unlink', path);
      dir.cached.delete(name);
      dir.pending.push({ kind: 'unlink', name });
      this.dropLink(entry);
    });
  }

  syncDir(path: string): Promise<void> {
    return run(() => {
      this.counters.syncDirs++;
      const entry = this.lookup(path, 'open');
      if (entry === undefined) throw fsError('ENOENT', 'open', path);
      if (entry.kind === 'file') throw fsError('ENOTDIR', 'fsync', path);
      for (const op of entry.pending) applyEntryOp(entry.durable, op);
      entry.pending = [];
    });
  }

  /**
   * Simulates power loss and reboot: every file and directory keeps its durable state plus the
   * part of its pending operations that `mode` lets through (`random`: a mode picked per file
   * and per directory). Afterwards reads see the durable state, nothing is pending, handles
   * opened before the crash throw EBADF, and files no directory names are gone.
   */
  crash(mode: CrashMode = 'random'): void {
    this.epoch++;
    this.counters.crashes++;
    const links = new Map<Inode, number>();
    const visited = new Set<Dir>();
    const stack: Dir[] = [this.root];
    for (let dir = stack.pop(); dir !== undefined; dir = stack.pop()) {
      assert(!visited.has(dir), 'the durable directory tree has no cycles');
      visited.add(dir);
      const kept = entryOpsSurvivingCrash(dir.pending.length, resolveCrashMode(mode, this.random), this.random);
      for (const op of dir.pending.slice(0, kept)) applyEntryOp(dir.durable, op);
      dir.pending = [];
      dir.cached = new Map(dir.durable);
      for (const name of [...dir.cached.keys()].sort()) {
        const entry = dir.cached.get(name);
        assert(entry !== undefined, 'listed name present');
        if (entry.kind === 'dir') stack.push(entry);
        else links.set(entry, (links.get(entry) ?? 0) + 1);
      }
    }
    this.usedBytes = 0;
    for (const [inode, count] of [...links].sort(([a], [b]) => a.id - b.id)) {
      persistAtCrash(inode.durable, inode.pending, resolveCrashMode(mode, this.random), this.random);
      inode.pending = [];
      inode.cached = inode.durable.clone();
      inode.links = count;
      inode.openCount = 0;
      this.usedBytes += inode.cached.size;
    }
  }

  /**
   * The next `count` sync/datasync calls on a file whose path equals `pathMatch` (a string,
   * compared after normalisation) or matches it (a RegExp), or on any file, throw EIO. As on
   * Linux, the file's unsynced operations are then dropped: reads still see them, but no later
   * sync persists them and a crash loses them.
   */
  injectSyncError(pathMatch?: string | RegExp, count = 1): void {
    assert(Number.isSafeInteger(count) && count > 0, `injectSyncError count must be a positive integer, got ${count}`);
    const match = typeof pathMatch === 'string' ? normalize(pathMatch) : pathMatch;
    this.syncErrorRules.push({ match, remaining: count });
  }

  setCapacity(bytes: number): void {
    assert(bytes >= 0, `capacity must be >= 0, got ${bytes}`);
    this.capacityBytes = bytes;
  }

  /** Flips one bit of the file in both durable and cached content (rot on the medium). */
  flipBit(path: string, byteOffset: number, bit: number): void {
    this.flip(this.fileAt(path), byteOffset, bit);
  }

  /** Flips `count` random bits of the file's durable content; returns the byte offsets hit. */
  flipRandomBits(path: string, count: number): number[] {
    const inode = this.fileAt(path);
    assert(inode.durable.size > 0, `flipRandomBits: no durable content at ${path}`);
    const offsets: number[] = [];
    for (let i = 0; i < count; i++) {
      const byteOffset = this.random.int(inode.durable.size);
      this.flip(inode, byteOffset, this.random.int(8));
      offsets.push(byteOffset);
    }
    return offsets;
  }

  /** The durable content of the file the current namespace names at `path`. */
  durableBytes(path: string): Uint8Array | undefined {
    const entry = this.peek(path);
    return entry?.kind === 'file' ? entry.durable.bytes() : undefined;
  }

  cachedBytes(path: string): Uint8Array | undefined {
    const entry = this.peek(path);
    return entry?.kind === 'file' ? entry.cached.bytes() : undefined;
  }

  exists(path: string): boolean {
    return this.peek(path) !== undefined;
  }

  /** Inspection: names in a directory (sorted), or [] when it does not exist. */
  listNames(path: string): string[] {
    const entry = this.peek(path);
    return entry?.kind === 'dir' ? [...entry.cached.keys()].sort() : [];
  }

  get stats(): Readonly<MemoryFileSystemStats> {
    return { ...this.counters };
  }

  private mkdirpNow(path: string): void {
    const names = components(path);
    let dir = this.root;
    for (const [index, name] of names.entries()) {
      const entry = dir.cached.get(name);
      if (entry?.kind === 'file') throw fsError(index === names.length - 1 ? 'EEXIST' : 'ENOTDIR', 'mkdir', path);
      dir = entry ?? this.makeDir(dir, name);
    }
  }

  private makeDir(parent: Dir, name: string): Dir {
    const dir = newDir();
    parent.cached.set(name, dir);
    if (parent.pending.some((op) => mentions(op, name))) {
      parent.pending.push({ kind: 'create', name, entry: dir });
    } else {
      assert(!parent.durable.has(name), 'a name without pending ops is durable only if cached');
      parent.durable.set(name, dir);
    }
    return dir;
  }

  private openNow(path: string, mode: OpenMode): FileHandle {
    const { dir, name } = this.parentOf(path, 'open');
    const entry = dir.cached.get(name);
    if (entry?.kind === 'dir') throw fsError('EISDIR', 'open', path);
    if (entry !== undefined) {
      if (mode === 'createNew') throw fsError('EEXIST', 'open', path);
      return this.makeHandle(entry, path, mode !== 'read');
    }
    if (mode === 'read' || mode === 'readWrite') throw fsError('ENOENT', 'open', path);
    const inode: Inode = {
      kind: 'file', id: this.nextInodeId++, cached: new ByteContent(), durable: new ByteContent(), pending: [], links: 1, openCount: 0,
    };
    dir.cached.set(name, inode);
    dir.pending.push({ kind: 'create', name, entry: inode });
    return this.makeHandle(inode, path, true);
  }

  private renameNow(from: string, to: string): void {
    const source = this.parentOf(from, 'rename');
    const target = this.parentOf(to, 'rename');
    const entry = source.dir.cached.get(source.name);
    if (entry === undefined) throw fsError('ENOENT', 'rename', from);
    const replaced = target.dir.cached.get(target.name);
    if (replaced === entry) return;
    if (entry.kind === 'dir' && source.dir !== target.dir) throw fsError('EXDEV', 'rename', from);
    if (replaced?.kind === 'file' && entry.kind === 'dir') throw fsError('ENOTDIR', 'rename', to);
    if (replaced?.kind === 'dir' && entry.kind === 'file') throw fsError('EISDIR', 'rename', to);
    if (replaced?.kind === 'dir' && replaced.cached.size > 0) throw fsError('ENOTEMPTY', 'rename', to);
    source.dir.cached.delete(source.name);
    target.dir.cached.set(target.name, entry);
    if (source.dir === target.dir) {
      source.dir.pending.push({ kind: 'rename', from: source.name, to: target.name });
    } else {
      source.dir.pending.push({ kind: 'unlink', name: source.name });
      target.dir.pending.push({ kind: 'create', name: target.name, entry });
    }
    if (replaced?.kind === 'file') this.dropLink(replaced);
  }

  private makeHandle(inode: Inode, path: string, writable: boolean): FileHandle {
    inode.openCount++;
    const state: HandleState = { inode, path, writable, epoch: this.epoch, closed: false };
    return {
      path,
      read: (position, length) => run(() => {
        this.checkHandle(state, 'read');
        assertNonNegative(position, 'position');
        assertNonNegative(length, 'length');
        return inode.cached.read(position, length);
      }),
      write: (position, data) => run(() => this.writeNow(state, position, data)),
      size: () => run(() => {
        this.checkHandle(state, 'fstat');
        return inode.cached.size;
      }),
      truncate: (size) => run(() => this.truncateNow(state, size)),
      sync: () => run(() => this.syncNow(state, 'fsync')),
      datasync: () => run(() => this.syncNow(state, 'fdatasync')),
      close: () => run(() => this.closeNow(state)),
    };
  }

  private writeNow(state: HandleState, position: number, data: Uint8Array): void {
    this.checkHandle(state, 'write');
    if (!state.writable) throw fsError('EBADF', 'write', state.path);
    assertNonNegative(position, 'position');
    this.counters.writes++;
    if (data.length === 0) return;
    const oldSize = this.reserveSpace(state, position + data.length, 'write');
    const bytes = data.slice(); // the caller may reuse its buffer
    state.inode.cached.write(position, bytes);
    state.inode.pending.push({ kind: 'write', position, bytes });
    this.usedBytes += state.inode.cached.size - oldSize;
    this.counters.bytesWritten += data.length;
  }

  private truncateNow(state: HandleState, size: number): void {
    this.checkHandle(state, 'ftruncate');
    if (!state.writable) throw fsError('EINVAL', 'ftruncate', state.path);
    assertNonNegative(size, 'size');
    const oldSize = this.reserveSpace(state, size, 'ftruncate');
    state.inode.cached.truncate(size);
    state.inode.pending.push({ kind: 'truncate', size });
    this.usedBytes += size - oldSize;
  }

  /** Throws EFBIG/ENOSPC if growing the file to `size` is impossible; returns the current size. */
  private reserveSpace(state: HandleState, size: number, syscall: string): number {
    const oldSize = state.inode.cached.size;
    if (size <= oldSize) return oldSize;
    if (size > memoryFileSizeBytesMax) throw fsError('EFBIG', syscall, state.path);
    if (this.usedBytes + size - oldSize > this.capacityBytes) throw fsError('ENOSPC', syscall, state.path);
    return oldSize;
  }

  private syncNow(state: HandleState, syscall: 'fsync' | 'fdatasync'): void {
    if (syscall === 'fsync') this.counters.syncs++;
    else this.counters.datasyncs++;
    this.checkHandle(state, syscall);
    const { inode } = state;
    if (this.takeSyncError(state.path)) {
      inode.pending = []; // fsyncgate: the dirty pages are marked clean but never reach the medium
      throw fsError('EIO', syscall, state.path);
    }
    for (const op of inode.pending) applyDataOp(inode.durable, op);
    inode.pending = [];
  }

  private closeNow(state: HandleState): void {
    if (state.epoch === this.epoch && state.closed) return; // closing twice is harmless, as in Node
    this.checkHandle(state, 'close');
    state.closed = true;
    state.inode.openCount--;
    this.release(state.inode);
  }

  private checkHandle(state: HandleState, syscall: string): void {
    if (state.epoch !== this.epoch || state.closed) throw fsError('EBADF', syscall, state.path);
  }

  private takeSyncError(path: string): boolean {
    const normalized = normalize(path);
    const rule = this.syncErrorRules.find(({ match }) =>
      match === undefined || (typeof match === 'string' ? match === normalized : normalized.search(match) !== -1));
    if (rule === undefined) return false;
    rule.remaining--;
    if (rule.remaining === 0) this.syncErrorRules = this.syncErrorRules.filter((r) => r !== rule);
    return true;
  }

  private dropLink(inode: Inode): void {
    inode.links--;
    this.release(inode);
  }

  /** Frees the space of a file no directory names and no handle holds. */
  private release(inode: Inode): void {
    assert(inode.links >= 0, 'inode link count >= 0');
    assert(inode.openCount >= 0, 'inode open count >= 0');
    if (inode.links > 0 || inode.openCount > 0) return;
    this.usedBytes -= inode.cached.size;
    assert(this.usedBytes >= 0, 'used bytes >= 0');
  }

  private flip(inode: Inode, byteOffset: number, bit: number): void {
    assert(Number.isInteger(bit) && bit >= 0 && bit < 8, `bit must be 0..7, got ${bit}`);
    assert(byteOffset < Math.max(inode.durable.size, inode.cached.size), `flip past the end of the file: ${byteOffset}`);
    if (byteOffset < inode.durable.size) inode.durable.flipBit(byteOffset, bit);
    if (byteOffset < inode.cached.size) inode.cached.flipBit(byteOffset, bit);
  }

  private fileAt(path: string): Inode {
    const entry = this.peek(path);
    assert(entry?.kind === 'file', `no file at ${path}`);
    return entry;
  }

  /** The entry at `path` in the cached namespace; ENOTDIR if a component is a file. */
  private lookup(path: string, syscall: string): Entry | undefined {
    const found = findEntry(this.root, components(path));
    if (found === 'notDir') throw fsError('ENOTDIR', syscall, path);
    return found;
  }

  private peek(path: string): Entry | undefined {
    const found = findEntry(this.root, components(path));
    return found === 'notDir' ? undefined : found;
  }

  private parentOf(path: string, syscall: string): { readonly dir: Dir; readonly name: string } {
    const names = components(path);
    const name = names.pop();
    if (name === undefined) throw fsError('EISDIR', syscall, path);
    const dir = findEntry(this.root, names);
    if (dir === undefined) throw fsError('ENOENT', syscall, path);
    if (dir === 'notDir' || dir.kind === 'file') throw fsError('ENOTDIR', syscall, path);
    return { dir, name };
  }
}

export interface MemoryFileSystemOptions {
  readonly random: Random;
  /** Sum of the cached sizes of all files beyond which writes fail with ENOSPC. */
  readonly capacityBytes?: number;
}

export interface MemoryFileSystemStats {
  syncs: number;
  datasyncs: number;
  syncDirs: number;
  writes: number;
  bytesWritten: number;
  crashes: number;
}

interface HandleState {
  readonly inode: Inode;
  readonly path: string;
  readonly writable: boolean;
  readonly epoch: number;
  closed: boolean;
}

interface SyncErrorRule {
  readonly match: string | RegExp | undefined;
  remaining: number;
}

function assertNonNegative(value: number, name: string): void {
  assert(Number.isSafeInteger(value) && value >= 0, `${name} must be a non-negative integer, got ${value}`);
}

/** Runs a synchronous operation as a promise; a throw becomes a rejection. */
function run<T>(operation: () => T): Promise<T> {
  return new Promise((resolve) => resolve(operation()));
}
