import { describe, expect, it } from 'vitest';
import { memoryFs } from './storage.test-kit.js';
import { HARD_STATE_FORMAT_VERSION, HardStateStore, emptyHardState } from './hard-state.js';
import { maskedCrc32c } from './crc.js';

const PATH = '/data/hardstate';

describe('hard state', () => {
  it('starts empty, then survives crashes with the last saved value', async () => {
    const fs = memoryFs();
    await fs.mkdirp('/data');
    const { store, state } = await HardStateStore.open(fs, PATH);
    expect(state).toEqual(emptyHardState);
    await store.save({ term: 3, vote: 'n2', commit: 10 });
    await store.save({ term: 4, vote: undefined, commit: 12 });
    fs.crash('random');
    const reopened = await HardStateStore.open(fs, PATH);
    expect(reopened.state).toEqual({ term: 4, vote: undefined, commit: 12 });
    expect(reopened.report.damagedSlots).toEqual([]);
  });

  it('a save torn by a crash leaves either the old or the new state, never a mix', async () => {
    for (let seed = 1; seed <= 200; seed++) {
      const fs = memoryFs(seed);
      await fs.mkdirp('/data');
      const { store } = await HardStateStore.open(fs, PATH);
      await store.save({ term: 5, vote: 'n1', commit: 7 });
      const pending = store.save({ term: 6, vote: 'node-with-a-longer-name', commit: 9 }).catch(() => undefined);
      fs.crash(seed % 2 === 0 ? 'torn' : 'reorder');
      await pending;
      const { state } = await HardStateStore.open(fs, PATH);
      expect([5, 6]).toContain(state.term);
      expect(state).toEqual(state.term === 5 ? { term: 5, vote: 'n1', commit: 7 } : { term: 6, vote: 'node-with-a-longer-name', commit: 9 });
    }
  });

  it('a bit flip in the newest slot falls back to the previous one and is reported', async () => {
    const fs = memoryFs();
    await fs.mkdirp('/data');
    const { store } = await HardStateStore.open(fs, PATH);
    await store.save({ term: 1, vote: 'a', commit: 1 });
    await store.save({ term: 2, vote: 'b', commit: 2 });
    fs.flipBit(PATH, 0 + 30, 3);
    const { state, report } = await HardStateStore.open(fs, PATH);
    expect(state).toEqual({ term: 1, vote: 'a', commit: 1 });
    expect(report.damagedSlots).toEqual([0]);
  });

  it('every single-bit flip in the newest slot is detected: the previous state is used, never a mangled one', async () => {
    for (let byte = 0; byte < 64 + 8; byte++) {
      for (let bit = 0; bit < 8; bit++) {
        const fs = memoryFs();
        await fs.mkdirp('/data');
        const { store } = await HardStateStore.open(fs, PATH);
        await store.save({ term: 1, vote: 'a', commit: 1 });
        await store.save({ term: 2, vote: 'node-two', commit: 2 });
        fs.flipBit(PATH, byte, bit);
        const { state, report } = await HardStateStore.open(fs, PATH);
        expect(state, `flip at byte ${byte} bit ${bit}`).toEqual({ term: 1, vote: 'a', commit: 1 });
        expect(report.damagedSlots).toEqual([0]);
      }
    }
  });

  it('both slots damaged is HARD_STATE_CORRUPT naming the file', async () => {
    const fs = memoryFs();
    await fs.mkdirp('/data');
    const { store } = await HardStateStore.open(fs, PATH);
    await store.save({ term: 1, vote: 'a', commit: 1 });
    await store.save({ term: 2, vote: 'b', commit: 2 });
    fs.flipBit(PATH, 40, 0);
    fs.flipBit(PATH, 4096 + 40, 0);
    await expect(HardStateStore.open(fs, PATH)).rejects.toMatchObject({ code: 'HARD_STATE_CORRUPT', data: { file: PATH } });
  });

  it('refuses a term that goes backwards (a programming error)', async () => {
    const fs = memoryFs();
    await fs.mkdirp('/data');
    const { store } = await HardStateStore.open(fs, PATH);
    await store.save({ term: 2, vote: undefined, commit: 0 });
    await expect(store.save({ term: 1, vote: undefined, commit: 0 })).rejects.toThrow(/backwards/);
  });
});

describe('hard state format', () => {
  it('a file written by a newer format version is refused with a clear error', async () => {
    const fs = memoryFs();
    await fs.mkdirp('/data');
    const { store } = await HardStateStore.open(fs, PATH);
    await store.save({ term: 1, vote: 'a', commit: 1 });
    const bytes = fs.durableBytes(PATH)!.slice(4096, 4096 + 512);
    const view = new DataView(bytes.buffer);
    view.setUint16(8, HARD_STATE_FORMAT_VERSION + 1, true);
    view.setUint32(12, 0, true);
    view.setUint32(12, maskedCrc32c(bytes), true);
    const handle = await fs.open(PATH, 'readWrite');
    await handle.write(4096, bytes);
    await handle.sync();
    await expect(HardStateStore.open(fs, PATH)).rejects.toMatchObject({ code: 'FORMAT_VERSION_UNSUPPORTED', data: { file: PATH } });
  });
});
