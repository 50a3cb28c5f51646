import type { Stats } from 'node:fs';
import { constants, mkdir, open, readdir, rename, stat, unlink, type FileHandle as NodeFileHandle } from 'node:fs/promises';
import { assert } from '../core/assert.js';
import { errnoCode } from '../core/errors.js';
import type { FileHandle, FileSystem, OpenMode } from '../ports/file-system.js';

/** Open flags per mode. `create` must not use 'a+': O_APPEND would ignore write positions. */
const openFlags: Readonly<Record<OpenMode, string | number>> = {
  read: 'r',
  readWrite: 'r+',
  create: constants.O_RDWR | constants.O_CREAT,
  createNew: constants.O_RDWR | constants.O_CREAT | constants.O_EXCL,
};

/** The FileSystem port on a real disk. Errors are Node's, with their POSIX `code`. */
export class NodeFileSystem implements FileSystem {
  async mkdirp(path: string): Promise<void> {
    await mkdir(path, { recursive: true });
  }

  async readdir(path: string): Promise<string[]> {
    const names = await readdir(path);
    return names.sort();
  }

  async fileSize(path: string): Promise<number | undefined> {
    let stats: Stats;
    try {
      stats = await stat(path);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return undefined;
      throw error;
    }
    if (stats.isDirectory()) throw posixError('EISDIR', 'illegal operation on a directory', 'stat', path);
    return stats.size;
  }

  async open(path: string, mode: OpenMode): Promise<FileHandle> {
    const handle = await open(path, openFlags[mode]);
    // Linux opens a directory read-only without complaint; the port promises EISDIR.
    if (mode === 'read' && (await handle.stat()).isDirectory()) {
      await handle.close();
      throw posixError('EISDIR', 'illegal operation on a directory', 'open', path);
    }
    return new NodeFileHandleAdapter(path, handle);
  }

  async rename(from: string, to: string): Promise<void> {
    await rename(from, to);
  }

  async unlink(path: string): Promise<void> {
    await unlink(path);
  }

  async syncDir(path: string): Promise<void> {
    const dir = await open(path, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}

export const nodeFileSystem = new NodeFileSystem();

class NodeFileHandleAdapter implements FileHandle {
  constructor(
    readonly path: string,
    private readonly handle: NodeFileHandle,
  ) {}

  async read(position: number, length: number): Promise<Uint8Array> {
    assertNonNegative(position, 'position');
    assertNonNegative(length, 'length');
    const out = new Uint8Array(length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await this.handle.read(out, filled, length - filled, position + filled);
      if (bytesRead === 0) break; // end of file
      filled += bytesRead;
    }
    return filled === length ? out : out.slice(0, filled);
  }

  async write(position: number, data: Uint8Array): Promise<void> {
    assertNonNegative(position, 'position');
    let written = 0;
    while (written < data.length) {
      const { bytesWritten } = await this.handle.write(data, written, data.length - written, position + written);
      assert(bytesWritten > 0, `write made no progress on ${this.path}`);
      written += bytesWritten;
    }
  }

  async size(): Promise<number> {
    return (await this.handle.stat()).size;
  }

  async truncate(size: number): Promise<void> {
    assertNonNegative(size, 'size');
    await this.handle.truncate(size);
  }

  async sync(): Promise<void> {
    await this.handle.sync();
  }

  async datasync(): Promise<void> {
    await this.handle.datasync();
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

function posixError(code: string, description: string, syscall: string, path: string): Error {
  return Object.assign(new Error(`${code}: ${description}, ${syscall} '${path}'`), { code, syscall, path });
}

function assertNonNegative(value: number, name: string): void {
  assert(Number.isSafeInteger(value) && value >= 0, `${name} must be a non-negative integer, got ${value}`);
}
