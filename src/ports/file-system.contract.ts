import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fromUtf8, utf8 } from '../core/bytes.js';
import { joinPath } from '../core/path.js';
import type { FileHandle, FileSystem } from './file-system.js';

export interface FileSystemContractContext {
  readonly fs: FileSystem;
  /** An existing, empty directory the tests may fill. */
  readonly root: string;
  readonly cleanup: () => Promise<void>;
}

/**
 * The behaviour every FileSystem implementation must share (hashicorp/raft style: one suite, run
 * against the real disk and the simulator's disk). Durability after a crash is not checkable
 * here; the in-memory disk's own tests cover it.
 */
export function fileSystemContract(name: string, setup: () => Promise<FileSystemContractContext>): void {
  describe(`FileSystem contract: ${name}`, () => {
    let ctx: FileSystemContractContext;
    let fs: FileSystem;
    const at = (...names: string[]): string => joinPath(ctx.root, ...names);

    beforeEach(async () => {
      ctx = await setup();
      fs = ctx.fs;
    });
    afterEach(async () => {
      await ctx.cleanup();
    });

    async function writeFile(path: string, text: string): Promise<void> {
      const handle = await fs.open(path, 'create');
      await handle.write(0, utf8(text));
      await handle.close();
    }

    async function readFile(path: string): Promise<string> {
      const handle = await fs.open(path, 'read');
      const bytes = await handle.read(0, await handle.size());
      await handle.close();
      return fromUtf8(bytes);
    }

    async function withHandle(path: string, body: (handle: FileHandle) => Promise<void>): Promise<void> {
      const handle = await fs.open(path, 'create');
      await body(handle);
      await handle.close();
    }

    describe('open', () => {
      it('rejects read and readWrite of a missing file with ENOENT', async () => {
        await expectCode(fs.open(at('missing'), 'read'), 'ENOENT');
        await expectCode(fs.open(at('missing'), 'readWrite'), 'ENOENT');
        expect(await fs.fileSize(at('missing'))).toBeUndefined();
      });

      it('rejects a missing parent directory with ENOENT', async () => {
        await expectCode(fs.open(at('no-dir', 'f'), 'create'), 'ENOENT');
      });

      it('creates an empty file with createNew and rejects an existing one with EEXIST', async () => {
        const handle = await fs.open(at('f'), 'createNew');
        expect(await handle.size()).toBe(0);
        await handle.close();
        expect(await fs.fileSize(at('f'))).toBe(0);
        await expectCode(fs.open(at('f'), 'createNew'), 'EEXIST');
      });

      it('keeps the content of an existing file with create and readWrite', async () => {
        await writeFile(at('f'), 'hello');
        await withHandle(at('f'), async (handle) => {
          expect(await handle.size()).toBe(5);
        });
        const handle = await fs.open(at('f'), 'readWrite');
        await handle.write(0, utf8('J'));
        await handle.close();
        expect(await readFile(at('f'))).toBe('Jello');
      });

      it('rejects opening a directory with EISDIR', async () => {
        await fs.mkdirp(at('d'));
        await expectCode(fs.open(at('d'), 'read'), 'EISDIR');
        await expectCode(fs.open(at('d'), 'create'), 'EISDIR');
      });

      it('gives a read-only handle that cannot write', async () => {
        await writeFile(at('f'), 'abc');
        const handle = await fs.open(at('f'), 'read');
        await expectCode(handle.write(0, utf8('x')), 'EBADF');
        await handle.close();
        expect(await readFile(at('f'))).toBe('abc');
      });
    });

    describe('read and write', () => {
      it('writes and reads at positions, overwriting in place', async () => {
        await withHandle(at('f'), async (handle) => {
          await handle.write(0, utf8('hello world'));
          await handle.write(6, utf8('WORLD'));
          await handle.write(11, utf8('!'));
          expect(fromUtf8(await handle.read(0, 12))).toBe('hello WORLD!');
          expect(fromUtf8(await handle.read(3, 5))).toBe('lo WO');
          expect(await handle.size()).toBe(12);
        });
      });

      it('reads a gap left by a write past the end as zeros', async () => {
        await withHandle(at('f'), async (handle) => {
          await handle.write(0, Uint8Array.of(1, 2));
          await handle.write(10, Uint8Array.of(9, 9, 9));
          expect(await handle.size()).toBe(13);
          expect([...(await handle.read(0, 13))]).toEqual([1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 9, 9, 9]);
        });
      });

      it('returns a short read only at end of file', async () => {
        await withHandle(at('f'), async (handle) => {
          await handle.write(0, utf8('abcdef'));
          expect(fromUtf8(await handle.read(2, 100))).toBe('cdef');
          expect((await handle.read(6, 10)).length).toBe(0);
          expect((await handle.read(50, 10)).length).toBe(0);
          expect((await handle.read(0, 0)).length).toBe(0);
        });
      });

      it('returns a new array that later writes do not change', async () => {
        await withHandle(at('f'), async (handle) => {
          const data = utf8('abc');
          await handle.write(0, data);
          data[0] = 0x7a; // the caller reusing its buffer must not change the file
          const first = await handle.read(0, 3);
          await handle.write(0, utf8('xyz'));
          expect(fromUtf8(first)).toBe('abc');
        });
      });

      it('handles a large write and read in full', async () => {
        const big = new Uint8Array(3 * 1024 * 1024 + 17).map((_, i) => (i * 31) % 251);
        await withHandle(at('f'), async (handle) => {
          await handle.write(5, big);
          const back = await handle.read(5, big.length);
          expect(back.length).toBe(big.length);
          expect(bytesEqual(back, big)).toBe(true);
        });
      });
    });

    describe('truncate and size', () => {
      it('truncates down and up, the regrown bytes reading as zeros', async () => {
        await withHandle(at('f'), async (handle) => {
          await handle.write(0, utf8('abcdefgh'));
          await handle.truncate(3);
          expect(await handle.size()).toBe(3);
          expect(fromUtf8(await handle.read(0, 10))).toBe('abc');
          await handle.truncate(6);
          expect(await handle.size()).toBe(6);
          expect([...(await handle.read(0, 10))]).toEqual([97, 98, 99, 0, 0, 0]);
        });
        expect(await fs.fileSize(at('f'))).toBe(6);
      });

      it('reports sizes including unsynced writes', async () => {
        await withHandle(at('f'), async (handle) => {
          await handle.write(0, utf8('abc'));
          expect(await fs.fileSize(at('f'))).toBe(3);
        });
      });

      it('gives fileSize undefined for a missing path and EISDIR for a directory', async () => {
        expect(await fs.fileSize(at('missing'))).toBeUndefined();
        expect(await fs.fileSize(at('missing-dir', 'missing'))).toBeUndefined();
        await fs.mkdirp(at('d'));
        await expectCode(fs.fileSize(at('d')), 'EISDIR');
      });
    });

    describe('directory entries', () => {
      it('renames a file, replacing the target', async () => {
        await writeFile(at('a.tmp'), 'new');
        await writeFile(at('a'), 'old content');
        await fs.rename(at('a.tmp'), at('a'));
        expect(await readFile(at('a'))).toBe('new');
        expect(await fs.fileSize(at('a.tmp'))).toBeUndefined();
        expect(await fs.readdir(ctx.root)).toEqual(['a']);
      });

      it('rejects renaming a missing file with ENOENT', async () => {
        await expectCode(fs.rename(at('missing'), at('b')), 'ENOENT');
      });

      it('keeps an open handle working after its file is renamed', async () => {
        const handle = await fs.open(at('a'), 'create');
        await fs.rename(at('a'), at('b'));
        await handle.write(0, utf8('moved'));
        await handle.close();
        expect(await readFile(at('b'))).toBe('moved');
      });

      it('unlinks a file and rejects a missing one with ENOENT', async () => {
        await writeFile(at('f'), 'x');
        await fs.unlink(at('f'));
        expect(await fs.fileSize(at('f'))).toBeUndefined();
        expect(await fs.readdir(ctx.root)).toEqual([]);
        await expectCode(fs.unlink(at('f')), 'ENOENT');
      });

      it('keeps an unlinked file readable through a handle opened before', async () => {
        await writeFile(at('f'), 'still here');
        const handle = await fs.open(at('f'), 'read');
        await fs.unlink(at('f'));
        expect(fromUtf8(await handle.read(0, 100))).toBe('still here');
        await handle.close();
      });

      it('lists names sorted; ENOENT for a missing directory, ENOTDIR for a file', async () => {
        for (const file of ['c', 'a', 'b10', 'b2']) await writeFile(at(file), file);
        await fs.mkdirp(at('dir'));
        expect(await fs.readdir(ctx.root)).toEqual(['a', 'b10', 'b2', 'c', 'dir']);
        await expectCode(fs.readdir(at('missing')), 'ENOENT');
        await expectCode(fs.readdir(at('a')), 'ENOTDIR');
      });

      it('creates nested directories with mkdirp, idempotently', async () => {
        await fs.mkdirp(at('x', 'y', 'z'));
        await fs.mkdirp(at('x', 'y', 'z'));
        await fs.mkdirp(at('x'));
        expect(await fs.readdir(at('x'))).toEqual(['y']);
        expect(await fs.readdir(at('x', 'y', 'z'))).toEqual([]);
        await writeFile(at('x', 'y', 'z', 'f'), 'deep');
        expect(await readFile(at('x', 'y', 'z', 'f'))).toBe('deep');
      });
    });

    describe('durability calls and close', () => {
      it('syncs, datasyncs and syncs directories without changing what reads see', async () => {
        await fs.mkdirp(at('d'));
        await withHandle(at('d', 'f'), async (handle) => {
          await handle.write(0, utf8('durable'));
          await handle.datasync();
          await handle.write(7, utf8('!'));
          await handle.sync();
        });
        await fs.syncDir(at('d'));
        await fs.syncDir(ctx.root);
        expect(await readFile(at('d', 'f'))).toBe('durable!');
      });

      it('rejects syncDir of a missing directory with ENOENT', async () => {
        await expectCode(fs.syncDir(at('missing')), 'ENOENT');
      });

      it('closes a handle; further use throws EBADF and a second close is harmless', async () => {
        await writeFile(at('f'), 'abc');
        const handle = await fs.open(at('f'), 'readWrite');
        expect(handle.path).toBe(at('f'));
        await handle.close();
        await expectCode(handle.read(0, 1), 'EBADF');
        await expectCode(handle.write(0, utf8('x')), 'EBADF');
        await handle.close();
        expect(await readFile(at('f'))).toBe('abc');
      });
    });
  });
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  await expect(promise).rejects.toMatchObject({ code });
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}
