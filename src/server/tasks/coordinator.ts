/**
 * The leader's task duties (docs/tasks.md, "The leader's duties"): scheduling rounds after every
 * change, `expire` when a deadline passes, and worker failure detection (phi-accrual on
 * heartbeats, a closed lease stream as an immediate signal) that proposes `workerDown`.
 * It also holds the lease streams of connected workers and delivers assigns and aborts to them.
 *
 * Everything here is soft state: a new leader starts afresh from the replicated task state.
 * Leases stay valid across a leader change; workers reconnect their stream to the new leader.
 */
import { KeelError, describeError } from '../../core/errors.js';
import { PhiAccrualDetector, Suspicions, type PhiAccrualOptionsInput } from '../../membership/index.js';
import type { Clock, Timers } from '../../ports/clock.js';
import type { Random } from '../../ports/random.js';
import { Scheduler, decodeCommand as decodeTaskCommand, decodeResult, encodeQuery as encodeTaskQuery, type EndedAttempt, type TaskCommand, type TaskId, type TaskQueryResult, type TaskResult } from '../../tasks/index.js';
import type { StreamSink } from '../../api/task-backend.js';
import type { HeartbeatResponse, WorkerStreamEvent } from '../../api/wire-tasks.js';
import { tasksTag, type KeelNode } from '../keel-node.js';
import type { Logger } from '../logger.js';

export interface CoordinatorOptions {
  /** How often the leader checks suspicions, deadlines and backoffs. */
  readonly tickMs: number;
  readonly phi: PhiAccrualOptionsInput;
  /**
   * After becoming leader, how long workers it has not heard from yet are not suspected: their
   * heartbeats may still be going to the old leader until they time out and find this one.
   */
  readonly takeoverGraceMs: number;
}

/**
 * A worker's heartbeats come from a busy process (its handlers share the machine's cores), so the
 * detector tolerates 1 s of extra silence: a stopped worker is suspected ~1.4 s after its last
 * heartbeat, still inside the 2 s target; a killed one at once (its stream closes).
 */
export const coordinatorDefaults: CoordinatorOptions = { tickMs: 25, phi: { acceptableHeartbeatPauseMs: 1_000 }, takeoverGraceMs: 2_000 };

export interface CoordinatorEvents {
  /** A worker was suspected (cause silence or a closed stream) and its workerDown proposed. */
  onWorkerSuspected?(workerId: string, cause: 'silence' | 'markedDown', detectionMs: number | undefined): void;
  /** A suspected worker heartbeated again: it was alive (a false suspicion when `falseSuspicion`). */
  onWorkerRecovered?(workerId: string, falseSuspicion: boolean): void;
  /** Attempts that ended without a result (worker down, timeout, cancel): each retried or dead-lettered. */
  onAttemptsEnded?(ended: readonly EndedAttempt[]): void;
  /** On the leader: a workerDown applied, ending these attempts. */
  onWorkerDownApplied?(workerId: string, ended: readonly EndedAttempt[]): void;
  /** On the leader: an assign applied. */
  onAssigned?(taskId: string): void;
  onLeadershipLost?(): void;
}

export class TaskCoordinator {
  private leading = false;
  private scheduler = new Scheduler();
  private detector: PhiAccrualDetector<string>;
  private suspicions: Suspicions<string>;
  private readonly links = new Map<string, StreamSink<WorkerStreamEvent>>();
  private readonly downInFlight = new Set<string>();
  private dirty = false;
  private scheduling = false;
  private expiring = false;
  private stopTick: (() => void) | undefined;
  private stopped = false;
  private leadingSinceMs = 0;

  constructor(
    private readonly node: KeelNode,
    /** Monotonic: failure detection. */
    private readonly clock: Clock,
    /** Epoch milliseconds: the `nowMs` stamped into commands, the same on every node. */
    private readonly wallClock: Clock,
    private readonly timers: Timers,
    private readonly random: Random,
    private readonly logger: Logger,
    private readonly options: CoordinatorOptions = coordinatorDefaults,
    private readonly events: CoordinatorEvents = {},
  ) {
    this.detector = new PhiAccrualDetector(options.phi);
    this.suspicions = new Suspicions(this.detector);
  }

  start(): void {
    this.node.on({
      onTaskApplied: (result) => this.onTaskApplied(result),
      onLeaderChange: () => this.checkLeadership(),
      onProposed: (command) => this.onProposed(command),
    });
    const tick = (): void => {
      if (this.stopped) return;
      this.tick();
      this.stopTick = this.timers.after(this.options.tickMs, tick);
    };
    this.stopTick = this.timers.after(this.options.tickMs, tick);
  }

  stop(): void {
    this.stopped = true;
    this.stopTick?.();
    this.closeLinks();
  }

  get isLeading(): boolean {
    return this.leading;
  }

  /** A worker's heartbeat. Followers refuse it (NOT_LEADER with the leader's id): workers follow the leader. */
  heartbeat(workerId: string): HeartbeatResponse {
    this.requireLeader();
    const worker = this.node.tasks.view.workers.get(workerId);
    if (worker === undefined) return { status: 'unknown' };
    if (worker.status !== 'up') return { status: 'down' };
    this.detector.heartbeat(workerId, this.clock.now());
    return { status: 'ok' };
  }

