/**
 * The worker processes of a tasks chaos run: real `keel worker` processes beside the nodes, each
 * with a fresh id (`w1`, `w2`, ...: a replacement never reuses a killed worker's id), logs in
 * `worker-<id>.log`. They can be killed (-9), paused (SIGSTOP) and resumed. Each is told its id in
 * KEEL_CHAOS_WORKER (the handlers put it in their outputs) and exits when the harness does
 * (KEEL_EXIT_WITH_PARENT: stdin closes).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KeelClient } from '../client/index.js';

/** Attempts one worker runs at once (one handler thread each). */
export const workerCapacityDefault = 4;
/** Workers a run may start in all (initial ones plus replacements): a bound on runaway restarts. */
export const workerProcessesMax = 1_000;
const stopGraceMs = 3_000;

export interface ChaosWorkersOptions {
  readonly endpoints: readonly string[];
  /** Where the worker logs go. */
  readonly dir: string;
  readonly capacity: number;
  /** How to run the keel CLI: [...node flags, script]; default: this process's own. */
  readonly command?: readonly string[];
  /** The tasks module; default: chaos-tasks next to this file. */
  readonly tasksModule?: string;
}

/** chaos-tasks.ts when running from the sources (tsx), chaos-tasks.js when built. */
export function chaosTasksModule(): string {
  const self = fileURLToPath(import.meta.url);
  return join(self, '..', self.endsWith('.ts') ? 'chaos-tasks.ts' : 'chaos-tasks.js');
}

export class ChaosWorkers {
  private readonly processes = new Map<string, ChildProcess>();
  private readonly paused = new Set<string>();
  private readonly logs: WriteStream[] = [];
  private nextIndex = 1;

  constructor(private readonly options: ChaosWorkersOptions) {
    mkdirSync(options.dir, { recursive: true });
  }

  /** Workers started so far (initial and replacements). */
  get started(): number {
    return this.nextIndex - 1;
  }

  /** Running and not paused, in start order. */
  get live(): string[] {
    return [...this.processes.keys()].filter((id) => !this.paused.has(id));
  }

  isPaused(id: string): boolean {
    return this.paused.has(id);
  }

  /** Starts a worker with a fresh id; returns the id. */
  spawn(): string {
    if (this.nextIndex > workerProcessesMax) throw new Error(`more than ${workerProcessesMax} worker processes in one run`);
    const id = `w${this.nextIndex++}`;
    const command = this.options.command ?? [...process.execArgv, process.argv[1]!];
    const args = [
      ...command, 'worker', '--tasks', this.options.tasksModule ?? chaosTasksModule(), '--join', this.options.endpoints.join(','),
      '--capacity', String(this.options.capacity), '--id', id, '--log-level', 'warn',
    ];
    const log = createWriteStream(join(this.options.dir, `worker-${id}.log`), { flags: 'a' });
    this.logs.push(log);
    const child = spawn(process.execPath, args, {
      stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, KEEL_LOG_PRETTY: '0', KEEL_CHAOS_WORKER: id, KEEL_EXIT_WITH_PARENT: '1' },
    });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    // A write to a dead child's stdin fails with EPIPE; nothing is ever written, but be explicit.
    child.stdin?.on('error', () => undefined);
    child.on('exit', () => {
      if (this.processes.get(id) === child) {
        this.processes.delete(id);
        this.paused.delete(id);
      }
    });
    this.processes.set(id, child);
    return id;
  }

  /** SIGKILL: the worker's attempts die with it; the leader sees its lease stream close. */
  kill(id: string): void {
    const child = this.processes.get(id);
    if (child === undefined) return;
    if (this.paused.has(id)) child.kill('SIGCONT');
    child.kill('SIGKILL');
    this.processes.delete(id);
    this.paused.delete(id);
  }

  pause(id: string): void {
    const child = this.processes.get(id);
    if (child === undefined || this.paused.has(id)) return;
    child.kill('SIGSTOP');
    this.paused.add(id);
  }

  resume(id: string): void {
    const child = this.processes.get(id);
    if (child === undefined || !this.paused.has(id)) return;
    child.kill('SIGCONT');
    this.paused.delete(id);
  }

  resumeAll(): void {
    for (const id of [...this.paused]) this.resume(id);
  }

  /** Waits until at least `count` workers are registered and up in the cluster. */
  async waitUp(count: number, timeoutMs: number): Promise<void> {
    const client = new KeelClient({ endpoints: this.options.endpoints, timeoutMs: 1_000, retries: 2 });
    const until = Date.now() + timeoutMs;
    for (;;) {
      try {
        if ((await client.workersList()).workers.filter((w) => w.status === 'up').length >= count) return;
      } catch {
        // no leader yet, or a node is starting: ask again
      }
      if (Date.now() > until) throw new Error(`fewer than ${count} workers registered within ${timeoutMs / 1000} s (see the worker logs in --out/cluster)`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** SIGTERM every worker (resumed first), SIGKILL after a grace period; closes the logs. */
  async stop(): Promise<void> {
    const exits = [...this.processes.entries()].map(([id, child]) => new Promise<void>((resolve) => {
      if (this.paused.has(id)) child.kill('SIGCONT');
      const timer = setTimeout(() => child.kill('SIGKILL'), stopGraceMs);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    }));
    await Promise.all(exits);
    this.processes.clear();
    this.paused.clear();
    await Promise.all(this.logs.map((log) => new Promise((resolve) => log.end(resolve))));
  }
}
