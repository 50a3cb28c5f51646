/**
 * The nemesis: a fault schedule derived from the seed, several faults overlapping, carried out
 * on real processes and proxied links, each recorded with start, end and the instant recovery
 * is measured from. Faults never take more than a minority of nodes out at once (killed,
 * paused, isolated or removed), so a correct cluster can always recover once a fault ends.
 * Worker faults (tasks workload) never take the last working worker out.
 */
import { KeelClient } from '../client/index.js';
import { describeError } from '../core/errors.js';
import type { Random } from '../ports/random.js';
import type { ChaosCluster } from './cluster.js';
import { isWorkerNemesis, type FaultRecord, type NemesisKind } from './types.js';
import type { ChaosWorkers } from './workers.js';

export interface NemesisOptions {
  readonly kinds: readonly NemesisKind[];
  /** Faults start in [startMs, endMs); each lasts 1-4 s. */
  readonly startMs: number;
  readonly endMs: number;
  readonly random: Random;
  /** The worker processes (tasks workload): needed by worker-kill and worker-pause. */
  readonly workers?: ChaosWorkers;
  nowNs(): number;
  log(line: string): void;
}

interface Fault {
  readonly targets: string[];
  readonly detail: string;
  readonly down: string[];
  readonly workersDown?: string[];
  readonly undo: () => Promise<void>;
  readonly recoveryAtStart?: boolean;
}

interface Active {
  readonly record: { id: number; kind: NemesisKind; targets: string[]; detail: string; startNs: number; endNs: number | null; recoveryFromNs: number | null };
  readonly undo: () => Promise<void>;
  readonly down: readonly string[];
  /** Workers out (killed and not yet replaced, or paused). */
  readonly workersDown: readonly string[];
  /** Being undone: still counts as down until the undo finishes (a re-add can take seconds). */
  ending?: Promise<void>;
}

export class Nemesis {
  readonly records: Active['record'][] = [];
  private readonly active = new Set<Active>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly admin: KeelClient;
  /** Membership changes wait for a commit (and a learner's catch-up): a longer timeout. */
  private readonly slowAdmin: KeelClient;
  private nextId = 1;
  private stopped = false;

  constructor(private readonly cluster: ChaosCluster, private readonly options: NemesisOptions) {
    this.admin = new KeelClient({ endpoints: cluster.endpoints, timeoutMs: 1_000, retries: 2 });
    this.slowAdmin = new KeelClient({ endpoints: cluster.endpoints, timeoutMs: 15_000, retries: 2 });
  }

  /** Plans the whole schedule now (from the seed), then runs it on timers. */
  start(): void {
    const { random, startMs, endMs, kinds } = this.options;
    if (kinds.length === 0) return;
    const span = endMs - startMs;
    const count = Math.max(1, Math.round(span / 3_000));
    for (let i = 0; i < count; i++) {
      const at = startMs + random.next() * span;
      const kind = kinds[random.int(kinds.length)]!;
      const duration = 1_000 + random.next() * 3_000;
      const choice = random.next();
      this.later(at, () => void this.inject(kind, Math.min(duration, endMs - at + 1_000), choice));
    }
  }

  /** Stops injecting and undoes every active fault (the final heal). */
  async healAll(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await Promise.all([...this.active].map((a) => this.end(a)));
    this.options.workers?.resumeAll();
    this.cluster.healNetwork();
    for (const node of this.cluster.nodes) {
      this.cluster.resume(node.id);
      if (!this.cluster.isUp(node.id)) this.cluster.restart(node.id);
    }
  }

  get faults(): readonly FaultRecord[] {
    return this.records;
  }