  /** Attaches a worker's lease stream: the first event lists the attempts it holds, then each lease follows. */
  connect(workerId: string, sink: StreamSink<WorkerStreamEvent>): () => void {
    this.requireLeader();
    this.links.get(workerId)?.close();
    this.links.set(workerId, sink);
    this.detector.heartbeat(workerId, this.clock.now());
    const worker = this.node.tasks.view.workers.get(workerId);
    const held = worker === undefined ? [] : [...worker.leases].sort();
    const leases: { taskId: string; attempt: number }[] = [];
    for (const taskId of held) {
      const task = this.node.tasks.view.tasks.get(taskId);
      if (task?.lease !== undefined) leases.push({ taskId, attempt: task.lease.attempt });
    }
    sink.send({ type: 'sync', leases });
    for (const { taskId } of leases) this.sendLease(workerId, taskId);
    this.kickSchedule();
    return () => {
      if (this.links.get(workerId) !== sink) return;
      this.links.delete(workerId);
      // A closed stream is an immediate failure signal (kill -9 closes the socket at once); a
      // worker that reconnects within a tick heartbeats again and is not suspected.
      if (this.leading) this.detector.markDown(workerId, this.clock.now());
    };
  }

  private requireLeader(): void {
    if (!this.leading) {
      const leader = this.node.raft.leaderId;
      throw new KeelError('NOT_LEADER', `node ${this.node.id} is not the leader${leader === undefined ? ' (none known)' : `; the leader is ${leader}`}`, { retryable: true, data: { leader } });
    }
  }

  private checkLeadership(): void {
    const leading = this.node.raft.isLeader;
    if (leading === this.leading) return;
    this.leading = leading;
    if (leading) {
      // Fresh soft state; every worker the state holds up gets one detection period to show up.
      this.scheduler = new Scheduler();
      this.detector = new PhiAccrualDetector(this.options.phi);
      this.suspicions = new Suspicions(this.detector);
      const now = this.clock.now();
      this.leadingSinceMs = now;
      for (const worker of this.node.tasks.view.workers.values()) if (worker.status === 'up') this.detector.heartbeat(worker.workerId, now);
      this.logger.info({ workers: this.node.tasks.view.workers.size }, 'task coordinator active');
      this.kickSchedule();
    } else {
      this.closeLinks();
      this.downInFlight.clear();
      this.events.onLeadershipLost?.();
    }
  }

  private closeLinks(): void {
    const links = [...this.links.values()];
    this.links.clear();
    for (const link of links) link.close();
  }

  private tick(): void {
    this.checkLeadership();
    if (!this.leading) return;
    const now = this.clock.now();
    if (now - this.leadingSinceMs < this.options.takeoverGraceMs) {
      // Still in the takeover grace: workers not yet heard from keep their seeded heartbeat fresh.
      for (const id of [...this.detector.ids()]) {
        if ((this.detector.status(id)?.heartbeatCount ?? 0) > 1 || this.links.has(id)) continue;
        this.detector.remove(id);
        this.detector.heartbeat(id, now);
      }
    }
    for (const event of this.suspicions.tick(now)) {
      if (event.kind === 'suspected') {
        this.events.onWorkerSuspected?.(event.id, event.cause, event.detectionMs);
        this.proposeWorkerDown(event.id, event.cause, event.detectionMs);
      } else {
        this.events.onWorkerRecovered?.(event.id, event.falseSuspicion);
      }
    }
    const next = this.node.tasks.nextExpiryMs();
    if (next !== undefined && this.wallClock.now() >= next) this.proposeExpire();
    // Backoffs end with time, not with an apply: a round whenever something could run.
    if (this.node.tasks.view.ready.size > 0 && this.links.size > 0) this.kickSchedule();
  }

  private proposeWorkerDown(workerId: string, cause: string, detectionMs: number | undefined): void {
    const worker = this.node.tasks.view.workers.get(workerId);
    if (worker === undefined || worker.status !== 'up' || this.downInFlight.has(workerId)) {
      this.detector.remove(workerId);
      return;
    }
    this.downInFlight.add(workerId);
    this.logger.warn({ workerId, cause, detectionMs, leases: worker.leases.size }, 'worker suspected: proposing workerDown');
    void this.propose({ kind: 'workerDown', workerId, nowMs: this.wallClock.now() }).finally(() => this.downInFlight.delete(workerId));
  }

  private proposeExpire(): void {
    if (this.expiring) return;
    this.expiring = true;
    void this.propose({ kind: 'expire', nowMs: this.wallClock.now() }).then((result) => {
      this.expiring = false;
      if (result?.kind === 'expire' && result.more) this.proposeExpire();
    });
  }

  private kickSchedule(): void {
    this.dirty = true;
    if (this.scheduling || !this.leading) return;
    this.scheduling = true;
    queueMicrotask(() => void this.scheduleRounds());
  }

