/**
 * The Raft consensus core: pure and deterministic. All input arrives through `step(message)`,
 * `tick()` and the propose/read/admin calls; all output leaves through `ready()` (see the
 * persistence contract on `Ready`). No clock, no randomness but the injected one, no I/O.
 *
 * Features: pre-vote, check-quorum, pipelined replication with fast backtracking, a no-op on
 * election, commit only of current-term entries by counting, chunked InstallSnapshot, one-server
 * membership changes with learners, leadership transfer, ReadIndex, and protocol-aware recovery
 * (a node whose log may have lost acknowledged entries neither votes nor counts toward a quorum
 * until it has caught up). Design notes: docs/raft.md.
 */
import { assert, assertNever } from '../core/assert.js';
import { bugs } from '../core/bug-switches.js';
import { RaftLog } from './log.js';
import {
  allMembers, applyChange, committedIndex, decodeMembership, encodeMembership, quorumSize, type MembershipChange,
} from './membership.js';
import { resolveRaftOptions, type RaftOptions, type RaftOptionsInput } from './options.js';
import { becomeProbe, becomeReplicate, becomeSnapshot, freeInflight, newProgress, type Progress } from './progress.js';
import type { Entry, HardState, Membership, Message, NodeId, ReadState, Ready, Role, Snapshot, SnapshotMeta } from './types.js';

/** What a node restarts from: its durable hard state, newest snapshot and log after it. */
export interface RaftBoot {
  readonly hardState: HardState;
  readonly snapshot: SnapshotMeta | undefined;
  readonly entries: readonly Entry[];
  /** Membership when there is neither a snapshot nor a config entry (a new cluster). */
  readonly initialMembership: Membership;
  /** Storage reported possible loss of acknowledged entries (torn tail, salvage, lost checkpoint). */
  readonly recovering: boolean;
}

export type ProposeResult =
  | { readonly ok: true; readonly index: number; readonly term: number }
  | { readonly ok: false; readonly reason: 'notLeader' | 'transferring' | 'overloaded' | 'configPending' | 'invalid'; readonly leader: NodeId | undefined; readonly message: string };

interface PendingRead {
  readonly requestId: number;
  readonly from: NodeId;
  readonly index: number;
  readonly context: number;
}

export class RaftNode {
  readonly id: NodeId;
  private readonly options: RaftOptions;
  private term: number;
  private vote: NodeId | undefined;
  private role: Role = 'follower';
  private leader: NodeId | undefined;
  readonly log: RaftLog;
  private recovering: boolean;
  private baseMembership: Membership;
  private configLog: { index: number; membership: Membership }[] = [];
  private progress = new Map<NodeId, Progress>();
  private votes = new Map<NodeId, boolean>();
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  private transferee: NodeId | undefined;
  private transferElapsed = 0;
  private pendingConfigIndex = 0;
  private readContext = 0;
  private pendingReads: PendingRead[] = [];
  private readAcks = new Map<number, Set<NodeId>>();
  private readsAwaitingCommit: { requestId: number; from: NodeId }[] = [];
  private outbox: Message[] = [];
  private readStates: ReadState[] = [];
  private droppedReads: number[] = [];
  private incomingSnapshot: { meta: SnapshotMeta; chunks: Uint8Array[]; received: number; from: NodeId } | undefined;
  private pendingSnapshot: Snapshot | undefined;
  private persistedHardState: HardState;
  private snapshotSource: () => Snapshot | undefined;
  private readyInFlight = false;

  constructor(input: RaftOptionsInput, boot: RaftBoot, snapshotSource: () => Snapshot | undefined) {
    this.options = resolveRaftOptions(input);
    this.id = this.options.id;
    this.term = boot.hardState.term;
    this.vote = boot.hardState.vote;
    this.persistedHardState = boot.hardState;
    const snap = boot.snapshot ?? { index: 0, term: 0, membership: boot.initialMembership };
    this.log = new RaftLog(snap, boot.entries, Math.min(boot.hardState.commit, snap.index + boot.entries.length));
    this.baseMembership = snap.membership;
    for (const e of boot.entries) if (e.kind === 'config') this.configLog.push({ index: e.index, membership: decodeMembership(e.data) });
    this.recovering = boot.recovering;
    this.snapshotSource = snapshotSource;
    this.resetElectionTimeout();
  }

  // ---------------------------------------------------------------- observers

  get membership(): Membership {
    return this.configLog.length > 0 ? this.configLog[this.configLog.length - 1]!.membership : this.baseMembership;
  }

