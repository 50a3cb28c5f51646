/**
 * The replicated state of the task engine: jobs, their tasks, workers, and the indexes derived
 * from them. Every status change goes through `setStatus`, which keeps counts, the ready set and
 * the running set in step; `checkInvariants` recomputes them all from scratch (tests run it after
 * every command; restore runs it on every snapshot).
 */
import { assert } from '../core/assert.js';
import type { BackoffSpec, SchedulingPolicy, TaskTimeouts } from './commands.js';
import type { JobId, TaskId, WorkerId } from './ids.js';
import { textBytes, type JsonText } from './json.js';
import type { AttemptEndReason, JobCounts, JobState, TaskStatus } from './results.js';

export interface LeaseRecord {
  readonly workerId: WorkerId;
  readonly attempt: number;
  readonly startedMs: number;
  readonly deadlineMs?: number;
  heartbeatDeadlineMs?: number;
}

export interface CheckpointRecord {
  state?: JsonText;
  /** Step name -> result; names are kept sorted only when written out. */
  readonly steps: Map<string, JsonText>;
  attempt: number;
  sizeBytes: number;
}

export interface FailureRecord {
  readonly message: string;
  readonly stack?: string;
  readonly retryable: boolean;
  readonly attempt: number;
  readonly reason: AttemptEndReason;
}

export interface CommittedResult {
  readonly output: JsonText;
  readonly attempt: number;
  readonly workerId: WorkerId;
}

export interface TaskRecord {
  readonly taskId: TaskId;
  readonly jobId: JobId;
  readonly localId: string;
  readonly position: number;
  readonly handler: string;
  readonly input: JsonText;
  readonly key?: string;
  /** Qualified ids of the tasks this one waits for, in the order given. */
  readonly dependsOn: readonly TaskId[];
  /** Derived: tasks that wait for this one, in position order. */
  readonly dependents: TaskId[];
  /** Derived: dependencies not yet succeeded. */
  remainingDeps: number;
  status: TaskStatus;
  /** Attempts started so far = the fencing token of the current (or last) lease. */
  attempt: number;
  lease?: LeaseRecord;
  /** A pending task is not runnable before this (retry backoff). */
  notBeforeMs: number;
  /** When the task last became runnable (dependencies done, backoff over): schedule-to-start counts from here. */
  readySinceMs: number;
  checkpoint?: CheckpointRecord;
  result?: CommittedResult;
  lastError?: FailureRecord;
  /** Bytes of input, output, checkpoint and last error, counted against dataBytesMax. */
  sizeBytes: number;
}

export interface JobRecord {
  readonly jobId: JobId;
  /** Index of the submitting entry: jobs are kept and evicted in this order. */
  readonly seq: number;
  readonly maxAttempts: number;
  readonly policy: SchedulingPolicy;
  readonly timeouts: TaskTimeouts;
  readonly backoff: BackoffSpec;
  readonly tasks: readonly TaskRecord[];
  readonly counts: Record<keyof JobCounts, number>;
  cancelled: boolean;
  sizeBytes: number;
}

export interface WorkerRecord {
  readonly workerId: WorkerId;
  capacity: number;
  weight: number;
  handlers: readonly string[];
  status: 'up' | 'down';
  lastSeenMs: number;
  /** Held leases; iteration order is history-dependent, so always sort before output. */
  readonly leases: Set<TaskId>;
}

const statusCount: Readonly<Record<TaskStatus, keyof JobCounts>> = {
  pending: 'pending', running: 'running', succeeded: 'succeeded', failed: 'failed', deadLettered: 'deadLettered', cancelled: 'cancelled',
};

export function emptyCounts(): Record<keyof JobCounts, number> {
  return { pending: 0, running: 0, succeeded: 0, failed: 0, deadLettered: 0, cancelled: 0 };
}

export function isTerminal(status: TaskStatus): boolean {
  return status === 'succeeded' || status === 'failed' || status === 'deadLettered' || status === 'cancelled';
}

export function jobState(job: JobRecord): JobState {
  const c = job.counts;
  if (c.pending + c.running > 0) return 'running';
  if (job.cancelled) return 'cancelled';
  return c.succeeded === job.tasks.length ? 'succeeded' : 'failed';
}

export function checkpointBytes(state: JsonText | undefined, steps: ReadonlyMap<string, JsonText>): number {
  let size = state === undefined ? 0 : textBytes(state);
  for (const [name, result] of steps) size += textBytes(name) + textBytes(result);
  return size;
}

