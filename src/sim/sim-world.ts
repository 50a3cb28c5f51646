/**
 * One seeded run of a whole cluster on virtual time: nodes, network, a workload, a fault schedule,
 * continuous invariant checks, then heal and the workload's own checks: for `kv`, a liveness
 * check, final reads and the linearizability check; for `tasks` (task-workload.ts), the
 * exactly-once checker. Same seed + same code = same run, event for event.
 */
import { checkHistory, type HistoryOp } from '../check/index.js';
import { seededRandom } from '../core/prng.js';
import type { KvCommand } from '../kv/index.js';
import type { Random } from '../ports/random.js';
import type { Membership, NodeId } from '../raft/types.js';
import { EventQueue } from './event-queue.js';
import type { FaultKind } from './faults.js';
import { Figure8Nemesis } from './figure8-nemesis.js';
import { InvariantChecker, type Violation } from './invariants.js';
import { SimClient } from './sim-client.js';
import { SimNetwork } from './sim-network.js';
import { SimNode, type ClientReply } from './sim-node.js';
import { TaskWorkload, type TaskWorkloadSummary } from './task-workload.js';

export type Workload = 'kv' | 'tasks';
export const workloads: readonly Workload[] = ['kv', 'tasks'];

export interface SimOptions {
  readonly seed: number;
  readonly nodes: number;
  readonly faults: ReadonlySet<FaultKind>;
  /** `kv` (default): KV clients, checked for linearizability; `tasks`: jobs, workers, the exactly-once checker. */
  readonly workload?: Workload;
  readonly durationMs?: number;
  readonly clients?: number;
  /** Collect a readable event trace (for replaying one seed). */
  readonly trace?: boolean;
}

export interface SimResult {
  readonly seed: number;
  readonly violations: readonly Violation[];
  readonly ops: number;
  readonly okOps: number;
  readonly simulatedMs: number;
  readonly faultsInjected: number;
  readonly history: readonly HistoryOp[];
  readonly trace: readonly string[];
  readonly linearizable: 'linearizable' | 'not-linearizable' | 'unknown';
  /** The `tasks` workload's outcome: the exactly-once report and the task history. */
  readonly tasks?: TaskWorkloadSummary;
}

const TICK_MS = 10;
const LIVENESS_BOUND_MS = 5_000;
/** Events at one virtual instant beyond which a run is stuck (the tasks workload's loop guard). */
const SAME_TIME_EVENTS_MAX = 100_000;

export async function runSeed(options: SimOptions): Promise<SimResult> {
  const world = new SimWorld(options);
  return world.run();
}

class SimWorld {
  private readonly queue = new EventQueue();
  private readonly random: Random;
  private readonly network: SimNetwork;
  private readonly nodes: SimNode[] = [];
  private readonly byId = new Map<NodeId, SimNode>();
  private readonly checker: InvariantChecker;
  private readonly history: HistoryOp[] = [];
  private readonly traceLines: string[] = [];
  private readonly clients: SimClient[] = [];
  private readonly durationMs: number;
  private readonly healAtMs: number;
  private readonly stopIssuingAtMs: number;
  private logicalClients = 0;
  private faultsInjected = 0;
  private keysUsed = new Set<string>();
  private opsIssued = 0;
  private firstWriteAfterHealMs: number | undefined;
  private removed: NodeId | undefined;
  private readonly damaged = new Set<NodeId>();
  private figure8: Figure8Nemesis | undefined;
  private tasks: TaskWorkload | undefined;

