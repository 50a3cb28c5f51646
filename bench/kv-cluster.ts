/**
 * What `bench:kv` needs from a 3-member cluster, Keel or etcd: its members (process + HTTP
 * endpoint), a put and a linearizable get over HTTP, which leader each member sees, and a restart.
 * Also the leader-failover trial, which is the same for both systems.
 */
import type { HttpEndpoint } from './kv-http.js';
import { sleep, type ManagedProcess } from './kv-procs.js';

export type SystemName = 'keel' | 'etcd';

export interface Member {
  /** The id the system itself uses for the member (Keel: n1; etcd: its member id, once known). */
  id: string;
  readonly name: string;
  proc: ManagedProcess;
  endpoint: HttpEndpoint;
}

export interface KvCluster {
  readonly system: SystemName;
  readonly members: readonly Member[];
  /** Facts for the report: version, configuration, how requests are routed. */
  describe(): Record<string, unknown>;
  /** Rejects unless the server acknowledged the write (2xx). */
  put(endpoint: HttpEndpoint, key: string, value: string, timeoutMs?: number): Promise<void>;
  /** A linearizable read; rejects unless the key was found. */
  get(endpoint: HttpEndpoint, key: string): Promise<string>;
  /** The leader id this member reports right now, or null (no leader known, or no answer). */
  leaderSeenBy(member: Member, timeoutMs: number): Promise<string | null>;
  /** Until every live member answers, agrees on one leader and is ready to serve; returns that leader. */
  waitReady(timeoutMs: number): Promise<Member>;
  /** SIGKILL. */
  kill(member: Member): Promise<void>;
  /** Starts a killed member again on its data directory (same flags). */
  restart(member: Member): Promise<void>;
  /** PIDs of the live server processes (for CPU accounting). */
  pids(): number[];
}

/** Polls `probe` every `everyMs` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, everyMs = 50): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (performance.now() > deadline) {
      const detail = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await sleep(everyMs);
  }
}

export interface FailoverTrial {
  readonly killed: string;
  readonly newLeader: string;
  /** SIGKILL of the leader -> a surviving member first reports a new leader. */
  readonly electedMs: number;
  /** SIGKILL of the leader -> first write acknowledged by the new leader. */
  readonly writableMs: number;
}

const pollEveryMs = 5;
const failoverTimeoutMs = 30_000;

/**
 * SIGKILLs the leader of a settled, idle cluster; times how long until a survivor reports another
 * leader (polling every survivor every 5 ms), then until a write through that leader succeeds;
 * then restarts the killed member and waits for the cluster to settle again (not timed).
 */
export async function failoverTrial(cluster: KvCluster, key: string, value: string): Promise<FailoverTrial> {
  const leader = await cluster.waitReady(60_000);
  const survivors = cluster.members.filter((m) => m !== leader);
  const start = performance.now();
  await cluster.kill(leader);
  let newLeader: Member | undefined;
  let electedMs = Number.NaN;
  while (newLeader === undefined) {
    const seen = await Promise.all(survivors.map((m) => cluster.leaderSeenBy(m, 250)));
    const id = seen.find((s) => s !== null && s !== leader.id);
    if (id !== undefined && id !== null) {
      electedMs = performance.now() - start;
      newLeader = survivors.find((m) => m.id === id);
      if (newLeader === undefined) throw new Error(`${cluster.system}: new leader ${id} is not a survivor`);
      break;
    }
    if (performance.now() - start > failoverTimeoutMs) throw new Error(`${cluster.system}: no new leader ${failoverTimeoutMs} ms after killing ${leader.name}`);
    await sleep(pollEveryMs);
  }
  let writableMs: number;
  for (;;) {
    try {
      await cluster.put(newLeader.endpoint, key, value, 1_000);
      writableMs = performance.now() - start;
      break;
    } catch {
      if (performance.now() - start > failoverTimeoutMs) throw new Error(`${cluster.system}: no write accepted ${failoverTimeoutMs} ms after killing ${leader.name}`);
      await sleep(pollEveryMs);
    }
  }
  await cluster.restart(leader);
  await cluster.waitReady(60_000);
  return { killed: leader.name, newLeader: newLeader.name, electedMs, writableMs };
}

/**
 * Polls every live member's view of the leader until they all name the same live member, which
 * it returns; on time-out the error carries the cluster's log tails (`logs`).
 */
export async function waitForAgreedLeader(
  system: SystemName, members: readonly Member[], timeoutMs: number, what: string,
  viewOf: (member: Member) => Promise<string | null>, logs: () => string,
): Promise<Member> {
  const live = members.filter((m) => m.proc.isAlive());
  try {
    const leaderId = await waitFor(`${system}: ${what}`, timeoutMs, async () => {
      const answers = await Promise.all(live.map(viewOf));
      const first = answers[0];
      return typeof first === 'string' && answers.every((a) => a === first) ? first : undefined;
    }, 100);
    const leader = members.find((m) => m.id === leaderId);
    if (leader === undefined || !leader.proc.isAlive()) throw new Error(`${system}: leader ${leaderId} is not a live member`);
    return leader;
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${logs()}`, { cause: error });
  }
}
