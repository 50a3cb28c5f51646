import type { FileHandle, FileSystem, OpenMode } from '../ports/file-system.js';
import { fsError } from './memory-fs-errors.js';

/**
 * One process's view of a simulated disk. After a crash the process is dead: anything it still
 * had in flight (a background preallocation, a queued flush) must not touch the rebooted disk,
 * so every call through a mount made before the crash fails with EBADF.
 */
export class MountedFileSystem implements FileSystem {
  constructor(private readonly disk: FileSystem, private readonly alive: () => boolean) {}

  mkdirp(path: string): Promise<void> {
    return this.guard('mkdir', path, () => this.disk.mkdirp(path));
  }
  readdir(path: string): Promise<string[]> {
    return this.guard('scandir', path, () => this.disk.readdir(path));
  }
  fileSize(path: string): Promise<number | undefined> {
    return this.guard('stat', path, () => this.disk.fileSize(path));
  }
  open(path: string, mode: OpenMode): Promise<FileHandle> {
    return this.guard('open', path, () => this.disk.open(path, mode));
  }
  rename(from: string, to: string): Promise<void> {
    return this.guard('rename', from, () => this.disk.rename(from, to));
  }
  unlink(path: string): Promise<void> {
    return this.guard('unlink', path, () => this.disk.unlink(path));
  }
  syncDir(path: string): Promise<void> {
    return this.guard('fsync', path, () => this.disk.syncDir(path));
  }

  private async guard<T>(syscall: string, path: string, operation: () => Promise<T>): Promise<T> {
    if (!this.alive()) throw fsError('EBADF', syscall, path);
    return operation();
  }
}
