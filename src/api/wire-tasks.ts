/**
 * Wire types of the task engine's HTTP API (jobs, workers, the worker protocol). Types only; the
 * routes validate every input. See docs/api.md ("Jobs" and "Worker protocol").
 */
import type {
  CheckpointView, JobCounts, JobState, JobView, JsonValue, ResultView, SchedulingPolicy, TaskDetailView, TaskStatus, WorkerView,
} from '../tasks/index.js';

export type { CheckpointView, JobCounts, JobState, JobView, ResultView, TaskDetailView, TaskStatus, WorkerView };

export interface TaskSpecRequest {
  readonly id?: string;
  readonly handler: string;
  readonly input: JsonValue;
  readonly key?: string;
  readonly dependsOn?: readonly string[];
}

/** POST /v1/jobs */
export interface SubmitJobRequest {
  /** Chosen by the client so a retried submit is recognised (409 reason JOB_EXISTS); the TypeScript client always sends one. */
  readonly jobId?: string;
  readonly tasks: readonly TaskSpecRequest[];
  readonly maxAttempts?: number;
  readonly policy?: SchedulingPolicy;
  readonly timeouts?: { readonly scheduleToStartMs?: number; readonly startToCloseMs?: number; readonly heartbeatMs?: number };
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
}
export interface SubmitJobResponse { readonly jobId: string; readonly taskIds: readonly string[] }

/** GET /v1/jobs */
export interface JobSummary { readonly jobId: string; readonly state: JobState; readonly counts: JobCounts; readonly total: number }
export interface JobListResponse { readonly jobs: readonly JobSummary[] }
/** GET /v1/jobs/{id}: the job with every task's state (`id` repeats `jobId`, as DESIGN.md names it). */
export interface JobResponse extends JobView { readonly id: string }
/** GET /v1/jobs/{id}/results?after=&limit= (task order; continue with after = the last taskId) */
export interface ResultsResponse { readonly jobId: string; readonly results: readonly ResultView[]; readonly more: boolean }
/** POST /v1/jobs/{id}/cancel */
export interface CancelJobResponse { readonly jobId: string; readonly cancelled: number }

/** GET /v1/jobs/{id}/events (server-sent events). */
export type JobEvent =
  | { readonly type: 'progress'; readonly jobId: string; readonly state: JobState; readonly counts: JobCounts }
  | {
      readonly type: 'task'; readonly jobId: string; readonly taskId: string;
      readonly event: 'assigned' | 'succeeded' | 'retry' | 'failed' | 'deadLettered' | 'cancelled';
      readonly attempt: number; readonly worker?: string; readonly reason?: string;
    };

/** GET /v1/workers */
export interface WorkerListResponse { readonly workers: readonly WorkerView[] }

// ------------------------------------------------------------------ worker protocol

/** POST /v1/workers */
export interface RegisterWorkerRequest { readonly workerId: string; readonly capacity: number; readonly handlers: readonly string[]; readonly weight?: number }
export interface RegisterWorkerResponse { readonly workerId: string }
/** POST /v1/workers/{id}/heartbeat (leader only: 421 NotLeader elsewhere). `down`: re-register. */
export interface HeartbeatResponse { readonly status: 'ok' | 'down' | 'unknown' }

/** GET /v1/workers/{id}/stream (leader only): what the leader tells a worker, as server-sent events. */
export type WorkerStreamEvent =
  | {
      readonly type: 'lease'; readonly taskId: string; readonly jobId: string; readonly attempt: number; readonly handler: string;
      readonly input: JsonValue; readonly checkpoint?: CheckpointView; readonly deadlineMs?: number;
    }
  /** Stop the attempt: its lease ended (timeout, cancel, the worker declared down). */
  | { readonly type: 'abort'; readonly taskId: string; readonly attempt: number; readonly reason: string }
  /** Sent first on every connection: the attempts this worker holds; it aborts any other it runs. */
  | { readonly type: 'sync'; readonly leases: readonly { readonly taskId: string; readonly attempt: number }[] }
  /** The worker was declared down (its leases are gone): it must re-register. */
  | { readonly type: 'down' };

/** POST /v1/tasks/{jobId}/{taskId}/checkpoint */
export interface CheckpointRequest { readonly attempt: number; readonly state?: JsonValue; readonly step?: { readonly name: string; readonly result: JsonValue } }
export interface CheckpointResponse { readonly taskId: string; readonly attempt: number; readonly sizeBytes: number; readonly stepKept?: 'new' | 'existing' }
/** POST /v1/tasks/{jobId}/{taskId}/complete */
export interface CompleteRequest { readonly attempt: number; readonly output: JsonValue }
export interface CompleteResponse { readonly taskId: string; readonly attempt: number; readonly duplicate: boolean; readonly jobState: JobState }
/** POST /v1/tasks/{jobId}/{taskId}/fail */
export interface FailRequest { readonly attempt: number; readonly error: { readonly message: string; readonly stack?: string; readonly retryable: boolean } }
export interface FailResponse { readonly taskId: string; readonly attempt: number; readonly duplicate: boolean; readonly status: TaskStatus; readonly jobState: JobState }
