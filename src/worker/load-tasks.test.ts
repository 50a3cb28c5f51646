import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadTasks } from './load-tasks.js';
import { ThreadPool } from './thread-pool.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../../test/fixtures/${name}`, import.meta.url));

describe('loading a tasks module', () => {
  it('finds the defineTasks export and its handlers', async () => {
    expect(Object.keys(await loadTasks(fixture('tasks.ts')))).toContain('square');
  });

  it('names the file and the cause when the module throws, has no export, or is missing', async () => {
    await expect(loadTasks(fixture('broken-tasks.ts'))).rejects.toThrow(/broken-tasks\.ts failed to load: this module is broken on purpose/);
    await expect(loadTasks(fixture('no-tasks.ts'))).rejects.toThrow(/exports no defineTasks/);
    await expect(loadTasks(fixture('missing.ts'))).rejects.toThrow(/does not exist/);
  });

  it('a worker whose threads cannot load the module fails at start with that error', async () => {
    const pool = new ThreadPool(fixture('broken-tasks.ts'), 2, { message: () => undefined, lost: () => undefined });
    await expect(pool.start()).rejects.toThrow(/this module is broken on purpose/);
    await pool.close();
  }, 30_000);
});
