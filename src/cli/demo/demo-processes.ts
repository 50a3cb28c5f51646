/**
 * The job demo's processes: `keel start` nodes (through `spawnNode`, as `keel cluster up` runs
 * them) and `keel worker` processes, each with its output in a log file. Every child is started
 * in its own process group with KEEL_EXIT_WITH_PARENT, and stopped by its PID: on the demo's end,
 * on an error, on Ctrl-C, and (SIGKILL) when this process exits any other way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePorts } from '../../runtime/free-ports.js';
import { spawnNode, type LocalClusterLayout } from '../cluster-command.js';

export type Role = 'node' | 'worker';

/** How long a stopping child may take after SIGTERM before it is killed. */
const stopGraceMs = 3_000;

export class DemoProcesses {
  private readonly nodes = new Map<string, ChildProcess>();
  private readonly workers = new Map<string, ChildProcess>();
  private readonly paused = new Set<number>();
  private readonly killOnExit = (): void => this.killAllNow();

  private constructor(readonly layout: LocalClusterLayout, readonly logDir: string, private readonly tasksPath: string) {
    process.on('exit', this.killOnExit);
  }

  /** Plans `count` nodes on free loopback ports, data in `dir/n1`..., logs in `dir/logs`. */
  static async plan(dir: string, count: number, tasksPath: string): Promise<DemoProcesses> {
    const ports = await freePorts(count * 2);
    const nodes = Array.from({ length: count }, (_, i) => ({
      id: `n${i + 1}`, peer: `127.0.0.1:${ports[i]}`, http: `127.0.0.1:${ports[count + i]}`, data: join(dir, `n${i + 1}`),
    }));
    const logDir = join(dir, 'logs');
    mkdirSync(logDir, { recursive: true });
    return new DemoProcesses({ nodes, secret: randomBytes(24).toString('base64url') }, logDir, tasksPath);
  }

  get endpoints(): string[] {
    return this.layout.nodes.map((n) => `http://${n.http}`);
  }

  endpointOf(id: string): string {
    const node = this.layout.nodes.find((n) => n.id === id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return `http://${node.http}`;
  }

  startNode(id: string): void {
    const child = spawnNode(this.layout, id, ['--log-level', 'warn'], { KEEL_LOG_PRETTY: '0' });
    this.own(this.nodes, id, child);
  }

  startWorker(id: string, capacity: number): void {
    const args = [
      ...process.execArgv, process.argv[1]!, 'worker', '--tasks', this.tasksPath, '--join', this.endpoints.join(','),
      '--capacity', String(capacity), '--id', id, '--log-level', 'warn',
    ];
    const child = spawn(process.execPath, args, {
      env: { ...process.env, KEEL_EXIT_WITH_PARENT: '1', KEEL_LOG_PRETTY: '0' }, stdio: ['pipe', 'pipe', 'pipe'], detached: true,
    });
    this.own(this.workers, id, child);
  }

  pid(role: Role, id: string): number | undefined {
    return (role === 'node' ? this.nodes : this.workers).get(id)?.pid;
  }

  /** Sends `signal` to the child's PID; SIGKILL also forgets it. */
  signal(role: Role, id: string, signal: 'SIGKILL' | 'SIGSTOP' | 'SIGCONT'): void {
    const children = role === 'node' ? this.nodes : this.workers;
    const child = children.get(id);
    if (child?.pid === undefined) throw new Error(`no running ${role} ${id}`);
    process.kill(child.pid, signal);
    if (signal === 'SIGSTOP') this.paused.add(child.pid);
    else this.paused.delete(child.pid);
    if (signal === 'SIGKILL') children.delete(id);
  }

  /** Stops every child: SIGCONT to paused ones, SIGTERM, then SIGKILL after a grace period. */
  async stopAll(): Promise<void> {
    const children = [...this.workers.values(), ...this.nodes.values()].filter((c) => c.exitCode === null && c.signalCode === null);
    const exited = children.map((child) => new Promise<void>((resolve) => child.once('exit', () => resolve())));
    for (const child of children) this.send(child, 'SIGCONT');
    for (const child of children) this.send(child, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), stopGraceMs);
    });
    if ((await Promise.race([Promise.all(exited), late])) === 'late') for (const child of children) this.send(child, 'SIGKILL');
    clearTimeout(timer);
    await Promise.all(exited);
    this.workers.clear();
    this.nodes.clear();
    process.off('exit', this.killOnExit);
  }

  /** Synchronous last resort (process exit): SIGKILL to every child still known. */
  killAllNow(): void {
    for (const child of [...this.workers.values(), ...this.nodes.values()]) this.send(child, 'SIGKILL');
  }

  private send(child: ChildProcess, signal: NodeJS.Signals): void {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(child.pid, signal);
    } catch (error) {
      // ESRCH: it exited between the check and the signal; anything else is a real problem.
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }

  private own(children: Map<string, ChildProcess>, id: string, child: ChildProcess): void {
    children.set(id, child);
    const log = createWriteStream(join(this.logDir, `${id}.log`), { flags: 'a' });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    child.once('exit', () => {
      if (children.get(id) === child) children.delete(id);
    });
    child.once('close', (code, signal) => log.end(`[keel demo] ${id} exited (${signal ?? `code ${code}`})\n`));
  }
}
