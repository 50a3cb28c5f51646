/**
 * Processes and the work directory of `bench:kv`: the benchmark's own data directory
 * (`<parent>/kv-<pid>/`, marked as ours), free loopback ports, server processes started by PID and
 * stopped by PID (SIGTERM, then SIGKILL), on success, on errors and on SIGINT/SIGTERM. A run killed
 * outright (SIGKILL) cannot clean up: the next run stops the processes it recorded (only PIDs whose
 * command line still names that run's directory) and removes the directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { appendFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode } from '../src/core/errors.js';
import { isAlive } from './work-dir.js';

const markerName = '.keel-kv-bench';
const pidsName = 'pids';
const workDirPattern = /^kv-(\d+)$/;
/** How long a stopped server gets to exit after SIGTERM before SIGKILL (a Keel leader hands over first). */
export const stopGraceMs = 5_000;

export function progress(message: string): void {
  process.stderr.write(`[bench:kv] ${message}\n`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logPath: string;
  readonly child: ChildProcess;
  /** Resolves when the process has exited (immediately if it already has). */
  readonly exited: Promise<void>;
  isAlive(): boolean;
}

export interface SpawnSpec {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** Keep a pipe on stdin (Keel nodes stop when it closes, i.e. when this process dies). */
  readonly stdinPipe: boolean;
}

/**
 * The run's directory and every server process started in it. `close()` stops the processes and
 * removes the directory; SIGINT/SIGTERM do the same and exit; the process's `exit` event SIGKILLs
 * whatever is still running (synchronously: the last resort).
 */
export class BenchRun {
  private readonly processes = new Set<ManagedProcess>();
  private closing: Promise<void> | undefined;
  private readonly onSignal = (signal: NodeJS.Signals): void => {
    progress(`${signal}: stopping ${this.processes.size} server process(es) and removing ${this.dir}`);
    void this.close().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  private readonly onExit = (): void => {
    for (const proc of this.processes) {
      if (proc.isAlive()) killQuietly(proc.pid, 'SIGKILL');
    }
  };

  private constructor(readonly dir: string) {}

  static async create(parentDir: string): Promise<BenchRun> {
    await mkdir(parentDir, { recursive: true });
    await removeStaleRuns(parentDir);
    const dir = join(parentDir, `kv-${process.pid}`);
    await mkdir(dir); // fails if it exists: never bench in (and then delete) a directory we did not create
    await writeFile(join(dir, markerName), `${process.pid}\n`);
    const run = new BenchRun(dir);
    process.once('SIGINT', run.onSignal);
    process.once('SIGTERM', run.onSignal);
    process.on('exit', run.onExit);
    return run;
  }

  async spawn(spec: SpawnSpec): Promise<ManagedProcess> {
    const logPath = join(this.dir, `${spec.name}.log`);
    const logFd = openSync(logPath, 'a');
    let child: ChildProcess;
    try {
      child = spawn(spec.command, [...spec.args], {
        cwd: spec.cwd, env: spec.env, stdio: [spec.stdinPipe ? 'pipe' : 'ignore', logFd, logFd],
      });
    } finally {
      closeSync(logFd); // the child holds its own copy
    }
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
    child.on('error', () => undefined); // reported through 'exit' and the log
    const proc: ManagedProcess = { name: spec.name, pid, logPath, child, exited, isAlive: () => alive };
    this.processes.add(proc);
    // Recorded so that a later run can stop it if this one is SIGKILLed.
    await appendFile(join(this.dir, pidsName), `${pid} ${spec.name}\n`);
    void exited.then(() => this.processes.delete(proc));
    return proc;
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  async stop(proc: ManagedProcess, graceMs = stopGraceMs): Promise<void> {
    if (!proc.isAlive()) return;
    killQuietly(proc.pid, 'SIGTERM');
    const timer = setTimeout(() => killQuietly(proc.pid, 'SIGKILL'), graceMs);
    await proc.exited;
    clearTimeout(timer);
  }

  /** SIGKILL; resolves once the process has exited. */
  async kill(proc: ManagedProcess): Promise<void> {
    if (!proc.isAlive()) return;
    killQuietly(proc.pid, 'SIGKILL');
    await proc.exited;
  }

  /** Stops every process (in parallel) and removes the directory; idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all([...this.processes].map((proc) => this.stop(proc)));
      await rm(this.dir, { recursive: true, force: true });
      process.removeListener('SIGINT', this.onSignal);
      process.removeListener('SIGTERM', this.onSignal);
      process.removeListener('exit', this.onExit);
    })();
    return this.closing;
  }
}

/** The last lines of a server's log, for error messages. */
export function logTail(proc: ManagedProcess, lines = 15): string {
  try {
    return readFileSync(proc.logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)'; // the directory may already be gone
  }
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (error) {
    if (errnoCode(error) !== 'ESRCH') throw error; // ESRCH: already gone
  }
}

export { freePorts } from '../src/runtime/free-ports.js';

/** CPU time (user + system) of a process so far, in ms, from /proc/<pid>/stat; NaN when unavailable. */
export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from #3 (state) on
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return ((utime + stime) * 1000) / clockTicksPerSecond;
  } catch {
    return Number.NaN; // not Linux, or the process is gone
  }
}

/** Busy CPU time of the whole machine so far (all cores, every process), in ms, from /proc/stat; NaN when unavailable. */
export function machineBusyCpuMs(): number {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!; // cpu user nice system idle iowait irq softirq steal ...
    const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
    return (((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) * 1000) / clockTicksPerSecond;
  } catch {
    return Number.NaN; // not Linux
  }
}

/** USER_HZ; 100 on every Linux this runs on (getconf CLK_TCK). */
const clockTicksPerSecond = 100;

async function removeStaleRuns(parentDir: string): Promise<void> {
  for (const name of await readdir(parentDir)) {
    const match = workDirPattern.exec(name);
    if (match === null) continue;
    const dir = join(parentDir, name);
    const marker = await readFile(join(dir, markerName), 'utf8').catch(() => undefined); // no marker: not ours
    if (marker?.trim() !== match[1] || isAlive(Number(match[1]))) continue;
    const pids = await readFile(join(dir, pidsName), 'utf8').catch(() => '');
    for (const line of pids.split('\n')) {
      const pid = Number(line.split(' ')[0]);
      if (!Number.isSafeInteger(pid) || pid <= 0) continue;
      // Only a process whose command line names that run's directory: PIDs get reused.
      const cmdline = (() => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        } catch {
          return '';
        }
      })();
      if (cmdline.includes(dir)) {
        progress(`stopping PID ${pid}, left running by an earlier run that was killed`);
        killQuietly(pid, 'SIGKILL');
      }
    }
    progress(`removing ${dir}, left by an earlier run that was killed`);
    rmSync(dir, { recursive: true, force: true });
  }
}