  constructor(private readonly options: SimOptions) {
    (globalThis as Record<string, unknown>).__simWorld = this;
    this.random = seededRandom(options.seed);
    this.network = new SimNetwork(this.queue, seededRandom(options.seed ^ 0x5eed));
    this.checker = new InvariantChecker(() => this.queue.nowMs);
    this.durationMs = options.durationMs ?? 20_000;
    this.healAtMs = Math.round(this.durationMs * 0.7);
    this.stopIssuingAtMs = this.durationMs - 1_500;
    const ids = Array.from({ length: options.nodes }, (_, i) => `n${i + 1}`);
    const membership: Membership = { voters: ids, learners: [] };
    for (const id of ids) {
      const node = new SimNode(id, this.host(), seededRandom(options.seed * 31 + ids.indexOf(id) + 7), { snapshotEveryEntries: 300, segmentSizeBytes: 64 * 1024, tickMs: TICK_MS }, membership);
      this.nodes.push(node);
      this.byId.set(id, node);
    }
  }

  async run(): Promise<SimResult> {
    for (const node of this.nodes) node.boot();
    for (const node of this.nodes) this.scheduleTicks(node, this.skewFor());
    this.scheduleFaults();
    if (this.options.workload === 'tasks') return this.runTasks();
    const clientCount = this.options.clients ?? 8;
    for (let i = 0; i < clientCount; i++) {
      const client = new SimClient(this.clientHost(), `client${i}`, 1_000);
      this.clients.push(client);
      client.start();
    }
    this.queue.at(this.healAtMs, () => this.healEverything());
    this.queue.at(this.durationMs - 1_000, () => this.finalReads());
    await this.loop(this.durationMs);
    if (this.firstWriteAfterHealMs === undefined || this.firstWriteAfterHealMs - this.healAtMs > LIVENESS_BOUND_MS) {
      this.checker.fail('liveness', `no write committed within ${LIVENESS_BOUND_MS} ms of healing at ${this.healAtMs} ms (first: ${this.firstWriteAfterHealMs ?? 'none'})`);
    }
    this.checkFinalDigests();
    const lin = checkHistory(this.history);
    if (lin.status === 'not-linearizable') {
      const bad = lin.keys.filter((k) => k.status === 'illegal').map((k) => k.key);
      this.checker.fail('linearizability', `history not linearizable on key(s) ${bad.join(', ')}`);
    }
    return {
      seed: this.options.seed, violations: this.checker.violations, ops: this.history.length,
      okOps: this.history.filter((o) => o.status === 'ok').length, simulatedMs: this.queue.nowMs,
      faultsInjected: this.faultsInjected + (this.figure8?.injected ?? 0), history: this.history, trace: this.traceLines, linearizable: lin.status,
    };
  }

  private async runTasks(): Promise<SimResult> {
    const tasks = new TaskWorkload({
      seed: this.options.seed, queue: this.queue, network: this.network, nodes: this.nodes, faults: this.options.faults,
      faultStartMs: 1_000, faultEndMs: this.healAtMs - 1_500, lastSubmitMs: Math.round(this.durationMs * 0.45),
      trace: (line) => this.trace(line), countFault: () => { this.faultsInjected += 1; },
    });
    this.tasks = tasks;
    tasks.start();
    this.queue.at(this.healAtMs, () => this.healEverything());
    // A bug that reschedules work at the same instant forever would hang the run: report it instead.
    let lastMs = -1;
    let sameTimeEvents = 0;
    await this.loop(this.durationMs, () => {
      sameTimeEvents = this.queue.nowMs === lastMs ? sameTimeEvents + 1 : 0;
      lastMs = this.queue.nowMs;
      if (sameTimeEvents <= SAME_TIME_EVENTS_MAX) return tasks.done;
      this.checker.fail('progress', `more than ${SAME_TIME_EVENTS_MAX} events at ${lastMs.toFixed(3)} ms: virtual time stopped moving`);
      return true;
    });
    this.checkFinalDigests();
    const summary = tasks.finish();
    for (const v of summary.report.violations) this.checker.fail('exactly-once', `${v.property}: ${v.message}`);
    return {
      seed: this.options.seed, violations: this.checker.violations, ops: summary.history.log.length, okOps: summary.report.committed,
      simulatedMs: this.queue.nowMs, faultsInjected: this.faultsInjected + (this.figure8?.injected ?? 0), history: [], trace: this.traceLines,
      linearizable: 'linearizable', tasks: summary,
    };
  }

