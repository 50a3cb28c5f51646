/**
 * The leader's task duties in the simulator, as docs/tasks.md "The leader's duties" states them:
 * schedule after applies (and on a poll, which covers backoffs ending), propose `expire` when the
 * clock passes `nextExpiryMs()`, propose `workerDown` when the failure detector suspects a
 * worker, deliver applied assigns to their workers and tell workers of ended attempts. Soft
 * state only (scheduler cursor, detector history): a new leader (or a new term) starts afresh
 * from the applied state, and every up worker it has not heard from gets a full timeout of grace.
 */
import { HeartbeatTimeoutDetector } from '../membership/index.js';
import type { NodeDriver } from '../node/driver.js';
import type { Random } from '../ports/random.js';
import {
  Scheduler, decodeResult, encodeQuery, type EndedAttempt, type TaskId, type TaskCommand, type TaskQueryResult, type TaskResult, type TaskStateMachine,
} from '../tasks/index.js';
import type { SimNode } from './sim-node.js';
import type { AssignDelivery, AttemptRef, HeartbeatReply } from './task-messages.js';

/** A worker silent this long is suspected (it heartbeats every `workerHeartbeatMs`). */
export const workerSuspectAfterMs = 500;
export const workerHeartbeatMs = 100;
/** A scheduling round whose assigns have not all resolved by then no longer blocks the next. */
const assignRoundTimeoutMs = 500;
/** A workerDown proposal not applied by then is proposed again. */
const downRetryMs = 500;

export interface TaskLeaderHost {
  now(): number;
  readonly random: Random;
  /** Runs `run` as its own event, shortly (a millisecond later: virtual time always moves on). */
  soon(run: () => void): void;
  deliver(workerId: string, delivery: AssignDelivery): void;
  abort(workerId: string, attempt: AttemptRef): void;
  trace(line: string): void;
}

export class TaskLeader {
  private readonly scheduler = new Scheduler();
  private readonly detector = new HeartbeatTimeoutDetector({ timeoutMs: workerSuspectAfterMs });
  private assignsInFlight = 0;
  private roundStartedMs = 0;
  private expireInFlight = false;
  private pollWanted = false;
  private readonly downProposedMs = new Map<string, number>();

  constructor(readonly node: SimNode, private readonly driver: NodeDriver, readonly term: number, private readonly host: TaskLeaderHost) {}

  /** Still this node's process, still leader, still the same term. */
  get current(): boolean {
    return this.node.driver === this.driver && this.driver.raft.isLeader && this.driver.raft.currentTerm === this.term;
  }

  private get machine(): TaskStateMachine | undefined {
    return this.current ? this.node.tasks : undefined;
  }

  poll(): void {
    const machine = this.machine;
    if (machine === undefined) return;
    const state = machine.view;
    const nowMs = Math.floor(this.host.now());
    const live = new Set<string>();
    for (const id of [...state.workers.keys()].sort()) {
      if (state.workers.get(id)?.status !== 'up') continue;
      if (this.detector.status(id) === undefined) this.detector.heartbeat(id, nowMs);
      if (this.detector.isAvailable(id, nowMs)) live.add(id);
      else this.suspect(id, nowMs);
    }
    const expiryMs = machine.nextExpiryMs();
    if (expiryMs !== undefined && expiryMs <= nowMs && !this.expireInFlight) {
      this.expireInFlight = true;
      this.propose({ kind: 'expire', nowMs }, (result) => {
        this.expireInFlight = false;
        if (result?.kind === 'expire' && result.more) this.wantPoll();
      });
    }
    if (this.assignsInFlight > 0 && nowMs - this.roundStartedMs < assignRoundTimeoutMs) return;
    const assigns = this.scheduler.schedule({ state, nowMs, liveWorkers: live, random: this.host.random });
    this.assignsInFlight = 0;
    this.roundStartedMs = nowMs;
    for (const assign of assigns) {
      this.assignsInFlight += 1;
      this.propose(assign, (result) => {
        this.assignsInFlight = Math.max(0, this.assignsInFlight - 1);
        // Refused (no longer leader, a transfer in progress): the next poll tries again, not a tight loop.
        if (this.assignsInFlight === 0 && result !== undefined) this.wantPoll();
      });
    }
  }

