import { describe, expect, it } from 'vitest';
import { concatBytes } from '../../core/bytes.js';
import { memoryFs } from '../storage.test-kit.js';
import { CheckpointStore } from './checkpoint-store.js';
import { CHECKPOINT_FORMAT_VERSION, encodeCheckpointHeader } from './format.js';

const DIR = '/data/checkpoints';

function chunks(seed: number, count: number, size: number): Uint8Array[] {
  return Array.from({ length: count }, (_, c) => Uint8Array.from({ length: size }, (_, i) => (seed * 13 + c * 7 + i) & 0xff));
}

async function readAll(store: CheckpointStore, file: string): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of store.read(file)) parts.push(chunk);
  return concatBytes(parts);
}

async function* slowly(parts: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) {
    await Promise.resolve();
    yield part;
  }
}

describe('checkpoint store', () => {
  it('streams a checkpoint larger than one read buffer in and out, with metadata', async () => {
    const fs = memoryFs();
    const store = await CheckpointStore.open({ fs, dir: DIR, readChunkBytes: 1000 });
    const data = chunks(1, 25, 777);
    const info = await store.save({ index: 42, term: 3, metadata: new Uint8Array([9, 8, 7]) }, slowly(data));
    expect(info).toMatchObject({ index: 42, term: 3, dataLength: 25 * 777 });
    fs.crash('lose');
    const reopened = await CheckpointStore.open({ fs, dir: DIR, readChunkBytes: 1000 });
    const { checkpoint, corrupt } = await reopened.latestValid();
    expect(corrupt).toEqual([]);
    expect(checkpoint?.metadata).toEqual(new Uint8Array([9, 8, 7]));
    expect(await readAll(reopened, checkpoint!.file)).toEqual(concatBytes(data));
  });

  it('keeps the newest N and removes leftovers of an interrupted save', async () => {
    const fs = memoryFs();
    const store = await CheckpointStore.open({ fs, dir: DIR, keep: 2 });
    for (const index of [10, 20, 30]) await store.save({ index, term: 1 }, chunks(index, 2, 100));
    expect((await store.list()).map((c) => c.index)).toEqual([30, 20]);
    const handle = await fs.open(`${DIR}/checkpoint-0000000000000028-0000000000000001.ckpt.tmp`, 'createNew');
    await handle.write(0, new Uint8Array(50));
    await handle.sync();
    await fs.syncDir(DIR);
    await CheckpointStore.open({ fs, dir: DIR });
    expect((await fs.readdir(DIR)).some((n) => n.endsWith('.tmp'))).toBe(false);
  });

  it('a crash during save leaves the previous checkpoint, never a partial new one', async () => {
    for (let seed = 1; seed <= 60; seed++) {
      const fs = memoryFs(seed);
      const store = await CheckpointStore.open({ fs, dir: DIR });
      await store.save({ index: 5, term: 1 }, chunks(5, 3, 300));
      const saving = store.save({ index: 9, term: 2 }, slowly(chunks(9, 5, 300))).catch(() => undefined);
      for (let i = 0; i < seed; i++) await Promise.resolve();
      fs.crash('random');
      await saving;
      const reopened = await CheckpointStore.open({ fs, dir: DIR });
      const { checkpoint, corrupt } = await reopened.latestValid();
      expect(corrupt, `seed ${seed}`).toEqual([]);
      expect([5, 9]).toContain(checkpoint!.index);
      expect(await readAll(reopened, checkpoint!.file)).toEqual(concatBytes(chunks(checkpoint!.index, checkpoint!.index === 5 ? 3 : 5, 300)));
    }
  });

  it('detects a bit flip anywhere in the newest checkpoint and falls back to the older one', async () => {
    for (let seed = 1; seed <= 50; seed++) {
      const fs = memoryFs(seed);
      const store = await CheckpointStore.open({ fs, dir: DIR });
      await store.save({ index: 1, term: 1 }, chunks(1, 2, 500));
      const newest = await store.save({ index: 2, term: 1 }, chunks(2, 2, 500));
      const [offset] = fs.flipRandomBits(newest.file, 1);
      const { checkpoint, corrupt } = await store.latestValid();
      expect(checkpoint?.index, `flip at byte ${offset}`).toBe(1);
      expect(corrupt).toHaveLength(1);
      expect(corrupt[0]!.file).toBe(newest.file);
      await expect(readAll(store, newest.file)).rejects.toMatchObject({ code: 'CHECKPOINT_CORRUPT' });
    }
  });

  it('a checkpoint from a newer format version is an error, not skipped silently', async () => {
    const fs = memoryFs();
    const store = await CheckpointStore.open({ fs, dir: DIR });
    const info = await store.save({ index: 3, term: 1 }, [new Uint8Array(10)]);
    const newer = encodeCheckpointHeader({ index: 3, term: 1, dataLength: 10, dataCrc: 0, metadata: new Uint8Array(0) }, CHECKPOINT_FORMAT_VERSION + 1);
    const handle = await fs.open(info.file, 'readWrite');
    await handle.write(0, newer);
    await handle.sync();
    await expect(store.latestValid()).rejects.toMatchObject({ code: 'FORMAT_VERSION_UNSUPPORTED', data: { file: info.file } });
  });
});
