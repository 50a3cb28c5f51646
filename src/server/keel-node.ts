/**
 * One Keel node in a real process: the same raft core, driver and KV state machine as the
 * simulator, on a real disk, real sockets and the system clock. Everything the HTTP API needs
 * goes through `write` and `read`; they propose locally on the leader and forward otherwise.
 */
import { KeelError, describeError } from '../core/errors.js';
import { seededRandom } from '../core/prng.js';
import { KvStateMachine, decodeCommand, decodeResult, encodeCommand, encodeQuery, type KvEnvelope, type KvQuery, type KvResult } from '../kv/index.js';
import { CompositeStateMachine } from '../node/composite-state-machine.js';
import { NodeDriver } from '../node/driver.js';
import { RaftStorage } from '../node/raft-storage.js';
import type { Clock, Timers } from '../ports/clock.js';
import type { PeerTransport } from '../ports/transport.js';
import { RaftNode } from '../raft/raft.js';
import type { Entry, Membership, NodeId } from '../raft/types.js';
import { nodeFileSystem } from '../runtime/node-fs.js';
import {
  TaskStateMachine, decodeCommand as decodeTaskCommand, decodeResult as decodeTaskResult, encodeCommand as encodeTaskCommand,
  encodeQuery as encodeTaskQuery, type TaskCommand, type TaskQuery, type TaskQueryResult, type TaskResult,
} from '../tasks/index.js';
import type { NodeConfig } from './config.js';
import { DigestChecker } from './digest-check.js';
import type { Logger } from './logger.js';
import { timeStorage, type StorageObserver } from './storage-timing.js';
import { sleep, withTimeout } from './timeout.js';

export interface KeelNodeDeps {
  readonly config: NodeConfig;
  readonly transport: PeerTransport;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly logger: Logger;
  /** Seeds raft's election jitter; differs per process. */
  readonly seed: number;
}

export interface NodeEvents {
  onApplied?(entry: Entry, result: Uint8Array): void;
  /** An applied task-engine entry, its result decoded once for every listener. */
  onTaskApplied?(result: TaskResult): void;
  onLeaderChange?(leader: NodeId | undefined, term: number): void;
  onDiverged?(detail: { peer: NodeId; index: number; ours: string; theirs: string }): void;
  /** A proposal of this leader applied, `seconds` after it was proposed. */
  onCommitted?(seconds: number): void;
  /** A write forwarded to the leader by this follower. */
  onForwarded?(method: string): void;
  /** This leader accepted a proposal (called before it commits, in the same turn). */
  onProposed?(command: Uint8Array): void;
}

/** Commands for the task state machine carry this first byte; KV commands are untagged JSON. */
export const tasksTag = 2;
const kvTag = 1;

export type ServingState = { readonly serving: true } | { readonly serving: false; readonly reason: string };

export class KeelNode {
  readonly id: NodeId;
  /** The KV part of the replicated state (reads, watches, leases). */
  readonly stateMachine: KvStateMachine;
  /** The task part (the task engine's scheduler runs against it). */
  readonly tasks: TaskStateMachine;
  /** Both, behind the one Raft log: what is applied, snapshotted and digested. */
  readonly machines: CompositeStateMachine;
  readonly digests: DigestChecker;
  private readonly events: NodeEvents[] = [];
  private stopTicking: (() => void) | undefined;
  private lastLeader: NodeId | undefined;
  private lastTerm = 0;
  private stopped = false;
  /** Set when this replica's state was found to differ from the leader's; cleared by a rebuild. */
  private diverged: string | undefined;
  readonly lastHeard = new Map<NodeId, number>();
  /** Told of each persist and checkpoint with its duration (metrics). */
  storageObserver: StorageObserver | undefined;

  private constructor(
    private readonly deps: KeelNodeDeps,
    readonly driver: NodeDriver,
    machines: { kv: KvStateMachine; tasks: TaskStateMachine; composite: CompositeStateMachine },
  ) {
    this.id = deps.config.id;
    this.stateMachine = machines.kv;
    this.tasks = machines.tasks;
    this.machines = machines.composite;
    this.digests = new DigestChecker(this, deps.transport, deps.logger, deps.timers, deps.config.digestCheckMs, deps.config.digestEveryEntries);
  }