  status() {
    return {
      id: this.id, role: this.role, term: this.term, leader: this.leader, vote: this.vote,
      commitIndex: this.log.committed, appliedIndex: this.log.applied, lastIndex: this.log.lastIndex(),
      firstIndex: this.log.firstIndex(), recovering: this.recovering, membership: this.membership,
      transferee: this.transferee,
    };
  }

  /** The leader's view of a follower's replication (match index), for status pages; undefined elsewhere. */
  followerMatch(id: NodeId): number | undefined {
    return this.role === 'leader' ? this.progress.get(id)?.match : undefined;
  }

  get isLeader(): boolean {
    return this.role === 'leader';
  }

  get leaderId(): NodeId | undefined {
    return this.leader;
  }

  get currentTerm(): number {
    return this.term;
  }

  /** Membership in effect at `index` (for snapshot metadata). */
  membershipAt(index: number): Membership {
    let result = this.baseMembership;
    for (const c of this.configLog) if (c.index <= index) result = c.membership;
    return result;
  }

  // ---------------------------------------------------------------- inputs

  tick(): void {
    if (this.role === 'leader') this.tickLeader();
    else this.tickElection();
  }

  step(msg: Message): void {
    if (msg.to !== this.id) return;
    if (msg.term > this.term) {
      if (msg.kind === 'vote' || msg.kind === 'voteResp') {
        if (!this.onHigherTermVote(msg)) return;
      } else {
        const leader = msg.kind === 'append' || msg.kind === 'heartbeat' || msg.kind === 'snapshot' || msg.kind === 'timeoutNow' ? msg.from : undefined;
        this.becomeFollower(msg.term, leader);
      }
    } else if (msg.term < this.term) {
      this.onStaleTerm(msg);
      return;
    }
    switch (msg.kind) {
      case 'vote': return this.onVote(msg);
      case 'voteResp': return this.onVoteResp(msg);
      case 'append': return this.onAppend(msg);
      case 'appendResp': return this.onAppendResp(msg);
      case 'heartbeat': return this.onHeartbeat(msg);
      case 'heartbeatResp': return this.onHeartbeatResp(msg);
      case 'snapshot': return this.onSnapshot(msg);
      case 'snapshotResp': return this.onSnapshotResp(msg);
      case 'timeoutNow': return this.onTimeoutNow(msg);
      case 'readIndex': return this.onReadIndex(msg);
      case 'readIndexResp': return this.onReadIndexResp(msg);
      default: return assertNever(msg);
    }
  }

  propose(data: Uint8Array): ProposeResult {
    const refusal = this.refuseProposal();
    if (refusal) return refusal;
    return this.appendAsLeader('normal', data);
  }

  proposeMembership(change: MembershipChange): ProposeResult {
    const refusal = this.refuseProposal();
    if (refusal) return refusal;
    if (this.pendingConfigIndex > this.log.committed || this.log.term(this.log.committed) !== this.term) {
      return { ok: false, reason: 'configPending', leader: this.id, message: 'a membership change is in progress (or this term has committed nothing yet); retry' };
    }
    if (change.kind === 'promote') {
      const pr = this.progress.get(change.id);
      if (pr === undefined || pr.match < this.log.committed) return { ok: false, reason: 'invalid', leader: this.id, message: `learner ${change.id} has not caught up yet (match ${pr?.match ?? 0}, commit ${this.log.committed})` };
    }
    const next = applyChange(this.membership, change);
    if (typeof next === 'string') return { ok: false, reason: 'invalid', leader: this.id, message: next };
    const result = this.appendAsLeader('config', encodeMembership(next));
    if (result.ok) this.pendingConfigIndex = result.index;
    return result;
  }

  /** Asks for a linearizable read point; the answer arrives as a ReadState (or in droppedReads). */
  readIndex(requestId: number): void {
    if (this.role === 'leader') return this.leaderRead(requestId, this.id);
    if (this.leader === undefined) {
      this.droppedReads.push(requestId);
      return;
    }
    this.send({ kind: 'readIndex', from: this.id, to: this.leader, term: this.term, requestId });
  }

