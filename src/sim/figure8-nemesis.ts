/**
 * A scripted nemesis for the Raft paper's figure 8: it steers a cluster into the state where a
 * new leader holds, on a majority, entries of an *earlier* term and nothing of its own term.
 * A correct leader must not commit those entries; a leader that commits by counting replicas
 * does, and a later leader overwrites them (a state-machine-safety violation).
 *
 * Random faults alone almost never produce this: the new leader's no-op travels in the same
 * append as the old entries. The script needs one adversarial drop pattern — appends from that
 * leader that carry an entry of its own term are lost — which is just a specific message-loss
 * schedule, not a change to the protocol.
 *
 * Phases (A and B: the first two leaders; C: enough other nodes to make a majority with A):
 *  0. the current leader is cut off from the others to force an election;
 *  1. the next node to become leader (A, term t) is isolated at once: its no-op stays local, and
 *     the others (the old leader among them) are joined;
 *  2. the next leader among the others (B, term t' > t) is isolated at once too;
 *  3. A and C are joined; A wins (its last term t beats C's) and the drop pattern starts;
 *  4. after a while A is crashed, B and C are joined; B's last term t' beats C's, so B leads and
 *     replaces whatever A put at those indexes on C. Then everything heals and A restarts.
 */
import type { Message, NodeId } from '../raft/types.js';

export interface Figure8Host {
  readonly nodeIds: readonly NodeId[];
  leader(): NodeId | undefined;
  at(atMs: number, run: () => void): void;
  after(delayMs: number, run: () => void): void;
  partition(groups: readonly (readonly NodeId[])[]): void;
  healAll(): void;
  crash(id: NodeId): void;
  boot(id: NodeId): void;
  trace(line: string): void;
}

type Phase =
  | { kind: 'idle' }
  | { kind: 'isolateFirst'; old: NodeId }
  | { kind: 'isolateSecond'; a: NodeId }
  | { kind: 'waitA'; a: NodeId; b: NodeId; c: readonly NodeId[] }
  | { kind: 'withhold'; a: NodeId; b: NodeId; c: readonly NodeId[]; term: number }
  | { kind: 'done'; crashed?: NodeId };

export class Figure8Nemesis {
  private phase: Phase = { kind: 'idle' };
  injected = 0;

  constructor(private readonly host: Figure8Host) {}

  /** Starts the script at `atMs`; it gives up (and heals) by `deadlineMs`. */
  schedule(atMs: number, deadlineMs: number): void {
    const kick = (): void => {
      const old = this.host.leader();
      if (old === undefined) return this.host.after(50, kick);
      this.host.partition([[old], this.host.nodeIds.filter((x) => x !== old)]);
      this.phase = { kind: 'isolateFirst', old };
      this.injected += 1;
      this.host.trace(`figure8: isolate leader ${old} to force an election`);
    };
    this.host.at(atMs, kick);
    this.host.at(deadlineMs, () => {
      if (this.phase.kind === 'idle' || (this.phase.kind === 'done' && this.phase.crashed === undefined)) return;
      this.finish('deadline reached');
    });
  }

  /** Called for each new leadership the world observes. */
  onLeader(id: NodeId, term: number): void {
    const phase = this.phase;
    const ids = this.host.nodeIds;
    if (phase.kind === 'isolateFirst' && id !== phase.old) {
      this.host.healAll();
      this.host.partition([[id], ids.filter((x) => x !== id)]);
      this.phase = { kind: 'isolateSecond', a: id };
      this.injected += 1;
      this.host.trace(`figure8: isolate ${id} (leader of term ${term}) before its no-op leaves`);
    } else if (phase.kind === 'isolateSecond' && id !== phase.a) {
      const a = phase.a;
      const majority = Math.floor(ids.length / 2) + 1;
      const c = ids.filter((x) => x !== a && x !== id).slice(0, majority - 1);
      this.host.healAll();
      this.host.partition(ids.map((x) => [x]));
      this.phase = { kind: 'waitA', a, b: id, c };
      this.injected += 1;
      this.host.trace(`figure8: isolate ${id} (leader of term ${term}) too`);
      this.host.after(300, () => {
        const group = [a, ...c];
        this.host.healAll();
        this.host.partition([group, ...ids.filter((x) => !group.includes(x)).map((x) => [x])]);
        this.host.trace(`figure8: join ${group.join(', ')}`);
      });
    } else if (phase.kind === 'waitA' && id === phase.a) {
      this.phase = { ...phase, kind: 'withhold', term };
      this.host.trace(`figure8: ${id} leads term ${term}; its own-term entries will not reach ${phase.c.join(', ')}`);
      this.host.after(400, () => {
        this.host.crash(phase.a);
        this.host.healAll();
        const group = [phase.b, ...phase.c];
        this.host.partition([group, ...ids.filter((x) => !group.includes(x)).map((x) => [x])]);
        this.phase = { kind: 'done', crashed: phase.a };
        this.host.trace(`figure8: crash ${phase.a}, join ${group.join(', ')}`);
        this.host.after(600, () => this.finish('script complete'));
      });
    }
  }

  /** The adversarial drop pattern: true if this message is lost. */
  drops(from: NodeId, message: Message): boolean {
    const phase = this.phase;
    if (phase.kind !== 'withhold' || from !== phase.a) return false;
    return phase.c.includes(message.to) && message.kind === 'append' && message.entries.some((e) => e.term === phase.term);
  }

  private finish(why: string): void {
    const crashed = this.phase.kind === 'done' ? this.phase.crashed : undefined;
    this.phase = { kind: 'done' };
    this.host.healAll();
    if (crashed !== undefined) this.host.boot(crashed);
    this.host.trace(`figure8: ${why}; network healed`);
  }
}