  static async open(deps: KeelNodeDeps): Promise<KeelNode> {
    const { config, logger } = deps;
    const opened = await RaftStorage.open(nodeFileSystem, config.data, { fsync: config.fsync });
    for (const note of opened.notes) logger.warn({ note }, 'recovery');
    if (config.fsync === 'unsafe-none') logger.warn({}, 'fsync is OFF (unsafe-none): acknowledged writes can be lost on power failure');
    if (config.unsafeStaleReads) logger.warn({}, 'UNSAFE: linearizable reads are served from local state without ReadIndex (stale reads possible)');
    const kv = new KvStateMachine();
    const tasks = new TaskStateMachine();
    const composite = new CompositeStateMachine({ tag: kvTag, name: 'kv', machine: kv }, [{ tag: tasksTag, name: 'tasks', machine: tasks }]);
    if (opened.snapshot) composite.restore(opened.snapshot.data, opened.snapshot.meta.index);
    const holder: { node?: KeelNode } = {};
    timeStorage(opened.storage, deps.clock, () => holder.node?.storageObserver);
    // Used only on a first boot: afterwards the log's config entries or the snapshot decide.
    const membership: Membership = config.join ? { voters: [], learners: [config.id] } : { voters: Object.keys(config.peers).sort(), learners: [] };
    const raft = new RaftNode(
      { id: config.id, random: seededRandom(deps.seed), heartbeatTicks: config.heartbeatTicks, electionTicks: config.electionTicks },
      { hardState: opened.hardState, snapshot: opened.snapshot?.meta, entries: opened.entries, initialMembership: membership, recovering: opened.recovering },
      () => holder.node?.driver.snapshot(),
    );
    const driver = new NodeDriver(raft, opened.storage, composite, {
      send: (message) => deps.transport.send(message),
      onApplied: (entry, digest, result) => holder.node?.afterApply(entry, digest, result),
      onFatal: (error) => holder.node?.fatal(error),
    }, { snapshotEveryEntries: config.snapshotEveryEntries, noopCommand: encodeCommand({ command: { kind: 'noop' } }) }, opened.snapshot);
    const node = new KeelNode(deps, driver, { kv, tasks, composite });
    holder.node = node;
    node.start(opened.recovering, opened.hardState.term);
    return node;
  }

  private start(recovering: boolean, term: number): void {
    const { transport, config, logger } = this.deps;
    logger.info({ id: this.id, term, recovering, applied: this.driver.raft.log.applied, lastIndex: this.driver.raft.log.lastIndex() }, 'node started');
    transport.onMessage((message) => {
      if (this.stopped) return;
      this.lastHeard.set(message.from, this.deps.clock.now());
      this.driver.raft.step(message);
      this.afterStep();
    });
    transport.handle('kv.write', async (_from, body) => {
      const decoded = decodeCommand(body);
      if (!decoded.ok) throw new KeelError('BAD_REQUEST', decoded.error.message);
      return this.proposeLocally(encodeCommand(decoded.value));
    });
    transport.handle('tasks.write', async (_from, body) => {
      const decoded = body[0] === tasksTag ? decodeTaskCommand(body.subarray(1)) : undefined;
      if (decoded === undefined || !decoded.ok) throw new KeelError('BAD_REQUEST', 'not a task command');
      return this.proposeLocally(body);
    });
    transport.handle('kv.snapshot', () => Promise.resolve(this.snapshotForPeer()));
    this.digests.registerHandlers();
    const tick = (): void => {
      if (this.stopped) return;
      this.driver.raft.tick();
      this.afterStep();
      this.stopTicking = this.deps.timers.after(config.tickMs, tick);
    };
    this.stopTicking = this.deps.timers.after(config.tickMs, tick);
    this.digests.start();
    this.driver.kick();
  }

  on(events: NodeEvents): void {
    this.events.push(events);
  }

  get raft(): RaftNode {
    return this.driver.raft;
  }

