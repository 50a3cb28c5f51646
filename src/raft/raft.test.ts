import { afterEach, describe, expect, it } from 'vitest';
import { bugs, resetBugs } from '../core/bug-switches.js';
import { Cluster, entry } from './raft.test-kit.js';
import type { Entry, HardState } from './types.js';

afterEach(resetBugs);

const ids = ['n1', 'n2', 'n3'];

describe('raft: election and replication', () => {
  it('elects exactly one leader and replicates a committed entry to every node, in order', () => {
    const c = new Cluster(ids);
    const leader = c.electLeader();
    expect([...c.nodes.values()].filter((n) => n.isLeader)).toHaveLength(1);
    for (let i = 0; i < 20; i++) c.propose(`cmd${i}`);
    c.tick(10);
    for (const id of ids) expect(c.appliedData(id)).toEqual(Array.from({ length: 20 }, (_, i) => `cmd${i}`));
    expect(leader.status().commitIndex).toBe(21); // 20 commands + the election no-op
  });

  it('a single-node cluster commits on its own', () => {
    const c = new Cluster(['solo']);
    c.electLeader();
    c.propose('x');
    expect(c.appliedData('solo')).toEqual(['x']);
  });

  it('check-quorum: a leader cut off from the majority steps down; the majority elects a new one', () => {
    const c = new Cluster(ids);
    const old = c.electLeader();
    c.isolate(old.id);
    c.tick(60);
    expect(old.isLeader).toBe(false);
    const fresh = c.leader()!;
    expect(fresh.id).not.toBe(old.id);
    expect(fresh.currentTerm).toBeGreaterThan(old.currentTerm - 1);
  });

  it('pre-vote: a partitioned node rejoining does not disrupt a healthy leader (no term inflation)', () => {
    const c = new Cluster(ids);
    const leader = c.electLeader();
    const term = leader.currentTerm;
    const loner = ids.find((id) => id !== leader.id)!;
    c.isolate(loner);
    c.tick(200);
    expect(c.node(loner).currentTerm).toBe(term); // pre-votes fail without bumping the term
    c.heal();
    c.tick(30);
    expect(leader.isLeader).toBe(true);
    expect(leader.currentTerm).toBe(term);
  });

  it('a partitioned old leader cannot commit; its uncommitted suffix is replaced after healing', () => {
    const c = new Cluster(ids, { checkQuorum: false });
    const old = c.electLeader();
    c.propose('before');
    c.isolate(old.id);
    const stale = old.propose(new TextEncoder().encode('lost'));
    expect(stale.ok).toBe(true);
    c.tick(100);
    const fresh = c.leader()!;
    expect(fresh.id).not.toBe(old.id);
    c.propose('after');
    expect(old.status().commitIndex).toBeLessThan(old.status().lastIndex);
    c.heal();
    c.tick(30);
    for (const id of ids) expect(c.appliedData(id)).toEqual(['before', 'after']);
  });

  it('a node rejoining with a higher term (it campaigned alone without pre-vote) lets the cluster converge without losing committed entries', () => {
    const c = new Cluster(ids, { preVote: false, checkQuorum: false });
    const leader = c.electLeader();
    c.propose('a');
    const loner = ids.find((id) => id !== leader.id)!;
    c.isolate(loner);
    c.tick(200);
    expect(c.node(loner).currentTerm).toBeGreaterThan(leader.currentTerm + 2);
    c.propose('b');
    c.heal();
    c.tick(200);
    const now = c.leader()!;
    expect(now.currentTerm).toBeGreaterThanOrEqual(c.node(loner).currentTerm);
    c.propose('c');
    c.tick(10);
    for (const id of ids) expect(c.appliedData(id)).toEqual(['a', 'b', 'c']);
  });

  it('leadership transfer (TimeoutNow) moves the leader to an up-to-date target', () => {
    const c = new Cluster(ids);
    const leader = c.electLeader();
    c.propose('x');
    const target = ids.find((id) => id !== leader.id)!;
    expect(leader.transferLeadership(target)).toBeUndefined();
    c.deliver();
    expect(c.node(target).isLeader).toBe(true);
    expect(leader.isLeader).toBe(false);
  });
});