  /** Hands leadership to `target` once it is up to date (TimeoutNow). */
  transferLeadership(target: NodeId): string | undefined {
    if (this.role !== 'leader') return 'not the leader';
    if (target === this.id) return 'already the leader';
    if (!this.membership.voters.includes(target)) return `${target} is not a voter`;
    this.transferee = target;
    this.transferElapsed = 0;
    const pr = this.progress.get(target)!;
    if (pr.match === this.log.lastIndex()) this.send({ kind: 'timeoutNow', from: this.id, to: target, term: this.term });
    else this.sendAppend(target);
    return undefined;
  }

  /** Starts an election now (tests and operators; normally the election timer does it). */
  campaignNow(): void {
    if (this.role !== 'leader') this.campaign(this.options.preVote ? 'preVote' : 'vote');
  }

  /** The driver took a local snapshot at `index` and made it durable: drop the log before it. */
  compact(index: number): void {
    this.log.compact(index);
    const keep = this.membershipAt(index);
    this.configLog = this.configLog.filter((c) => c.index > index);
    this.baseMembership = keep;
  }

  // ---------------------------------------------------------------- output

  hasReady(): boolean {
    // Index comparisons, not the slices ready() builds: the driver asks this after every event.
    const log = this.log;
    return this.outbox.length > 0 || this.readStates.length > 0 || this.droppedReads.length > 0 || this.pendingSnapshot !== undefined
      || log.stableIndex < log.lastIndex() || this.hardStateChanged() || Math.min(log.committed, log.stableIndex) > log.applied;
  }

  ready(): Ready {
    assert(!this.readyInFlight, 'ready() called again before advance()');
    this.readyInFlight = true;
    const hardState = this.hardStateChanged() ? this.hardStateToPersist() : undefined;
    const rd: Ready = {
      hardState,
      entries: this.log.unstable(),
      snapshot: this.pendingSnapshot,
      messages: this.outbox,
      committed: this.log.toApply(),
      readStates: this.readStates,
      droppedReads: this.droppedReads,
    };
    this.outbox = [];
    this.readStates = [];
    this.droppedReads = [];
    return rd;
  }

  advance(rd: Ready): void {
    assert(this.readyInFlight, 'advance() without ready()');
    this.readyInFlight = false;
    if (rd.snapshot !== undefined && this.pendingSnapshot === rd.snapshot) this.pendingSnapshot = undefined;
    if (rd.hardState !== undefined) this.persistedHardState = rd.hardState;
    const last = rd.entries[rd.entries.length - 1];
    if (last !== undefined) this.log.stableTo(last.index, last.term);
    const applied = rd.committed[rd.committed.length - 1];
    if (applied !== undefined) this.log.appliedTo(applied.index);
    if (this.role === 'leader') {
      this.maybeCommit();
      this.releaseReadsAwaitingCommit();
    }
  }

  private hardStateChanged(): boolean {
    // Commit alone is persisted lazily: it is re-learned from the leader after a restart.
    const next = this.hardStateToPersist();
    return next.term !== this.persistedHardState.term || next.vote !== this.persistedHardState.vote;
  }

  private hardStateToPersist(): HardState {
    return { term: this.term, vote: bugs.voteWithoutPersist ? undefined : this.vote, commit: this.log.committed };
  }

  // ---------------------------------------------------------------- roles and elections

  private promotable(): boolean {
    return this.membership.voters.includes(this.id) && !this.recovering;
  }

  private resetElectionTimeout(): void {
    this.electionElapsed = 0;
    this.randomizedElectionTimeout = this.options.electionTicks + this.options.random.int(this.options.electionTicks);
  }

  private becomeFollower(term: number, leader: NodeId | undefined): void {
    if (term !== this.term) {
      this.term = term;
      this.vote = undefined;
    }
    this.role = 'follower';
    this.leader = leader;
    this.transferee = undefined;
    this.resetElectionTimeout();
    this.dropLeaderReads();
  }

  private tickElection(): void {
    this.electionElapsed += 1;
    if (this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      if (this.promotable()) this.campaign(this.options.preVote ? 'preVote' : 'vote');
    }
  }

  private campaign(kind: 'preVote' | 'vote' | 'transfer'): void {
    if (!this.promotable()) return;
    const preVote = kind === 'preVote';
    if (preVote) {
      this.role = 'preCandidate';
      this.leader = undefined;
      this.resetElectionTimeout();
    } else {
      this.term += 1;
      this.vote = this.id;
      this.role = 'candidate';
      this.leader = undefined;
      this.resetElectionTimeout();
      this.dropLeaderReads();
    }
    this.votes = new Map([[this.id, true]]);
    if (this.tallyWon()) return this.onElectionWon(preVote);
    for (const voter of this.membership.voters) {
      if (voter === this.id) continue;
      this.send({ kind: 'vote', from: this.id, to: voter, term: preVote ? this.term + 1 : this.term, preVote, lastIndex: this.log.lastIndex(), lastTerm: this.log.lastTerm(), transfer: kind === 'transfer' });
    }
  }