  private async loop(untilMs: number, stop?: () => boolean): Promise<void> {
    for (let event = this.queue.pop(); event !== undefined && event.atMs <= untilMs; event = this.queue.pop()) {
      event.run();
      await this.quiesce();
      for (const node of this.nodes) node.observe();
      if (stop?.() === true) return;
    }
  }

  private async quiesce(): Promise<void> {
    // Storage I/O on the simulated disk completes in microtasks: wait for every process to settle
    // before the next event, so that the order of everything is fixed by the seed alone.
    for (;;) {
      const busy = this.nodes.find((n) => n.busy);
      if (busy === undefined) return;
      await busy.idle();
    }
  }

  private trace(line: string): void {
    if (this.options.trace) this.traceLines.push(`${this.queue.nowMs.toFixed(3).padStart(10)} ${line}`);
  }

  private host() {
    return {
      now: () => this.queue.nowMs,
      send: (from: NodeId, message: Parameters<SimNode['deliver']>[0]) => {
        if (message.kind === 'voteResp' && message.granted && !message.preVote) this.checker.observeVoteGranted(from, message.term, message.to);
        if (message.kind === 'vote' && !message.preVote) this.checker.observeVoteGranted(from, message.term, from);
        if (this.figure8?.drops(from, message)) return;
        this.network.send(from, message.to, () => {
          this.trace(`${message.from}->${message.to} ${message.kind} t${message.term}${describeMessage(message)}`);
          this.byId.get(message.to)?.deliver(message);
        });
      },
      onLeader: (node: SimNode) => {
        this.trace(`${node.id} leads term ${node.raft!.currentTerm}`);
        this.checker.observeLeader(node.id, node.raft!.currentTerm, node.raft!);
        this.figure8?.onLeader(node.id, node.raft!.currentTerm);
        this.tasks?.onLeader(node);
      },
      onApplied: (node: NodeId, entry: Parameters<InvariantChecker['observeApplied']>[1], digest: () => string, result: Uint8Array) => {
        this.checker.observeApplied(node, entry, digest);
        this.tasks?.onApplied(node, entry, result);
      },
      violation: (invariant: string, message: string) => this.checker.fail(invariant, message),
      onBoot: (node: NodeId, term: number, vote: NodeId | undefined) => this.checker.observeBoot(node, term, vote),
      trace: (line: string) => this.trace(line),
      onProcessDied: (node: SimNode) => {
        this.queue.after(200 + this.random.int(800), () => node.boot());
      },
    };
  }

  private clientHost() {
    return {
      now: () => this.queue.nowMs,
      random: this.random,
      nodeIds: this.nodes.map((n) => n.id),
      stopIssuingAtMs: this.stopIssuingAtMs,
      request: (endpoint: string, nodeId: NodeId, command: KvCommand, session: { clientId: string; seq: number } | undefined, reply: (r: ClientReply) => void) => {
        this.opsIssued += 1;
        // Client links drop and delay but never duplicate: a client's own retries (same session) model that.
        this.network.send(endpoint, nodeId, () => {
          this.byId.get(nodeId)?.handleClient(command, session, (r) => this.network.send(nodeId, endpoint, () => reply(r), false));
        }, false);
      },
      schedule: (delayMs: number, run: () => void) => this.queue.after(delayMs, run),
      record: (op: HistoryOp) => {
        this.history.push(op);
        if (op.status === 'ok' && op.op !== 'get' && this.queue.nowMs >= this.healAtMs && this.firstWriteAfterHealMs === undefined) this.firstWriteAfterHealMs = this.queue.nowMs;
      },
      nextLogicalClient: () => this.logicalClients++,
      keyFor: (random: Random) => {
        const generation = Math.floor(this.opsIssued / 150);
        const key = `k${generation}-${random.int(3)}`;
        this.keysUsed.add(key);
        return key;
      },
    };
  }

