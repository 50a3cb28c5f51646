/** assign, checkpoint, complete, fail, expire and cancelJob: the life of a lease (docs/tasks.md). */
import { assert } from '../core/assert.js';
import { clipText } from '../kv/keys.js';
import { commitResult, endAttempt, settleFailed } from './attempts.js';
import { taskBugs } from './bugs.js';
import type { Assign, CancelJob, Checkpoint, Complete, Expire, Fail } from './commands.js';
import type { JobId, TaskId, WorkerId } from './ids.js';
import { parsePayload, payloadText, textBytes } from './json.js';
import { errorMessageLengthMax, errorStackLengthMax, stepNameBytesMax, type TaskOptions } from './limits.js';
import { taskError, type EndedAttempt, type TaskResult, type UnstartedTask } from './results.js';
import { checkpointBytes, jobState, type TaskRecord, type TaskState } from './state.js';
import { checkToken } from './tokens.js';
import { checkpointView, leaseView } from './views.js';

export function onAssign(state: TaskState, cmd: Assign): TaskResult {
  const nowMs = state.advanceClock(cmd.nowMs);
  const task = state.tasks.get(cmd.taskId as TaskId);
  if (task === undefined) return taskError('TASK_NOT_FOUND', `task ${cmd.taskId} is not known`);
  const worker = state.workers.get(cmd.workerId as WorkerId);
  if (worker === undefined) return taskError('WORKER_NOT_FOUND', `worker ${cmd.workerId} is not registered`);
  if (worker.status === 'down') return taskError('WORKER_DOWN', `worker ${cmd.workerId} is down`);
  if (task.status !== 'pending') return taskError('TASK_NOT_RUNNABLE', `task ${task.taskId} is ${task.status}`);
  if (task.remainingDeps > 0) return taskError('TASK_NOT_RUNNABLE', `task ${task.taskId} waits for ${task.remainingDeps} dependencies`);
  if (nowMs < task.notBeforeMs) return taskError('TASK_NOT_RUNNABLE', `task ${task.taskId} backs off until ${task.notBeforeMs}`);
  if (!worker.handlers.includes(task.handler)) return taskError('HANDLER_UNSUPPORTED', `worker ${worker.workerId} does not run handler ${task.handler}`);
  if (worker.leases.size >= worker.capacity) return taskError('WORKER_AT_CAPACITY', `worker ${worker.workerId} holds ${worker.leases.size} of ${worker.capacity} leases`);
  const job = state.job(task);
  assert(task.attempt < job.maxAttempts, `pending task ${task.taskId} has used all ${job.maxAttempts} attempts`);
  task.attempt += 1;
  const { startToCloseMs, heartbeatMs } = job.timeouts;
  task.lease = {
    workerId: worker.workerId, attempt: task.attempt, startedMs: nowMs,
    ...(startToCloseMs === undefined ? {} : { deadlineMs: nowMs + startToCloseMs }),
    ...(heartbeatMs === undefined ? {} : { heartbeatDeadlineMs: nowMs + heartbeatMs }),
  };
  worker.leases.add(task.taskId);
  state.setStatus(task, 'running');
  const checkpoint = task.checkpoint === undefined ? undefined : checkpointView(task.checkpoint);
  return {
    kind: 'assign', taskId: task.taskId, jobId: task.jobId, lease: leaseView(task.lease), handler: task.handler,
    input: parsePayload(task.input), ...(checkpoint === undefined ? {} : { checkpoint }),
  };
}

