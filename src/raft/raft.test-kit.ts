/**
 * A synchronous in-memory harness for scripted Raft scenarios: each node's "disk" is a plain
 * object updated when the node's Ready is persisted, messages sit in a queue until delivered,
 * and links can be cut. Time is `tick()`. Not for fault injection at scale: that is src/sim.
 */
import { seededRandom } from '../core/prng.js';
import { RaftNode, type RaftBoot } from './raft.js';
import type { RaftOptionsInput } from './options.js';
import type { Entry, HardState, Membership, Message, NodeId, ReadState, Snapshot } from './types.js';

export interface Disk {
  hardState: HardState;
  entries: Entry[];
  snapshot: Snapshot | undefined;
}

export class Cluster {
  readonly nodes = new Map<NodeId, RaftNode>();
  readonly disks = new Map<NodeId, Disk>();
  readonly applied = new Map<NodeId, Entry[]>();
  readonly reads = new Map<NodeId, ReadState[]>();
  queue: Message[] = [];
  /** Messages delivered, by kind. */
  readonly delivered = new Map<Message['kind'], number>();
  private cut = new Set<string>();
  private down = new Set<NodeId>();
  private seed: number;

  constructor(readonly ids: readonly NodeId[], readonly options: Partial<RaftOptionsInput> = {}, seed = 1, readonly membership: Membership = { voters: [...ids], learners: [] }) {
    this.seed = seed;
    for (const id of ids) {
      this.disks.set(id, { hardState: { term: 0, vote: undefined, commit: 0 }, entries: [], snapshot: undefined });
      this.start(id);
    }
  }

  node(id: NodeId): RaftNode {
    return this.nodes.get(id)!;
  }

  start(id: NodeId, recovering = false): void {
    const disk = this.disks.get(id)!;
    const boot: RaftBoot = { hardState: disk.hardState, snapshot: disk.snapshot?.meta, entries: disk.entries, initialMembership: this.membership, recovering };
    const node = new RaftNode({ id, random: seededRandom(this.seed++), ...this.options }, boot, () => this.disks.get(id)!.snapshot);
    this.nodes.set(id, node);
    this.applied.set(id, this.applied.get(id)?.filter((e) => e.index <= (disk.snapshot?.meta.index ?? 0)) ?? []);
    this.down.delete(id);
  }

  /** Adds a fresh node (empty disk) that is not yet in anybody's membership. */
  addNode(id: NodeId): void {
    this.disks.set(id, { hardState: { term: 0, vote: undefined, commit: 0 }, entries: [], snapshot: undefined });
    const boot: RaftBoot = { hardState: this.disks.get(id)!.hardState, snapshot: undefined, entries: [], initialMembership: { voters: [], learners: [id] }, recovering: false };
    this.nodes.set(id, new RaftNode({ id, random: seededRandom(this.seed++), ...this.options }, boot, () => this.disks.get(id)!.snapshot));
    this.applied.set(id, []);
  }

  crash(id: NodeId): void {
    this.down.add(id);
    this.queue = this.queue.filter((m) => m.to !== id && m.from !== id);
  }

  isolate(id: NodeId): void {
    for (const other of this.nodes.keys()) if (other !== id) this.cutLink(id, other);
  }

  cutLink(a: NodeId, b: NodeId): void {
    this.cut.add(`${a}>${b}`);
    this.cut.add(`${b}>${a}`);
  }

  heal(): void {
    this.cut.clear();
  }

  /** Persists and collects every node's Ready (persist, then send, then apply). */
  flushReady(): void {
    for (const [id, node] of this.nodes) {
      if (this.down.has(id)) continue;
      while (node.hasReady()) {
        const rd = node.ready();
        const disk = this.disks.get(id)!;
        if (rd.snapshot) {
          disk.snapshot = rd.snapshot;
          disk.entries = disk.entries.filter((e) => e.index > rd.snapshot!.meta.index);
          if (disk.entries.length > 0 && disk.entries[0]!.index !== rd.snapshot.meta.index + 1) disk.entries = [];
          this.applied.set(id, []);
        }
        if (rd.entries.length > 0) {
          const first = rd.entries[0]!.index;
          disk.entries = disk.entries.filter((e) => e.index < first).concat(rd.entries);
        }
        if (rd.hardState) disk.hardState = rd.hardState;
        this.queue.push(...rd.messages);
        this.applied.get(id)!.push(...rd.committed);
        this.reads.set(id, [...(this.reads.get(id) ?? []), ...rd.readStates]);
        node.advance(rd);
      }
    }
  }

  /** Delivers queued messages (and the ones they cause) until quiet, or `steps` rounds. */
  deliver(steps = 1000): void {
    for (let i = 0; i < steps; i++) {
      this.flushReady();
      if (this.queue.length === 0) return;
      const batch = this.queue;
      this.queue = [];
      for (const msg of batch) {
        if (this.down.has(msg.to) || this.cut.has(`${msg.from}>${msg.to}`)) continue;
        this.delivered.set(msg.kind, (this.delivered.get(msg.kind) ?? 0) + 1);
        this.nodes.get(msg.to)?.step(msg);
      }
    }
  }

  /** Persists, drops every queued message failing `keep`, delivers the rest once. */
  deliverOnly(keep: (msg: Message) => boolean): void {
    this.flushReady();
    this.queue = this.queue.filter(keep);
    this.deliver(1);
  }

  tick(times = 1): void {
    for (let i = 0; i < times; i++) {
      for (const [id, node] of this.nodes) if (!this.down.has(id)) node.tick();
      this.deliver();
    }
  }

  /** Ticks until some node is leader (and returns it). */
  electLeader(maxTicks = 500): RaftNode {
    for (let i = 0; i < maxTicks; i++) {
      const leader = this.leader();
      if (leader) return leader;
      this.tick();
    }
    throw new Error('no leader elected');
  }

  leader(): RaftNode | undefined {
    const leaders = [...this.nodes.entries()].filter(([id, n]) => !this.down.has(id) && n.isLeader).map(([, n]) => n);
    const top = leaders.sort((a, b) => b.currentTerm - a.currentTerm)[0];
    return top;
  }

  propose(text: string): { index: number; term: number } {
    const leader = this.leader();
    if (!leader) throw new Error('no leader');
    const result = leader.propose(new TextEncoder().encode(text));
    if (!result.ok) throw new Error(result.message);
    this.deliver();
    return result;
  }

  appliedData(id: NodeId): string[] {
    return this.applied.get(id)!.filter((e) => e.kind === 'normal').map((e) => new TextDecoder().decode(e.data));
  }
}

export function entry(index: number, term: number, text = `${index}@${term}`): Entry {
  return { index, term, kind: 'normal', data: new TextEncoder().encode(text) };
}