  /** One round at a time, so a round never re-proposes the assigns of the one before it. */
  private async scheduleRounds(): Promise<void> {
    try {
      while (this.dirty && this.leading && !this.stopped) {
        this.dirty = false;
        const live = new Set<string>();
        const now = this.clock.now();
        for (const id of this.links.keys()) if (this.detector.isAvailable(id, now) && !this.downInFlight.has(id)) live.add(id);
        if (live.size === 0) break;
        const assigns = this.scheduler.schedule({ state: this.node.tasks.view, nowMs: this.wallClock.now(), liveWorkers: live, random: this.random });
        if (assigns.length === 0) break;
        await Promise.all(assigns.map((assign) => this.propose(assign)));
      }
    } finally {
      this.scheduling = false;
    }
  }

  /**
   * A worker's `complete` or `fail` was just proposed: its slot is free once that entry applies.
   * An assign proposed now lands in the same batch, right after it, so the worker gets its next
   * task without waiting for a second commit (BullMQ's "complete and fetch next" in one step).
   * Safety is the state machine's: if the result is refused, so is this assign (no free slot).
   */
  private onProposed(command: Uint8Array): void {
    if (!this.leading || command[0] !== tasksTag) return;
    const decoded = decodeTaskCommand(command.subarray(1));
    if (!decoded.ok || (decoded.value.kind !== 'complete' && decoded.value.kind !== 'fail')) return;
    const lease = this.node.tasks.view.tasks.get(decoded.value.taskId as TaskId)?.lease;
    if (lease === undefined || lease.attempt !== decoded.value.attempt || !this.links.has(lease.workerId)) return;
    if (!this.detector.isAvailable(lease.workerId, this.clock.now())) return;
    const assigns = this.scheduler.schedule({
      state: this.node.tasks.view, nowMs: this.wallClock.now(), liveWorkers: new Set([lease.workerId]), random: this.random,
      extraCredits: new Map([[lease.workerId, 1]]), assignMax: 1,
    });
    for (const assign of assigns) void this.propose(assign);
  }

  private async propose(command: TaskCommand): Promise<TaskResult | undefined> {
    try {
      const result = await this.node.writeTasks(command);
      return result.kind === 'error' || isQueryResult(result) ? undefined : result;
    } catch (error) {
      if (this.leading) this.logger.debug({ kind: command.kind, error: describeError(error) }, 'task proposal failed');
      return undefined;
    }
  }

  /** Every node applies every entry; only the leader's links deliver. */
  private onTaskApplied(result: TaskResult): void {
    switch (result.kind) {
      case 'assign':
        this.sendLease(result.lease.workerId, result.taskId, result);
        if (this.leading) this.events.onAssigned?.(result.taskId);
        return;
      case 'workerDown':
        if (this.leading) this.events.onWorkerDownApplied?.(result.workerId, result.ended);
        this.detector.remove(result.workerId);
        this.links.get(result.workerId)?.send({ type: 'down' });
        this.ended(result.ended);
        break;
      case 'expire':
      case 'cancelJob':
        this.ended(result.ended);
        break;
      case 'registerWorker':
        if (this.leading) this.detector.heartbeat(result.workerId, this.clock.now());
        break;
      default:
        break;
    }
    if (this.leading) this.kickSchedule();
  }

  private ended(ended: readonly EndedAttempt[]): void {
    if (ended.length === 0) return;
    for (const e of ended) this.links.get(e.workerId)?.send({ type: 'abort', taskId: e.taskId, attempt: e.attempt, reason: e.reason });
    this.events.onAttemptsEnded?.(ended);
  }

  private sendLease(workerId: string, taskId: string, assigned?: Extract<TaskResult, { kind: 'assign' }>): void {
    const link = this.links.get(workerId);
    if (link === undefined) return;
    if (assigned !== undefined) {
      link.send({
        type: 'lease', taskId, jobId: assigned.jobId, attempt: assigned.lease.attempt, handler: assigned.handler, input: assigned.input,
        ...(assigned.checkpoint === undefined ? {} : { checkpoint: assigned.checkpoint }),
        ...(assigned.lease.deadlineMs === undefined ? {} : { deadlineMs: assigned.lease.deadlineMs }),
      });
      return;
    }
    const detail = decodeResult(this.node.tasks.query(encodeTaskQuery({ kind: 'task', taskId })));
    if (detail.kind !== 'task' || detail.task.lease === undefined) return;
    const t = detail.task;
    link.send({
      type: 'lease', taskId, jobId: t.jobId, attempt: t.lease!.attempt, handler: t.handler, input: t.input,
      ...(t.checkpoint === undefined ? {} : { checkpoint: t.checkpoint }),
      ...(t.lease!.deadlineMs === undefined ? {} : { deadlineMs: t.lease!.deadlineMs }),
    });
  }

  /** Detection figures for metrics. */
  detectionMetrics(): ReturnType<Suspicions<string>['metrics']> {
    return this.suspicions.metrics();
  }
}

function isQueryResult(result: TaskResult | TaskQueryResult): result is TaskQueryResult {
  return result.kind === 'job' || result.kind === 'results' || result.kind === 'task' || result.kind === 'workers' || result.kind === 'jobs';
}
