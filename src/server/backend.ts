/**
 * The node behind the HTTP API: KV calls go to KeelNode; cluster administration runs on the
 * leader (forwarded there by RPC from any node).
 */
import type { ApiBackend } from '../api/backend.js';
import type { ClusterResponse, HealthResponse, LeaderTransferResponse, MemberAddRequest, MemberRole, MemberStatus } from '../api/wire.js';
import { KeelError } from '../core/errors.js';
import type { KvEnvelope, KvQuery, KvResult, KvWatchFilter } from '../kv/index.js';
import type { Clock, Timers } from '../ports/clock.js';
import type { PeerTransport } from '../ports/transport.js';
import type { NodeId } from '../raft/types.js';
import type { KeelNode } from './keel-node.js';
import type { MemberDirectory } from './member-directory.js';
import { sleep } from './timeout.js';
import type { WatchHub, WatchSink } from './watch-hub.js';
import type { NodeMetrics } from '../metrics/node-metrics.js';

interface LocalStatus {
  readonly role: MemberRole;
  readonly term: number;
  readonly commitIndex: number;
  readonly appliedIndex: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class NodeBackend implements ApiBackend {
  readonly id: string;

  constructor(
    private readonly node: KeelNode,
    private readonly transport: PeerTransport,
    private readonly members: MemberDirectory,
    private readonly metricsRegistry: NodeMetrics,
    private readonly clock: Clock,
    private readonly timers: Timers,
    private readonly watches: WatchHub,
  ) {
    this.id = node.id;
    transport.handle('node.status', () => Promise.resolve(encoder.encode(JSON.stringify(this.localStatus()))));
    transport.handle('cluster.status', async () => encoder.encode(JSON.stringify(await this.leaderView())));
    transport.handle('cluster.addMember', async (_from, body) => {
      await this.addMemberHere(JSON.parse(decoder.decode(body)) as MemberAddRequest);
      return new Uint8Array(0);
    });
    transport.handle('cluster.removeMember', async (_from, body) => {
      await this.removeMemberHere(decoder.decode(body));
      return new Uint8Array(0);
    });
    transport.handle('cluster.transfer', async (_from, body) => encoder.encode(JSON.stringify(await this.transferHere(body.length === 0 ? undefined : decoder.decode(body)))));
  }

  write(envelope: KvEnvelope): Promise<KvResult> {
    return this.metricsRegistry.timeWrite(() => this.node.write(envelope));
  }

  read(query: KvQuery, consistency: 'linearizable' | 'serializable'): Promise<KvResult> {
    return this.node.read(query, consistency);
  }

  watch(filter: KvWatchFilter, fromRevision: number | undefined, sink: WatchSink): () => void {
    return this.watches.watch(filter, fromRevision, sink);
  }

  health(): HealthResponse {
    const status = this.node.raft.status();
    const serving = this.node.serving;
    return {
      ok: serving.serving, id: this.id, role: this.localStatus().role, leaderId: status.leader ?? null, term: status.term,
      appliedIndex: status.appliedIndex, ...(serving.serving ? {} : { reason: serving.reason }),
    };
  }

  async cluster(): Promise<ClusterResponse> {
    const leader = this.node.raft.leaderId;
    if (leader === undefined || leader === this.id) return this.leaderView();
    try {
      const body = await this.transport.request(leader, 'cluster.status', new Uint8Array(0), { timeoutMs: 2_000 });
      return JSON.parse(decoder.decode(body)) as ClusterResponse;
    } catch {
      return this.leaderView();
    }
  }

  addMember(request: MemberAddRequest): Promise<void> {
    return this.onLeader('cluster.addMember', encoder.encode(JSON.stringify(request)), () => this.addMemberHere(request));
  }

  removeMember(id: string): Promise<void> {
    return this.onLeader('cluster.removeMember', encoder.encode(id), () => this.removeMemberHere(id));
  }

  async transferLeader(to: string | undefined): Promise<LeaderTransferResponse> {
    let result: LeaderTransferResponse | undefined;
    await this.onLeader('cluster.transfer', encoder.encode(to ?? ''), async () => {
      result = await this.transferHere(to);
    }, (body) => {
      result = JSON.parse(decoder.decode(body)) as LeaderTransferResponse;
    });
    return result!;
  }

  metrics(): Promise<{ contentType: string; body: string }> {
    return this.metricsRegistry.render();
  }

  // ------------------------------------------------------------ leader-side work

  private async onLeader(method: string, body: Uint8Array, here: () => Promise<void>, onRemote?: (body: Uint8Array) => void): Promise<void> {
    const leader = await this.awaitLeader();
    if (leader === this.id) return here();
    const response = await this.transport.request(leader, method, body, { timeoutMs: 30_000 });
    onRemote?.(response);
  }

  private async awaitLeader(): Promise<NodeId> {
    const until = this.clock.now() + 5_000;
    for (;;) {
      const leader = this.node.raft.leaderId;
      if (leader !== undefined) return leader;
      if (this.clock.now() > until) throw new KeelError('UNAVAILABLE', 'no leader elected', { retryable: true });
      await sleep(this.timers, 20);
    }
  }

  private async addMemberHere(request: MemberAddRequest): Promise<void> {
    const raft = this.node.raft;
    if (raft.membership.voters.includes(request.id)) throw new KeelError('CONFLICT', `${request.id} is already a voter`);
    await this.members.publish(request.id, request.peerAddress, request.httpAddress ?? null);
    this.members.connect(request.id, request.peerAddress);
    if (!raft.membership.learners.includes(request.id)) {
      await this.proposeChange({ kind: 'addLearner', id: request.id }, (m) => m.learners.includes(request.id));
    }
    if (request.learner === true) return;
    // Raft refuses to promote a learner that has not caught up (a lagging voter weakens the
    // quorum): proposeChange retries until it has, or gives up and the node stays a learner.
    await this.proposeChange({ kind: 'promote', id: request.id }, (m) => m.voters.includes(request.id), 25_000);
  }

  private async removeMemberHere(id: string): Promise<void> {
    const membership = this.node.raft.membership;
    if (!membership.voters.includes(id) && !membership.learners.includes(id)) throw new KeelError('NOT_FOUND', `${id} is not a member`);
    if (membership.voters.length <= 1 && membership.voters.includes(id)) throw new KeelError('CONFLICT', 'cannot remove the last voter');
    await this.proposeChange({ kind: 'remove', id }, (m) => !m.voters.includes(id) && !m.learners.includes(id));
    await this.members.forget(id).catch(() => undefined);
  }

  private async proposeChange(change: Parameters<KeelNode['raft']['proposeMembership']>[0], done: (m: { voters: readonly string[]; learners: readonly string[] }) => boolean, waitMs = 10_000): Promise<void> {
    const raft = this.node.raft;
    const until = this.clock.now() + waitMs;
    for (;;) {
      const result = raft.proposeMembership(change);
      this.node.driver.kick();
      if (result.ok) break;
      const transient = result.reason === 'configPending' || (change.kind === 'promote' && result.reason === 'invalid' && result.message.includes('caught up'));
      if (!transient || this.clock.now() > until) throw new KeelError(result.reason === 'notLeader' ? 'NOT_LEADER' : 'CONFLICT', result.message, { retryable: true });
      await sleep(this.timers, 50);
    }
    while (!(done(raft.membership) && raft.log.applied >= raft.log.lastIndex())) {
      if (this.clock.now() > until) throw new KeelError('TIMEOUT', `membership change ${change.kind} ${change.id} did not commit within ${waitMs / 1000} s`, { retryable: true });
      await sleep(this.timers, 20);
    }
  }

  private async transferHere(to: string | undefined): Promise<LeaderTransferResponse> {
    const raft = this.node.raft;
    const target = to ?? raft.membership.voters.filter((v) => v !== this.id).sort((a, b) => (raft.followerMatch(b) ?? 0) - (raft.followerMatch(a) ?? 0))[0];
    if (target === undefined) throw new KeelError('CONFLICT', 'no other voter to hand leadership to');
    if (target === this.id) return { leaderId: this.id };
    const refused = raft.transferLeadership(target);
    if (refused !== undefined) throw new KeelError('BAD_REQUEST', `leader transfer refused: ${refused}`);
    this.node.driver.kick();
    const until = this.clock.now() + 5_000;
    while (raft.isLeader) {
      if (this.clock.now() > until) throw new KeelError('TIMEOUT', `${target} did not take over within 5 s`, { retryable: true });
      await sleep(this.timers, 10);
    }
    return { leaderId: target };
  }

  // ------------------------------------------------------------ status

  private localStatus(): LocalStatus {
    const s = this.node.raft.status();
    const learner = s.membership.learners.includes(this.id);
    const role: MemberRole = learner ? 'learner' : s.role === 'preCandidate' ? 'candidate' : s.role;
    return { role, term: s.term, commitIndex: s.commitIndex, appliedIndex: s.appliedIndex };
  }

  /** Every member's status as this node sees it, asking each peer directly (bounded wait). */
  private async leaderView(): Promise<ClusterResponse> {
    const raft = this.node.raft;
    const { voters, learners } = raft.membership;
    const now = this.clock.now();
    const statuses = await Promise.all([...voters, ...learners].map(async (id): Promise<MemberStatus> => {
      const address = this.members.address(id);
      const base = { id, voter: voters.includes(id), peerAddress: address?.peer ?? '', httpAddress: address?.http ?? null };
      if (id === this.id) return { ...base, ...this.localStatus(), lastHeartbeatMs: 0, healthy: this.node.serving.serving };
      const heard = this.node.lastHeard.get(id);
      const lastHeartbeatMs = heard === undefined ? null : Math.round(now - heard);
      try {
        const body = await this.transport.request(id, 'node.status', new Uint8Array(0), { timeoutMs: 500 });
        const status = JSON.parse(decoder.decode(body)) as LocalStatus;
        return { ...base, ...status, lastHeartbeatMs, healthy: lastHeartbeatMs !== null && lastHeartbeatMs < 2_000 };
      } catch {
        return { ...base, role: 'unknown', term: 0, commitIndex: 0, appliedIndex: 0, lastHeartbeatMs, healthy: false };
      }
    }));
    return { leaderId: raft.leaderId ?? null, term: raft.currentTerm, members: statuses };
  }
}