  get serving(): ServingState {
    if (this.stopped) return { serving: false, reason: 'shutting down' };
    if (this.diverged !== undefined) return { serving: false, reason: this.diverged };
    if (this.raft.status().recovering) return { serving: false, reason: 'recovering: catching up from the leader after damaged storage' };
    if (this.raft.leaderId === undefined) return { serving: false, reason: 'no leader known' };
    return { serving: true };
  }

  /** A mutating command: proposed here on the leader, forwarded to it otherwise. */
  async write(envelope: KvEnvelope): Promise<KvResult> {
    return decodeResult(await this.submit(encodeCommand(envelope), 'kv.write'));
  }

  /** A task-engine command, through the same log (the leader proposes it; followers forward). */
  async writeTasks(command: TaskCommand): Promise<TaskResult | TaskQueryResult> {
    return decodeTaskResult(await this.submit(CompositeStateMachine.wrap(tasksTag, encodeTaskCommand(command)), 'tasks.write'));
  }

  private async submit(command: Uint8Array, method: 'kv.write' | 'tasks.write'): Promise<Uint8Array> {
    const timeoutMs = this.deps.config.requestTimeoutMs;
    const deadline = this.deps.clock.now() + timeoutMs;
    for (;;) {
      if (this.stopped) throw new KeelError('SHUTTING_DOWN', 'node is shutting down', { retryable: true });
      const leader = this.raft.leaderId;
      if (leader === this.id) return withTimeout(this.proposeLocally(command), deadline - this.deps.clock.now(), this.deps.timers, 'write');
      if (leader !== undefined) {
        const remaining = Math.max(1, Math.ceil(deadline - this.deps.clock.now()));
        for (const e of this.events) e.onForwarded?.(method);
        return this.deps.transport.request(leader, method, command, { timeoutMs: remaining, retries: 0 });
      }
      if (this.deps.clock.now() >= deadline) throw new KeelError('UNAVAILABLE', 'no leader elected (is a majority of nodes up and connected?)', { retryable: true });
      await sleep(this.deps.timers, 20);
    }
  }

  /** A read: linearizable (ReadIndex, no log write) or serializable (this replica's state now). */
  async read(query: KvQuery, consistency: 'linearizable' | 'serializable'): Promise<KvResult> {
    await this.readBarrier(consistency);
    return decodeResult(this.stateMachine.query(encodeQuery(query)));
  }

  /** A read of the task state, under the same rules as `read`. */
  async readTasks(query: TaskQuery, consistency: 'linearizable' | 'serializable'): Promise<TaskQueryResult | TaskResult> {
    await this.readBarrier(consistency);
    return decodeTaskResult(this.tasks.query(encodeTaskQuery(query)));
  }

  /** Linearizable: a ReadIndex round confirms this replica has applied everything committed before the read began. */
  private async readBarrier(consistency: 'linearizable' | 'serializable'): Promise<void> {
    const serving = this.serving;
    const local = consistency === 'serializable' || this.deps.config.unsafeStaleReads;
    if (!serving.serving && !(local && this.diverged === undefined && !this.stopped)) {
      throw new KeelError('UNAVAILABLE', `node ${this.id} is not serving: ${serving.reason}`, { retryable: true, data: { leader: this.raft.leaderId } });
    }
    if (consistency === 'linearizable' && !this.deps.config.unsafeStaleReads) {
      const outcome = await withTimeout(this.driver.readIndex(), this.deps.config.requestTimeoutMs, this.deps.timers, 'read');
      if (outcome.kind === 'dropped') throw new KeelError('UNAVAILABLE', 'read not served: no leader could confirm it', { retryable: true });
    }
  }

  private async proposeLocally(command: Uint8Array): Promise<Uint8Array> {
    const started = this.deps.clock.now();
    const proposed = this.driver.propose(command);
    if ('refused' in proposed) {
      throw new KeelError(proposed.leader !== undefined && proposed.leader !== this.id ? 'NOT_LEADER' : 'UNAVAILABLE', proposed.refused, { retryable: true, data: { leader: proposed.leader } });
    }
    for (const e of this.events) e.onProposed?.(command);
    const outcome = await proposed;
    // Replaced by another leader's entry: not applied. A retry with the same session is safe.
    if (outcome.kind === 'lost') throw new KeelError('UNAVAILABLE', 'leadership changed before the write committed; retry', { retryable: true });
    const seconds = (this.deps.clock.now() - started) / 1000;
    for (const e of this.events) e.onCommitted?.(seconds);
    return outcome.result;
  }

