/**
 * The one driver loop shared by the simulator and real processes:
 * ready -> persist -> send -> apply -> advance (the Ready contract in raft/types.ts).
 * It also takes local snapshots (saved off the loop, so writes never wait for a checkpoint;
 * the log is compacted once the checkpoint is durable), resolves proposals once their entry is
 * applied, serves ReadIndex reads once the state machine has caught up with the read index, and
 * can rebuild a diverged state machine from a peer's snapshot.
 */
import { bugs } from '../core/bug-switches.js';
import type { StateMachine } from '../ports/state-machine.js';
import type { RaftNode } from '../raft/raft.js';
import type { Entry, Message, Snapshot } from '../raft/types.js';
import type { RaftStorage } from './raft-storage.js';

export type ProposalOutcome =
  | { readonly kind: 'applied'; readonly result: Uint8Array }
  /** The entry was replaced by another leader's: the command was not applied. */
  | { readonly kind: 'lost' };

export type ReadOutcome = { readonly kind: 'ok'; readonly index: number } | { readonly kind: 'dropped' };

export interface DriverHooks {
  send(message: Message): void;
  /** Called after each applied entry (invariant checks, metrics, watchers) with the state machine's result. */
  onApplied?(entry: Entry, digestAfter: () => string, result: Uint8Array): void;
  /** The driver hit an I/O error: the process must stop (fail-stop); recovery decides on restart. */
  onFatal(error: unknown): void;
}

export interface DriverOptions {
  /** Take a local snapshot and compact the log every this many applied entries. */
  readonly snapshotEveryEntries: number;
  /** The state machine's encoding of a command that changes nothing (for no-op and config entries). */
  readonly noopCommand: Uint8Array;
}

export class NodeDriver {
  private running: Promise<void> | undefined;
  private readonly proposals = new Map<number, { term: number; resolve: (outcome: ProposalOutcome) => void }>();
  private readonly reads = new Map<number, (outcome: ReadOutcome) => void>();
  private readonly readsWaitingApply: { index: number; resolve: (outcome: ReadOutcome) => void }[] = [];
  private latestSnapshot: Snapshot | undefined;
  private appliedSinceSnapshot = 0;
  private nextReadId = 1;
  private stopped = false;
  /** A checkpoint being written in the background, and one written but not yet compacted to. */
  private saving: Promise<void> | undefined;
  private saved: Snapshot | undefined;
  private pendingRestore: { readonly index: number; readonly data: Uint8Array; readonly done: () => void } | undefined;
  private readonly noopCommand: Uint8Array;

  constructor(
    readonly raft: RaftNode,
    private readonly storage: RaftStorage,
    readonly stateMachine: StateMachine,
    private readonly hooks: DriverHooks,
    private readonly options: DriverOptions,
    snapshot: Snapshot | undefined,
  ) {
    this.latestSnapshot = snapshot;
    this.noopCommand = options.noopCommand;
  }

  /** What the leader streams to followers that need a snapshot. */
  snapshot(): Snapshot | undefined {
    return this.latestSnapshot;
  }

  /** Processes everything raft has ready; call after every step, tick or proposal. */
  kick(): void {
    if (this.running !== undefined || this.stopped) return;
    this.running = this.loop().then(
      () => {
        this.running = undefined;
      },
      (error: unknown) => {
        this.running = undefined;
        this.stop();
        this.hooks.onFatal(error);
      },
    );
  }

  get busy(): boolean {
    return this.running !== undefined || this.saving !== undefined;
  }

  /** Resolves when the loop and any background checkpoint have nothing left to do. */
  async idle(): Promise<void> {
    while (this.running !== undefined || this.saving !== undefined) {
      if (this.running !== undefined) await this.running;
      else if (this.saving !== undefined) await this.saving;
    }
  }

  /**
   * Replaces the state machine's state with `data`, a peer's state at applied index `index`, at
   * the moment this node reaches that index; entries before it are not applied. Used when this
   * replica's state diverged from the leader's. False if this node has already applied `index`
   * (ask the peer for a newer snapshot).
   */
  rebuildFrom(index: number, data: Uint8Array): Promise<void> | false {
    const applied = this.raft.log.applied;
    if (applied > index || (applied === index && this.running !== undefined)) return false;
    if (applied === index) {
      this.stateMachine.restore(data, index);
      this.appliedSinceSnapshot = this.options.snapshotEveryEntries;
      this.kick();
      return Promise.resolve();
    }
    return new Promise((done) => {
      this.pendingRestore = { index, data, done };
      this.kick();
    });
  }

  propose(data: Uint8Array): Promise<ProposalOutcome> | { readonly refused: string; readonly leader: string | undefined } {
    const result = this.raft.propose(data);
    if (!result.ok) return { refused: result.message, leader: result.leader };
    this.kick();
    return new Promise((resolve) => this.proposals.set(result.index, { term: result.term, resolve }));
  }

  /** A linearizable read point: resolves once the local state machine may serve the read. */
  readIndex(): Promise<ReadOutcome> {
    const id = this.nextReadId++;
    const promise = new Promise<ReadOutcome>((resolve) => this.reads.set(id, resolve));
    this.raft.readIndex(id);
    this.kick();
    return promise;
  }

  /** Graceful shutdown: finishes the I/O in flight, then closes the log and hard-state files. */
  async close(): Promise<void> {
    await this.idle();
    this.stop();
    await this.storage.close();
  }

  /** Stops processing (crash or shutdown); pending callers never hear back, like a dead process. */
  stop(): void {
    this.stopped = true;
  }