  private tallyWon(): boolean {
    let granted = 0;
    for (const voter of this.membership.voters) if (this.votes.get(voter) === true) granted += 1;
    return granted >= quorumSize(this.membership.voters);
  }

  private tallyLost(): boolean {
    let rejected = 0;
    for (const voter of this.membership.voters) if (this.votes.get(voter) === false) rejected += 1;
    return rejected >= quorumSize(this.membership.voters);
  }

  private onElectionWon(preVote: boolean): void {
    if (preVote) this.campaign('vote');
    else this.becomeLeader();
  }

  /** A vote message from a higher term: returns whether to process it (after any term change). */
  private onHigherTermVote(msg: Extract<Message, { kind: 'vote' | 'voteResp' }>): boolean {
    if (msg.kind === 'vote') {
      const inLease = this.options.checkQuorum && this.leader !== undefined && this.electionElapsed < this.options.electionTicks;
      if (inLease && !msg.transfer) return false; // a healthy leader exists: do not let a rejoining node disrupt it
      if (msg.preVote) return true; // a pre-vote never changes our term
      this.becomeFollower(msg.term, undefined);
      return true;
    }
    if (msg.preVote && msg.granted) return true; // granted pre-votes carry the proposed term
    this.becomeFollower(msg.term, undefined);
    return true;
  }

  private onStaleTerm(msg: Message): void {
    if ((msg.kind === 'append' || msg.kind === 'heartbeat') && (this.options.checkQuorum || this.options.preVote)) {
      // Tell a deposed leader about the newer term so that it steps down.
      this.send({ kind: 'appendResp', from: this.id, to: msg.from, term: this.term, success: false, index: 0, hintIndex: 0, hintTerm: 0, recovering: this.recovering });
    } else if (msg.kind === 'vote' && msg.preVote) {
      this.send({ kind: 'voteResp', from: this.id, to: msg.from, term: this.term, preVote: true, granted: false });
    }
  }

  private onVote(msg: Extract<Message, { kind: 'vote' }>): void {
    const canVote = this.vote === msg.from || (this.vote === undefined && this.leader === undefined) || (msg.preVote && msg.term > this.term);
    const inLease = msg.preVote && !msg.transfer && this.leader !== undefined && this.electionElapsed < this.options.electionTicks;
    // Only a voter in its own latest membership votes: a learner, a removed node or a node that
    // lost its disk and rejoined knows nothing it could safely vouch for.
    const granted = canVote && !inLease && !this.recovering && this.membership.voters.includes(this.id) && this.log.isUpToDate(msg.lastIndex, msg.lastTerm);
    if (granted && !msg.preVote) {
      this.vote = msg.from;
      this.electionElapsed = 0;
    }
    // A granted pre-vote carries the proposed term; a rejection carries ours, so that a
    // rejection never pushes the pre-candidate's term up.
    this.send({ kind: 'voteResp', from: this.id, to: msg.from, term: msg.preVote && granted ? msg.term : this.term, preVote: msg.preVote, granted });
  }

  private onVoteResp(msg: Extract<Message, { kind: 'voteResp' }>): void {
    const expecting = msg.preVote ? this.role === 'preCandidate' : this.role === 'candidate';
    if (!expecting) return;
    this.votes.set(msg.from, msg.granted);
    if (this.tallyWon()) this.onElectionWon(msg.preVote);
    else if (this.tallyLost()) this.becomeFollower(this.term, undefined);
  }

  private onTimeoutNow(_msg: Extract<Message, { kind: 'timeoutNow' }>): void {
    this.campaign('transfer');
  }

  private becomeLeader(): void {
    this.role = 'leader';
    this.leader = this.id;
    this.transferee = undefined;
    this.heartbeatElapsed = 0;
    this.electionElapsed = 0;
    this.progress = new Map();
    for (const member of allMembers(this.membership)) this.ensureProgress(member);
    this.pendingConfigIndex = this.log.lastIndex();
    this.appendAsLeader('noop', new Uint8Array(0));
  }