  private skewFor(): number {
    return this.options.faults.has('skew') ? 1 + (this.random.next() - 0.5) * 0.4 : 1;
  }

  private scheduleTicks(node: SimNode, skew: number): void {
    const interval = TICK_MS * skew;
    const tick = (): void => {
      node.tick();
      this.queue.after(interval, tick);
    };
    this.queue.after(this.random.next() * interval, tick);
  }

  // ------------------------------------------------------------ faults

  private scheduleFaults(): void {
    const f = this.options.faults;
    const start = 1_000;
    const end = this.healAtMs - 500;
    const window = (): [number, number] => {
      const at = start + this.random.next() * (end - start);
      return [at, Math.min(end, at + 300 + this.random.next() * 2_500)];
    };
    if (f.has('drop') || f.has('duplicate') || f.has('delay')) {
      this.queue.at(start, () => {
        this.network.faults = {
          dropRate: f.has('drop') ? this.random.next() * 0.1 : 0,
          duplicateRate: f.has('duplicate') ? this.random.next() * 0.05 : 0,
          latencyMs: 1,
          jitterMs: f.has('delay') ? 5 + this.random.next() * 40 : 1,
        };
        this.faultsInjected += 1;
        this.trace(`network faults ${JSON.stringify(this.network.faults)}`);
      });
    }
    if (f.has('partition')) for (let i = 0; i < 2 + this.random.int(3); i++) this.partitionEpisode(...window());
    if (f.has('crash')) for (let i = 0; i < 1 + this.random.int(3); i++) this.crashEpisode(...window(), f.has('bitflip'));
    if (f.has('churn')) {
      for (let at = start; at < end; at += 150 + this.random.int(350)) {
        this.queue.at(at, () => {
          const victim = this.random.next() < 0.5 ? (this.leader() ?? this.pick()) : this.pick();
          if (!victim.up) return;
          victim.crash('random');
          this.faultsInjected += 1;
          this.trace(`${victim.id} crashed (churn)`);
          this.queue.after(20 + this.random.int(200), () => victim.boot());
        });
      }
    }
    if (f.has('fsync')) {
      const [at] = window();
      this.queue.at(at, () => {
        const node = this.pick();
        node.disk.injectSyncError(/\.wal$/);
        this.faultsInjected += 1;
        this.trace(`${node.id} next WAL fsync fails with EIO`);
      });
    }
    if (f.has('figure8')) this.startFigure8(start, end);
    if (f.has('transfer')) for (let i = 0; i < 1 + this.random.int(3); i++) this.queue.at(window()[0], () => this.transferLeader());
    // A removal must leave at least three voters, or one more fault leaves no quorum at all.
    if (f.has('membership') && this.nodes.length >= 5) this.membershipEpisode(...window());
  }

  private startFigure8(start: number, end: number): void {
    this.figure8 = new Figure8Nemesis({
      nodeIds: this.nodes.map((n) => n.id),
      leader: () => this.leader()?.id,
      at: (atMs, run) => this.queue.at(atMs, run),
      after: (delayMs, run) => this.queue.after(delayMs, run),
      partition: (groups) => this.network.partition(groups),
      healAll: () => this.network.healAll(),
      crash: (id) => this.byId.get(id)!.crash('keep'),
      boot: (id) => {
        const node = this.byId.get(id)!;
        if (!node.up) node.boot();
      },
      trace: (line) => this.trace(line),
    });
    this.figure8.schedule(start + this.random.next() * 1_000, end);
  }

  private pick(): SimNode {
    return this.nodes[this.random.int(this.nodes.length)]!;
  }

  private leader(): SimNode | undefined {
    return this.nodes.filter((n) => n.raft?.isLeader).sort((a, b) => b.raft!.currentTerm - a.raft!.currentTerm)[0];
  }

