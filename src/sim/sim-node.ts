/**
 * One simulated Keel node: a disk that survives crashes, and a process (storage + raft core +
 * KV and task state machines behind one log + driver) that does not. Real code throughout; only
 * the disk, the network and time are simulated.
 */
import { AssertionError } from '../core/assert.js';
import { describeError, errnoCode, isKeelError } from '../core/errors.js';
import type { Random } from '../ports/random.js';
import { KvStateMachine, decodeResult, encodeCommand, encodeQuery, type KvCommand, type KvResult } from '../kv/index.js';
import { CompositeStateMachine } from '../node/composite-state-machine.js';
import { NodeDriver } from '../node/driver.js';
import { RaftStorage } from '../node/raft-storage.js';
import { RaftNode } from '../raft/raft.js';
import type { Entry, Membership, Message, NodeId } from '../raft/types.js';
import {
  TaskStateMachine, decodeResult as decodeTaskResult, encodeCommand as encodeTaskCommand, encodeQuery as encodeTaskQuery,
  type TaskCommand, type TaskQuery, type TaskQueryResult, type TaskResult,
} from '../tasks/index.js';
import { MemoryFileSystem } from './memory-fs.js';

/** First byte of task commands on the log, as src/server/keel-node.ts writes them (KV commands are untagged). */
export const tasksTag = 2;
const kvTag = 1;

export type ClientReply =
  | { readonly kind: 'ok'; readonly result: KvResult }
  /** Definitely not applied (refused before proposing, or the entry was replaced). */
  | { readonly kind: 'fail'; readonly reason: string; readonly leader: NodeId | undefined };

export type TaskReply =
  | { readonly kind: 'ok'; readonly result: TaskResult }
  /** Definitely not applied (refused before proposing, or the entry was replaced). */
  | { readonly kind: 'fail'; readonly reason: string; readonly leader: NodeId | undefined };

export type TaskQueryReply =
  | { readonly kind: 'ok'; readonly result: TaskQueryResult }
  | { readonly kind: 'fail'; readonly reason: string; readonly leader: NodeId | undefined };

export interface SimNodeHost {
  readonly now: () => number;
  send(from: NodeId, message: Message): void;
  onLeader(node: SimNode): void;
  onApplied(node: NodeId, entry: Entry, digest: () => string, result: Uint8Array): void;
  violation(invariant: string, message: string): void;
  /** The durable hard state a process starts from (checked against the votes it had sent). */
  onBoot(node: NodeId, term: number, vote: NodeId | undefined): void;
  trace(line: string): void;
  /** The process died (I/O error): the world restarts it later. */
  onProcessDied(node: SimNode): void;
}

export interface SimNodeOptions {
  readonly snapshotEveryEntries: number;
  readonly segmentSizeBytes: number;
  readonly tickMs: number;
}

const DATA_DIR = '/keel';

export class SimNode {
  disk: MemoryFileSystem;
  driver: NodeDriver | undefined;
  /** The task part of the current process's state (undefined while down). */
  tasks: TaskStateMachine | undefined;
  private booting: Promise<void> | undefined;
  private wasLeaderTerm = -1;
  restarts = 0;

  constructor(
    readonly id: NodeId,
    private readonly host: SimNodeHost,
    private readonly random: Random,
    private readonly options: SimNodeOptions,
    private initialMembership: Membership,
  ) {
    this.disk = new MemoryFileSystem({ random });
  }

  get up(): boolean {
    return this.driver !== undefined;
  }

  get raft(): RaftNode | undefined {
    return this.driver?.raft;
  }

  /** Starts the process from whatever the disk holds. */
  boot(): void {
    if (this.up || this.booting !== undefined) return;
    this.booting = this.bootAsync().finally(() => {
      this.booting = undefined;
    });
  }