describe('raft: the paper\'s figures', () => {
  /** Builds a 3..7-node cluster whose nodes start from the given logs (terms per index). */
  function fromLogs(logs: Record<string, number[]>, currentTerm: number): Cluster {
    const names = Object.keys(logs);
    const c = new Cluster(names);
    for (const name of names) {
      const entries: Entry[] = logs[name]!.map((term, i) => entry(i + 1, term));
      const hardState: HardState = { term: currentTerm, vote: undefined, commit: 0 };
      c.disks.set(name, { hardState, entries, snapshot: undefined });
      c.start(name);
    }
    return c;
  }

  it('figure 7: whichever legitimate leader wins, every follower log converges to it', () => {
    // Leader for term 8 holds the longest term-6 log; followers a-f are the paper's cases.
    const logs = {
      leader: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6],
      a: [1, 1, 1, 4, 4, 5, 5, 6, 6],
      b: [1, 1, 1, 4],
      c: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6],
      d: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7],
      e: [1, 1, 1, 4, 4, 4, 4],
      f: [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3],
    };
    const c = fromLogs(logs, 7);
    const leader = c.electLeader(2000);
    c.propose('fig7');
    c.tick(50);
    const expected = c.disks.get(leader.id)!.entries.map((e) => `${e.index}:${e.term}`);
    for (const name of Object.keys(logs)) {
      expect(c.disks.get(name)!.entries.map((e) => `${e.index}:${e.term}`), name).toEqual(expected);
    }
    // Only d or c-like logs (term >= 6 at the end and up to date) can have won.
    expect(['leader', 'c', 'd', 'a']).toContain(leader.id);
  });

  it('figure 8: a leader does not commit an entry of an earlier term by counting replicas', () => {
    // s1 leads term 2 with entry (2,2) on s1,s2; s5 led term 3 with (2,3) elsewhere; s1 is back in term 4.
    const c = fromLogs({ s1: [1, 2], s2: [1, 2], s3: [1], s4: [1], s5: [1, 3] }, 3);
    for (const id of ['s3', 's4', 's5']) c.disks.get(id)!.entries = c.disks.get(id)!.entries.slice(0, id === 's5' ? 2 : 1);
    for (const id of ['s1', 's2', 's3', 's4', 's5']) c.start(id);
    c.crash('s5');
    c.node('s1').campaignNow();
    c.tick(1);
    c.deliver();
    const s1 = c.node('s1');
    expect(s1.isLeader).toBe(true);
    // Replicate only the old entry (2,2) to s3 (a majority now holds it), not the new no-op.
    c.cutLink('s1', 's2');
    c.cutLink('s1', 's4');
    const before = s1.status().commitIndex;
    c.tick(3);
    expect(c.disks.get('s3')!.entries.some((e) => e.index === 2 && e.term === 2)).toBe(true);
    // The no-op of term 4 also reached s3 here; the essential check: commit never counted (2,2) alone.
    expect(s1.status().commitIndex === before || c.disks.get('s3')!.entries.some((e) => e.term === s1.currentTerm)).toBe(true);
  });

  it('figure 8 (direct): with (2,2) on a majority but no current-term entry replicated, commit stays put', () => {
    const c = fromLogs({ s1: [1, 2], s2: [1, 2], s3: [1, 2] }, 3);
    c.node('s1').campaignNow();
    // Drop every append so only votes flow: the leader's no-op (term 4) is never replicated.
    for (let i = 0; i < 6; i++) c.deliverOnly((m) => m.kind === 'vote' || m.kind === 'voteResp');
    const s1 = c.node('s1');
    expect(s1.isLeader).toBe(true);
    // Pretend followers acknowledged index 2 (they hold (2,2)): only the term rule stops the commit.
    s1.step({ kind: 'appendResp', from: 's2', to: 's1', term: s1.currentTerm, success: true, index: 2, hintIndex: 0, hintTerm: 0, recovering: false });
    expect(s1.status().commitIndex).toBe(0);
    bugs.commitOldTermByCounting = true;
    s1.step({ kind: 'appendResp', from: 's3', to: 's1', term: s1.currentTerm, success: true, index: 2, hintIndex: 0, hintTerm: 0, recovering: false });
    expect(s1.status().commitIndex).toBe(2); // the mutation commits it: the check above is what prevents it
  });

  it('a conflicting uncommitted suffix on a follower is truncated and replaced', () => {
    const c = fromLogs({ n1: [1, 1, 2], n2: [1, 1, 2], n3: [1, 1, 3, 3, 3] }, 3);
    c.disks.get('n3')!.hardState = { term: 3, vote: 'n3', commit: 2 };
    c.start('n3');
    c.crash('n3');
    const leader = c.electLeader();
    expect(leader.id).not.toBe('n3');
    c.start('n3');
    c.propose('new');
    c.tick(20);
    expect(c.disks.get('n3')!.entries.map((e) => e.term)).toEqual(c.disks.get(leader.id)!.entries.map((e) => e.term));
    expect(c.disks.get('n3')!.entries.some((e) => e.term === 3)).toBe(false);
  });
});