  private partitionEpisode(at: number, until: number): void {
    this.queue.at(at, () => {
      const ids = this.nodes.map((n) => n.id);
      const unique = [...ids];
      for (let i = unique.length - 1; i > 0; i--) {
        const j = this.random.int(i + 1);
        [unique[i], unique[j]] = [unique[j]!, unique[i]!];
      }
      const kind = this.random.int(4);
      const cut = 1 + this.random.int(Math.max(1, ids.length - 1));
      const a = unique.slice(0, cut);
      const b = unique.slice(cut);
      if (kind === 0) {
        this.network.partition([a, b]);
        this.trace(`partition ${a.join(',')} | ${b.join(',')}`);
      } else if (kind === 1) {
        const leader = this.leader()?.id ?? a[0]!;
        this.network.partition([[leader], ids.filter((id) => id !== leader)]);
        this.trace(`isolate leader ${leader}`);
      } else if (kind === 2 && b.length >= 2) {
        const bridge = b[0]!;
        this.network.partition([a, b.slice(1)]);
        this.trace(`bridge ${bridge} between ${a.join(',')} and ${b.slice(1).join(',')}`);
      } else {
        for (const x of a) for (const y of b) this.network.cutOneWay(x, y);
        this.trace(`asymmetric ${a.join(',')} -/-> ${b.join(',')}`);
      }
      this.faultsInjected += 1;
    });
    this.queue.at(until, () => {
      this.network.healAll();
      this.trace('partition healed');
    });
  }

  private crashEpisode(at: number, until: number, bitflips: boolean): void {
    let victim: SimNode | undefined;
    this.queue.at(at, () => {
      victim = this.random.next() < 0.4 ? (this.leader() ?? this.pick()) : this.pick();
      if (!victim.up) return;
      victim.crash('random');
      this.faultsInjected += 1;
      this.trace(`${victim.id} crashed (power loss)`);
    });
    this.queue.at(until, () => {
      if (victim === undefined || victim.up) return;
      if (bitflips && this.random.next() < 0.5) this.flipABit(victim);
      victim.boot();
      this.trace(`${victim.id} restarting`);
    });
  }

  private flipABit(node: SimNode): void {
    // A damaged node may not vote until it has caught up (protocol-aware recovery). If a majority
    // were damaged at once no leader could ever be elected: keep damage to a minority of voters.
    const votersMin = this.nodes.length - (this.options.faults.has('membership') && this.nodes.length >= 5 ? 1 : 0);
    const damagedMax = Math.floor((votersMin - 1) / 2);
    if (!this.damaged.has(node.id) && this.damaged.size >= damagedMax) return;
    this.damaged.add(node.id);
    const files = ['/keel/wal', '/keel/checkpoints'].flatMap((dir) => node.disk.listNames(dir).map((name) => `${dir}/${name}`));
    if (files.length === 0) return;
    const file = files[this.random.int(files.length)]!;
    const [offset] = node.disk.flipRandomBits(file, 1);
    this.faultsInjected += 1;
    this.trace(`${node.id} bit flip in ${file} at byte ${offset}`);
  }

  private transferLeader(): void {
    const leader = this.leader();
    if (leader === undefined) return;
    const voters = leader.raft!.membership.voters.filter((v) => v !== leader.id);
    if (voters.length === 0) return;
    const target = voters[this.random.int(voters.length)]!;
    leader.raft!.transferLeadership(target);
    leader.driver?.kick();
    this.faultsInjected += 1;
    this.trace(`transfer leadership ${leader.id} -> ${target}`);
  }

