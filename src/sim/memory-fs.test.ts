import { describe, expect, it } from 'vitest';
import { fromUtf8, utf8 } from '../core/bytes.js';
import { seededRandom } from '../core/prng.js';
import { fileSystemContract } from '../ports/file-system.contract.js';
import { type CrashMode, MemoryFileSystem } from './memory-fs.js';

fileSystemContract('MemoryFileSystem', async () => {
  const fs = new MemoryFileSystem({ random: seededRandom(1) });
  const root = '/contract/root';
  await fs.mkdirp(root);
  return { fs, root, cleanup: () => Promise.resolve() };
});

const allModes: readonly CrashMode[] = ['lose', 'torn', 'reorder', 'keep', 'random'];

function newFs(seed = 1, capacityBytes = Infinity): MemoryFileSystem {
  return new MemoryFileSystem({ random: seededRandom(seed), capacityBytes });
}

/** Creates /data/<name> with `content`, synced and with its entry synced. */
async function durableFile(fs: MemoryFileSystem, path: string, content: string | Uint8Array): Promise<void> {
  await fs.mkdirp('/data');
  const handle = await fs.open(path, 'create');
  await handle.write(0, typeof content === 'string' ? utf8(content) : content);
  await handle.sync();
  await handle.close();
  await fs.syncDir('/data');
}

function text(bytes: Uint8Array | undefined): string | undefined {
  return bytes === undefined ? undefined : fromUtf8(bytes);
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  await expect(promise).rejects.toMatchObject({ code });
}

describe('MemoryFileSystem data durability', () => {
  it('loses an unsynced write under lose and keeps it under keep', async () => {
    for (const [mode, expected] of [['lose', 'hello'], ['keep', 'hello world']] as const) {
      const fs = newFs();
      await durableFile(fs, '/data/f', 'hello');
      const handle = await fs.open('/data/f', 'readWrite');
      await handle.write(5, utf8(' world'));
      expect(text(fs.durableBytes('/data/f'))).toBe('hello');
      fs.crash(mode);
      expect(text(fs.durableBytes('/data/f'))).toBe(expected);
      expect(text(fs.cachedBytes('/data/f'))).toBe(expected);
      expect(await fs.fileSize('/data/f')).toBe(expected.length);
    }
  });

  it('tears a pending append at any byte under torn, from nothing to all of it', async () => {
    const append = utf8('0123456789abcdef');
    const keptLengths = new Set<number>();
    for (let seed = 0; seed < 300; seed++) {
      const fs = newFs(seed);
      await durableFile(fs, '/data/f', 'base:');
      const handle = await fs.open('/data/f', 'readWrite');
      await handle.write(5, append);
      fs.crash('torn');
      const durable = text(fs.durableBytes('/data/f')) ?? '';
      expect(durable.startsWith('base:')).toBe(true);
      const kept = durable.slice(5);
      expect('0123456789abcdef'.startsWith(kept)).toBe(true);
      keptLengths.add(kept.length);
    }
    expect(keptLengths.has(0)).toBe(true);
    expect(keptLengths.has(append.length)).toBe(true);
    expect(keptLengths.size).toBeGreaterThan(8);
  });

  it('tears a sequence of pending ops at a prefix: later ops never land without earlier ones', async () => {
    for (let seed = 0; seed < 100; seed++) {
      const fs = newFs(seed);
      await durableFile(fs, '/data/f', '');
      const handle = await fs.open('/data/f', 'readWrite');
      for (let i = 0; i < 5; i++) await handle.write(i * 4, utf8(`op${i}|`.slice(0, 4)));
      fs.crash('torn');
      expect('op0|op1|op2|op3|op4|'.startsWith(text(fs.durableBytes('/data/f')) ?? '')).toBe(true);
    }
  });

  it('can persist a later sector of a write without an earlier one under reorder', async () => {
    const sectors = 4;
    const data = new Uint8Array(sectors * 512).map((_, i) => 1 + (i % 251));
    let witnessSeed: number | undefined;
    for (let seed = 0; seed < 100; seed++) {
      const fs = newFs(seed);
      await durableFile(fs, '/data/f', '');
      const handle = await fs.open('/data/f', 'readWrite');
      await handle.write(0, data);
      fs.crash('reorder');
      const durable = fs.durableBytes('/data/f')!;
      expect(durable.length % 512).toBe(0);
      const present = [];
      for (let s = 0; s < durable.length / 512; s++) {
        const sector = durable.subarray(s * 512, (s + 1) * 512);
        const whole = sector.every((b, i) => b === data[s * 512 + i]);
        expect(whole || sector.every((b) => b === 0)).toBe(true);
        present.push(whole);
      }
      if (present[0] === false && present.includes(true)) witnessSeed ??= seed;
    }
    expect(witnessSeed).toBeDefined();
  });

  it('keeps synced data through every crash mode', async () => {
    for (const mode of allModes) {
      for (let seed = 0; seed < 20; seed++) {
        const fs = newFs(seed);
        await durableFile(fs, '/data/synced', 'precious');
        const other = await fs.open('/data/unsynced', 'create');
        await other.write(0, utf8('maybe'));
        fs.crash(mode);
        const handle = await fs.open('/data/synced', 'read');
        expect(fromUtf8(await handle.read(0, 100))).toBe('precious');
      }
    }
  });

  it('drops data under an injected EIO even after a later successful sync (fsyncgate)', async () => {
    const fs = newFs();
    await durableFile(fs, '/data/f', 'aaaa');
    const handle = await fs.open('/data/f', 'readWrite');
    await handle.write(4, utf8('bbbb'));
    fs.injectSyncError('/data/f');
    await expectCode(handle.sync(), 'EIO');
    expect(fromUtf8(await handle.read(0, 8))).toBe('aaaabbbb');
    await handle.sync();
    expect(text(fs.cachedBytes('/data/f'))).toBe('aaaabbbb');
    expect(text(fs.durableBytes('/data/f'))).toBe('aaaa');
    fs.crash('keep');
    expect(text(fs.durableBytes('/data/f'))).toBe('aaaa');
  });

  it('injects EIO only on matching files and only `count` times', async () => {
    const fs = newFs();
    await durableFile(fs, '/data/a.log', '');
    await durableFile(fs, '/data/b.txt', '');
    fs.injectSyncError(/\.log$/, 2);
    const log = await fs.open('/data/a.log', 'readWrite');
    const txt = await fs.open('/data/b.txt', 'readWrite');
    await txt.sync();
    await expectCode(log.datasync(), 'EIO');
    await expectCode(log.sync(), 'EIO');
    await log.sync();
    fs.injectSyncError();
    await expectCode(txt.datasync(), 'EIO');
    await txt.datasync();
  });
});

