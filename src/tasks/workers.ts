/** registerWorker, workerHeartbeat and workerDown: the worker table (docs/tasks.md). */
import { endAttempt } from './attempts.js';
import type { RegisterWorker, WorkerDown, WorkerHeartbeat } from './commands.js';
import { isId, type WorkerId } from './ids.js';
import type { TaskOptions } from './limits.js';
import { renewHeartbeat } from './leases.js';
import { taskError, type EndedAttempt, type TaskResult } from './results.js';
import type { TaskState, WorkerRecord } from './state.js';

export function onRegisterWorker(state: TaskState, cmd: RegisterWorker, options: TaskOptions): TaskResult {
  const nowMs = state.advanceClock(cmd.nowMs);
  if (!isId(cmd.workerId)) return taskError('INVALID_ARGUMENT', 'workerId must be 1-128 of [A-Za-z0-9_.:-]');
  if (cmd.capacity > options.workerCapacityMax) return taskError('INVALID_ARGUMENT', `capacity ${cmd.capacity} is above workerCapacityMax ${options.workerCapacityMax}`);
  const weight = cmd.weight ?? cmd.capacity;
  if (weight > options.workerCapacityMax) return taskError('INVALID_ARGUMENT', `weight ${weight} is above ${options.workerCapacityMax}`);
  if (cmd.handlers.length === 0 || cmd.handlers.length > options.workerHandlersMax) {
    return taskError('INVALID_ARGUMENT', `a worker lists 1 to ${options.workerHandlersMax} handlers, got ${cmd.handlers.length}`);
  }
  for (const handler of cmd.handlers) if (!isId(handler)) return taskError('INVALID_ARGUMENT', 'handler names must be 1-128 of [A-Za-z0-9_.:-]');
  if (new Set(cmd.handlers).size !== cmd.handlers.length) return taskError('INVALID_ARGUMENT', 'a handler is listed twice');
  const handlers = [...cmd.handlers].sort();
  const workerId = cmd.workerId as WorkerId;
  const existing = state.workers.get(workerId);
  if (existing !== undefined) {
    // Re-registration (a reconnect): the worker keeps its leases; a restarted process should use a new id.
    existing.capacity = cmd.capacity;
    existing.weight = weight;
    existing.handlers = handlers;
    existing.status = 'up';
    existing.lastSeenMs = nowMs;
    return { kind: 'registerWorker', workerId };
  }
  let evicted: WorkerRecord | undefined;
  if (state.workers.size >= options.workersMax) {
    for (const worker of state.workers.values()) {
      if (worker.status !== 'down') continue;
      if (evicted === undefined || worker.lastSeenMs < evicted.lastSeenMs || (worker.lastSeenMs === evicted.lastSeenMs && worker.workerId < evicted.workerId)) evicted = worker;
    }
    if (evicted === undefined) return taskError('WORKER_LIMIT', `${state.workers.size} workers are up (workersMax ${options.workersMax})`);
    state.workers.delete(evicted.workerId);
  }
  state.workers.set(workerId, { workerId, capacity: cmd.capacity, weight, handlers, status: 'up', lastSeenMs: nowMs, leases: new Set() });
  return { kind: 'registerWorker', workerId, ...(evicted === undefined ? {} : { evictedWorker: evicted.workerId }) };
}

export function onWorkerHeartbeat(state: TaskState, cmd: WorkerHeartbeat): TaskResult {
  const nowMs = state.advanceClock(cmd.nowMs);
  const worker = state.workers.get(cmd.workerId as WorkerId);
  if (worker === undefined) return taskError('WORKER_NOT_FOUND', `worker ${cmd.workerId} is not registered`);
  if (worker.status === 'down') return taskError('WORKER_DOWN', `worker ${cmd.workerId} was declared down and lost its leases; register again`);
  worker.lastSeenMs = nowMs;
  for (const taskId of worker.leases) renewHeartbeat(state, state.task(taskId), nowMs);
  return { kind: 'workerHeartbeat', workerId: worker.workerId };
}

/** The leader's failure detector suspects the worker: every lease it holds ends; its tasks are runnable at once. */
export function onWorkerDown(state: TaskState, cmd: WorkerDown): TaskResult {
  const nowMs = state.advanceClock(cmd.nowMs);
  const worker = state.workers.get(cmd.workerId as WorkerId);
  if (worker === undefined) return taskError('WORKER_NOT_FOUND', `worker ${cmd.workerId} is not registered`);
  worker.status = 'down';
  const ended: EndedAttempt[] = [];
  for (const taskId of [...worker.leases].sort()) {
    ended.push(endAttempt(state, state.task(taskId), 'workerDown', nowMs, { message: `worker ${worker.workerId} was declared down`, retryable: true }));
  }
  return { kind: 'workerDown', workerId: worker.workerId, ended };
}