export function onCheckpoint(state: TaskState, cmd: Checkpoint, options: TaskOptions): TaskResult {
  const nowMs = state.advanceClock(cmd.nowMs);
  const task = state.tasks.get(cmd.taskId as TaskId);
  if (task === undefined) return taskError('TASK_NOT_FOUND', `task ${cmd.taskId} is not known`);
  const verdict = checkToken(task, cmd.attempt);
  if (verdict === 'unknown') return taskError('ATTEMPT_UNKNOWN', `task ${task.taskId} has started ${task.attempt} attempts, not ${cmd.attempt}`);
  if (verdict === 'stale') {
    state.zombieCheckpoints += 1;
    return taskError('STALE_ATTEMPT', `task ${task.taskId}: attempt ${cmd.attempt} no longer holds the lease (task is ${task.status}, attempt ${task.attempt})`);
  }
  const previous = task.checkpoint;
  const stateText = cmd.state === undefined ? previous?.state : payloadText(cmd.state);
  const steps = new Map(previous?.steps);
  let stepKept: 'new' | 'existing' | undefined;
  if (cmd.step !== undefined) {
    const name = cmd.step.name;
    if (name.length === 0 || textBytes(name) > stepNameBytesMax) return taskError('INVALID_ARGUMENT', `step name must be 1-${stepNameBytesMax} bytes`);
    // A step's result is fixed once recorded: a retry that records it again keeps the first.
    stepKept = steps.has(name) ? 'existing' : 'new';
    if (stepKept === 'new') steps.set(name, payloadText(cmd.step.result));
    if (steps.size > options.stepsMax) return taskError('CHECKPOINT_TOO_LARGE', `task ${task.taskId} would have ${steps.size} steps, stepsMax is ${options.stepsMax}`);
  }
  const sizeBytes = checkpointBytes(stateText, steps);
  if (sizeBytes > options.checkpointBytesMax) {
    return taskError('CHECKPOINT_TOO_LARGE', `checkpoint of task ${task.taskId} is ${sizeBytes} bytes (state plus steps), checkpointBytesMax is ${options.checkpointBytesMax}`);
  }
  const growth = sizeBytes - (previous?.sizeBytes ?? 0);
  if (growth > 0 && state.dataBytes + growth > options.dataBytesMax) {
    return taskError('QUOTA_EXCEEDED', `checkpoint of task ${task.taskId} needs ${growth} more bytes; ${state.dataBytes} of dataBytesMax ${options.dataBytesMax} are used`);
  }
  task.checkpoint = { ...(stateText === undefined ? {} : { state: stateText }), steps, attempt: cmd.attempt, sizeBytes };
  state.resize(task);
  renewHeartbeat(state, task, nowMs);
  return { kind: 'checkpoint', taskId: task.taskId, attempt: cmd.attempt, sizeBytes, ...(stepKept === undefined ? {} : { stepKept }) };
}

export function renewHeartbeat(state: TaskState, task: TaskRecord, nowMs: number): void {
  const heartbeatMs = state.job(task).timeouts.heartbeatMs;
  if (task.lease !== undefined && heartbeatMs !== undefined) task.lease.heartbeatDeadlineMs = nowMs + heartbeatMs;
}

export function onComplete(state: TaskState, cmd: Complete, options: TaskOptions): TaskResult {
  state.advanceClock(cmd.nowMs);
  const task = state.tasks.get(cmd.taskId as TaskId);
  if (task === undefined) return taskError('TASK_NOT_FOUND', `task ${cmd.taskId} is not known`);
  if (task.result?.attempt === cmd.attempt) {
    return { kind: 'complete', taskId: task.taskId, attempt: cmd.attempt, duplicate: true, jobState: jobState(state.job(task)) };
  }
  const verdict = checkToken(task, cmd.attempt);
  if (verdict === 'unknown') return taskError('ATTEMPT_UNKNOWN', `task ${task.taskId} has started ${task.attempt} attempts, not ${cmd.attempt}`);
  // The mutation switch commits a zombie's result over a newer lease (tasks.mutation.test.ts).
  const acceptStale = taskBugs.acceptStaleResults && task.status === 'running';
  if (verdict === 'stale' && !acceptStale) {
    state.zombieResults += 1;
    return taskError('STALE_ATTEMPT', `task ${task.taskId}: attempt ${cmd.attempt} no longer holds the lease (task is ${task.status}, attempt ${task.attempt}); result rejected`);
  }
  const output = payloadText(cmd.output);
  const size = textBytes(output);
  if (size > options.outputBytesMax) {
    return taskError('RESULT_TOO_LARGE', `result of task ${task.taskId} is ${size} bytes, outputBytesMax is ${options.outputBytesMax}; report it with fail`);
  }
  commitResult(state, task, output, cmd.attempt);
  return { kind: 'complete', taskId: task.taskId, attempt: cmd.attempt, duplicate: false, jobState: jobState(state.job(task)) };
}

