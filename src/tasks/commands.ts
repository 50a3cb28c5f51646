/**
 * Commands of the task state machine (docs/tasks.md). Proposed through Raft: by clients
 * (`submitJob`, `cancelJob`), by workers through the API (`registerWorker`, `checkpoint`,
 * `complete`, `fail`, `workerHeartbeat`) and by the leader's scheduler and failure detector
 * (`assign`, `expire`, `workerDown`). Time enters only as `nowMs`, stamped by the leader.
 *
 * Payloads (`input`, `output`, `state`, step results) are any JSON value.
 */
import type { JsonValue } from './json.js';

export type SchedulingPolicy = 'least-loaded' | 'round-robin' | 'random' | 'weighted' | 'affinity';
export const schedulingPolicies: readonly SchedulingPolicy[] = ['least-loaded', 'round-robin', 'random', 'weighted', 'affinity'];

export interface TaskSpec {
  /** Local id, unique in the job; `t<position>` when absent. */
  readonly id?: string;
  readonly handler: string;
  readonly input: JsonValue;
  /** Affinity key for the `affinity` policy (the task id when absent). */
  readonly key?: string;
  /** Local ids of tasks of the same job that must succeed first. */
  readonly dependsOn?: readonly string[];
}

/** Each absent timeout is off. */
export interface TaskTimeouts {
  /** A runnable task not assigned within this is dead-lettered (no worker can take it). */
  readonly scheduleToStartMs?: number;
  /** An attempt running longer than this is ended (retried with backoff). */
  readonly startToCloseMs?: number;
  /** An attempt without a heartbeat of its worker or a checkpoint for this long is ended. */
  readonly heartbeatMs?: number;
}

/** Exponential backoff: attempt k failed -> wait min(maxMs, initialMs * 2^(k-1)) * (1/2 + jitter/2). */
export interface BackoffSpec {
  readonly initialMs: number;
  readonly maxMs: number;
}

export interface SubmitJob {
  readonly kind: 'submitJob';
  /** `job-<entry index>` when absent; a client-chosen id makes a retried submit detectable (JOB_EXISTS). */
  readonly jobId?: string;
  readonly tasks: readonly TaskSpec[];
  readonly maxAttempts?: number;
  readonly policy?: SchedulingPolicy;
  readonly timeouts?: TaskTimeouts;
  readonly backoff?: BackoffSpec;
  readonly nowMs?: number;
}

export interface RegisterWorker {
  readonly kind: 'registerWorker';
  readonly workerId: string;
  readonly capacity: number;
  readonly handlers: readonly string[];
  /** Weight for the `weighted` and `affinity` policies (capacity when absent). */
  readonly weight?: number;
  readonly nowMs?: number;
}

export interface WorkerHeartbeat { readonly kind: 'workerHeartbeat'; readonly workerId: string; readonly nowMs: number }
export interface WorkerDown { readonly kind: 'workerDown'; readonly workerId: string; readonly nowMs: number }
export interface Assign { readonly kind: 'assign'; readonly taskId: string; readonly workerId: string; readonly nowMs: number }

export interface StepRecord {
  readonly name: string;
  readonly result: JsonValue;
}

/** At least one of `state` and `step`. */
export interface Checkpoint {
  readonly kind: 'checkpoint';
  readonly taskId: string;
  readonly attempt: number;
  readonly state?: JsonValue;
  readonly step?: StepRecord;
  readonly nowMs?: number;
}

export interface Complete {
  readonly kind: 'complete';
  readonly taskId: string;
  readonly attempt: number;
  readonly output: JsonValue;
  readonly nowMs?: number;
}

export interface TaskFailure {
  readonly message: string;
  readonly stack?: string;
  readonly retryable: boolean;
}

export interface Fail {
  readonly kind: 'fail';
  readonly taskId: string;
  readonly attempt: number;
  readonly error: TaskFailure;
  readonly nowMs?: number;
}

export interface Expire { readonly kind: 'expire'; readonly nowMs: number }
export interface CancelJob { readonly kind: 'cancelJob'; readonly jobId: string; readonly nowMs?: number }

export type TaskCommand =
  | SubmitJob | RegisterWorker | WorkerHeartbeat | WorkerDown | Assign | Checkpoint | Complete | Fail | Expire | CancelJob;
export type TaskCommandKind = TaskCommand['kind'];
export const taskCommandKinds: readonly TaskCommandKind[] = [
  'submitJob', 'registerWorker', 'workerHeartbeat', 'workerDown', 'assign', 'checkpoint', 'complete', 'fail', 'expire', 'cancelJob',
];

/** Reads served by `query` from the current state (never through the log). */
export type TaskQuery =
  | { readonly kind: 'job'; readonly jobId: string }
  /** Committed results in task order, from after local id `after`, at most `limit` and a byte budget (`more` says if cut). */
  | { readonly kind: 'results'; readonly jobId: string; readonly after?: string; readonly limit?: number }
  | { readonly kind: 'task'; readonly taskId: string }
  | { readonly kind: 'workers' }
  | { readonly kind: 'jobs' };
export type TaskQueryKind = TaskQuery['kind'];
export const taskQueryKinds: readonly TaskQueryKind[] = ['job', 'results', 'task', 'workers', 'jobs'];