describe('MemoryFileSystem directory durability', () => {
  it('mkdirp is durable at once', async () => {
    const fs = newFs();
    await fs.mkdirp('/a/b/c');
    fs.crash('lose');
    expect(await fs.readdir('/a/b')).toEqual(['c']);
  });

  it('loses a created file whose entry was not synced, even with its data synced', async () => {
    const fs = newFs();
    await fs.mkdirp('/data');
    const handle = await fs.open('/data/f', 'create');
    await handle.write(0, utf8('data'));
    await handle.sync();
    fs.crash('lose');
    expect(fs.exists('/data/f')).toBe(false);
    expect(await fs.readdir('/data')).toEqual([]);
  });

  it('keeps a created file whose entry was synced', async () => {
    for (const mode of allModes) {
      const fs = newFs();
      await fs.mkdirp('/data');
      const handle = await fs.open('/data/f', 'create');
      await handle.write(0, utf8('data'));
      await handle.sync();
      await fs.syncDir('/data');
      fs.crash(mode);
      expect(text(fs.durableBytes('/data/f'))).toBe('data');
    }
  });

  it('sometimes keeps and sometimes loses an unsynced create under random crashes', async () => {
    const outcomes = new Set<boolean>();
    for (let seed = 0; seed < 40; seed++) {
      const fs = newFs(seed);
      await fs.mkdirp('/data');
      await fs.open('/data/f', 'create');
      fs.crash();
      outcomes.add(fs.exists('/data/f'));
    }
    expect([...outcomes].sort()).toEqual([false, true]);
  });

  it('can undo a rename not followed by syncDir', async () => {
    const fs = newFs();
    await durableFile(fs, '/data/state', 'v1');
    await durableFile(fs, '/data/state.tmp', 'v2');
    await fs.rename('/data/state.tmp', '/data/state');
    fs.crash('lose');
    expect(text(fs.durableBytes('/data/state'))).toBe('v1');
    expect(text(fs.durableBytes('/data/state.tmp'))).toBe('v2');
  });

  it('keeps a rename followed by syncDir', async () => {
    const fs = newFs();
    await durableFile(fs, '/data/state', 'v1');
    await durableFile(fs, '/data/state.tmp', 'v2');
    await fs.rename('/data/state.tmp', '/data/state');
    await fs.syncDir('/data');
    fs.crash('lose');
    expect(text(fs.durableBytes('/data/state'))).toBe('v2');
    expect(fs.exists('/data/state.tmp')).toBe(false);
  });

  it('brings back an unlinked file when the unlink was not synced', async () => {
    const fs = newFs();
    await durableFile(fs, '/data/f', 'back');
    await fs.unlink('/data/f');
    expect(fs.exists('/data/f')).toBe(false);
    fs.crash('lose');
    expect(text(fs.durableBytes('/data/f'))).toBe('back');
  });

  it('applies entry ops as a prefix: an earlier op is never lost while a later one lands', async () => {
    for (let seed = 0; seed < 50; seed++) {
      const fs = newFs(seed);
      await fs.mkdirp('/data');
      for (const name of ['a', 'b', 'c', 'd']) await fs.open(`/data/${name}`, 'create');
      fs.crash('torn');
      const names = await fs.readdir('/data');
      expect(['a', 'b', 'c', 'd'].slice(0, names.length)).toEqual(names);
    }
  });
});

