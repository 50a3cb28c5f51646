/**
 * A real 3-node Keel cluster for `bench:kv`: three `node --import tsx src/cli/main.ts start`
 * processes on free loopback ports, each with its own data directory in the run's directory,
 * default configuration (fsync always, 10 ms tick, heartbeat 5 ticks, election 15-30 ticks).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KvCluster, Member } from './kv-cluster.js';
import { waitForAgreedLeader } from './kv-cluster.js';
import { HttpEndpoint, HttpError } from './kv-http.js';
import { freePorts, logTail, type BenchRun, type ManagedProcess } from './kv-procs.js';

interface NodeSpec {
  readonly id: string;
  readonly label: string;
  readonly peerPort: number;
  readonly httpPort: number;
  readonly data: string;
}

export class KeelCluster implements KvCluster {
  readonly system = 'keel' as const;

  private constructor(
    private readonly run: BenchRun,
    private readonly projectRoot: string,
    private readonly specs: readonly NodeSpec[],
    private readonly nodeArgs: readonly string[],
    private readonly extraEnv: Readonly<Record<string, string>>,
    readonly members: Member[],
  ) {}

  /**
   * `nodeArgs`: extra Node flags (e.g. --cpu-prof). For experiments (the bench passes neither):
   * `env`, extra KEEL_* settings; `label`, the prefix of data directories and logs, so that two
   * clusters can share one run directory.
   */
  static async start(
    run: BenchRun, projectRoot: string, nodeArgs: readonly string[] = [], env: Readonly<Record<string, string>> = {}, label = 'keel',
  ): Promise<KeelCluster> {
    const ports = await freePorts(6);
    const specs = ['n1', 'n2', 'n3'].map((id, i) => ({ id, label, peerPort: ports[i]!, httpPort: ports[3 + i]!, data: join(run.dir, `${label}-${id}`) }));
    const cluster = new KeelCluster(run, projectRoot, specs, nodeArgs, env, []);
    for (const spec of specs) {
      cluster.members.push({ id: spec.id, name: spec.id, proc: await cluster.spawn(spec), endpoint: new HttpEndpoint('127.0.0.1', spec.httpPort) });
    }
    return cluster;
  }

  private spawn(spec: NodeSpec): Promise<ManagedProcess> {
    const peers = this.specs.map((s) => `${s.id}=127.0.0.1:${s.peerPort}`).join(',');
    const env: NodeJS.ProcessEnv = {};
    for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('KEEL_')) env[name] = value;
    // The node stops when its stdin closes: when this process dies, even by SIGKILL.
    env['KEEL_EXIT_WITH_PARENT'] = '1';
    Object.assign(env, this.extraEnv);
    return this.run.spawn({
      name: `${spec.label}-${spec.id}`,
      command: process.execPath,
      args: [
        '--import', 'tsx', ...this.nodeArgs, 'src/cli/main.ts', 'start', '--id', spec.id,
        '--listen', `127.0.0.1:${spec.peerPort}`, '--http', `127.0.0.1:${spec.httpPort}`, '--peers', peers,
        '--data', spec.data, '--log-level', 'warn',
      ],
      cwd: this.projectRoot,
      env,
      stdinPipe: true,
    });
  }

  describe(): Record<string, unknown> {
    const pkg = JSON.parse(readFileSync(join(this.projectRoot, 'package.json'), 'utf8')) as { version?: string };
    return {
      version: pkg.version ?? null,
      nodes: this.members.length,
      command: `node --import tsx ${this.nodeArgs.join(' ')}${this.nodeArgs.length > 0 ? ' ' : ''}src/cli/main.ts start --id nX --listen 127.0.0.1:P --http 127.0.0.1:H --peers ... --data DIR --log-level warn`,
      config: { fsync: 'always', tickMs: 10, heartbeatMs: 50, electionTimeoutMs: '150-300', snapshotEveryEntries: 10_000, note: 'defaults of src/server/config.ts' },
      writes: 'PUT /v1/kv/{key}, raw body, no Keel-Client-Id/Keel-Seq session headers',
      reads: 'GET /v1/kv/{key} (linearizable: ReadIndex)',
    };
  }

  async put(endpoint: HttpEndpoint, key: string, value: string, timeoutMs?: number): Promise<void> {
    const res = await endpoint.call('PUT', `/v1/kv/${key}`, value, { 'content-type': 'application/octet-stream' }, timeoutMs);
    if (res.status !== 200) throw new HttpError(res.status, res.body, `keel PUT ${key}`);
  }

  async get(endpoint: HttpEndpoint, key: string): Promise<string> {
    const res = await endpoint.call('GET', `/v1/kv/${key}`);
    if (res.status !== 200) throw new HttpError(res.status, res.body, `keel GET ${key}`);
    return res.body;
  }

  async leaderSeenBy(member: Member, timeoutMs: number): Promise<string | null> {
    try {
      const res = await member.endpoint.call('GET', '/healthz', undefined, {}, timeoutMs);
      const body = JSON.parse(res.body) as { leaderId?: string | null };
      return typeof body.leaderId === 'string' ? body.leaderId : null;
    } catch {
      return null; // no answer (killed, busy): it reports no leader
    }
  }

  waitReady(timeoutMs: number): Promise<Member> {
    return waitForAgreedLeader(this.system, this.members, timeoutMs, 'every node healthy, one leader', async (m) => {
      const res = await m.endpoint.call('GET', '/healthz', undefined, {}, 1_000);
      return res.status === 200 ? (JSON.parse(res.body) as { leaderId?: string | null }).leaderId ?? null : null;
    }, () => this.logs());
  }

  async kill(member: Member): Promise<void> {
    await this.run.kill(member.proc);
    member.endpoint.close();
  }

  async restart(member: Member): Promise<void> {
    const spec = this.specs.find((s) => s.id === member.id)!;
    member.endpoint.close();
    member.endpoint = new HttpEndpoint('127.0.0.1', spec.httpPort);
    member.proc = await this.spawn(spec);
  }

  pids(): number[] {
    return this.members.filter((m) => m.proc.isAlive()).map((m) => m.proc.pid);
  }

  private logs(): string {
    return this.members.map((m) => `--- ${m.proc.name} (pid ${m.proc.pid}${m.proc.isAlive() ? '' : ', exited'}) ---\n${logTail(m.proc)}`).join('\n');
  }
}
