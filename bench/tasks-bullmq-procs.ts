/**
 * Child processes of the BullMQ baseline (redis-server and the worker processes): started by PID,
 * stopped by PID (SIGTERM, then SIGKILL after a grace period), every wait bounded. Every live child
 * is tracked, so that a signal handler can SIGKILL them all synchronously (`killAllChildren`) and
 * the `exit` event does the same as a last resort.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { errnoCode } from '../src/core/errors.js';

export interface Child {
  readonly name: string;
  readonly pid: number;
  readonly process: ChildProcess;
  /** Resolves when the process has exited (at once if it already has). */
  readonly exited: Promise<void>;
  isAlive(): boolean;
}

const live = new Set<Child>();
let exitHookInstalled = false;

export interface SpawnSpec {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly stdio: StdioOptions;
}

export async function spawnChild(spec: SpawnSpec): Promise<Child> {
  if (!exitHookInstalled) {
    process.on('exit', killAllChildren);
    exitHookInstalled = true;
  }
  const child = spawn(spec.command, [...spec.args], { cwd: spec.cwd, stdio: spec.stdio });
  const pid = child.pid;
  if (pid === undefined) {
    const error = await new Promise<Error>((resolve) => child.once('error', resolve));
    throw new Error(`cannot start ${spec.name} (${spec.command}): ${error.message}`);
  }
  let alive = true;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      alive = false;
      resolve();
    });
  });
  child.on('error', () => undefined); // reported through 'exit'
  const tracked: Child = { name: spec.name, pid, process: child, exited, isAlive: () => alive };
  live.add(tracked);
  void exited.then(() => live.delete(tracked));
  return tracked;
}

/** SIGTERM, SIGKILL after `graceMs`; resolves once the process has exited (SIGKILL cannot be ignored). */
export async function stopChild(child: Child, graceMs: number): Promise<void> {
  if (!child.isAlive()) return;
  signalQuietly(child.pid, 'SIGTERM');
  const timer = setTimeout(() => signalQuietly(child.pid, 'SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
}

export async function killChild(child: Child): Promise<void> {
  if (!child.isAlive()) return;
  signalQuietly(child.pid, 'SIGKILL');
  await child.exited;
}

/** Synchronous SIGKILL of every live child (for signal and exit handlers). */
export function killAllChildren(): void {
  for (const child of live) {
    if (child.isAlive()) signalQuietly(child.pid, 'SIGKILL');
  }
}

function signalQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (error) {
    if (errnoCode(error) !== 'ESRCH') throw error; // ESRCH: already gone
  }
}

/** Rejects with `message` after `ms`; the timer is cleared when `promise` settles first. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