describe('MemoryFileSystem faults and inspection', () => {
  it('throws ENOSPC past capacity and changes nothing', async () => {
    const fs = newFs(1, 10);
    await fs.mkdirp('/data');
    const a = await fs.open('/data/a', 'create');
    await a.write(0, new Uint8Array(8).fill(1));
    await expectCode(a.write(8, new Uint8Array(4)), 'ENOSPC');
    await expectCode(a.truncate(11), 'ENOSPC');
    expect(await a.size()).toBe(8);
    await a.write(0, new Uint8Array(8).fill(2)); // overwriting needs no new space
    const b = await fs.open('/data/b', 'create');
    await b.write(0, new Uint8Array(2));
    await expectCode(b.write(2, new Uint8Array(1)), 'ENOSPC');
    await a.close();
    await fs.unlink('/data/a');
    await b.write(2, new Uint8Array(8));
    fs.setCapacity(100);
    await b.write(10, new Uint8Array(50));
    expect(await b.size()).toBe(60);
  });

  it('counts an unlinked file against capacity until its last handle closes', async () => {
    const fs = newFs(1, 10);
    await fs.mkdirp('/data');
    const a = await fs.open('/data/a', 'create');
    await a.write(0, new Uint8Array(10));
    await fs.unlink('/data/a');
    const b = await fs.open('/data/b', 'create');
    await expectCode(b.write(0, new Uint8Array(1)), 'ENOSPC');
    await a.close();
    await b.write(0, new Uint8Array(10));
  });

  it('flips exactly one bit in durable and cached content', async () => {
    const fs = newFs();
    const original = utf8('checksummed');
    await durableFile(fs, '/data/f', original);
    fs.flipBit('/data/f', 3, 5);
    for (const bytes of [fs.durableBytes('/data/f')!, fs.cachedBytes('/data/f')!]) {
      expect(bytes.length).toBe(original.length);
      const diffs = [...bytes].map((b, i) => b ^ original[i]!);
      expect(diffs).toEqual([...original].map((_, i) => (i === 3 ? 1 << 5 : 0)));
    }
  });

  it('flips random bits at the offsets it reports, deterministically per seed', async () => {
    const run = async (seed: number): Promise<number[]> => {
      const fs = newFs(seed);
      await durableFile(fs, '/data/f', new Uint8Array(1000));
      const offsets = fs.flipRandomBits('/data/f', 5);
      const durable = fs.durableBytes('/data/f')!;
      for (const [i, b] of durable.entries()) if (b !== 0) expect(offsets).toContain(i);
      return offsets;
    };
    const offsets = await run(7);
    expect(offsets).toHaveLength(5);
    for (const offset of offsets) expect(offset).toBeLessThan(1000);
    expect(await run(7)).toEqual(offsets);
  });

  it('invalidates every handle opened before a crash (EBADF)', async () => {
    const fs = newFs();
    await durableFile(fs, '/data/f', 'abc');
    const handle = await fs.open('/data/f', 'readWrite');
    fs.crash('keep');
    await expectCode(handle.read(0, 1), 'EBADF');
    await expectCode(handle.write(0, utf8('x')), 'EBADF');
    await expectCode(handle.size(), 'EBADF');
    await expectCode(handle.truncate(0), 'EBADF');
    await expectCode(handle.sync(), 'EBADF');
    await expectCode(handle.datasync(), 'EBADF');
    await expectCode(handle.close(), 'EBADF');
    const reopened = await fs.open('/data/f', 'read');
    expect(fromUtf8(await reopened.read(0, 3))).toBe('abc');
  });

  it('counts syncs, datasyncs, syncDirs, writes and bytes written', async () => {
    const fs = newFs();
    await fs.mkdirp('/data');
    const handle = await fs.open('/data/f', 'create');
    await handle.write(0, utf8('abc'));
    await handle.write(3, utf8('de'));
    await handle.sync();
    await handle.datasync();
    await handle.datasync();
    await fs.syncDir('/data');
    expect(fs.stats).toMatchObject({ syncs: 1, datasyncs: 2, syncDirs: 1, writes: 2, bytesWritten: 5 });
  });

  it('gives the same crash outcome for the same seed', async () => {
    const outcome = async (seed: number): Promise<string> => {
      const fs = newFs(seed);
      await fs.mkdirp('/data');
      for (let f = 0; f < 6; f++) {
        const handle = await fs.open(`/data/f${f}`, 'create');
        for (let w = 0; w < 5; w++) await handle.write(w * 300, new Uint8Array(700).fill(f * 10 + w + 1));
        if (f % 2 === 0) await handle.truncate(900);
        if (f === 3) await handle.sync();
        if (f === 1) await fs.syncDir('/data');
      }
      await fs.rename('/data/f0', '/data/f5');
      fs.crash();
      const names = await fs.readdir('/data');
      return names.map((name) => `${name}:${[...fs.durableBytes(`/data/${name}`)!].join(',')}`).join('\n');
    };
    const first = await outcome(42);
    expect(await outcome(42)).toBe(first);
    const others = new Set<string>();
    for (let seed = 0; seed < 10; seed++) others.add(await outcome(seed));
    expect(others.size).toBeGreaterThan(5);
  });

  it('rejects operations with the POSIX codes of a real disk', async () => {
    const fs = newFs();
    await durableFile(fs, '/data/f', 'x');
    await expectCode(fs.mkdirp('/data/f'), 'EEXIST');
    await expectCode(fs.mkdirp('/data/f/g'), 'ENOTDIR');
    await expectCode(fs.open('/data/f/g', 'create'), 'ENOTDIR');
    await expectCode(fs.unlink('/data'), 'EISDIR');
    await fs.mkdirp('/data/sub/inner');
    await expectCode(fs.rename('/data/f', '/data/sub'), 'EISDIR');
    await expectCode(fs.open('/nowhere/f', 'create'), 'ENOENT');
    await expect(fs.open('/nowhere/f', 'create')).rejects.toThrow(/\/nowhere\/f/);
  });
});

describe('MemoryFileSystem mount', () => {
  it('a mount made before a crash is dead afterwards: a zombie cannot touch the rebooted disk', async () => {
    const disk = new MemoryFileSystem({ random: seededRandom(3) });
    const before = disk.mount();
    await before.mkdirp('/d');
    disk.crash('keep');
    await expect(before.open('/d/x', 'createNew')).rejects.toMatchObject({ code: 'EBADF' });
    await expect(before.readdir('/d')).rejects.toMatchObject({ code: 'EBADF' });
    const after = disk.mount();
    await expect(after.readdir('/d')).resolves.toEqual([]);
  });
});