  /** Progress exists exactly for current members: a removed node re-added later starts afresh. */
  private syncProgressToMembership(): void {
    const members = new Set(allMembers(this.membership));
    for (const id of [...this.progress.keys()]) if (!members.has(id) && id !== this.id) this.progress.delete(id);
    for (const member of members) this.ensureProgress(member);
  }

  private ensureProgress(id: NodeId): Progress {
    let pr = this.progress.get(id);
    if (pr === undefined) {
      pr = newProgress(this.log.lastIndex() + 1);
      pr.recentActive = true;
      this.progress.set(id, pr);
    }
    return pr;
  }

  // ---------------------------------------------------------------- leader: proposals and replication

  private refuseProposal(): Extract<ProposeResult, { ok: false }> | undefined {
    if (this.role !== 'leader') return { ok: false, reason: 'notLeader', leader: this.leader, message: this.leader ? `not the leader; try ${this.leader}` : 'no leader known' };
    if (this.transferee !== undefined) return { ok: false, reason: 'transferring', leader: this.transferee, message: `leadership is moving to ${this.transferee}` };
    if (this.log.lastIndex() - this.log.committed >= this.options.uncommittedEntriesMax) return { ok: false, reason: 'overloaded', leader: this.id, message: `${this.options.uncommittedEntriesMax} entries uncommitted; retry later` };
    return undefined;
  }

  private appendAsLeader(kind: Entry['kind'], data: Uint8Array): Extract<ProposeResult, { ok: true }> {
    const entry: Entry = { index: this.log.lastIndex() + 1, term: this.term, kind, data };
    this.log.appendLocal([entry]);
    if (kind === 'config') {
      this.configLog.push({ index: entry.index, membership: decodeMembership(data) });
      this.syncProgressToMembership();
    }
    this.broadcastAppend();
    return { ok: true, index: entry.index, term: entry.term };
  }

  private broadcastAppend(): void {
    for (const member of allMembers(this.membership)) if (member !== this.id) this.sendAppend(member);
  }

  private sendAppend(to: NodeId): void {
    const pr = this.ensureProgress(to);
    if (pr.state === 'snapshot') return;
    if (pr.state === 'probe' && pr.probeSent) return;
    if (pr.state === 'replicate' && pr.inflight.length >= this.options.inflightMsgsMax) return;
    const prevIndex = pr.next - 1;
    const prevTerm = this.log.term(prevIndex);
    if (prevTerm === undefined || pr.next < this.log.firstIndex()) return this.sendSnapshot(to, pr);
    // An empty append still carries the commit index, and probes a follower whose appends were lost.
    const entries = pr.next <= this.log.lastIndex() ? this.log.slice(pr.next, pr.next + this.options.appendEntriesMax, this.options.appendBytesMax) : [];
    this.send({ kind: 'append', from: this.id, to, term: this.term, prevIndex, prevTerm, entries, commit: this.log.committed });
    const last = entries[entries.length - 1];
    if (pr.state === 'replicate' && last !== undefined) {
      pr.next = last.index + 1;
      pr.inflight.push(last.index);
    } else if (pr.state === 'probe') {
      pr.probeSent = true;
    }
  }

  private sendSnapshot(to: NodeId, pr: Progress): void {
    const snapshot = this.snapshotSource();
    assert(snapshot !== undefined, 'log compacted but no snapshot to send');
    if (pr.state !== 'snapshot' || pr.snapshotIndex !== snapshot.meta.index) becomeSnapshot(pr, snapshot.meta.index);
    const chunk = snapshot.data.subarray(pr.snapshotOffset, pr.snapshotOffset + this.options.snapshotChunkBytes);
    this.send({ kind: 'snapshot', from: this.id, to, term: this.term, meta: snapshot.meta, offset: pr.snapshotOffset, chunk, totalBytes: snapshot.data.length });
  }

  /** Leader bookkeeping common to every follower response: it is alive, and whether it is recovering. */
  private followerResponded(msg: { readonly from: NodeId; readonly recovering: boolean }): Progress | undefined {
    if (this.role !== 'leader') return undefined;
    const pr = this.progress.get(msg.from);
    if (pr === undefined) return undefined;
    pr.recentActive = true;
    pr.recovering = msg.recovering;
    return pr;
  }

