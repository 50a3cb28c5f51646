/**
 * A benchmark's data directory: `<parent>/<name>-<pid>`, marked as ours, removed at the end and on
 * SIGINT/SIGTERM (after `onSignal`, which stops the benchmark's processes). A run killed outright
 * (SIGKILL) cannot clean up; the next run removes such leftovers, but only directories that carry
 * our marker and whose process is gone.
 */
import { rmSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode } from '../src/core/errors.js';
import { progress } from './measure.js';


export interface WorkDir {
  readonly path: string;
  /** Removes the directory and stops listening for signals. */
  remove(): Promise<void>;
}

export async function createWorkDir(parentDir: string, name = 'wal', onSignal: () => void = () => undefined): Promise<WorkDir> {
  const markerName = `.keel-${name}-bench`;
  await mkdir(parentDir, { recursive: true });
  await removeStaleRuns(parentDir, new RegExp(`^${name}-(\\d+)$`), markerName);
  const path = join(parentDir, `${name}-${process.pid}`);
  await mkdir(path); // fails if it exists: never bench in (and then delete) a directory we did not create
  await writeFile(join(path, markerName), `${process.pid}\n`);
  const stop = (signal: NodeJS.Signals): void => {
    progress(`${signal}: removing ${path}`);
    onSignal();
    rmSync(path, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 }); // a dying server may still write
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return {
    path,
    async remove(): Promise<void> {
      await rm(path, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
    },
  };
}

async function removeStaleRuns(parentDir: string, workDirPattern: RegExp, markerName: string): Promise<void> {
  for (const name of await readdir(parentDir)) {
    const match = workDirPattern.exec(name);
    if (match === null) continue;
    const marker = await readFile(join(parentDir, name, markerName), 'utf8').catch(() => undefined); // no marker: not ours
    if (marker?.trim() !== match[1] || isAlive(Number(match[1]))) continue;
    progress(`removing ${join(parentDir, name)}, left by an earlier run that was killed`);
    await rm(join(parentDir, name), { recursive: true, force: true });
  }
}

/** Whether a process with this PID exists (someone else's counts). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoCode(error) !== 'ESRCH'; // EPERM: alive, someone else's
  }
}