  /** For a diverged peer: this node's whole state at its applied index. */
  private snapshotForPeer(): Uint8Array {
    const index = this.raft.log.applied;
    const data = this.machines.snapshot();
    const header = new TextEncoder().encode(`${index}\n`);
    const out = new Uint8Array(header.length + data.length);
    out.set(header);
    out.set(data, header.length);
    return out;
  }

  /** Marks this replica diverged and rebuilds it from the leader's state; serving resumes after. */
  async markDivergedAndRebuild(reason: string): Promise<void> {
    if (this.diverged !== undefined) return;
    this.diverged = reason;
    this.deps.logger.error({ reason }, 'state diverged from the leader: not serving until rebuilt from its snapshot');
    while (!this.stopped) {
      const leader = this.raft.leaderId;
      if (leader !== undefined && leader !== this.id) {
        try {
          const bytes = await this.deps.transport.request(leader, 'kv.snapshot', new Uint8Array(0), { timeoutMs: 10_000, retries: 2 });
          const newline = bytes.indexOf(10);
          const index = Number(new TextDecoder().decode(bytes.subarray(0, newline)));
          const rebuilt = this.driver.rebuildFrom(index, bytes.slice(newline + 1));
          if (rebuilt !== false) {
            await rebuilt;
            this.digests.forget();
            this.diverged = undefined;
            this.deps.logger.warn({ index, leader }, 'state rebuilt from the leader\'s snapshot; serving again');
            return;
          }
        } catch (error) {
          this.deps.logger.warn({ error: describeError(error) }, 'fetching the leader\'s snapshot failed; retrying');
        }
      }
      await sleep(this.deps.timers, 200);
    }
  }

  private afterStep(): void {
    this.driver.kick();
    const leader = this.raft.leaderId;
    const term = this.raft.currentTerm;
    if (leader !== this.lastLeader || term !== this.lastTerm) {
      this.lastLeader = leader;
      this.lastTerm = term;
      for (const e of this.events) e.onLeaderChange?.(leader, term);
    }
  }

  private afterApply(entry: Entry, digest: () => string, result: Uint8Array): void {
    this.digests.record(entry.index, digest);
    for (const e of this.events) e.onApplied?.(entry, result);
    if (entry.data[0] === tasksTag && this.events.some((e) => e.onTaskApplied !== undefined)) {
      // Commands are never queries, so an applied result is a command result or an error.
      const decoded = decodeTaskResult(result) as TaskResult;
      for (const e of this.events) e.onTaskApplied?.(decoded);
    }
  }

  /** Diverged replicas report through the checker; the leader's listeners see it too. */
  reportDivergence(detail: { peer: NodeId; index: number; ours: string; theirs: string }): void {
    for (const e of this.events) e.onDiverged?.(detail);
  }

  private fatal(error: unknown): void {
    // Fail-stop: an I/O error (a failed fsync above all) leaves the page cache in an unknown state.
    this.deps.logger.error({ error: describeError(error) }, 'fatal storage error: stopping this node; restart it to recover');
    void this.close().finally(() => process.exit(70));
  }

  /** Leader first hands leadership to a caught-up voter, so the cluster does not wait for an election. */
  async transferLeadershipAway(waitMs: number): Promise<void> {
    if (!this.raft.isLeader) return;
    const target = this.raft.membership.voters
      .filter((v) => v !== this.id)
      .sort((a, b) => (this.raft.followerMatch(b) ?? 0) - (this.raft.followerMatch(a) ?? 0))[0];
    if (target === undefined) return;
    this.raft.transferLeadership(target);
    this.driver.kick();
    const until = this.deps.clock.now() + waitMs;
    while (this.raft.isLeader && this.deps.clock.now() < until) await sleep(this.deps.timers, 10);
  }

  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.stopTicking?.();
    this.digests.stop();
    await this.deps.transport.close();
    await this.driver.close();
  }
}