  private onAppendResp(msg: Extract<Message, { kind: 'appendResp' }>): void {
    const pr = this.followerResponded(msg);
    if (pr === undefined) return;
    if (!msg.success) {
      if (msg.hintTerm === 0 && msg.hintIndex > 0 && msg.hintIndex <= pr.match) {
        // The follower's log ends before what it once acknowledged: it lost entries (recovering,
        // or a wiped disk). Believe its log. Lowering match only ever delays commits.
        pr.match = msg.hintIndex - 1;
        becomeProbe(pr);
        this.sendAppend(msg.from);
        return;
      }
      if (pr.state === 'snapshot') return;
      if (pr.state === 'replicate' && msg.index <= pr.match) return; // stale rejection
      if (pr.state === 'probe' && msg.index !== pr.next - 1) return; // answer to an older probe
      const next = Math.max(pr.match + 1, Math.min(msg.index, this.backtrackTo(msg.hintIndex, msg.hintTerm)));
      if (pr.state === 'probe' && pr.probeSent && next === pr.next) return; // a duplicate of the rejection just handled
      becomeProbe(pr);
      pr.next = next;
      this.sendAppend(msg.from);
      return;
    }
    if (msg.index > pr.match) {
      pr.match = msg.index;
      pr.next = Math.max(pr.next, pr.match + 1);
      if (pr.state === 'probe') becomeReplicate(pr);
      freeInflight(pr, msg.index);
      this.maybeCommit();
      if (this.transferee === msg.from && pr.match === this.log.lastIndex()) this.send({ kind: 'timeoutNow', from: this.id, to: msg.from, term: this.term });
    } else {
      freeInflight(pr, msg.index);
      if (pr.state === 'probe') pr.probeSent = false;
    }
    // Keep the pipeline full; an up-to-date follower gets nothing (commit news travels with the next append or heartbeat).
    if (this.role === 'leader' && pr.next <= this.log.lastIndex()) this.sendAppend(msg.from);
  }

  /** Fast backtracking (Raft paper §5.3 optimisation): skip a whole conflicting term at once. */
  private backtrackTo(hintIndex: number, hintTerm: number): number {
    if (hintTerm === 0) return hintIndex;
    for (let i = Math.min(hintIndex, this.log.lastIndex()); i >= this.log.firstIndex(); i--) {
      const t = this.log.term(i)!;
      if (t === hintTerm) return i + 1;
      if (t < hintTerm) break;
    }
    return hintIndex;
  }

  private maybeCommit(): void {
    const voters = this.membership.voters;
    const index = committedIndex(voters, (id) => {
      if (id === this.id) return this.log.stableIndex;
      const pr = this.progress.get(id);
      return pr === undefined || pr.recovering ? 0 : pr.match;
    });
    if (index <= this.log.committed) return;
    // Raft §5.4.2: only entries of the current term are committed by counting replicas.
    if (this.log.term(index) !== this.term && !bugs.commitOldTermByCounting) return;
    this.log.commitTo(index);
    this.onCommitted();
  }

  private onCommitted(): void {
    if (!this.membership.voters.includes(this.id) && this.log.committed >= this.latestConfigIndex()) {
      // Removed from the voters by a committed change: hand over by stepping down.
      this.becomeFollower(this.term, undefined);
      return;
    }
    this.releaseReadsAwaitingCommit();
    this.broadcastAppend();
  }

  private latestConfigIndex(): number {
    return this.configLog.length > 0 ? this.configLog[this.configLog.length - 1]!.index : 0;
  }

  private tickLeader(): void {
    this.heartbeatElapsed += 1;
    this.electionElapsed += 1;
    if (this.transferee !== undefined && ++this.transferElapsed >= this.options.electionTicks) this.transferee = undefined;
    if (this.electionElapsed >= this.options.electionTicks) {
      this.electionElapsed = 0;
      if (this.options.checkQuorum && !this.quorumActive()) {
        this.becomeFollower(this.term, undefined);
        return;
      }
      for (const [id, pr] of this.progress) if (id !== this.id) pr.recentActive = false;
    }
    if (this.heartbeatElapsed >= this.options.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.broadcastHeartbeat(0);
    }
  }

  private quorumActive(): boolean {
    let active = 0;
    for (const voter of this.membership.voters) {
      if (voter === this.id || this.progress.get(voter)?.recentActive === true) active += 1;
    }
    return active >= quorumSize(this.membership.voters);
  }

  private broadcastHeartbeat(context: number): void {
    for (const member of allMembers(this.membership)) {
      if (member === this.id) continue;
      const pr = this.ensureProgress(member);
      this.send({ kind: 'heartbeat', from: this.id, to: member, term: this.term, commit: Math.min(pr.match, this.log.committed), context });
    }
  }