  private later(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.stopped) run();
    }, Math.max(0, ms));
    this.timers.add(timer);
  }

  private downNow(): Set<string> {
    return new Set([...this.active].flatMap((a) => a.down));
  }

  private workersDownNow(): Set<string> {
    return new Set([...this.active].flatMap((a) => a.workersDown));
  }

  /**
   * A worker to hit: running, registered and up in the cluster (a replacement still starting
   * holds nothing, so hitting it would measure nothing), not hit by another fault, and never the
   * last one working. If the cluster cannot say which workers are up, the running ones count.
   */
  private async pickWorker(random: number): Promise<string | undefined> {
    const workers = this.options.workers;
    if (workers === undefined) return undefined;
    let registered: Set<string> | undefined;
    try {
      registered = new Set((await this.admin.workersList()).workers.filter((w) => w.status === 'up').map((w) => w.workerId));
    } catch {
      registered = undefined; // no leader at the moment: fall back to the running processes
    }
    const down = this.workersDownNow();
    const candidates = workers.live.filter((id) => !down.has(id) && (registered?.has(id) ?? true));
    return candidates.length < 2 ? undefined : candidates[Math.floor(random * candidates.length)];
  }

  private budget(): number {
    return Math.floor((this.cluster.nodes.length - 1) / 2) - this.downNow().size;
  }

  private async leader(): Promise<string | undefined> {
    try {
      return (await this.admin.cluster()).leaderId ?? undefined;
    } catch {
      return undefined;
    }
  }

  private pickUp(random: number, exclude: ReadonlySet<string> = new Set()): string | undefined {
    const candidates = this.cluster.nodes.map((n) => n.id).filter((id) => this.cluster.isUp(id) && !exclude.has(id) && !this.downNow().has(id));
    return candidates.length === 0 ? undefined : candidates[Math.floor(random * candidates.length)];
  }

  private async inject(kind: NemesisKind, durationMs: number, choice: number): Promise<void> {
    if (this.budget() <= 0 && kind !== 'leader-transfer' && !isWorkerNemesis(kind)) return;
    const ids = this.cluster.nodes.map((n) => n.id);
    const leader = isWorkerNemesis(kind) ? undefined : await this.leader();
    let fault: Fault | undefined;
    try {
      fault = isWorkerNemesis(kind) ? await this.applyToWorker(kind, choice) : await this.apply(kind, choice, ids, leader);
    } catch (error) {
      this.options.log(`nemesis ${kind} not applied: ${describeError(error)}`);
      return;
    }
    if (fault === undefined) return;
    const now = this.options.nowNs();
    const record = { id: this.nextId++, kind, targets: fault.targets, detail: fault.detail, startNs: now, endNs: null, recoveryFromNs: fault.recoveryAtStart ? now : null };
    const active: Active = { record, undo: fault.undo, down: fault.down, workersDown: fault.workersDown ?? [] };
    this.records.push(record);
    this.active.add(active);
    this.options.log(`+ ${kind}: ${fault.detail}`);
    this.later(durationMs, () => void this.end(active));
  }

  private async end(active: Active): Promise<void> {
    if (active.ending !== undefined || !this.active.has(active)) return active.ending;
    active.ending = active.undo().catch((error: unknown) => {
      this.options.log(`nemesis undo of ${active.record.kind} failed: ${describeError(error)}`);
    });
    await active.ending;
    this.active.delete(active);
    const now = this.options.nowNs();
    active.record.endNs = now;
    active.record.recoveryFromNs ??= now;
    this.options.log(`- ${active.record.kind}: healed (${active.record.detail})`);
  }

  /** Kill -9 (a replacement with a fresh id starts when the fault ends) or SIGSTOP a worker; recovery is measured from the fault itself. */
  private async applyToWorker(kind: NemesisKind, choice: number): Promise<Fault | undefined> {
    const workers = this.options.workers;
    const victim = await this.pickWorker(choice);
    if (workers === undefined || victim === undefined) return undefined;
    // Re-checked after the await: an overlapping fault may have hit the victim, or the others, meanwhile.
    const down = this.workersDownNow();
    const working = workers.live.filter((id) => !down.has(id));
    if (!working.includes(victim) || working.length < 2) return undefined;
    if (kind === 'worker-kill') {
      workers.kill(victim);
      return {
        targets: [victim], detail: `kill -9 worker ${victim}`, down: [], workersDown: [victim], recoveryAtStart: true,
        undo: () => {
          const replacement = workers.spawn();
          this.options.log(`worker ${replacement} started (replaces ${victim})`);
          return Promise.resolve();
        },
      };
    }
    workers.pause(victim);
    return {
      targets: [victim], detail: `SIGSTOP worker ${victim} (a zombie once resumed)`, down: [], workersDown: [victim], recoveryAtStart: true,
      undo: () => Promise.resolve(workers.resume(victim)),
    };
  }

  private async apply(kind: NemesisKind, choice: number, ids: string[], leader: string | undefined): Promise<Fault | undefined> {
    const c = this.cluster;
    switch (kind) {
      case 'kill': {
        const victim = choice < 0.5 && leader !== undefined && !this.downNow().has(leader) ? leader : this.pickUp(choice);
        if (victim === undefined) return undefined;
        c.kill(victim);
        return { targets: [victim], detail: `kill -9 ${victim}${victim === leader ? ' (leader)' : ''}`, down: [victim], recoveryAtStart: true, undo: () => Promise.resolve(c.restart(victim)) };
      }
      case 'pause': {
        const victim = choice < 0.5 && leader !== undefined && !this.downNow().has(leader) ? leader : this.pickUp(choice);
        if (victim === undefined) return undefined;
        c.pause(victim);
        return { targets: [victim], detail: `SIGSTOP ${victim}${victim === leader ? ' (leader: a zombie once resumed)' : ''}`, down: [victim], undo: () => Promise.resolve(c.resume(victim)) };
      }
      case 'partition': {
        const budget = this.budget();
        const shuffled = [...ids].sort((a, b) => hash(a, choice) - hash(b, choice));
        const style = Math.floor(choice * 4);
        if (style === 0 && leader !== undefined) {
          c.partition([[leader], ids.filter((id) => id !== leader)]);
          return { targets: [leader], detail: `isolate leader ${leader}`, down: [leader], undo: () => Promise.resolve(c.healNetwork()) };
        }
        if (style === 1 && ids.length >= 3) {
          const minority = shuffled.slice(0, Math.min(budget, Math.floor((ids.length - 1) / 2)));
          if (minority.length === 0) return undefined;
          const majority = ids.filter((id) => !minority.includes(id));
          c.partition([majority, minority]);
          return { targets: minority, detail: `majority ${majority.join(',')} | minority ${minority.join(',')}`, down: minority, undo: () => Promise.resolve(c.healNetwork()) };
        }
        if (style === 2 && ids.length >= 3) {
          // A bridge: two sides that each reach only the bridge node.
          const [bridge, ...rest] = shuffled as [string, ...string[]];
          const half = Math.ceil(rest.length / 2);
          const left = rest.slice(0, half);
          const right = rest.slice(half);
          for (const l of left) for (const r of right) {
            c.cutOneWay(l, r);
            c.cutOneWay(r, l);
          }
          return { targets: [bridge], detail: `bridge ${bridge} between ${left.join(',')} and ${right.join(',')}`, down: [], undo: () => Promise.resolve(c.healNetwork()) };
        }
        const [from, to] = shuffled as [string, string];
        c.cutOneWay(from, to);
        return { targets: [from, to], detail: `one-way ${from} -/-> ${to}`, down: [], undo: () => Promise.resolve(c.healNetwork()) };
      }
      case 'leader-transfer': {
        if (leader === undefined) return undefined;
        const to = ids.filter((id) => id !== leader && c.isUp(id) && !this.downNow().has(id))[0];
        if (to === undefined) return undefined;
        await this.slowAdmin.transferLeader(to);
        return { targets: [leader, to], detail: `transfer leadership ${leader} -> ${to}`, down: [], recoveryAtStart: true, undo: () => Promise.resolve() };
      }
      case 'worker-kill':
      case 'worker-pause':
        return this.applyToWorker(kind, choice);
      case 'restart-wipe':
      case 'membership': {
        if (leader === undefined) return undefined;
        const victim = this.pickUp(choice, new Set([leader]));
        if (victim === undefined) return undefined;
        const node = c.nodes.find((n) => n.id === victim)!;
        await this.slowAdmin.removeMember(victim);
        const wipe = kind === 'restart-wipe';
        if (wipe) {
          c.kill(victim);
          c.wipe(victim);
        }
        return {
          targets: [victim], down: [victim],
          detail: wipe ? `remove ${victim}, wipe its data, rejoin as a learner, promote` : `remove voter ${victim}, then add it back`,
          undo: async () => {
            if (wipe) c.restart(victim, { join: true });
            await this.addBack(victim, node.peer, node.http);
          },
        };
      }
    }
  }

  private async addBack(id: string, peer: string, http: string): Promise<void> {
    const until = Date.now() + 30_000;
    for (;;) {
      try {
        await this.slowAdmin.addMember({ id, peerAddress: peer, httpAddress: http });
        return;
      } catch (error) {
        // An earlier attempt that timed out on our side may have finished on the cluster's.
        if ((error as { code?: string }).code === 'Conflict' && describeError(error).includes('already a voter')) return;
        if (Date.now() > until) throw error;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }
}

function hash(id: string, salt: number): number {
  let h = Math.floor(salt * 0x7fffffff);
  for (const ch of id) h = (Math.imul(h ^ ch.charCodeAt(0), 0x9e3779b1) >>> 0);
  return h;
}
