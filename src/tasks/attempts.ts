/**
 * Ending an attempt and settling a task: the shared transitions behind fail, expire, workerDown,
 * cancelJob and complete. Each keeps the worker's lease set, the task's lease and the job's
 * counts in step (through `TaskState.setStatus`).
 */
import { assert } from '../core/assert.js';
import { backoffDelayMs } from './backoff.js';
import type { TaskId } from './ids.js';
import type { JsonText } from './json.js';
import type { AttemptEndReason, EndedAttempt, TaskStatus } from './results.js';
import type { TaskRecord, TaskState } from './state.js';

export interface FailureInput {
  readonly message: string;
  readonly stack?: string;
  readonly retryable: boolean;
}

/** Removes the task's lease from it and from its worker. */
export function releaseLease(state: TaskState, task: TaskRecord): void {
  const lease = task.lease;
  assert(lease !== undefined, `task ${task.taskId} has no lease to release`);
  const worker = state.workers.get(lease.workerId);
  assert(worker !== undefined, `lease of ${task.taskId} names unknown worker ${lease.workerId}`);
  assert(worker.leases.delete(task.taskId), `worker ${lease.workerId} did not list the lease of ${task.taskId}`);
  delete task.lease;
}

/**
 * Ends the running attempt of `task` without a result. `cancelled`: the task is cancelled.
 * Otherwise the failure is recorded and the task is dead-lettered (non-retryable, or its last
 * attempt) or pending again: at once after `workerDown` (the work was not at fault; the 2 s
 * failover target), after the backoff otherwise.
 */
export function endAttempt(state: TaskState, task: TaskRecord, reason: AttemptEndReason, nowMs: number, failure: FailureInput): EndedAttempt {
  const lease = task.lease;
  assert(lease !== undefined && task.status === 'running', `task ${task.taskId} ends an attempt while ${task.status}`);
  assert(lease.attempt === task.attempt, `task ${task.taskId} lease token ${lease.attempt} is not attempt ${task.attempt}`);
  releaseLease(state, task);
  const base = { taskId: task.taskId, attempt: lease.attempt, workerId: lease.workerId, reason };
  if (reason === 'cancelled') {
    state.setStatus(task, 'cancelled');
    return { ...base, outcome: 'cancelled' };
  }
  task.lastError = { ...failure, attempt: lease.attempt, reason };
  state.resize(task);
  const job = state.job(task);
  if (!failure.retryable || task.attempt >= job.maxAttempts) {
    settleFailed(state, task, 'deadLettered');
    return { ...base, outcome: 'deadLettered' };
  }
  const notBeforeMs = reason === 'workerDown' ? nowMs : nowMs + backoffDelayMs(job.backoff, task.taskId, task.attempt);
  task.notBeforeMs = notBeforeMs;
  task.readySinceMs = notBeforeMs;
  state.setStatus(task, 'pending');
  return { ...base, outcome: 'retry', notBeforeMs };
}

/**
 * Moves a task to a failed terminal status (deadLettered, or failed for a dependency that
 * failed) and fails every task that waits on it, transitively: they can never run.
 */
export function settleFailed(state: TaskState, task: TaskRecord, status: Extract<TaskStatus, 'deadLettered' | 'failed'>): void {
  state.setStatus(task, status);
  const queue: TaskId[] = [...task.dependents];
  for (let i = 0; i < queue.length; i++) {
    const dependent = state.task(queue[i] as TaskId);
    // A dependent waits for this task, so it never started; it may already be failed or cancelled.
    assert(dependent.status !== 'running' && dependent.status !== 'succeeded', `task ${dependent.taskId} is ${dependent.status} before its dependency ${task.taskId} succeeded`);
    if (dependent.status !== 'pending') continue;
    state.setStatus(dependent, 'failed');
    queue.push(...dependent.dependents);
  }
}

/** Commits `output` as the task's one result (the caller checked the fencing token) and unblocks its dependents. */
export function commitResult(state: TaskState, task: TaskRecord, output: JsonText, attempt: number): void {
  assert(task.result === undefined, `task ${task.taskId} already has a result (from attempt ${task.result?.attempt})`);
  const lease = task.lease;
  const workerId = lease?.workerId;
  assert(workerId !== undefined, `task ${task.taskId} commits a result without a lease`);
  releaseLease(state, task);
  task.result = { output, attempt, workerId };
  state.setStatus(task, 'succeeded');
  state.resize(task);
  for (const id of task.dependents) {
    const dependent = state.task(id);
    assert(dependent.remainingDeps > 0, `task ${id} had no unfinished dependency left`);
    dependent.remainingDeps -= 1;
    if (dependent.remainingDeps === 0 && dependent.status === 'pending') {
      dependent.readySinceMs = Math.max(state.clockMs, dependent.notBeforeMs);
      state.indexTask(dependent);
    }
  }
}
