/** Results of task commands and queries, and their error codes (docs/tasks.md). */
import type { JobId, TaskId, WorkerId } from './ids.js';
import type { JsonValue } from './json.js';

export type TaskErrorCode =
  | 'COMMAND_MALFORMED'
  | 'COMMAND_TOO_LARGE'
  | 'INVALID_ARGUMENT'
  | 'PAYLOAD_TOO_LARGE'
  | 'RESULT_TOO_LARGE'
  | 'CHECKPOINT_TOO_LARGE'
  | 'QUOTA_EXCEEDED'
  | 'JOB_EXISTS'
  | 'JOB_NOT_FOUND'
  | 'JOB_FINISHED'
  | 'JOB_LIMIT'
  | 'TASK_LIMIT'
  | 'DUPLICATE_TASK_ID'
  | 'DEPENDENCY_UNKNOWN'
  | 'DEPENDENCY_CYCLE'
  | 'TASK_NOT_FOUND'
  | 'TASK_NOT_RUNNABLE'
  | 'WORKER_NOT_FOUND'
  | 'WORKER_DOWN'
  | 'WORKER_LIMIT'
  | 'WORKER_AT_CAPACITY'
  | 'HANDLER_UNSUPPORTED'
  | 'STALE_ATTEMPT'
  | 'ATTEMPT_UNKNOWN'
  | 'QUERY_UNSUPPORTED';

/**
 * Whether resending the same command later can succeed. The machine is deterministic, so only
 * codes that depend on state other commands change are retryable.
 */
export const taskErrorRetryable: Readonly<Record<TaskErrorCode, boolean>> = {
  COMMAND_MALFORMED: false,
  COMMAND_TOO_LARGE: false,
  INVALID_ARGUMENT: false,
  PAYLOAD_TOO_LARGE: false,
  RESULT_TOO_LARGE: false,
  CHECKPOINT_TOO_LARGE: false,
  QUOTA_EXCEEDED: true,
  JOB_EXISTS: false,
  JOB_NOT_FOUND: false,
  JOB_FINISHED: false,
  JOB_LIMIT: true,
  TASK_LIMIT: true,
  DUPLICATE_TASK_ID: false,
  DEPENDENCY_UNKNOWN: false,
  DEPENDENCY_CYCLE: false,
  TASK_NOT_FOUND: false,
  TASK_NOT_RUNNABLE: true,
  WORKER_NOT_FOUND: false,
  WORKER_DOWN: false,
  WORKER_LIMIT: true,
  WORKER_AT_CAPACITY: true,
  HANDLER_UNSUPPORTED: false,
  STALE_ATTEMPT: false,
  ATTEMPT_UNKNOWN: false,
  QUERY_UNSUPPORTED: false,
};

export const taskErrorCodes = Object.keys(taskErrorRetryable) as TaskErrorCode[];

export interface TaskErrorResult {
  readonly kind: 'error';
  readonly code: TaskErrorCode;
  readonly message: string;
}

export function taskError(code: TaskErrorCode, message: string): TaskErrorResult {
  return { kind: 'error', code, message };
}

export type TaskStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'deadLettered' | 'cancelled';
export type JobState = 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface JobCounts {
  readonly pending: number;
  readonly running: number;
  readonly succeeded: number;
  /** Tasks that will not run because a dependency was dead-lettered or failed. */
  readonly failed: number;
  readonly deadLettered: number;
  readonly cancelled: number;
}

/** Why an attempt ended without a result. */
export type AttemptEndReason = 'failed' | 'workerDown' | 'startToCloseTimeout' | 'heartbeatTimeout' | 'scheduleToStartTimeout' | 'cancelled';
/** What became of the task: retried (pending again), dead-lettered, or cancelled. */
export type AttemptOutcome = 'retry' | 'deadLettered' | 'cancelled';

export interface EndedAttempt {
  readonly taskId: TaskId;
  readonly attempt: number;
  readonly workerId: WorkerId;
  readonly reason: AttemptEndReason;
  readonly outcome: AttemptOutcome;
  /** When a retried task becomes runnable again. */
  readonly notBeforeMs?: number;
}

/** A pending task dead-lettered because no worker took it within scheduleToStartMs. */
export interface UnstartedTask {
  readonly taskId: TaskId;
  readonly attempt: number;
}

export interface Lease {
  readonly workerId: WorkerId;
  readonly attempt: number;
  readonly startedMs: number;
  /** Start-to-close deadline, absent without that timeout. */
  readonly deadlineMs?: number;
  /** Heartbeat deadline, absent without that timeout. */
  readonly heartbeatDeadlineMs?: number;
}

