/**
 * A local cluster of real `keel start` processes for chaos runs. Every peer link goes through a
 * LinkProxy (the smaller id dials, so one proxy per pair, in front of the larger id), which lets
 * the harness cut, blackhole or one-way-drop links without root. Processes can be killed (-9),
 * paused (SIGSTOP), resumed, restarted and wiped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, rmSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { LinkProxy } from './link-proxy.js';
import { freePorts } from '../runtime/free-ports.js';

export interface ChaosNode {
  readonly id: string;
  readonly peer: string;
  readonly http: string;
  readonly data: string;
}

export interface ChaosClusterOptions {
  readonly nodes: number;
  readonly dir: string;
  /** How to run the keel CLI: [...node flags, script]; default: this process's own. */
  readonly command?: readonly string[];
  /** Extra `keel start` flags for every node (e.g. --unsafe-stale-reads). */
  readonly extraArgs?: readonly string[];
}

export class ChaosCluster {
  readonly nodes: readonly ChaosNode[];
  private readonly processes = new Map<string, ChildProcess>();
  private readonly paused = new Set<string>();
  private readonly logs = new Map<string, WriteStream>();
  private readonly proxies = new Map<string, LinkProxy>();
  private readonly joining = new Set<string>();

  private constructor(nodes: ChaosNode[], private readonly options: ChaosClusterOptions) {
    this.nodes = nodes;
  }

  static async start(options: ChaosClusterOptions): Promise<ChaosCluster> {
    mkdirSync(options.dir, { recursive: true });
    const ports = await freePorts(options.nodes * 2);
    const nodes = Array.from({ length: options.nodes }, (_, i) => ({
      id: `n${i + 1}`, peer: `127.0.0.1:${ports[i]}`, http: `127.0.0.1:${ports[options.nodes + i]}`, data: join(options.dir, `data-n${i + 1}`),
    }));
    const cluster = new ChaosCluster(nodes, options);
    for (const a of nodes) {
      for (const b of nodes) {
        if (a.id < b.id) cluster.proxies.set(`${a.id}|${b.id}`, await LinkProxy.start({ target: b.peer, label: `${a.id}->${b.id}` }));
      }
    }
    for (const node of nodes) cluster.launch(node.id);
    return cluster;
  }

  get endpoints(): string[] {
    return this.nodes.map((n) => `http://${n.http}`);
  }

  isUp(id: string): boolean {
    return this.processes.has(id) && !this.paused.has(id);
  }

  /** SIGKILL: no shutdown code runs; unsynced data is whatever the OS kept (all of it, for a process kill). */
  kill(id: string): void {
    const child = this.processes.get(id);
    if (child === undefined) return;
    if (this.paused.has(id)) child.kill('SIGCONT');
    child.kill('SIGKILL');
    this.processes.delete(id);
    this.paused.delete(id);
  }

  restart(id: string, options: { join?: boolean } = {}): void {
    if (this.processes.has(id)) return;
    if (options.join === true) this.joining.add(id);
    this.launch(id);
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

  /** Deletes a (stopped) node's data directory: a brand-new disk. */
  wipe(id: string): void {
    if (this.processes.has(id)) throw new Error(`wipe ${id}: stop it first`);
    rmSync(this.node(id).data, { recursive: true, force: true });
  }

  /** Cuts every link between the groups, both ways (blackhole: connections hang, nothing arrives). */
  partition(groups: readonly (readonly string[])[]): void {
    const groupOf = new Map<string, number>();
    groups.forEach((g, i) => g.forEach((id) => groupOf.set(id, i)));
    for (const [pair, proxy] of this.proxies) {
      const [a, b] = pair.split('|') as [string, string];
      const cut = groupOf.get(a) !== groupOf.get(b);
      proxy.set({ forward: cut ? 'drop' : 'pass', backward: cut ? 'drop' : 'pass' });
    }
  }

  /** Messages from `from` to `to` are lost; the other direction still flows. */
  cutOneWay(from: string, to: string): void {
    const [a, b] = from < to ? [from, to] : [to, from];
    const proxy = this.proxies.get(`${a}|${b}`)!;
    proxy.set(from === a ? { forward: 'drop' } : { backward: 'drop' });
  }

  healNetwork(): void {
    for (const proxy of this.proxies.values()) proxy.set({ forward: 'pass', backward: 'pass', delayMs: 0 });
  }

  async stop(): Promise<void> {
    const exits = [...this.processes.entries()].map(([id, child]) => new Promise<void>((resolve) => {
      if (this.paused.has(id)) child.kill('SIGCONT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    }));
    await Promise.all(exits);
    this.processes.clear();
    await Promise.all([...this.proxies.values()].map((p) => p.close()));
    await Promise.all([...this.logs.values()].map((log) => new Promise((resolve) => log.end(resolve))));
  }

  private node(id: string): ChaosNode {
    const node = this.nodes.find((n) => n.id === id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  /** Node X reaches a larger id Y through the proxy of the pair; smaller ids dial X themselves. */
  private peersFor(id: string): string {
    return this.nodes.map((n) => {
      if (n.id === id) return `${n.id}=${n.peer}`;
      const proxy = id < n.id ? this.proxies.get(`${id}|${n.id}`)! : undefined;
      return `${n.id}=${proxy?.address ?? n.peer}`;
    }).join(',');
  }

  private launch(id: string): void {
    const node = this.node(id);
    const command = this.options.command ?? [...process.execArgv, process.argv[1]!];
    const args = [
      ...command, 'start', '--id', id, '--listen', node.peer, '--http', node.http, '--peers', this.peersFor(id), '--data', node.data,
      '--log-level', 'info', ...(this.joining.has(id) ? ['--join'] : []), ...(this.options.extraArgs ?? []),
    ];
    this.joining.delete(id);
    let log = this.logs.get(id);
    if (log === undefined) {
      log = createWriteStream(join(this.options.dir, `node-${id}.log`), { flags: 'a' });
      this.logs.set(id, log);
    }
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KEEL_LOG_PRETTY: '0' } });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    child.on('exit', () => {
      if (this.processes.get(id) === child) {
        this.processes.delete(id);
        this.paused.delete(id);
      }
    });
    this.processes.set(id, child);
  }
}
