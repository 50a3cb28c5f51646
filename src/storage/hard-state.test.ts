import { describe, expect, it } from 'vitest';
import { memoryFs } from './storage.test-kit.js';
import { HardStateStore, emptyHardState } from './hard-state.js';

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
