/**
 * The benchmark's data directory: `<parent>/wal-<pid>`, marked as ours, removed at the end and on
 * SIGINT/SIGTERM. A run killed outright (SIGKILL) cannot clean up; the next run removes such
 * leftovers, but only directories that carry our marker and whose process is gone.
 */
import { rmSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode } from '../src/core/errors.js';
import { progress } from './measure.js';

const markerName = '.keel-wal-bench';
const workDirPattern = /^wal-(\d+)$/;

export interface WorkDir {
  readonly path: string;
  /** Removes the directory and stops listening for signals. */
  remove(): Promise<void>;
}

export async function createWorkDir(parentDir: string): Promise<WorkDir> {
  await mkdir(parentDir, { recursive: true });
  await removeStaleRuns(parentDir);
  const path = join(parentDir, `wal-${process.pid}`);
  await mkdir(path); // fails if it exists: never bench in (and then delete) a directory we did not create
  await writeFile(join(path, markerName), `${process.pid}\n`);
  const onSignal = (signal: NodeJS.Signals): void => {
    progress(`${signal}: removing ${path}`);
    rmSync(path, { recursive: true, force: true });
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    path,
    async remove(): Promise<void> {
      await rm(path, { recursive: true, force: true });
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    },
  };
}

async function removeStaleRuns(parentDir: string): Promise<void> {
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
