/**
 * The scheduler: pure, run by the leader, separate from the state machine. Given the applied
 * state, the workers the leader's failure detector holds live, the time and a seeded Random, it
 * returns `assign` commands to propose. It never changes the state: an assign takes effect only
 * when committed, and the state machine checks it again (a stale proposal is refused, never
 * harmful). Its own state (round-robin cursor, hash ring) is soft: a new leader starts afresh.
 *
 * Guarantees (tested as properties): per call, no worker receives more assigns than its free
 * capacity (capacity minus leases held: credit-based dispatch); every assigned task is pending,
 * its dependencies succeeded and its backoff is over; every assign is accepted when applied.
 */
import { assertNever } from '../core/assert.js';
import { HashRing } from '../placement/hash-ring.js';
import { pickWorker } from '../placement/affinity.js';
import type { Random } from '../ports/random.js';
import type { Assign, SchedulingPolicy } from './commands.js';
import type { WorkerId } from './ids.js';
import type { TaskRecord, WorkerRecord } from './state.js';
import type { TaskStateView } from './task-state-machine.js';

/** Assigns one call returns at most (the leader calls again after they apply). */
export const assignBatchMax = 1024;

export interface ScheduleInput {
  readonly state: TaskStateView;
  /** The leader's clock: tasks backing off until later are skipped; stamped into each assign. */
  readonly nowMs: number;
  /** Workers the failure detector holds live; absent: every worker whose status is up. */
  readonly liveWorkers?: ReadonlySet<string>;
  /** Seeded in the simulator: power-of-two choices, random and weighted policies draw from it. */
  readonly random: Random;
  readonly assignMax?: number;
  /**
   * Credits beyond the applied state: a worker whose `complete` is proposed but not yet applied
   * will have that slot free when an assign proposed after it applies (never above capacity).
   */
  readonly extraCredits?: ReadonlyMap<string, number>;
}

interface Candidate {
  readonly worker: WorkerRecord;
  free: number;
}

export class Scheduler {
  private cursor = 0;
  private readonly ring = new HashRing<WorkerId>();

  schedule(input: ScheduleInput): Assign[] {
    const { state, nowMs, random } = input;
    const assignMax = Math.min(input.assignMax ?? assignBatchMax, assignBatchMax);
    this.syncRing(state);
    const candidates = new Map<WorkerId, Candidate>();
    for (const id of [...state.workers.keys()].sort()) {
      const worker = state.workers.get(id);
      if (worker === undefined || worker.status !== 'up') continue;
      if (input.liveWorkers !== undefined && !input.liveWorkers.has(id)) continue;
      const free = Math.min(worker.capacity, worker.capacity - worker.leases.size + (input.extraCredits?.get(id) ?? 0));
      if (free > 0) candidates.set(worker.workerId, { worker, free });
    }
    const assigns: Assign[] = [];
    if (candidates.size === 0) return assigns;
    for (const task of runnable(state, nowMs)) {
      if (assigns.length >= assignMax || candidates.size === 0) break;
      const eligible = [...candidates.values()].filter((c) => c.worker.handlers.includes(task.handler));
      if (eligible.length === 0) continue;
      const policy = state.jobs.get(task.jobId)?.policy ?? 'least-loaded';
      const chosen = this.pick(policy, task, eligible, random);
      if (chosen === undefined) continue;
      assigns.push({ kind: 'assign', taskId: task.taskId, workerId: chosen.worker.workerId, nowMs });
      chosen.free -= 1;
      if (chosen.free === 0) candidates.delete(chosen.worker.workerId);
    }
    return assigns;
  }

  private pick(policy: SchedulingPolicy, task: TaskRecord, eligible: readonly Candidate[], random: Random): Candidate | undefined {
    switch (policy) {
      case 'least-loaded': return powerOfTwoChoices(eligible, random);
      case 'round-robin': {
        const chosen = eligible[this.cursor % eligible.length];
        this.cursor = (this.cursor + 1) % 0x7fff_ffff;
        return chosen;
      }
      case 'random': return eligible[random.int(eligible.length)];
      case 'weighted': return weightedChoice(eligible, random);
      case 'affinity': {
        const live = new Set(eligible.map((c) => c.worker.workerId));
        const id = pickWorker(this.ring, task.key ?? task.taskId, live);
        return eligible.find((c) => c.worker.workerId === id);
      }
      default: return assertNever(policy);
    }
  }

  /** The ring holds every registered worker with its weight; liveness and capacity are passed per pick. */
  private syncRing(state: TaskStateView): void {
    for (const member of this.ring.members()) {
      const worker = state.workers.get(member);
      if (worker === undefined || worker.weight !== this.ring.weightOf(member)) this.ring.remove(member);
    }
    for (const id of [...state.workers.keys()].sort()) {
      const worker = state.workers.get(id);
      if (worker !== undefined && !this.ring.has(worker.workerId)) this.ring.add(worker.workerId, worker.weight);
    }
  }
}

/** Runnable tasks (pending, dependencies succeeded, backoff over) in submit order, then position. */
export function runnable(state: TaskStateView, nowMs: number): TaskRecord[] {
  const tasks: TaskRecord[] = [];
  for (const id of state.ready) {
    const task = state.tasks.get(id);
    if (task !== undefined && task.notBeforeMs <= nowMs) tasks.push(task);
  }
  const seq = (task: TaskRecord): number => state.jobs.get(task.jobId)?.seq ?? 0;
  return tasks.sort((a, b) => seq(a) - seq(b) || a.position - b.position);
}

/** Load = leases held (and given this round) per unit of capacity. */
function load(c: Candidate): number {
  return (c.worker.capacity - c.free) / c.worker.capacity;
}

/** Two distinct candidates at random, the less loaded wins (Mitzenmacher's power of two choices); ties go to the first drawn. */
function powerOfTwoChoices(eligible: readonly Candidate[], random: Random): Candidate | undefined {
  if (eligible.length <= 1) return eligible[0];
  const i = random.int(eligible.length);
  let j = random.int(eligible.length - 1);
  if (j >= i) j += 1;
  const a = eligible[i];
  const b = eligible[j];
  if (a === undefined || b === undefined) return a ?? b;
  return load(b) < load(a) ? b : a;
}

function weightedChoice(eligible: readonly Candidate[], random: Random): Candidate | undefined {
  const total = eligible.reduce((sum, c) => sum + c.worker.weight, 0);
  let point = random.int(total);
  for (const c of eligible) {
    if (point < c.worker.weight) return c;
    point -= c.worker.weight;
  }
  return eligible[eligible.length - 1];
}
