/**
 * Where each member listens (peer and HTTP addresses). Boot-time voters come from --peers; every
 * node also publishes its own record in the replicated KV under a reserved prefix, so members
 * added later, and every member's HTTP address, become known to all nodes without restarts.
 */
import { describeError } from '../core/errors.js';
import type { Timers } from '../ports/clock.js';
import type { PeerTransport } from '../ports/transport.js';
import type { NodeId } from '../raft/types.js';
import type { KeelNode } from './keel-node.js';
import type { Logger } from './logger.js';

export const memberKeyPrefix = '__keel/members/';

interface Address {
  readonly peer: string;
  readonly http: string | null;
}

export class MemberDirectory {
  private readonly addresses = new Map<NodeId, Address>();
  /** Peers given by --peers: their configured address wins (it may be a proxy, as in chaos runs). */
  private readonly configured: ReadonlySet<NodeId>;
  private cancel: (() => void) | undefined;
  private published = false;

  constructor(
    private readonly node: KeelNode,
    private readonly transport: PeerTransport,
    private readonly timers: Timers,
    private readonly logger: Logger,
    peers: Readonly<Record<string, string>>,
    private readonly self: Address,
  ) {
    for (const [id, peer] of Object.entries(peers)) this.addresses.set(id, { peer, http: id === node.id ? self.http : null });
    this.configured = new Set(Object.keys(peers));
  }

  address(id: NodeId): Address | undefined {
    return this.addresses.get(id);
  }

  async publish(id: NodeId, peer: string, http: string | null): Promise<void> {
    const result = await this.node.write({ command: { kind: 'put', key: memberKeyPrefix + id, value: JSON.stringify({ peer, http }) } });
    if (result.kind === 'error') throw new Error(`publishing member ${id}: ${result.message}`);
    this.addresses.set(id, { peer, http });
  }

  async forget(id: NodeId): Promise<void> {
    await this.node.write({ command: { kind: 'delete', key: memberKeyPrefix + id } });
    if (this.configured.has(id)) return;
    this.addresses.delete(id);
    this.transport.removePeer(id);
  }

  /** Reach `id` at `peer`, unless --peers configured its address (which then wins). */
  connect(id: NodeId, peer: string): void {
    if (!this.configured.has(id)) this.transport.setPeer(id, peer);
  }

  /** Every second: publish our own record once, and learn the others' from local state. */
  start(): void {
    const round = (): void => {
      void this.refresh().finally(() => {
        if (this.cancel !== undefined) this.cancel = this.timers.after(1_000, round);
      });
    };
    this.cancel = this.timers.after(200, round);
  }

  stop(): void {
    this.cancel?.();
    this.cancel = undefined;
  }

  private async refresh(): Promise<void> {
    const { voters, learners } = this.node.raft.membership;
    for (const id of [...voters, ...learners]) {
      const result = await this.node.read({ kind: 'get', key: memberKeyPrefix + id }, 'serializable').catch(() => undefined);
      if (result?.kind !== 'get' || !result.found) continue;
      try {
        const published = JSON.parse(result.value) as Address;
        const known = this.addresses.get(id);
        const record = this.configured.has(id) && known !== undefined ? { peer: known.peer, http: published.http } : published;
        if (known?.peer !== record.peer || known.http !== record.http) {
          this.addresses.set(id, record);
          if (id !== this.node.id && !this.configured.has(id)) this.transport.setPeer(id, record.peer);
        }
      } catch {
        this.logger.warn({ id }, 'ignoring a malformed member record');
      }
    }
    if (!this.published && this.node.raft.leaderId !== undefined && this.node.serving.serving) {
      try {
        const current = await this.node.read({ kind: 'get', key: memberKeyPrefix + this.node.id }, 'linearizable');
        const wanted = JSON.stringify(this.self);
        if (current.kind !== 'get' || !current.found || current.value !== wanted) await this.publish(this.node.id, this.self.peer, this.self.http);
        this.published = true;
      } catch (error) {
        this.logger.debug({ error: describeError(error) }, 'publishing this node\'s address failed; will retry');
      }
    }
  }
}
