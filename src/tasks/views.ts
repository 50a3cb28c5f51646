/** Read views of the state, for query results and assign results (docs/tasks.md, "Queries"). */
import { compareCodeUnits, parsePayload, textBytes, type JsonValue } from './json.js';
import type { CheckpointView, FailureView, JobView, Lease, ResultView, TaskDetailView, TaskView, WorkerView } from './results.js';
import { jobState, type CheckpointRecord, type FailureRecord, type JobRecord, type LeaseRecord, type TaskRecord, type WorkerRecord } from './state.js';

/** Results per `results` query page, and the byte budget of their outputs (the first one always fits). */
export const resultsPageMax = 1000;
export const resultsPageBytesMax = 1024 * 1024;

export function leaseView(lease: LeaseRecord): Lease {
  return {
    workerId: lease.workerId, attempt: lease.attempt, startedMs: lease.startedMs,
    ...(lease.deadlineMs === undefined ? {} : { deadlineMs: lease.deadlineMs }),
    ...(lease.heartbeatDeadlineMs === undefined ? {} : { heartbeatDeadlineMs: lease.heartbeatDeadlineMs }),
  };
}

export function checkpointView(checkpoint: CheckpointRecord): CheckpointView {
  const steps: Record<string, JsonValue> = {};
  for (const name of [...checkpoint.steps.keys()].sort(compareCodeUnits)) {
    Object.defineProperty(steps, name, { value: parsePayload(checkpoint.steps.get(name) ?? ('null' as never)), enumerable: true, writable: true, configurable: true });
  }
  return { ...(checkpoint.state === undefined ? {} : { state: parsePayload(checkpoint.state) }), steps, attempt: checkpoint.attempt };
}

export function failureView(failure: FailureRecord): FailureView {
  return {
    message: failure.message, ...(failure.stack === undefined ? {} : { stack: failure.stack }), retryable: failure.retryable,
    attempt: failure.attempt, reason: failure.reason,
  };
}

export function taskView(task: TaskRecord): TaskView {
  const worker = task.lease?.workerId ?? task.result?.workerId;
  return {
    id: task.localId, taskId: task.taskId, handler: task.handler, status: task.status, attempt: task.attempt,
    dependsOn: task.dependsOn.map((d) => d.slice(task.jobId.length + 1)),
    ...(task.key === undefined ? {} : { key: task.key }), ...(worker === undefined ? {} : { worker }),
    ...(task.status === 'pending' ? { notBeforeMs: task.notBeforeMs } : {}),
  };
}

export function taskDetailView(task: TaskRecord): TaskDetailView {
  return {
    ...taskView(task), jobId: task.jobId, input: parsePayload(task.input),
    ...(task.lease === undefined ? {} : { lease: leaseView(task.lease) }),
    ...(task.result === undefined ? {} : { output: parsePayload(task.result.output) }),
    ...(task.lastError === undefined ? {} : { lastError: failureView(task.lastError) }),
    ...(task.checkpoint === undefined ? {} : { checkpoint: checkpointView(task.checkpoint) }),
  };
}

export function jobView(job: JobRecord): JobView {
  return {
    jobId: job.jobId, state: jobState(job), counts: { ...job.counts }, policy: job.policy, maxAttempts: job.maxAttempts,
    tasks: job.tasks.map(taskView),
  };
}

/** Committed results in task position order, after local id `after`, within `limit` and resultsPageBytesMax. */
export function resultsPage(job: JobRecord, after: string | undefined, limit: number): { results: ResultView[]; more: boolean } {
  const start = after === undefined ? 0 : job.tasks.findIndex((t) => t.localId === after) + 1;
  const results: ResultView[] = [];
  let bytes = 0;
  for (const task of job.tasks.slice(start)) {
    if (task.result === undefined) continue;
    const size = textBytes(task.result.output);
    if (results.length >= limit || (results.length > 0 && bytes + size > resultsPageBytesMax)) return { results, more: true };
    bytes += size;
    results.push({ taskId: task.localId, output: parsePayload(task.result.output), attempts: task.attempt, worker: task.result.workerId });
  }
  return { results, more: false };
}

export function workerView(worker: WorkerRecord): WorkerView {
  return {
    workerId: worker.workerId, status: worker.status, capacity: worker.capacity, weight: worker.weight, running: worker.leases.size,
    handlers: worker.handlers, lastSeenMs: worker.lastSeenMs,
  };
}
