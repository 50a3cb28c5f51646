/**
 * The replicated task state machine: jobs of tasks (a DAG), workers, leases with fencing tokens,
 * checkpoints, retries with deterministic backoff, dead letters and exactly-once results. See
 * docs/tasks.md.
 *
 * Determinism: `apply` depends only on the state and the entry. Time comes only from `nowMs`
 * fields the leader put in commands; the jitter of backoffs is a hash; no output depends on Map
 * or Set iteration order except where that order follows the log (jobs by submit index), and
 * every list built from a Set is sorted.
 */
import { assert, assertNever } from '../core/assert.js';
import { concatBytes, hex16 } from '../core/bytes.js';
import { KeelError } from '../core/errors.js';
import type { AppliedEntry, StateMachine } from '../ports/state-machine.js';
import { crc32cChunk } from '../storage/crc.js';
import type { TaskCommand, TaskQuery } from './commands.js';
import { decodeCommand, decodeQuery } from './decode.js';
import { encodeResult } from './encode.js';
import type { JobId, TaskId } from './ids.js';
import { onAssign, onCancelJob, onCheckpoint, onComplete, onExpire, onFail } from './leases.js';
import { maxAttemptsMax, resolveTaskOptions, type TaskOptions, type TaskOptionsInput } from './limits.js';
import { taskError, type TaskQueryResult, type TaskResult } from './results.js';
import { decodeSnapshot, snapshotChunks } from './snapshot.js';
import { jobState, TaskState, type JobRecord, type TaskRecord, type WorkerRecord } from './state.js';
import { onSubmitJob } from './submit.js';
import { jobView, resultsPage, resultsPageMax, taskDetailView, workerView } from './views.js';
import { onRegisterWorker, onWorkerDown, onWorkerHeartbeat } from './workers.js';

/** Read-only access for the scheduler and the leader's timers (never mutate through it). */
export interface TaskStateView {
  readonly clockMs: number;
  readonly zombieResults: number;
  readonly zombieCheckpoints: number;
  readonly dataBytes: number;
  readonly jobs: ReadonlyMap<JobId, JobRecord>;
  readonly tasks: ReadonlyMap<TaskId, TaskRecord>;
  readonly workers: ReadonlyMap<string, WorkerRecord>;
  /** Pending tasks whose dependencies all succeeded (their backoff may still run). */
  readonly ready: ReadonlySet<TaskId>;
  readonly running: ReadonlySet<TaskId>;
}

export class TaskStateMachine implements StateMachine {
  readonly options: TaskOptions;
  private state = new TaskState();
  private appliedIndexValue = 0;
  /** Tests set it to recheck every derived count after each command (O(state)). */
  checkEveryApply = false;

  constructor(options: TaskOptionsInput = {}) {
    this.options = resolveTaskOptions(options);
  }

  get appliedIndex(): number {
    return this.appliedIndexValue;
  }

  get view(): TaskStateView {
    return this.state;
  }

  /** Applies a committed entry. Malformed bytes give an error result; an out-of-order index is a bug. */
  apply(entry: AppliedEntry): Uint8Array {
    assert(Number.isSafeInteger(entry.index), `entry index ${entry.index} is not a safe integer`);
    assert(entry.index > this.appliedIndexValue, `entry ${entry.index} applied after entry ${this.appliedIndexValue}: indexes must strictly increase`);
    const decoded = decodeCommand(entry.command);
    const result = decoded.ok ? this.execute(decoded.value, entry.index) : decoded.error;
    this.appliedIndexValue = entry.index;
    if (this.checkEveryApply) this.state.checkInvariants(maxAttemptsMax);
    return encodeResult(result);
  }

  query(request: Uint8Array): Uint8Array {
    const decoded = decodeQuery(request);
    return encodeResult(decoded.ok ? this.read(decoded.value) : decoded.error);
  }

  snapshot(): Uint8Array {
    return concatBytes([...snapshotChunks(this.state, this.appliedIndexValue)]);
  }

  /** Replaces the whole state, atomically: a snapshot that fails validation throws and leaves the state as it was. */
  restore(snapshot: Uint8Array, index: number): void {
    assert(Number.isSafeInteger(index) && index >= 0, `restore index ${index} is not a non-negative integer`);
    const decoded = decodeSnapshot(snapshot);
    if (decoded.appliedIndex !== index) {
      throw new KeelError('CHECKPOINT_CORRUPT', `task snapshot holds appliedIndex ${decoded.appliedIndex} but is restored as index ${index}`);
    }
    this.requireFits(decoded.state);
    this.state = decoded.state;
    this.appliedIndexValue = index;
  }