export interface CheckpointView {
  readonly state?: JsonValue;
  readonly steps: Readonly<Record<string, JsonValue>>;
  /** The attempt that wrote it last. */
  readonly attempt: number;
}

export type TaskResult =
  | { readonly kind: 'submitJob'; readonly jobId: JobId; readonly taskIds: readonly TaskId[]; readonly evictedJobs: readonly JobId[] }
  | { readonly kind: 'registerWorker'; readonly workerId: WorkerId; readonly evictedWorker?: WorkerId }
  | { readonly kind: 'workerHeartbeat'; readonly workerId: WorkerId }
  | { readonly kind: 'workerDown'; readonly workerId: WorkerId; readonly ended: readonly EndedAttempt[] }
  /** What the worker needs to run the attempt: the lease, the handler, the input and the checkpoint to resume from. */
  | {
    readonly kind: 'assign'; readonly taskId: TaskId; readonly jobId: JobId; readonly lease: Lease; readonly handler: string;
    readonly input: JsonValue; readonly checkpoint?: CheckpointView;
  }
  | { readonly kind: 'checkpoint'; readonly taskId: TaskId; readonly attempt: number; readonly sizeBytes: number; readonly stepKept?: 'new' | 'existing' }
  /** `duplicate`: this attempt's result was already committed (a retried complete); nothing changed. */
  | { readonly kind: 'complete'; readonly taskId: TaskId; readonly attempt: number; readonly duplicate: boolean; readonly jobState: JobState }
  /** `duplicate`: this attempt's failure was already recorded (a retried fail); nothing changed. */
  | {
    readonly kind: 'fail'; readonly taskId: TaskId; readonly attempt: number; readonly duplicate: boolean; readonly status: TaskStatus;
    readonly notBeforeMs?: number; readonly jobState: JobState;
  }
  | { readonly kind: 'expire'; readonly ended: readonly EndedAttempt[]; readonly unstarted: readonly UnstartedTask[]; readonly more: boolean }
  | { readonly kind: 'cancelJob'; readonly jobId: JobId; readonly cancelled: number; readonly ended: readonly EndedAttempt[] }
  | TaskErrorResult;

export type TaskResultKind = TaskResult['kind'];
export type TaskResultFor<K extends TaskResultKind> = Extract<TaskResult, { kind: K }>;

export interface TaskView {
  readonly id: string;
  readonly taskId: TaskId;
  readonly handler: string;
  readonly status: TaskStatus;
  readonly attempt: number;
  readonly dependsOn: readonly string[];
  readonly key?: string;
  readonly worker?: WorkerId;
  readonly notBeforeMs?: number;
}

export interface JobView {
  readonly jobId: JobId;
  readonly state: JobState;
  readonly counts: JobCounts;
  readonly policy: string;
  readonly maxAttempts: number;
  readonly tasks: readonly TaskView[];
}

export interface ResultView {
  /** Local id in the job. */
  readonly taskId: string;
  readonly output: JsonValue;
  readonly attempts: number;
  readonly worker: WorkerId;
}

export interface FailureView {
  readonly message: string;
  readonly stack?: string;
  readonly retryable: boolean;
  readonly attempt: number;
  readonly reason: AttemptEndReason;
}

export interface TaskDetailView extends TaskView {
  readonly jobId: JobId;
  readonly input: JsonValue;
  readonly lease?: Lease;
  readonly output?: JsonValue;
  readonly lastError?: FailureView;
  readonly checkpoint?: CheckpointView;
}

export interface WorkerView {
  readonly workerId: WorkerId;
  readonly status: 'up' | 'down';
  readonly capacity: number;
  readonly weight: number;
  readonly running: number;
  readonly handlers: readonly string[];
  readonly lastSeenMs: number;
}

export type TaskQueryResult =
  | { readonly kind: 'job'; readonly job: JobView }
  | { readonly kind: 'results'; readonly jobId: JobId; readonly results: readonly ResultView[]; readonly more: boolean }
  | { readonly kind: 'task'; readonly task: TaskDetailView }
  | { readonly kind: 'workers'; readonly workers: readonly WorkerView[] }
  | { readonly kind: 'jobs'; readonly jobs: readonly { readonly jobId: JobId; readonly state: JobState; readonly counts: JobCounts }[] }
  | TaskErrorResult;