  private onHeartbeatResp(msg: Extract<Message, { kind: 'heartbeatResp' }>): void {
    const pr = this.followerResponded(msg);
    if (pr === undefined) return;
    if (pr.state === 'probe') pr.probeSent = false;
    // Appends may have been lost with the window full: free a slot so replication resumes.
    if (pr.state === 'replicate' && pr.inflight.length >= this.options.inflightMsgsMax) pr.inflight.shift();
    if (pr.state === 'snapshot') this.sendSnapshot(msg.from, pr);
    else if (pr.match < this.log.lastIndex() || pr.state === 'probe') this.sendAppend(msg.from);
    if (msg.context > 0) this.onReadAck(msg.context, msg.from);
  }

  private onSnapshotResp(msg: Extract<Message, { kind: 'snapshotResp' }>): void {
    if (this.role !== 'leader') return;
    const pr = this.progress.get(msg.from);
    if (pr === undefined || pr.state !== 'snapshot') return;
    pr.recentActive = true;
    if (msg.done) {
      pr.match = Math.max(pr.match, msg.index);
      pr.next = pr.match + 1;
      becomeProbe(pr);
      this.maybeCommit();
      this.sendAppend(msg.from);
      return;
    }
    pr.snapshotOffset = msg.nextOffset;
    this.sendSnapshot(msg.from, pr);
  }

  // ---------------------------------------------------------------- follower

  private onAppend(msg: Extract<Message, { kind: 'append' }>): void {
    assert(this.role !== 'leader', `election safety: two leaders in term ${this.term} (${this.id} and ${msg.from})`);
    this.acceptLeader(msg.from);
    const reply = (success: boolean, index: number, hintIndex = 0, hintTerm = 0): void =>
      this.send({ kind: 'appendResp', from: this.id, to: msg.from, term: this.term, success, index, hintIndex, hintTerm, recovering: this.recovering });
    if (msg.prevIndex < this.log.committed) {
      reply(true, this.log.committed);
      return;
    }
    if (!this.log.matchTerm(msg.prevIndex, msg.prevTerm)) {
      if (msg.prevIndex > this.log.lastIndex()) return reply(false, msg.prevIndex, this.log.lastIndex() + 1, 0);
      const conflictTerm = this.log.term(msg.prevIndex)!;
      let first = msg.prevIndex;
      while (first - 1 >= this.log.firstIndex() && this.log.term(first - 1) === conflictTerm) first -= 1;
      return reply(false, msg.prevIndex, first, conflictTerm);
    }
    const hadConfig = msg.entries.some((e) => e.kind === 'config') || this.configLog.some((c) => c.index > msg.prevIndex);
    const last = this.log.appendFromLeader(msg.prevIndex, msg.entries);
    if (hadConfig) this.rebuildConfigLog();
    this.log.commitTo(Math.min(msg.commit, last));
    if (this.recovering && this.log.lastIndex() >= msg.commit && last === this.log.lastIndex()) this.recovering = false;
    reply(true, last);
  }

  private rebuildConfigLog(): void {
    this.configLog = [];
    for (let i = this.log.firstIndex(); i <= this.log.lastIndex(); i++) {
      const e = this.log.entry(i);
      if (e.kind === 'config') this.configLog.push({ index: e.index, membership: decodeMembership(e.data) });
    }
  }

  private onHeartbeat(msg: Extract<Message, { kind: 'heartbeat' }>): void {
    this.acceptLeader(msg.from);
    this.log.commitTo(Math.min(msg.commit, this.log.lastIndex()));
    this.send({ kind: 'heartbeatResp', from: this.id, to: msg.from, term: this.term, context: msg.context, recovering: this.recovering });
  }

  private acceptLeader(from: NodeId): void {
    if (this.role !== 'follower' || this.leader !== from) this.becomeFollower(this.term, from);
    this.electionElapsed = 0;
  }

