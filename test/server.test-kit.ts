/** In-process clusters of real nodes (real disks, real TCP on loopback) for integration tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from '../src/runtime/free-ports.js';
import { loadConfig, type NodeConfig } from '../src/server/config.js';
import { silentLogger } from '../src/server/logger.js';
import { startNode, type RunningNode } from '../src/server/start.js';

export class TestCluster {
  readonly nodes = new Map<string, RunningNode>();
  private constructor(readonly dir: string, readonly configs: Map<string, NodeConfig>) {}

  static async start(count: number, overrides: Record<string, unknown> = {}): Promise<TestCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'keel-cluster-'));
    const ports = await freePorts(count * 2);
    const ids = Array.from({ length: count }, (_, i) => `n${i + 1}`);
    const peers = Object.fromEntries(ids.map((id, i) => [id, `127.0.0.1:${ports[i]}`]));
    const configs = new Map(ids.map((id, i) => [id, loadConfig({
      id, listen: peers[id], http: `127.0.0.1:${ports[count + i]}`, peers, data: join(dir, id), logLevel: 'silent', ...overrides,
    }, {})]));
    const cluster = new TestCluster(dir, configs);
    await Promise.all(ids.map((id) => cluster.startNode(id)));
    return cluster;
  }

  /** A new node that joins this cluster as a learner (an operator then adds it as a member). */
  async startJoiner(id: string): Promise<{ running: RunningNode; peer: string; http: string }> {
    const [peerPort, httpPort] = await freePorts(2);
    const peer = `127.0.0.1:${peerPort}`;
    const http = `127.0.0.1:${httpPort}`;
    const peers = Object.fromEntries([...this.configs.values()].map((c) => [c.id, c.listen]));
    peers[id] = peer;
    this.configs.set(id, loadConfig({ id, listen: peer, http, peers, data: join(this.dir, id), logLevel: 'silent', join: true }, {}));
    return { running: await this.startNode(id), peer, http };
  }

  async startNode(id: string): Promise<RunningNode> {
    const running = await startNode(this.configs.get(id)!, { logger: silentLogger, defaultMetrics: false });
    this.nodes.set(id, running);
    return running;
  }

  async stopNode(id: string, transferLeadership = false): Promise<void> {
    await this.nodes.get(id)?.stop({ transferLeadership });
    this.nodes.delete(id);
  }

  url(id: string, path: string): string {
    return `http://${this.configs.get(id)!.http}${path}`;
  }

  /** The leader once every running node agrees on it and it has held for 300 ms (start-up elections can flap). */
  async leader(timeoutMs = 10_000): Promise<string> {
    const until = Date.now() + timeoutMs;
    let candidate: string | undefined;
    let since = 0;
    for (;;) {
      const views = [...this.nodes.values()].map((n) => `${n.node.raft.leaderId ?? '-'}@${n.node.raft.currentTerm}`);
      const agreed = views.every((v) => v === views[0]) && !views[0]!.startsWith('-') ? views[0] : undefined;
      const leader = agreed === undefined ? undefined : agreed.split('@')[0]!;
      if (agreed !== candidate) {
        candidate = agreed;
        since = Date.now();
      } else if (leader !== undefined && Date.now() - since >= 300 && this.nodes.get(leader)?.node.serving.serving) {
        return leader;
      }
      if (Date.now() > until) throw new Error(`no stable leader: ${views.join(' ')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.nodes.keys()].map((id) => this.stopNode(id)));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function http(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any }> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    if (typeof body === 'string') init.body = body;
    else {
      init.body = JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] = 'application/json';
    }
  }
  const response = await fetch(url, init);
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: response.status, json };
}

export { freePorts };