  /** 24 hex digits: CRC32C of the snapshot bytes (8), then their length (16). Costs a full snapshot encoding. */
  digest(): string {
    let crc = 0;
    let size = 0;
    for (const chunk of snapshotChunks(this.state, this.appliedIndexValue)) {
      crc = crc32cChunk(chunk, crc);
      size += chunk.length;
    }
    return crc.toString(16).padStart(8, '0') + hex16(size);
  }

  /** Recomputes every derived count and index; throws AssertionError on the first mismatch. */
  checkInvariants(): void {
    this.state.checkInvariants(maxAttemptsMax);
  }

  /**
   * The earliest time at which an `expire` would end something: a lease deadline, or a
   * schedule-to-start timeout of a runnable task. The leader proposes `expire { nowMs }` when its
   * clock passes it (undefined: nothing can expire).
   */
  nextExpiryMs(): number | undefined {
    let next: number | undefined;
    const consider = (ms: number | undefined): void => {
      if (ms !== undefined && (next === undefined || ms < next)) next = ms;
    };
    for (const taskId of this.state.running) {
      const lease = this.state.task(taskId).lease;
      consider(lease?.deadlineMs);
      consider(lease?.heartbeatDeadlineMs);
    }
    for (const taskId of this.state.ready) {
      const task = this.state.task(taskId);
      const limitMs = this.state.job(task).timeouts.scheduleToStartMs;
      if (limitMs !== undefined) consider(Math.max(task.notBeforeMs, task.readySinceMs + limitMs));
    }
    return next;
  }

  private execute(command: TaskCommand, index: number): TaskResult {
    const s = this.state;
    switch (command.kind) {
      case 'submitJob': return onSubmitJob(s, command, index, this.options);
      case 'registerWorker': return onRegisterWorker(s, command, this.options);
      case 'workerHeartbeat': return onWorkerHeartbeat(s, command);
      case 'workerDown': return onWorkerDown(s, command);
      case 'assign': return onAssign(s, command);
      case 'checkpoint': return onCheckpoint(s, command, this.options);
      case 'complete': return onComplete(s, command, this.options);
      case 'fail': return onFail(s, command);
      case 'expire': return onExpire(s, command, this.options);
      case 'cancelJob': return onCancelJob(s, command);
      default: return assertNever(command);
    }
  }

  private read(query: TaskQuery): TaskQueryResult {
    const s = this.state;
    switch (query.kind) {
      case 'job': {
        const job = s.jobs.get(query.jobId as JobId);
        return job === undefined ? taskError('JOB_NOT_FOUND', `job ${query.jobId} is not known`) : { kind: 'job', job: jobView(job) };
      }
      case 'results': {
        const job = s.jobs.get(query.jobId as JobId);
        if (job === undefined) return taskError('JOB_NOT_FOUND', `job ${query.jobId} is not known`);
        const page = resultsPage(job, query.after, Math.min(query.limit ?? resultsPageMax, resultsPageMax));
        return { kind: 'results', jobId: job.jobId, ...page };
      }
      case 'task': {
        const task = s.tasks.get(query.taskId as TaskId);
        return task === undefined ? taskError('TASK_NOT_FOUND', `task ${query.taskId} is not known`) : { kind: 'task', task: taskDetailView(task) };
      }
      case 'workers': return { kind: 'workers', workers: [...s.workers.keys()].sort().map((id) => workerView(s.workers.get(id) as WorkerRecord)) };
      case 'jobs': return { kind: 'jobs', jobs: [...s.jobs.values()].map((job) => ({ jobId: job.jobId, state: jobState(job), counts: { ...job.counts } })) };
      default: return assertNever(query);
    }
  }

  /** CONFIG_INVALID if a snapshot does not fit this machine's options (replicas must share them). */
  private requireFits(state: TaskState): void {
    const o = this.options;
    const problems: string[] = [];
    if (state.jobs.size > o.jobsMax) problems.push(`${state.jobs.size} jobs > jobsMax ${o.jobsMax}`);
    if (state.tasks.size > o.tasksMax) problems.push(`${state.tasks.size} tasks > tasksMax ${o.tasksMax}`);
    if (state.workers.size > o.workersMax) problems.push(`${state.workers.size} workers > workersMax ${o.workersMax}`);
    for (const job of state.jobs.values()) {
      if (job.tasks.length > o.tasksPerJobMax) problems.push(`job ${job.jobId} has ${job.tasks.length} tasks > tasksPerJobMax ${o.tasksPerJobMax}`);
    }
    if (problems.length > 0) {
      throw new KeelError('CONFIG_INVALID', `task snapshot does not fit this node's options (replicas must share them): ${problems.join('; ')}`, { data: { problems } });
    }
  }
}