  private onSnapshot(msg: Extract<Message, { kind: 'snapshot' }>): void {
    this.acceptLeader(msg.from);
    const reply = (nextOffset: number, done: boolean, index: number): void =>
      this.send({ kind: 'snapshotResp', from: this.id, to: msg.from, term: this.term, index, nextOffset, done });
    if (msg.meta.index <= this.log.committed) {
      this.incomingSnapshot = undefined;
      return reply(0, true, this.log.committed);
    }
    const same = this.incomingSnapshot?.meta.index === msg.meta.index && this.incomingSnapshot.meta.term === msg.meta.term && this.incomingSnapshot.from === msg.from;
    if (!same) this.incomingSnapshot = { meta: msg.meta, chunks: [], received: 0, from: msg.from };
    const incoming = this.incomingSnapshot!;
    if (msg.offset !== incoming.received) return reply(incoming.received, false, 0);
    incoming.chunks.push(msg.chunk);
    incoming.received += msg.chunk.length;
    if (incoming.received < msg.totalBytes) return reply(incoming.received, false, 0);
    const data = new Uint8Array(incoming.received);
    let offset = 0;
    for (const chunk of incoming.chunks) {
      data.set(chunk, offset);
      offset += chunk.length;
    }
    this.incomingSnapshot = undefined;
    this.log.restore(msg.meta);
    this.baseMembership = msg.meta.membership;
    this.rebuildConfigLog();
    this.pendingSnapshot = { meta: msg.meta, data };
    if (this.recovering && this.log.lastIndex() >= msg.meta.index) this.recovering = false;
    reply(msg.totalBytes, true, msg.meta.index);
  }

  // ---------------------------------------------------------------- linearizable reads

  private leaderRead(requestId: number, from: NodeId): void {
    if (bugs.staleLeaderReads) return this.answerRead({ requestId, from, index: this.log.committed, context: 0 });
    if (this.pendingReads.length + this.readsAwaitingCommit.length >= this.options.pendingReadsMax) return this.rejectRead(requestId, from);
    // A new leader does not know the commit index until an entry of its own term commits (§6.4).
    if (this.log.term(this.log.committed) !== this.term) {
      this.readsAwaitingCommit.push({ requestId, from });
      return;
    }
    const context = ++this.readContext;
    const read = { requestId, from, index: this.log.committed, context };
    if (this.membership.voters.length === 1) return this.answerRead(read);
    this.pendingReads.push(read);
    this.readAcks.set(context, new Set([this.id]));
    this.broadcastHeartbeat(context);
  }

  private releaseReadsAwaitingCommit(): void {
    if (this.readsAwaitingCommit.length === 0 || this.log.term(this.log.committed) !== this.term) return;
    const waiting = this.readsAwaitingCommit;
    this.readsAwaitingCommit = [];
    for (const r of waiting) this.leaderRead(r.requestId, r.from);
  }

  private onReadAck(context: number, from: NodeId): void {
    const acks = this.readAcks.get(context);
    if (acks === undefined) return;
    acks.add(from);
    let count = 0;
    for (const voter of this.membership.voters) if (acks.has(voter)) count += 1;
    if (count < quorumSize(this.membership.voters)) return;
    // Leadership confirmed as of `context`: every read registered up to it is safe.
    const ready = this.pendingReads.filter((r) => r.context <= context);
    this.pendingReads = this.pendingReads.filter((r) => r.context > context);
    for (const c of [...this.readAcks.keys()]) if (c <= context) this.readAcks.delete(c);
    for (const read of ready) this.answerRead(read);
  }

  private answerRead(read: PendingRead): void {
    if (read.from === this.id) this.readStates.push({ requestId: read.requestId, index: read.index });
    else this.send({ kind: 'readIndexResp', from: this.id, to: read.from, term: this.term, requestId: read.requestId, index: read.index, ok: true });
  }

  private rejectRead(requestId: number, from: NodeId): void {
    if (from === this.id) this.droppedReads.push(requestId);
    else this.send({ kind: 'readIndexResp', from: this.id, to: from, term: this.term, requestId, index: 0, ok: false });
  }

  private dropLeaderReads(): void {
    for (const r of [...this.pendingReads, ...this.readsAwaitingCommit]) this.rejectRead(r.requestId, r.from);
    this.pendingReads = [];
    this.readsAwaitingCommit = [];
    this.readAcks.clear();
  }

  private onReadIndex(msg: Extract<Message, { kind: 'readIndex' }>): void {
    if (this.role !== 'leader') return this.send({ kind: 'readIndexResp', from: this.id, to: msg.from, term: this.term, requestId: msg.requestId, index: 0, ok: false });
    this.leaderRead(msg.requestId, msg.from);
  }

  private onReadIndexResp(msg: Extract<Message, { kind: 'readIndexResp' }>): void {
    if (msg.ok) this.readStates.push({ requestId: msg.requestId, index: msg.index });
    else this.droppedReads.push(msg.requestId);
  }

  private send(msg: Message): void {
    this.outbox.push(msg);
  }
}