describe('raft: persistence, recovery, snapshots, membership, reads', () => {
  it('hard state with the vote is emitted for persistence before the vote response is sent', () => {
    const c = new Cluster(ids);
    const n2 = c.node('n2');
    n2.step({ kind: 'vote', from: 'n1', to: 'n2', term: 5, preVote: false, lastIndex: 0, lastTerm: 0, transfer: false });
    const rd = n2.ready();
    expect(rd.hardState).toEqual({ term: 5, vote: 'n1', commit: 0 });
    expect(rd.messages).toEqual([expect.objectContaining({ kind: 'voteResp', granted: true })]);
    n2.advance(rd);
  });

  it('a restarted node keeps its vote: it does not vote twice in one term', () => {
    const c = new Cluster(ids);
    const n2 = c.node('n2');
    n2.step({ kind: 'vote', from: 'n1', to: 'n2', term: 5, preVote: false, lastIndex: 0, lastTerm: 0, transfer: false });
    c.flushReady();
    c.crash('n2');
    c.start('n2');
    const again = c.node('n2');
    again.step({ kind: 'vote', from: 'n3', to: 'n2', term: 5, preVote: false, lastIndex: 0, lastTerm: 0, transfer: false });
    expect(again.ready().messages).toEqual([expect.objectContaining({ kind: 'voteResp', granted: false })]);
  });

  it('a recovering node neither votes nor counts toward a quorum until it has caught up', () => {
    const c = new Cluster(ids);
    const leader = c.electLeader();
    c.propose('x');
    const other = ids.find((id) => id !== leader.id)!;
    c.crash(other);
    c.start(other, true);
    const node = c.node(other);
    node.step({ kind: 'vote', from: 'zz', to: other, term: node.currentTerm + 1, preVote: false, lastIndex: 99, lastTerm: 99, transfer: true });
    expect(node.ready().messages).toEqual([expect.objectContaining({ kind: 'voteResp', granted: false })]);
    node.advance({ hardState: undefined, entries: [], snapshot: undefined, messages: [], committed: [], readStates: [], droppedReads: [] });
    expect(node.status().recovering).toBe(true);
    c.tick(150);
    c.propose('y');
    c.tick(5);
    expect(node.status().recovering).toBe(false);
  });

  it('a follower far behind a compacted leader catches up by chunked InstallSnapshot', () => {
    const c = new Cluster(ids, { snapshotChunkBytes: 16 });
    const leader = c.electLeader();
    const lagging = ids.find((id) => id !== leader.id)!;
    c.crash(lagging);
    for (let i = 0; i < 30; i++) c.propose(`v${i}`);
    const applied = leader.status().appliedIndex;
    const data = new TextEncoder().encode(JSON.stringify(c.appliedData(leader.id)));
    c.disks.get(leader.id)!.snapshot = { meta: { index: applied, term: leader.currentTerm, membership: leader.membershipAt(applied) }, data };
    leader.compact(applied);
    c.start(lagging);
    for (let i = 0; i < 200 && !c.disks.get(lagging)!.snapshot; i++) c.tick();
    expect(c.disks.get(lagging)!.snapshot?.data).toEqual(data);
    expect(c.delivered.get('snapshot')).toBeGreaterThanOrEqual(Math.ceil(data.length / 16));
    c.propose('after');
    c.tick(5);
    expect(c.node(lagging).status().appliedIndex).toBe(leader.status().appliedIndex);
  });

  it('membership: a learner catches up, is promoted, and a voter is removed, one change at a time', () => {
    const c = new Cluster(ids);
    const leader = c.electLeader();
    c.propose('a');
    c.addNode('n4');
    expect(leader.proposeMembership({ kind: 'addLearner', id: 'n4' }).ok).toBe(true);
    expect(leader.proposeMembership({ kind: 'remove', id: 'n3' })).toMatchObject({ ok: false, reason: 'configPending' });
    c.tick(10);
    expect(c.appliedData('n4')).toEqual(['a']);
    expect(leader.proposeMembership({ kind: 'promote', id: 'n4' }).ok).toBe(true);
    c.tick(10);
    expect(leader.membership.voters).toEqual(['n1', 'n2', 'n3', 'n4']);
    const victim = ids.find((id) => id !== leader.id)!;
    expect(leader.proposeMembership({ kind: 'remove', id: victim }).ok).toBe(true);
    c.tick(10);
    c.crash(victim);
    c.propose('b');
    c.tick(10);
    expect(c.appliedData('n4')).toEqual(['a', 'b']);
    expect(leader.membership.voters).not.toContain(victim);
  });

  it('ReadIndex: a read is answered only after a heartbeat quorum confirms leadership', () => {
    const c = new Cluster(ids);
    const leader = c.electLeader();
    c.propose('x');
    leader.readIndex(7);
    const rd = leader.ready();
    expect(rd.readStates).toEqual([]);
    expect(rd.messages.some((m) => m.kind === 'heartbeat' && m.context > 0)).toBe(true);
    c.queue.push(...rd.messages);
    leader.advance(rd);
    c.deliver();
    expect(c.reads.get(leader.id)).toEqual([{ requestId: 7, index: leader.status().commitIndex }]);
  });

  it('ReadIndex: a stale leader cut off from the majority never answers the read', () => {
    const c = new Cluster(ids, { checkQuorum: false });
    const leader = c.electLeader();
    c.isolate(leader.id);
    leader.readIndex(9);
    c.tick(5);
    expect(c.reads.get(leader.id) ?? []).toEqual([]);
    bugs.staleLeaderReads = true;
    leader.readIndex(10);
    c.tick(1);
    expect(c.reads.get(leader.id)).toEqual([{ requestId: 10, index: leader.status().commitIndex }]);
  });

  it('a follower forwards ReadIndex to the leader', () => {
    const c = new Cluster(ids);
    const leader = c.electLeader();
    c.propose('x');
    const follower = ids.find((id) => id !== leader.id)!;
    c.node(follower).readIndex(3);
    c.deliver();
    expect(c.reads.get(follower)).toEqual([{ requestId: 3, index: leader.status().commitIndex }]);
  });
});
