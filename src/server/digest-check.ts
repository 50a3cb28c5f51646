/**
 * Cross-replica consistency check: every replica records its state digest at the same applied
 * indexes (multiples of `everyEntries`); the leader periodically fetches each peer's records and
 * compares them with its own at equal indexes. A mismatch is logged with both digests, counted,
 * and the peer is told to stop serving and rebuild from the leader's state.
 */
import { describeError } from '../core/errors.js';
import type { Timers } from '../ports/clock.js';
import type { PeerTransport } from '../ports/transport.js';
import type { NodeId } from '../raft/types.js';
import type { Logger } from './logger.js';

const kept = 32;

export interface DigestSubject {
  readonly id: NodeId;
  readonly raft: { readonly isLeader: boolean; readonly membership: { readonly voters: readonly NodeId[]; readonly learners: readonly NodeId[] } };
  markDivergedAndRebuild(reason: string): Promise<void>;
  reportDivergence(detail: { peer: NodeId; index: number; ours: string; theirs: string }): void;
}

export class DigestChecker {
  private readonly records = new Map<number, string>();
  private cancel: (() => void) | undefined;
  checks = 0;
  mismatches = 0;

  constructor(
    private readonly node: DigestSubject,
    private readonly transport: PeerTransport,
    private readonly logger: Logger,
    private readonly timers: Timers,
    private readonly intervalMs: number,
    private readonly everyEntries = 1_000,
  ) {}

  record(index: number, digest: () => string): void {
    if (index % this.everyEntries !== 0) return;
    this.records.set(index, digest());
    if (this.records.size > kept) this.records.delete(this.records.keys().next().value!);
  }

  /** After a rebuild the old records describe a state that no longer exists. */
  forget(): void {
    this.records.clear();
  }

  registerHandlers(): void {
    this.transport.handle('digest.records', () => Promise.resolve(new TextEncoder().encode(JSON.stringify([...this.records]))));
    this.transport.handle('digest.diverged', (_from, body) => {
      void this.node.markDivergedAndRebuild(new TextDecoder().decode(body));
      return Promise.resolve(new Uint8Array(0));
    });
  }

  start(): void {
    const round = (): void => {
      void this.checkAll().finally(() => {
        if (this.cancel !== undefined) this.cancel = this.timers.after(this.intervalMs, round);
      });
    };
    this.cancel = this.timers.after(this.intervalMs, round);
  }

  stop(): void {
    this.cancel?.();
    this.cancel = undefined;
  }

  /** One round (the leader only); exported for tests. */
  async checkAll(): Promise<void> {
    if (!this.node.raft.isLeader || this.records.size === 0) return;
    const { voters, learners } = this.node.raft.membership;
    await Promise.all([...voters, ...learners].filter((p) => p !== this.node.id).map((peer) => this.checkPeer(peer)));
  }

  private async checkPeer(peer: NodeId): Promise<void> {
    let theirs: [number, string][];
    try {
      const body = await this.transport.request(peer, 'digest.records', new Uint8Array(0), { timeoutMs: 2_000 });
      theirs = JSON.parse(new TextDecoder().decode(body)) as [number, string][];
    } catch (error) {
      this.logger.debug({ peer, error: describeError(error) }, 'digest check skipped: peer unreachable');
      return;
    }
    if (!Array.isArray(theirs)) return;
    for (const [index, digest] of theirs) {
      const ours = this.records.get(index);
      if (ours === undefined) continue;
      this.checks += 1;
      if (ours === digest) continue;
      this.mismatches += 1;
      const detail = { peer, index, ours, theirs: digest };
      this.logger.error(detail, 'replica state diverged: digests differ at the same applied index');
      this.node.reportDivergence(detail);
      const reason = `state digest ${digest} at applied index ${index} differs from the leader's ${ours}`;
      await this.transport.request(peer, 'digest.diverged', new TextEncoder().encode(reason), { timeoutMs: 2_000, retries: 2 }).catch(() => undefined);
      return;
    }
  }
}
