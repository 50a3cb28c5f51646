/**
 * Safety invariants checked continuously while a seed runs (Raft paper figure 3, plus Keel's):
 * election safety, state machine safety / log matching, leader completeness, identical state
 * digests at the same applied index. Liveness and linearizability are checked at the end.
 */
import { crc32cChunk } from '../storage/crc.js';
import type { Entry, NodeId } from '../raft/types.js';
import type { RaftNode } from '../raft/raft.js';

export interface Violation {
  readonly invariant: string;
  readonly message: string;
  readonly atMs: number;
}

export class InvariantChecker {
  readonly violations: Violation[] = [];
  private readonly leaders = new Map<number, NodeId>();
  private readonly applied = new Map<number, { term: number; crc: number; node: NodeId }>();
  private readonly digests = new Map<number, { digest: string; node: NodeId }>();
  private readonly votes = new Map<string, NodeId>();
  maxApplied = 0;

  constructor(private readonly now: () => number, private readonly digestEvery = 8) {}

  fail(invariant: string, message: string): void {
    if (this.violations.length < 20) this.violations.push({ invariant, message, atMs: this.now() });
  }

  /** Election safety: at most one leader per term, ever. */
  observeLeader(id: NodeId, term: number, raft: RaftNode): void {
    const known = this.leaders.get(term);
    if (known === undefined) {
      this.leaders.set(term, id);
      this.checkLeaderCompleteness(id, raft);
    } else if (known !== id) {
      this.fail('election-safety', `two leaders in term ${term}: ${known} and ${id}`);
    }
  }

  /** A vote, once granted in a term, is never granted to another candidate in that term (even across restarts). */
  observeVoteGranted(voter: NodeId, term: number, candidate: NodeId): void {
    const key = `${voter}@${term}`;
    const earlier = this.votes.get(key);
    if (earlier === undefined) this.votes.set(key, candidate);
    else if (earlier !== candidate) this.fail('vote-durability', `${voter} voted for ${earlier} and then for ${candidate} in term ${term}`);
  }

  /** A wiped node is a new machine: its earlier incarnation's votes bind nobody now. */
  forgetVotesOf(node: NodeId): void {
    for (const key of [...this.votes.keys()]) if (key.startsWith(`${node}@`)) this.votes.delete(key);
  }

  /** Persistence contract: a node restarting in the term it voted in remembers that vote. */
  observeBoot(node: NodeId, term: number, vote: NodeId | undefined): void {
    const cast = this.votes.get(`${node}@${term}`);
    if (cast !== undefined && vote !== cast) this.fail('vote-durability', `${node} restarted in term ${term} with vote ${vote ?? 'none'}, but had sent its vote for ${cast}`);
  }

  /** State machine safety: every node applies the same entry at the same index. */
  observeApplied(node: NodeId, entry: Entry, digest: () => string): void {
    const crc = crc32cChunk(entry.data, entry.term);
    const seen = this.applied.get(entry.index);
    if (seen === undefined) this.applied.set(entry.index, { term: entry.term, crc, node });
    else if (seen.term !== entry.term || seen.crc !== crc) {
      this.fail('state-machine-safety', `index ${entry.index}: ${seen.node} applied term ${seen.term}, ${node} applied term ${entry.term}${seen.term === entry.term ? ' with different data' : ''}`);
    }
    if (entry.index > this.maxApplied) this.maxApplied = entry.index;
    if (entry.index % this.digestEvery === 0) this.observeDigest(node, entry.index, digest());
  }

  /** Replicas at the same applied index hold byte-identical state. */
  observeDigest(node: NodeId, index: number, digest: string): void {
    const seen = this.digests.get(index);
    if (seen === undefined) this.digests.set(index, { digest, node });
    else if (seen.digest !== digest) this.fail('state-digest', `at applied index ${index}: ${seen.node} has ${seen.digest}, ${node} has ${digest}`);
  }

  /** Leader completeness: a new leader's log holds every entry anyone has applied. */
  private checkLeaderCompleteness(id: NodeId, raft: RaftNode): void {
    const log = raft.log;
    if (log.lastIndex() < this.maxApplied) {
      this.fail('leader-completeness', `${id} leads term ${raft.currentTerm} with last index ${log.lastIndex()} but index ${this.maxApplied} was applied`);
      return;
    }
    for (let i = Math.max(log.firstIndex(), 1); i <= this.maxApplied; i++) {
      const seen = this.applied.get(i);
      if (seen !== undefined && log.term(i) !== seen.term) {
        this.fail('leader-completeness', `${id} leads term ${raft.currentTerm} with term ${log.term(i)} at index ${i}, where term ${seen.term} was applied`);
        return;
      }
    }
  }
}