  private membershipEpisode(at: number, until: number): void {
    const retry = (what: string, attempt: () => boolean, deadline: number): void => {
      if (attempt() || this.queue.nowMs > deadline) return;
      this.queue.after(100, () => retry(what, attempt, deadline));
    };
    this.queue.at(at, () => {
      retry('remove', () => {
        const leader = this.leader();
        if (leader === undefined) return false;
        const candidates = leader.raft!.membership.voters.filter((v) => v !== leader.id);
        if (candidates.length < 2) return true;
        const victim = candidates[this.random.int(candidates.length)]!;
        const result = leader.raft!.proposeMembership({ kind: 'remove', id: victim });
        leader.driver?.kick();
        if (result.ok) {
          this.removed = victim;
          this.faultsInjected += 1;
          this.trace(`membership: remove ${victim}`);
        }
        return result.ok;
      }, until);
    });
    this.queue.at(until, () => {
      const removed = this.removed;
      if (removed === undefined) return;
      const node = this.byId.get(removed)!;
      node.wipe({ voters: [], learners: [removed] });
      this.checker.forgetVotesOf(removed);
      node.boot();
      this.trace(`membership: ${removed} wiped, rejoining as a learner`);
      retry('add', () => {
        const leader = this.leader();
        if (leader === undefined || leader.id === removed) return false;
        const result = leader.raft!.proposeMembership({ kind: 'addLearner', id: removed });
        leader.driver?.kick();
        return result.ok || result.message.includes('already');
      }, this.healAtMs + 3_000);
      this.queue.after(1_000, () => retry('promote', () => {
        const leader = this.leader();
        if (leader === undefined) return false;
        if (leader.raft!.membership.voters.includes(removed)) return true;
        const result = leader.raft!.proposeMembership({ kind: 'promote', id: removed });
        leader.driver?.kick();
        if (result.ok) this.trace(`membership: promote ${removed}`);
        return result.ok;
      }, this.durationMs));
    });
  }

  private healEverything(): void {
    this.network.healAll();
    this.network.faults = { dropRate: 0, duplicateRate: 0, latencyMs: 1, jitterMs: 1 };
    for (const node of this.nodes) if (!node.up) node.boot();
    this.tasks?.heal();
    this.trace('heal: network calm, every node up');
  }

  private finalReads(): void {
    // Every key ever written, read once more: an acknowledged write lost in recovery shows up here.
    const reader = new SimClient(this.clientHost(), 'final-reader', 900);
    const keys = [...this.keysUsed].sort();
    const next = (): void => {
      const key = keys.shift();
      if (key !== undefined) reader.issue({ kind: 'get', key }, next);
    };
    next();
  }

  private checkFinalDigests(): void {
    const up = this.nodes.filter((n) => n.up && n.raft !== undefined);
    const byIndex = new Map<number, { id: NodeId; digest: string }>();
    for (const node of up) {
      const index = node.raft!.log.applied;
      const digest = node.driver!.stateMachine.digest();
      const seen = byIndex.get(index);
      if (seen === undefined) byIndex.set(index, { id: node.id, digest });
      else if (seen.digest !== digest) this.checker.fail('state-digest', `at applied index ${index}: ${seen.id} has ${seen.digest}, ${node.id} has ${digest}`);
    }
  }
}

function describeMessage(m: Parameters<SimNode['deliver']>[0]): string {
  switch (m.kind) {
    case 'append': return ` prev=${m.prevIndex}/${m.prevTerm} n=${m.entries.length} commit=${m.commit}`;
    case 'appendResp': return ` ${m.success ? 'ok' : 'reject'} index=${m.index} hint=${m.hintIndex}/${m.hintTerm}${m.recovering ? ' recovering' : ''}`;
    case 'vote': return ` ${m.preVote ? 'pre' : ''}vote last=${m.lastIndex}/${m.lastTerm}`;
    case 'voteResp': return ` ${m.preVote ? 'pre' : ''}${m.granted ? 'granted' : 'rejected'}`;
    case 'snapshot': return ` index=${m.meta.index} offset=${m.offset}/${m.totalBytes}`;
    case 'snapshotResp': return ` index=${m.index} next=${m.nextOffset}${m.done ? ' done' : ''}`;
    case 'heartbeat': return ` commit=${m.commit}${m.context ? ` ctx=${m.context}` : ''}`;
    case 'heartbeatResp': return m.context ? ` ctx=${m.context}` : '';
    case 'readIndex': case 'readIndexResp': case 'timeoutNow': return '';
  }
}