function failureBytes(failure: FailureRecord | undefined): number {
  return failure === undefined ? 0 : textBytes(failure.message) + (failure.stack === undefined ? 0 : textBytes(failure.stack));
}

export function taskSizeBytes(task: TaskRecord): number {
  return textBytes(task.input)
    + (task.result === undefined ? 0 : textBytes(task.result.output))
    + (task.checkpoint?.sizeBytes ?? 0)
    + failureBytes(task.lastError);
}

export class TaskState {
  readonly jobs = new Map<JobId, JobRecord>();
  readonly tasks = new Map<TaskId, TaskRecord>();
  readonly workers = new Map<WorkerId, WorkerRecord>();
  /** Pending tasks whose dependencies all succeeded (backoff may still be running). */
  readonly ready = new Set<TaskId>();
  /** Tasks holding a lease. */
  readonly running = new Set<TaskId>();
  /** The largest nowMs applied so far: commands without nowMs happen at this time. */
  clockMs = 0;
  /** Results (complete or fail) from an attempt whose lease was no longer current: rejected. */
  zombieResults = 0;
  /** Checkpoints from an attempt whose lease was no longer current: rejected. */
  zombieCheckpoints = 0;
  dataBytes = 0;

  job(task: TaskRecord): JobRecord {
    const job = this.jobs.get(task.jobId);
    assert(job !== undefined, `task ${task.taskId} has no job`);
    return job;
  }

  task(taskId: TaskId): TaskRecord {
    const task = this.tasks.get(taskId);
    assert(task !== undefined, `task ${taskId} is not in the table`);
    return task;
  }

  advanceClock(nowMs: number | undefined): number {
    if (nowMs !== undefined && nowMs > this.clockMs) this.clockMs = nowMs;
    return this.clockMs;
  }

  /** Adds a job and its tasks (all pending, in the given status bookkeeping). */
  addJob(job: JobRecord): void {
    assert(!this.jobs.has(job.jobId), `job ${job.jobId} added twice`);
    for (const other of this.jobs.values()) assert(other.seq < job.seq, `job ${job.jobId} (seq ${job.seq}) added after seq ${other.seq}`);
    this.jobs.set(job.jobId, job);
    for (const task of job.tasks) {
      assert(!this.tasks.has(task.taskId), `task ${task.taskId} added twice`);
      this.tasks.set(task.taskId, task);
      job.counts[statusCount[task.status]] += 1;
      this.indexTask(task);
      task.sizeBytes = taskSizeBytes(task);
      job.sizeBytes += task.sizeBytes;
      this.dataBytes += task.sizeBytes;
    }
  }

  removeJob(job: JobRecord): void {
    assert(jobState(job) !== 'running', `job ${job.jobId} evicted while running`);
    for (const task of job.tasks) {
      assert(task.lease === undefined, `finished task ${task.taskId} holds a lease`);
      this.tasks.delete(task.taskId);
      this.ready.delete(task.taskId);
    }
    this.dataBytes -= job.sizeBytes;
    this.jobs.delete(job.jobId);
  }

  /** The one way to change a task's status: keeps counts, ready and running in step. */
  setStatus(task: TaskRecord, status: TaskStatus): void {
    const job = this.job(task);
    assert(!isTerminal(task.status), `task ${task.taskId} leaves terminal status ${task.status}`);
    job.counts[statusCount[task.status]] -= 1;
    job.counts[statusCount[status]] += 1;
    task.status = status;
    this.indexTask(task);
  }

  /** Recounts a task's bytes after its output, checkpoint or error changed. */
  resize(task: TaskRecord): void {
    const size = taskSizeBytes(task);
    const job = this.job(task);
    job.sizeBytes += size - task.sizeBytes;
    this.dataBytes += size - task.sizeBytes;
    task.sizeBytes = size;
  }

  /** Re-files a task in the ready and running sets after its status or dependencies changed. */
  indexTask(task: TaskRecord): void {
    if (task.status === 'pending' && task.remainingDeps === 0) this.ready.add(task.taskId);
    else this.ready.delete(task.taskId);
    if (task.status === 'running') this.running.add(task.taskId);
    else this.running.delete(task.taskId);
  }