  private async loop(): Promise<void> {
    while (!this.stopped && this.raft.hasReady()) {
      const rd = this.raft.ready();
      // A leader's replication goes out before its own fsync (as etcd does): the leader counts
      // itself toward a commit only from its stable index, so the two disks work in parallel.
      // Everything that acknowledges or asks for a vote waits for this node's fsync.
      const early = bugs.ackBeforeFsync ? rd.messages : rd.messages.filter(isReplication);
      for (const m of early) this.hooks.send(m);
      const keptSuffix = rd.snapshot !== undefined && this.raft.log.lastIndex() > rd.snapshot.meta.index;
      // An installed snapshot and a background checkpoint must not write the checkpoint store at once.
      if (rd.snapshot !== undefined && this.saving !== undefined) await this.saving;
      await this.storage.persist(rd, keptSuffix);
      if (this.stopped) return;
      if (!bugs.ackBeforeFsync) for (const m of rd.messages) if (!isReplication(m)) this.hooks.send(m);
      if (rd.snapshot !== undefined) {
        if (this.pendingRestore !== undefined && this.pendingRestore.index <= rd.snapshot.meta.index) this.finishRestore();
        this.stateMachine.restore(rd.snapshot.data, rd.snapshot.meta.index);
        this.latestSnapshot = rd.snapshot;
        this.appliedSinceSnapshot = 0;
      }
      for (const entry of rd.committed) this.apply(entry);
      for (const rs of rd.readStates) this.onReadState(rs.requestId, rs.index);
      for (const id of rd.droppedReads) this.finishRead(id, { kind: 'dropped' });
      this.raft.advance(rd);
      this.serveWaitingReads();
      if (this.saved !== undefined) await this.compactTo(this.saved);
      if (this.appliedSinceSnapshot >= this.options.snapshotEveryEntries && this.saving === undefined) this.startCheckpoint();
    }
    if (!this.stopped && this.saved !== undefined) await this.compactTo(this.saved);
  }

  private apply(entry: Entry): void {
    const restore = this.pendingRestore;
    if (restore !== undefined && entry.index <= restore.index) {
      // Rebuilding from a peer's state: entries up to its index are already in that state.
      if (entry.index === restore.index) {
        this.stateMachine.restore(restore.data, restore.index);
        this.finishRestore();
      }
      this.resolveProposal(entry, undefined);
      return;
    }
    // No-op and membership entries reach the state machine as no-ops, so that its applied index is
    // Raft's and a snapshot taken at any applied index restores to exactly that index.
    const command = entry.kind === 'normal' ? entry.data : this.noopCommand;
    const result = this.stateMachine.apply({ index: entry.index, term: entry.term, command });
    this.appliedSinceSnapshot += 1;
    this.hooks.onApplied?.(entry, () => this.stateMachine.digest(), result);
    this.resolveProposal(entry, result);
  }

  private resolveProposal(entry: Entry, result: Uint8Array | undefined): void {
    const waiter = this.proposals.get(entry.index);
    if (waiter === undefined) return;
    this.proposals.delete(entry.index);
    waiter.resolve(waiter.term === entry.term && result !== undefined ? { kind: 'applied', result } : { kind: 'lost' });
  }

  private finishRestore(): void {
    const restore = this.pendingRestore!;
    this.pendingRestore = undefined;
    // Local checkpoints may hold the diverged state: take a fresh one soon.
    this.appliedSinceSnapshot = this.options.snapshotEveryEntries;
    restore.done();
  }

  private onReadState(requestId: number, index: number): void {
    const resolve = this.reads.get(requestId);
    if (resolve === undefined) return;
    this.reads.delete(requestId);
    this.readsWaitingApply.push({ index, resolve });
  }

  private finishRead(requestId: number, outcome: ReadOutcome): void {
    const resolve = this.reads.get(requestId);
    if (resolve === undefined) return;
    this.reads.delete(requestId);
    resolve(outcome);
  }

  private serveWaitingReads(): void {
    const applied = this.raft.log.applied;
    for (let i = this.readsWaitingApply.length - 1; i >= 0; i--) {
      const read = this.readsWaitingApply[i]!;
      if (read.index <= applied) {
        this.readsWaitingApply.splice(i, 1);
        read.resolve({ kind: 'ok', index: read.index });
      }
    }
  }

  private startCheckpoint(): void {
    const index = this.raft.log.applied;
    const term = this.raft.log.term(index);
    if (term === undefined) return;
    // The state is captured now, synchronously; only the write happens while the loop goes on.
    const snapshot: Snapshot = { meta: { index, term, membership: this.raft.membershipAt(index) }, data: this.stateMachine.snapshot() };
    this.appliedSinceSnapshot = 0;
    this.saving = this.storage.saveSnapshot(snapshot).then(
      () => {
        this.saving = undefined;
        this.saved = snapshot;
        this.kick();
      },
      (error: unknown) => {
        this.saving = undefined;
        this.stop();
        this.hooks.onFatal(error);
      },
    );
  }

  private async compactTo(snapshot: Snapshot): Promise<void> {
    this.saved = undefined;
    // A newer snapshot installed from the leader meanwhile supersedes this one.
    if (this.latestSnapshot !== undefined && this.latestSnapshot.meta.index >= snapshot.meta.index) return;
    this.latestSnapshot = snapshot;
    if (this.raft.log.firstIndex() > snapshot.meta.index) return;
    this.raft.compact(snapshot.meta.index);
    await this.storage.compact(snapshot.meta);
  }
}

/** Leader-to-follower replication: it acknowledges nothing of this node's own state. */
function isReplication(message: Message): boolean {
  return message.kind === 'append' || message.kind === 'heartbeat' || message.kind === 'snapshot';
}