  private async bootAsync(): Promise<void> {
    const fs = this.disk.mount();
    let opened: Awaited<ReturnType<typeof RaftStorage.open>>;
    try {
      opened = await RaftStorage.open(fs, DATA_DIR, { segmentSizeBytes: this.options.segmentSizeBytes, recordPayloadBytesMax: this.options.segmentSizeBytes / 4 });
    } catch (error) {
      if (isIoFailure(error)) {
        // The disk failed again at start-up (an injected EIO still armed): the process exits and is restarted later.
        this.host.trace(`${this.id} restart failed on I/O, retrying later: ${describeError(error)}`);
        this.disk.crash('random');
        this.host.onProcessDied(this);
        return;
      }
      this.host.violation('restart', `${this.id} failed to restart: ${describeError(error)}`);
      return;
    }
    for (const note of opened.notes) this.host.trace(`${this.id} recovery: ${note}`);
    this.host.onBoot(this.id, opened.hardState.term, opened.hardState.vote);
    const tasks = new TaskStateMachine();
    const stateMachine = new CompositeStateMachine({ tag: kvTag, name: 'kv', machine: new KvStateMachine() }, [{ tag: tasksTag, name: 'tasks', machine: tasks }]);
    if (opened.snapshot) stateMachine.restore(opened.snapshot.data, opened.snapshot.meta.index);
    const raft = new RaftNode(
      { id: this.id, random: this.random, appendEntriesMax: 4, inflightMsgsMax: 8 },
      { hardState: opened.hardState, snapshot: opened.snapshot?.meta, entries: opened.entries, initialMembership: this.initialMembership, recovering: opened.recovering },
      () => this.driver?.snapshot(),
    );
    const driver: NodeDriver = new NodeDriver(raft, opened.storage, stateMachine, {
      send: (message) => this.host.send(this.id, message),
      onApplied: (entry, digest, result) => this.host.onApplied(this.id, entry, digest, result),
      onFatal: (error) => this.onFatal(driver, error),
    }, { snapshotEveryEntries: this.options.snapshotEveryEntries, noopCommand: encodeCommand({ command: { kind: 'noop' } }) }, opened.snapshot);
    this.driver = driver;
    this.tasks = tasks;
    this.wasLeaderTerm = -1;
    driver.kick();
  }

  /** Power loss: the process dies, unsynced data is lost or torn as `mode` says. */
  crash(mode: Parameters<MemoryFileSystem['crash']>[0] = 'random'): void {
    this.driver?.stop();
    this.driver = undefined;
    this.tasks = undefined;
    this.disk.crash(mode);
    this.restarts += 1;
  }

  /** A brand-new machine in place of this one (data directory wiped). */
  wipe(membership: Membership): void {
    this.crash('lose');
    this.disk = new MemoryFileSystem({ random: this.random });
    this.initialMembership = membership;
  }

  /** Whether the process still has work in flight (boot or a driver loop). */
  get busy(): boolean {
    return this.booting !== undefined || (this.driver?.busy ?? false);
  }

  async idle(): Promise<void> {
    if (this.booting !== undefined) await this.booting;
    await this.driver?.idle();
  }

  tick(): void {
    this.guard(() => this.driver?.raft.tick());
  }

  deliver(message: Message): void {
    this.guard(() => this.driver?.raft.step(message));
  }

  /** Leader-side bookkeeping after every event (invariants see each new leadership). */
  observe(): void {
    const raft = this.raft;
    if (raft?.isLeader && raft.currentTerm !== this.wasLeaderTerm) {
      this.wasLeaderTerm = raft.currentTerm;
      this.host.onLeader(this);
    }
  }