  /** Recomputes every derived field and count and compares; an AssertionError names the first mismatch. */
  checkInvariants(maxAttemptsCap: number): void {
    let dataBytes = 0;
    let previousSeq = -1;
    const leasesByWorker = new Map<WorkerId, number>();
    for (const job of this.jobs.values()) {
      assert(job.seq > previousSeq, `job ${job.jobId} out of seq order`);
      previousSeq = job.seq;
      assert(job.maxAttempts >= 1 && job.maxAttempts <= maxAttemptsCap, `job ${job.jobId} maxAttempts ${job.maxAttempts}`);
      const counts = emptyCounts();
      let jobBytes = 0;
      for (const [position, task] of job.tasks.entries()) {
        assert(task.position === position, `task ${task.taskId} at position ${position} says ${task.position}`);
        assert(this.tasks.get(task.taskId) === task, `task ${task.taskId} missing from the table`);
        counts[statusCount[task.status]] += 1;
        this.checkTask(job, task, leasesByWorker);
        jobBytes += task.sizeBytes;
      }
      for (const name of Object.keys(counts) as (keyof JobCounts)[]) {
        assert(counts[name] === job.counts[name], `job ${job.jobId} counts ${name} ${job.counts[name]}, recounted ${counts[name]}`);
      }
      assert(jobBytes === job.sizeBytes, `job ${job.jobId} sizeBytes ${job.sizeBytes}, recounted ${jobBytes}`);
      dataBytes += jobBytes;
    }
    assert(dataBytes === this.dataBytes, `dataBytes ${this.dataBytes}, recounted ${dataBytes}`);
    let taskCount = 0;
    for (const job of this.jobs.values()) taskCount += job.tasks.length;
    assert(taskCount === this.tasks.size, `task table holds ${this.tasks.size}, jobs hold ${taskCount}`);
    for (const worker of this.workers.values()) {
      const held = leasesByWorker.get(worker.workerId) ?? 0;
      assert(worker.leases.size === held, `worker ${worker.workerId} lists ${worker.leases.size} leases, tasks name it in ${held}`);
      assert(worker.status === 'up' || worker.leases.size === 0, `down worker ${worker.workerId} holds leases`);
    }
    for (const [workerId] of leasesByWorker) assert(this.workers.has(workerId), `a lease names unknown worker ${workerId}`);
  }

  private checkTask(job: JobRecord, task: TaskRecord, leasesByWorker: Map<WorkerId, number>): void {
    const id = task.taskId;
    assert(task.attempt >= 0 && task.attempt <= job.maxAttempts, `task ${id} attempt ${task.attempt} outside 0..${job.maxAttempts}`);
    let remaining = 0;
    for (const dep of task.dependsOn) if (this.task(dep).status !== 'succeeded') remaining += 1;
    assert(remaining === task.remainingDeps, `task ${id} remainingDeps ${task.remainingDeps}, recounted ${remaining}`);
    assert(this.ready.has(id) === (task.status === 'pending' && remaining === 0), `task ${id} ready-set membership wrong`);
    assert(this.running.has(id) === (task.status === 'running'), `task ${id} running-set membership wrong`);
    assert((task.status === 'running') === (task.lease !== undefined), `task ${id} is ${task.status} with${task.lease === undefined ? 'out' : ''} a lease`);
    if (task.status === 'running' || task.status === 'pending') assert(remaining === 0 || task.status === 'pending', `task ${id} runs before its dependencies`);
    if (task.status === 'running') assert(remaining === 0, `task ${id} runs with ${remaining} dependencies unfinished`);
    if (task.lease !== undefined) {
      assert(task.lease.attempt === task.attempt, `task ${id} lease token ${task.lease.attempt} is not attempt ${task.attempt}`);
      const worker = this.workers.get(task.lease.workerId);
      assert(worker?.leases.has(id) === true, `task ${id} lease not listed by worker ${task.lease.workerId}`);
      leasesByWorker.set(task.lease.workerId, (leasesByWorker.get(task.lease.workerId) ?? 0) + 1);
    }
    assert((task.status === 'succeeded') === (task.result !== undefined), `task ${id} is ${task.status} with${task.result === undefined ? 'out' : ''} a result`);
    if (task.result !== undefined) assert(task.result.attempt >= 1 && task.result.attempt <= task.attempt, `task ${id} result token ${task.result.attempt} vs attempt ${task.attempt}`);
    if (task.checkpoint !== undefined) {
      assert(task.checkpoint.attempt >= 1 && task.checkpoint.attempt <= task.attempt, `task ${id} checkpoint attempt ${task.checkpoint.attempt}`);
      assert(task.checkpoint.sizeBytes === checkpointBytes(task.checkpoint.state, task.checkpoint.steps), `task ${id} checkpoint size`);
    }
    assert(task.sizeBytes === taskSizeBytes(task), `task ${id} sizeBytes ${task.sizeBytes}, recounted ${taskSizeBytes(task)}`);
  }
}