export function onFail(state: TaskState, cmd: Fail): TaskResult {
  const nowMs = state.advanceClock(cmd.nowMs);
  const task = state.tasks.get(cmd.taskId as TaskId);
  if (task === undefined) return taskError('TASK_NOT_FOUND', `task ${cmd.taskId} is not known`);
  const job = state.job(task);
  const failureResult = (duplicate: boolean): TaskResult => ({
    kind: 'fail', taskId: task.taskId, attempt: cmd.attempt, duplicate, status: task.status,
    ...(task.status === 'pending' ? { notBeforeMs: task.notBeforeMs } : {}), jobState: jobState(job),
  });
  if (task.lastError?.attempt === cmd.attempt && task.lastError.reason === 'failed') return failureResult(true);
  const verdict = checkToken(task, cmd.attempt);
  if (verdict === 'unknown') return taskError('ATTEMPT_UNKNOWN', `task ${task.taskId} has started ${task.attempt} attempts, not ${cmd.attempt}`);
  if (verdict === 'stale') {
    state.zombieResults += 1;
    return taskError('STALE_ATTEMPT', `task ${task.taskId}: attempt ${cmd.attempt} no longer holds the lease (task is ${task.status}, attempt ${task.attempt}); failure rejected`);
  }
  const { message, stack, retryable } = cmd.error;
  endAttempt(state, task, 'failed', nowMs, {
    message: clipText(message, errorMessageLengthMax), retryable, ...(stack === undefined ? {} : { stack: clipText(stack, errorStackLengthMax) }),
  });
  return failureResult(false);
}

/**
 * Ends leases past their start-to-close or heartbeat deadline, and dead-letters runnable tasks
 * past their schedule-to-start timeout, in task id order, at most expireBatchMax.
 */
export function onExpire(state: TaskState, cmd: Expire, options: TaskOptions): TaskResult {
  const nowMs = state.advanceClock(cmd.nowMs);
  const ended: EndedAttempt[] = [];
  const unstarted: UnstartedTask[] = [];
  let more = false;
  for (const taskId of [...state.running].sort()) {
    const task = state.task(taskId);
    const lease = task.lease;
    assert(lease !== undefined, `running task ${taskId} has no lease`);
    const reason = lease.deadlineMs !== undefined && nowMs >= lease.deadlineMs ? 'startToCloseTimeout'
      : lease.heartbeatDeadlineMs !== undefined && nowMs >= lease.heartbeatDeadlineMs ? 'heartbeatTimeout' : undefined;
    if (reason === undefined) continue;
    if (ended.length >= options.expireBatchMax) {
      more = true;
      break;
    }
    const limit = reason === 'startToCloseTimeout' ? `startToCloseMs ${state.job(task).timeouts.startToCloseMs}` : `heartbeatMs ${state.job(task).timeouts.heartbeatMs}`;
    ended.push(endAttempt(state, task, reason, nowMs, { message: `attempt ${lease.attempt} on ${lease.workerId} timed out (${limit})`, retryable: true }));
  }
  for (const taskId of [...state.ready].sort()) {
    const task = state.task(taskId);
    const limitMs = state.job(task).timeouts.scheduleToStartMs;
    if (limitMs === undefined || nowMs < task.notBeforeMs || nowMs - task.readySinceMs < limitMs) continue;
    if (ended.length + unstarted.length >= options.expireBatchMax) {
      more = true;
      break;
    }
    task.lastError = { message: `no worker started the task within scheduleToStartMs ${limitMs}`, retryable: false, attempt: task.attempt, reason: 'scheduleToStartTimeout' };
    state.resize(task);
    settleFailed(state, task, 'deadLettered');
    unstarted.push({ taskId: task.taskId, attempt: task.attempt });
  }
  return { kind: 'expire', ended, unstarted, more };
}

export function onCancelJob(state: TaskState, cmd: CancelJob): TaskResult {
  const nowMs = state.advanceClock(cmd.nowMs);
  const job = state.jobs.get(cmd.jobId as JobId);
  if (job === undefined) return taskError('JOB_NOT_FOUND', `job ${cmd.jobId} is not known`);
  if (jobState(job) !== 'running') return taskError('JOB_FINISHED', `job ${job.jobId} is already ${jobState(job)}`);
  job.cancelled = true;
  const ended: EndedAttempt[] = [];
  let cancelled = 0;
  for (const task of job.tasks) {
    if (task.status === 'running') {
      ended.push(endAttempt(state, task, 'cancelled', nowMs, { message: 'job cancelled', retryable: false }));
      cancelled += 1;
    } else if (task.status === 'pending') {
      state.setStatus(task, 'cancelled');
      cancelled += 1;
    }
  }
  return { kind: 'cancelJob', jobId: job.jobId, cancelled, ended };
}
