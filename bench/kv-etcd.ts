/**
 * A real 3-member etcd cluster for `bench:kv`: three `etcd` processes on free loopback ports, each
 * with its own data directory in the run's directory, default configuration (WAL fsync on every
 * Raft batch, heartbeat 100 ms, election timeout 1000 ms), driven through etcd's v3 JSON gateway.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { KvCluster, Member } from './kv-cluster.js';
import { waitForAgreedLeader } from './kv-cluster.js';
import { HttpEndpoint, HttpError } from './kv-http.js';
import { freePorts, logTail, type BenchRun, type ManagedProcess } from './kv-procs.js';

interface MemberSpec {
  readonly name: string;
  readonly peerPort: number;
  readonly clientPort: number;
  readonly data: string;
}

interface StatusResponse {
  readonly header?: { readonly member_id?: string };
  readonly leader?: string;
}

/**
 * `setpriv --pdeathsig KILL` (util-linux) when available: it execs etcd (same PID) with the parent
 * death signal set, so the members die with this process even if it is SIGKILLed.
 */
const deathSignalWrapper: readonly string[] = (() => {
  try {
    execFileSync('setpriv', ['--pdeathsig', 'KILL', 'true'], { stdio: 'ignore', timeout: 5_000 });
    return ['setpriv', '--pdeathsig', 'KILL'];
  } catch {
    return []; // not Linux or no util-linux: the next run stops leftovers by PID instead
  }
})();

/** `etcd --version` (first line), or undefined when etcd is not on PATH. */
export function etcdVersion(): string | undefined {
  try {
    return execFileSync('etcd', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).split('\n')[0]!.trim();
  } catch {
    return undefined; // not installed
  }
}

const json = { 'content-type': 'application/json' };

function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

export class EtcdCluster implements KvCluster {
  readonly system = 'etcd' as const;

  private constructor(
    private readonly run: BenchRun,
    private readonly specs: readonly MemberSpec[],
    private readonly version: string,
    readonly members: Member[],
  ) {}

  static async start(run: BenchRun, version: string): Promise<EtcdCluster> {
    const ports = await freePorts(6);
    const specs = ['e1', 'e2', 'e3'].map((name, i) => ({ name, peerPort: ports[i]!, clientPort: ports[3 + i]!, data: join(run.dir, `etcd-${name}`) }));
    const cluster = new EtcdCluster(run, specs, version, []);
    for (const spec of specs) {
      // The id is etcd's member id, learnt from the member itself in waitReady.
      cluster.members.push({ id: '', name: spec.name, proc: await cluster.spawn(spec), endpoint: new HttpEndpoint('127.0.0.1', spec.clientPort) });
    }
    return cluster;
  }

  private spawn(spec: MemberSpec): Promise<ManagedProcess> {
    const initialCluster = this.specs.map((s) => `${s.name}=http://127.0.0.1:${s.peerPort}`).join(',');
    const env: NodeJS.ProcessEnv = {};
    for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('ETCD')) env[name] = value;
    return this.run.spawn({
      name: `etcd-${spec.name}`,
      command: deathSignalWrapper[0] ?? 'etcd',
      args: [
        ...deathSignalWrapper.slice(1), ...(deathSignalWrapper.length > 0 ? ['etcd'] : []), '--name', spec.name, '--data-dir', spec.data,
        '--listen-client-urls', `http://127.0.0.1:${spec.clientPort}`, '--advertise-client-urls', `http://127.0.0.1:${spec.clientPort}`,
        '--listen-peer-urls', `http://127.0.0.1:${spec.peerPort}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${spec.peerPort}`,
        '--initial-cluster', initialCluster, '--initial-cluster-token', `keel-kv-bench-${process.pid}`, '--initial-cluster-state', 'new',
        '--logger', 'zap', '--log-level', 'warn',
      ],
      cwd: this.run.dir,
      env,
      stdinPipe: false,
    });
  }

  describe(): Record<string, unknown> {
    return {
      version: this.version,
      nodes: this.members.length,
      command: 'etcd --name eX --data-dir DIR --listen-client-urls http://127.0.0.1:C --listen-peer-urls http://127.0.0.1:P --initial-cluster ... --initial-cluster-state new --logger zap --log-level warn',
      config: { fsync: 'WAL fdatasync per Raft batch (default; --unsafe-no-fsync not set)', heartbeatMs: 100, electionTimeoutMs: 1000, snapshotCount: 100_000, note: 'etcd defaults' },
      writes: 'POST /v3/kv/put {key, value} (base64), v3 JSON gateway',
      reads: 'POST /v3/kv/range {key} (base64; linearizable, the default)',
      leaderProbe: 'POST /v3/maintenance/status (the RPC behind `etcdctl endpoint status`)',
    };
  }

  async put(endpoint: HttpEndpoint, key: string, value: string, timeoutMs?: number): Promise<void> {
    const res = await endpoint.call('POST', '/v3/kv/put', JSON.stringify({ key: b64(key), value: b64(value) }), json, timeoutMs);
    if (res.status !== 200) throw new HttpError(res.status, res.body, `etcd put ${key}`);
  }

  async get(endpoint: HttpEndpoint, key: string): Promise<string> {
    const res = await endpoint.call('POST', '/v3/kv/range', JSON.stringify({ key: b64(key) }), json);
    // A missing key is a 200 without "kvs".
    if (res.status !== 200 || !res.body.includes('"kvs"')) throw new HttpError(res.status, res.body, `etcd range ${key}`);
    return res.body;
  }

  /** The decoded value of a range answer (for the set-up check). */
  static valueOf(rangeBody: string): string | undefined {
    const parsed = JSON.parse(rangeBody) as { kvs?: { value?: string }[] };
    const value = parsed.kvs?.[0]?.value;
    return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
  }

  private async status(member: Member, timeoutMs: number): Promise<StatusResponse> {
    const res = await member.endpoint.call('POST', '/v3/maintenance/status', '{}', json, timeoutMs);
    if (res.status !== 200) throw new HttpError(res.status, res.body, `etcd status ${member.name}`);
    return JSON.parse(res.body) as StatusResponse;
  }

  async leaderSeenBy(member: Member, timeoutMs: number): Promise<string | null> {
    try {
      const leader = (await this.status(member, timeoutMs)).leader;
      return leader === undefined || leader === '0' ? null : leader;
    } catch {
      return null; // no answer: it reports no leader
    }
  }

  waitReady(timeoutMs: number): Promise<Member> {
    return waitForAgreedLeader(this.system, this.members, timeoutMs, 'every member up, one leader', async (m) => {
      const status = await this.status(m, 1_000);
      if (status.header?.member_id !== undefined) m.id = status.header.member_id;
      return status.leader === undefined || status.leader === '0' ? null : status.leader;
    }, () => this.logs());
  }

  async kill(member: Member): Promise<void> {
    await this.run.kill(member.proc);
    member.endpoint.close();
  }

  async restart(member: Member): Promise<void> {
    const spec = this.specs.find((s) => s.name === member.name)!;
    member.endpoint.close();
    member.endpoint = new HttpEndpoint('127.0.0.1', spec.clientPort);
    member.proc = await this.spawn(spec); // an existing data dir: --initial-cluster-state is ignored
  }

  pids(): number[] {
    return this.members.filter((m) => m.proc.isAlive()).map((m) => m.proc.pid);
  }

  private logs(): string {
    return this.members.map((m) => `--- ${m.proc.name} (pid ${m.proc.pid}${m.proc.isAlive() ? '' : ', exited'}) ---\n${logTail(m.proc)}`).join('\n');
  }
}
