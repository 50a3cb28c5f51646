/** Real `keel start` and `keel worker` processes (from the sources, via tsx) for multi-process tests; stopped by PID. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeelClient } from '../src/client/index.js';
import { freePorts } from '../src/runtime/free-ports.js';

export interface NodeLayout { readonly id: string; readonly peer: string; readonly http: string; readonly data: string }

export class ProcessCluster {
  readonly nodes = new Map<string, ChildProcess>();
  readonly workers = new Map<string, ChildProcess>();
  private constructor(readonly dir: string, readonly layout: readonly NodeLayout[]) {}

  static async start(count = 3, nodeArgs: readonly string[] = []): Promise<ProcessCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'keel-proc-'));
    const ports = await freePorts(count * 2);
    const layout = Array.from({ length: count }, (_, i) => ({ id: `n${i + 1}`, peer: `127.0.0.1:${ports[i]}`, http: `127.0.0.1:${ports[count + i]}`, data: join(dir, `n${i + 1}`) }));
    const cluster = new ProcessCluster(dir, layout);
    for (const node of layout) cluster.startNode(node.id, nodeArgs);
    return cluster;
  }

  get endpoints(): string[] {
    return this.layout.map((n) => `http://${n.http}`);
  }

  startNode(id: string, extraArgs: readonly string[] = []): ChildProcess {
    const node = this.layout.find((n) => n.id === id)!;
    const peers = this.layout.map((n) => `${n.id}=${n.peer}`).join(',');
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'start', '--id', id, '--listen', node.peer, '--http', node.http, '--peers', peers, '--data', node.data, '--log-level', 'warn', ...extraArgs], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    this.nodes.set(id, child);
    return child;
  }

  startWorker(name: string, tasksPath: string, capacity: number): ChildProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'worker', '--tasks', tasksPath, '--join', this.endpoints.join(','), '--capacity', String(capacity), '--id', name, '--log-level', 'error'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    this.workers.set(name, child);
    return child;
  }

  /** The leader the cluster reports (not `exclude`), polling until one is elected. */
  async leader(exclude?: string, timeoutMs = 20_000): Promise<string> {
    const client = new KeelClient({ endpoints: this.endpoints, timeoutMs: 1_000, retries: 3 });
    const until = Date.now() + timeoutMs;
    for (;;) {
      try {
        const cluster = await client.cluster();
        if (cluster.leaderId !== null && cluster.leaderId !== exclude) return cluster.leaderId;
      } catch {
        // a node is starting or dying: ask again
      }
      if (Date.now() > until) throw new Error('no leader');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Waits until `count` workers are registered and up. */
  async workersUp(count: number, timeoutMs = 30_000): Promise<void> {
    const client = new KeelClient({ endpoints: this.endpoints, timeoutMs: 1_000, retries: 3 });
    const until = Date.now() + timeoutMs;
    for (;;) {
      try {
        if ((await client.workersList()).workers.filter((w) => w.status === 'up').length >= count) return;
      } catch {
        // not yet
      }
      if (Date.now() > until) throw new Error(`fewer than ${count} workers up`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  close(): void {
    for (const child of [...this.nodes.values(), ...this.workers.values()]) child.kill('SIGKILL');
    this.nodes.clear();
    this.workers.clear();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