  /** Every applied entry on this (leader) node, with its result. */
  onApplied(command: TaskCommand, result: TaskResult): void {
    if (!this.current) return;
    switch (result.kind) {
      case 'assign':
        this.host.deliver(result.lease.workerId, {
          taskId: result.taskId, jobId: result.jobId, attempt: result.lease.attempt, handler: result.handler, input: result.input,
          ...(result.checkpoint === undefined ? {} : { checkpoint: result.checkpoint }),
        });
        return;
      case 'workerDown':
        this.detector.remove(result.workerId);
        this.downProposedMs.delete(result.workerId);
        this.abortAll(result.ended);
        return this.wantPoll();
      case 'expire':
      case 'cancelJob':
        this.abortAll(result.ended);
        return this.wantPoll();
      case 'submitJob':
      case 'registerWorker':
      case 'complete':
      case 'fail':
        return this.wantPoll();
      case 'workerHeartbeat':
      case 'checkpoint':
        return;
      case 'error':
        if (command.kind === 'workerDown') this.downProposedMs.delete(command.workerId);
        return;
    }
  }

  /** A worker's heartbeat (off the log); undefined when this node no longer leads. */
  onHeartbeat(workerId: string, running: readonly AttemptRef[]): HeartbeatReply | undefined {
    const machine = this.machine;
    if (machine === undefined) return undefined;
    const state = machine.view;
    const worker = state.workers.get(workerId);
    if (worker === undefined) return { status: 'unknown', missing: [], aborts: [] };
    if (worker.status === 'down') return { status: 'down', missing: [], aborts: [] };
    this.detector.heartbeat(workerId, Math.floor(this.host.now()));
    const reported = new Set(running.map((r) => `${r.taskId}#${r.attempt}`));
    const missing: AssignDelivery[] = [];
    for (const taskId of [...worker.leases].sort()) {
      const lease = state.tasks.get(taskId)?.lease;
      if (lease === undefined || reported.has(`${taskId}#${lease.attempt}`)) continue;
      const delivery = deliveryOf(machine, taskId, lease.attempt);
      if (delivery !== undefined) missing.push(delivery);
    }
    // Only what the applied state proves ended: a lagging state may not have seen an assign yet.
    const aborts = running.filter((r) => {
      const task = state.tasks.get(r.taskId as TaskId);
      if (task === undefined) return false;
      if (task.attempt > r.attempt) return true;
      return task.attempt === r.attempt && (task.status !== 'running' || task.lease?.workerId !== workerId);
    });
    return { status: 'up', missing, aborts };
  }

  private suspect(workerId: string, nowMs: number): void {
    const proposedMs = this.downProposedMs.get(workerId);
    if (proposedMs !== undefined && nowMs - proposedMs < downRetryMs) return;
    this.downProposedMs.set(workerId, nowMs);
    this.host.trace(`${this.node.id} suspects worker ${workerId}: proposing workerDown`);
    this.propose({ kind: 'workerDown', workerId, nowMs }, () => undefined);
  }

  private abortAll(ended: readonly EndedAttempt[]): void {
    for (const e of ended) this.host.abort(e.workerId, { taskId: e.taskId, attempt: e.attempt });
  }

  private wantPoll(): void {
    if (this.pollWanted) return;
    this.pollWanted = true;
    this.host.soon(() => {
      this.pollWanted = false;
      this.poll();
    });
  }

  private propose(command: TaskCommand, done: (result: TaskResult | undefined) => void): void {
    const proposed = this.node.proposeTask(command);
    if ('refused' in proposed) return done(undefined);
    void proposed.then(done);
  }
}

/** The assign delivery of a running lease, rebuilt from the state (input and checkpoint as its assign carried them). */
function deliveryOf(machine: TaskStateMachine, taskId: string, attempt: number): AssignDelivery | undefined {
  const result = decodeResult(machine.query(encodeQuery({ kind: 'task', taskId }))) as TaskQueryResult;
  if (result.kind !== 'task') return undefined;
  const t = result.task;
  return { taskId, jobId: t.jobId, attempt, handler: t.handler, input: t.input, ...(t.checkpoint === undefined ? {} : { checkpoint: t.checkpoint }) };
}