  /** Serves one client command; `reply` is called at most once (never if the process dies). */
  handleClient(command: KvCommand, session: { clientId: string; seq: number } | undefined, reply: (r: ClientReply) => void): void {
    const driver = this.driver;
    if (driver === undefined) return;
    if (command.kind === 'get') {
      void driver.readIndex().then((outcome) => {
        if (this.driver !== driver) return;
        if (outcome.kind === 'dropped') return reply({ kind: 'fail', reason: 'read not served (no leader)', leader: driver.raft.leaderId });
        reply({ kind: 'ok', result: decodeResult(driver.stateMachine.query(encodeQuery(command))) });
      });
      driver.kick();
      return;
    }
    const proposed = driver.propose(encodeCommand(session === undefined ? { command } : { session, command }));
    if ('refused' in proposed) return reply({ kind: 'fail', reason: proposed.refused, leader: proposed.leader });
    void proposed.then((outcome) => {
      if (this.driver !== driver) return;
      if (outcome.kind === 'lost') return reply({ kind: 'fail', reason: 'entry replaced by another leader', leader: driver.raft.leaderId });
      reply({ kind: 'ok', result: decodeResult(outcome.result) });
    });
  }

  /**
   * Proposes a task command (worker, client or the leader's own duties). The promise resolves with
   * the result once applied, or `undefined` if the entry was replaced; never if the process dies.
   */
  proposeTask(command: TaskCommand): Promise<TaskResult | undefined> | { readonly refused: string; readonly leader: NodeId | undefined } {
    const driver = this.driver;
    if (driver === undefined) return { refused: 'node down', leader: undefined };
    const proposed = driver.propose(CompositeStateMachine.wrap(tasksTag, encodeTaskCommand(command)));
    if ('refused' in proposed) return proposed;
    return proposed.then((outcome) => (outcome.kind === 'lost' ? undefined : decodeTaskResult(outcome.result) as TaskResult));
  }

  /** Serves one task command from a worker or client; `reply` is called at most once. */
  handleTaskCommand(command: TaskCommand, reply: (r: TaskReply) => void): void {
    const driver = this.driver;
    const proposed = this.proposeTask(command);
    if ('refused' in proposed) {
      if (driver !== undefined) reply({ kind: 'fail', reason: proposed.refused, leader: proposed.leader });
      return;
    }
    void proposed.then((result) => {
      if (this.driver !== driver || driver === undefined) return;
      reply(result === undefined ? { kind: 'fail', reason: 'entry replaced by another leader', leader: driver.raft.leaderId } : { kind: 'ok', result });
    });
  }

  /** A linearizable read of the task state (ReadIndex, then the local machine). */
  handleTaskQuery(query: TaskQuery, reply: (r: TaskQueryReply) => void): void {
    const driver = this.driver;
    if (driver === undefined) return;
    void driver.readIndex().then((outcome) => {
      if (this.driver !== driver) return;
      if (outcome.kind === 'dropped') return reply({ kind: 'fail', reason: 'read not served (no leader)', leader: driver.raft.leaderId });
      reply({ kind: 'ok', result: decodeTaskResult(driver.stateMachine.query(CompositeStateMachine.wrap(tasksTag, encodeTaskQuery(query)))) as TaskQueryResult });
    });
    driver.kick();
  }

  private guard(action: () => void): void {
    try {
      action();
    } catch (error) {
      this.host.violation(error instanceof AssertionError ? 'assertion' : 'exception', `${this.id}: ${describeError(error)}`);
      this.driver?.stop();
      this.driver = undefined;
      this.tasks = undefined;
      return;
    }
    this.driver?.kick();
  }

  private onFatal(failed: NodeDriver, error: unknown): void {
    if (failed !== this.driver) return; // a process that already died (crash) finishing its last I/O
    if (error instanceof AssertionError) this.host.violation('assertion', `${this.id}: ${error.message}`);
    this.host.trace(`${this.id} process died: ${describeError(error)}`);
    // Pessimistic about fsyncgate: after a failed fsync, treat unsynced data as lost (power-loss rules).
    this.crash('random');
    this.host.onProcessDied(this);
  }
}

function isIoFailure(error: unknown): boolean {
  if (isKeelError(error, 'WAL_FAILED')) return true;
  const code = errnoCode(error);
  return code === 'EIO' || code === 'ENOSPC' || code === 'EBADF';
}
