/**
 * Snapshot format of the task state machine: JSON lines, each canonical JSON (json.ts).
 *
 *   {"appliedIndex":..,"clockMs":..,"format":"keel-tasks","jobs":N,"version":1,"workers":M,"zombieCheckpoints":..,"zombieResults":..}
 *   M worker lines, in worker id order
 *   per job, in submit order: one job line, then its tasks in position order
 *
 * Everything derived (leases per worker, dependents, remaining dependencies, counts, sizes, the
 * ready and running sets) is rebuilt on restore and checked by `TaskState.checkInvariants`.
 * Payloads are stored as their canonical text, so equal states give equal bytes.
 */
import { AssertionError } from '../core/assert.js';
import { fromUtf8, utf8 } from '../core/bytes.js';
import { KeelError } from '../core/errors.js';
import {
  ShapeError, arrayField, booleanField, closedObject, integerField, literalField, optionalField, stringField, type JsonObject,
} from '../kv/shape.js';
import { schedulingPolicies, type TaskTimeouts } from './commands.js';
import { isId, taskIdOf, type JobId, type WorkerId } from './ids.js';
import { canonicalJson, compareCodeUnits, payloadText, type JsonText } from './json.js';
import { maxAttemptsMax } from './limits.js';
import type { AttemptEndReason, TaskStatus } from './results.js';
import {
  checkpointBytes, emptyCounts, TaskState, type CheckpointRecord, type FailureRecord, type JobRecord, type LeaseRecord, type TaskRecord,
} from './state.js';

export const TASKS_SNAPSHOT_FORMAT = 'keel-tasks';
export const TASKS_SNAPSHOT_VERSION = 1;

const statuses: readonly TaskStatus[] = ['pending', 'running', 'succeeded', 'failed', 'deadLettered', 'cancelled'];
const reasons: readonly AttemptEndReason[] = ['failed', 'workerDown', 'startToCloseTimeout', 'heartbeatTimeout', 'scheduleToStartTimeout', 'cancelled'];

export interface SnapshotHeader {
  readonly appliedIndex: number;
}

function line(value: unknown): Uint8Array {
  return utf8(`${canonicalJson(value)}\n`);
}

/** The snapshot as chunks (one per line), so a digest never holds the whole text. */
export function* snapshotChunks(state: TaskState, appliedIndex: number): Generator<Uint8Array> {
  yield line({
    format: TASKS_SNAPSHOT_FORMAT, version: TASKS_SNAPSHOT_VERSION, appliedIndex, clockMs: state.clockMs,
    zombieResults: state.zombieResults, zombieCheckpoints: state.zombieCheckpoints, jobs: state.jobs.size, workers: state.workers.size,
  });
  for (const id of [...state.workers.keys()].sort(compareCodeUnits)) {
    const w = state.workers.get(id);
    if (w === undefined) continue;
    yield line({ workerId: w.workerId, capacity: w.capacity, weight: w.weight, handlers: w.handlers, status: w.status, lastSeenMs: w.lastSeenMs });
  }
  for (const job of state.jobs.values()) {
    yield line({
      jobId: job.jobId, seq: job.seq, maxAttempts: job.maxAttempts, policy: job.policy, timeouts: job.timeouts, backoff: job.backoff,
      cancelled: job.cancelled, tasks: job.tasks.length,
    });
    for (const task of job.tasks) yield line(taskLine(task));
  }
}

function taskLine(task: TaskRecord): unknown {
  const c = task.checkpoint;
  return {
    localId: task.localId, handler: task.handler, input: task.input, key: task.key,
    dependsOn: task.dependsOn.map((d) => d.slice(task.jobId.length + 1)),
    status: task.status, attempt: task.attempt, notBeforeMs: task.notBeforeMs, readySinceMs: task.readySinceMs,
    lease: task.lease === undefined ? undefined : { ...task.lease },
    checkpoint: c === undefined ? undefined : {
      state: c.state, attempt: c.attempt, steps: [...c.steps.keys()].sort(compareCodeUnits).map((name) => [name, c.steps.get(name)]),
    },
    result: task.result === undefined ? undefined : { ...task.result },
    lastError: task.lastError === undefined ? undefined : { ...task.lastError },
  };
}

/** Rebuilds a state from snapshot bytes; CHECKPOINT_CORRUPT (naming the line) or FORMAT_VERSION_UNSUPPORTED on bad input. */
export function decodeSnapshot(bytes: Uint8Array, maxAttemptsCap = maxAttemptsMax): { state: TaskState; appliedIndex: number } {
  let lineIndex = 0;
  try {
    const lines = fromUtf8(bytes).split('\n');
    if (lines.pop() !== '') throw new ShapeError('snapshot does not end with a newline');
    const next = (): JsonObject => {
      const text = lines[lineIndex];
      if (text === undefined) throw new ShapeError('snapshot ends early');
      lineIndex += 1;
      return JSON.parse(text) as JsonObject;
    };
    const header = next();
    if (header['format'] !== TASKS_SNAPSHOT_FORMAT) throw new ShapeError(`format is not ${TASKS_SNAPSHOT_FORMAT}`);
    if (header['version'] !== TASKS_SNAPSHOT_VERSION) {
      throw new KeelError('FORMAT_VERSION_UNSUPPORTED', `task snapshot version ${String(header['version'])} is not supported (this build reads ${TASKS_SNAPSHOT_VERSION})`);
    }
    const h = closedObject(header, 'header', ['format', 'version', 'appliedIndex', 'clockMs', 'zombieResults', 'zombieCheckpoints', 'jobs', 'workers']);
    const state = new TaskState();
    state.clockMs = integerField(h, 'clockMs', 'header', 0);
    state.zombieResults = integerField(h, 'zombieResults', 'header', 0);
    state.zombieCheckpoints = integerField(h, 'zombieCheckpoints', 'header', 0);
    const workerCount = integerField(h, 'workers', 'header', 0);
    for (let i = 0; i < workerCount; i++) {
      const w = closedObject(next(), 'worker', ['workerId', 'capacity', 'weight', 'handlers', 'status', 'lastSeenMs']);
      const workerId = idField(w, 'workerId', 'worker') as WorkerId;
      if (state.workers.has(workerId)) throw new ShapeError(`worker ${workerId} twice`);
      state.workers.set(workerId, {
        workerId, capacity: integerField(w, 'capacity', 'worker', 1), weight: integerField(w, 'weight', 'worker', 1),
        handlers: arrayField(w, 'handlers', 'worker').map((x) => idField({ x }, 'x', 'worker.handlers')),
        status: literalField(w, 'status', 'worker', ['up', 'down'] as const), lastSeenMs: integerField(w, 'lastSeenMs', 'worker', 0), leases: new Set(),
      });
    }
    const jobCount = integerField(h, 'jobs', 'header', 0);
    for (let i = 0; i < jobCount; i++) state.addJob(readJob(next));
    if (lineIndex !== lines.length) throw new ShapeError(`${lines.length - lineIndex} lines after the last job`);
    for (const taskId of state.running) {
      const lease = state.task(taskId).lease;
      const worker = lease === undefined ? undefined : state.workers.get(lease.workerId);
      if (worker === undefined) throw new ShapeError(`lease of ${taskId} names an unknown worker`);
      worker.leases.add(taskId);
    }
    state.checkInvariants(maxAttemptsCap);
    return { state, appliedIndex: integerField(h, 'appliedIndex', 'header', 0) };
  } catch (error) {
    if (error instanceof KeelError) throw error;
    if (error instanceof ShapeError || error instanceof AssertionError || error instanceof SyntaxError || error instanceof TypeError) {
      throw new KeelError('CHECKPOINT_CORRUPT', `task snapshot line ${lineIndex}: ${error.message}`, { data: { line: lineIndex }, cause: error });
    }
    throw error;
  }
}

function idField(o: JsonObject, field: string, what: string): string {
  const value = stringField(o, field, what);
  if (!isId(value)) throw new ShapeError(`${what}.${field} is not an id`);
  return value;
}

function textField(o: JsonObject, field: string, what: string): JsonText {
  const value = stringField(o, field, what);
  if (payloadText(JSON.parse(value)) !== value) throw new ShapeError(`${what}.${field} is not canonical JSON`);
  return value as JsonText;
}

function readJob(next: () => JsonObject): JobRecord {
  const j = closedObject(next(), 'job', ['jobId', 'seq', 'maxAttempts', 'policy', 'timeouts', 'backoff', 'cancelled', 'tasks']);
  const jobId = idField(j, 'jobId', 'job') as JobId;
  const t = closedObject(j['timeouts'], 'job.timeouts', [], ['scheduleToStartMs', 'startToCloseMs', 'heartbeatMs']);
  const timeouts: TaskTimeouts = {};
  for (const name of ['scheduleToStartMs', 'startToCloseMs', 'heartbeatMs'] as const) {
    const v = optionalField(t, name, (o, f) => integerField(o, f, 'job.timeouts', 1));
    if (v !== undefined) Object.assign(timeouts, { [name]: v });
  }
  const b = closedObject(j['backoff'], 'job.backoff', ['initialMs', 'maxMs']);
  const count = integerField(j, 'tasks', 'job', 1);
  const tasks: TaskRecord[] = [];
  for (let position = 0; position < count; position++) tasks.push(readTask(next(), jobId, position));
  const byLocal = new Map(tasks.map((task) => [task.localId, task]));
  if (byLocal.size !== tasks.length) throw new ShapeError(`job ${jobId} repeats a task id`);
  for (const task of tasks) {
    for (const dep of task.dependsOn) {
      const target = byLocal.get(dep.slice(jobId.length + 1));
      if (target === undefined) throw new ShapeError(`task ${task.taskId} depends on unknown ${dep}`);
      target.dependents.push(task.taskId);
      if (target.status !== 'succeeded') task.remainingDeps += 1;
    }
  }
  return {
    jobId, seq: integerField(j, 'seq', 'job', 1), maxAttempts: integerField(j, 'maxAttempts', 'job', 1),
    policy: literalField(j, 'policy', 'job', schedulingPolicies), timeouts,
    backoff: { initialMs: integerField(b, 'initialMs', 'backoff', 1), maxMs: integerField(b, 'maxMs', 'backoff', 1) },
    tasks, counts: emptyCounts(), cancelled: booleanField(j, 'cancelled', 'job'), sizeBytes: 0,
  };
}

function readTask(value: JsonObject, jobId: JobId, position: number): TaskRecord {
  const w = 'task';
  const o = closedObject(value, w, ['localId', 'handler', 'input', 'dependsOn', 'status', 'attempt', 'notBeforeMs', 'readySinceMs'],
    ['key', 'lease', 'checkpoint', 'result', 'lastError']);
  const localId = idField(o, 'localId', w);
  const key = optionalField(o, 'key', (x, f) => stringField(x, f, w));
  const lease = optionalField(o, 'lease', (x, f) => readLease(x[f]));
  const checkpoint = optionalField(o, 'checkpoint', (x, f) => readCheckpoint(x[f]));
  const result = optionalField(o, 'result', (x, f) => {
    const r = closedObject(x[f], 'result', ['output', 'attempt', 'workerId']);
    return { output: textField(r, 'output', 'result'), attempt: integerField(r, 'attempt', 'result', 1), workerId: idField(r, 'workerId', 'result') as WorkerId };
  });
  const lastError = optionalField(o, 'lastError', (x, f) => readFailure(x[f]));
  return {
    taskId: taskIdOf(jobId, localId), jobId, localId, position, handler: idField(o, 'handler', w), input: textField(o, 'input', w),
    ...(key === undefined ? {} : { key }),
    dependsOn: arrayField(o, 'dependsOn', w).map((d) => taskIdOf(jobId, idField({ d }, 'd', 'task.dependsOn'))),
    dependents: [], remainingDeps: 0, status: literalField(o, 'status', w, statuses), attempt: integerField(o, 'attempt', w, 0),
    notBeforeMs: integerField(o, 'notBeforeMs', w, 0), readySinceMs: integerField(o, 'readySinceMs', w, 0),
    ...(lease === undefined ? {} : { lease }), ...(checkpoint === undefined ? {} : { checkpoint }),
    ...(result === undefined ? {} : { result }), ...(lastError === undefined ? {} : { lastError }), sizeBytes: 0,
  };
}

function readLease(value: unknown): LeaseRecord {
  const o = closedObject(value, 'lease', ['workerId', 'attempt', 'startedMs'], ['deadlineMs', 'heartbeatDeadlineMs']);
  const deadlineMs = optionalField(o, 'deadlineMs', (x, f) => integerField(x, f, 'lease', 0));
  const heartbeatDeadlineMs = optionalField(o, 'heartbeatDeadlineMs', (x, f) => integerField(x, f, 'lease', 0));
  return {
    workerId: idField(o, 'workerId', 'lease') as WorkerId, attempt: integerField(o, 'attempt', 'lease', 1), startedMs: integerField(o, 'startedMs', 'lease', 0),
    ...(deadlineMs === undefined ? {} : { deadlineMs }), ...(heartbeatDeadlineMs === undefined ? {} : { heartbeatDeadlineMs }),
  };
}

function readCheckpoint(value: unknown): CheckpointRecord {
  const o = closedObject(value, 'checkpoint', ['attempt', 'steps'], ['state']);
  const state = optionalField(o, 'state', (x, f) => textField(x, f, 'checkpoint'));
  const steps = new Map<string, JsonText>();
  for (const entry of arrayField(o, 'steps', 'checkpoint')) {
    if (!Array.isArray(entry) || entry.length !== 2) throw new ShapeError('a checkpoint step is not a [name, result] pair');
    const pair = { name: entry[0] as unknown, result: entry[1] as unknown };
    const name = stringField(pair, 'name', 'step');
    if (steps.has(name)) throw new ShapeError(`step ${name} twice`);
    steps.set(name, textField(pair, 'result', 'step'));
  }
  return { ...(state === undefined ? {} : { state }), steps, attempt: integerField(o, 'attempt', 'checkpoint', 1), sizeBytes: checkpointBytes(state, steps) };
}

function readFailure(value: unknown): FailureRecord {
  const o = closedObject(value, 'lastError', ['message', 'retryable', 'attempt', 'reason'], ['stack']);
  const stack = optionalField(o, 'stack', (x, f) => stringField(x, f, 'lastError'));
  return {
    message: stringField(o, 'message', 'lastError'), ...(stack === undefined ? {} : { stack }), retryable: booleanField(o, 'retryable', 'lastError'),
    attempt: integerField(o, 'attempt', 'lastError', 0), reason: literalField(o, 'reason', 'lastError', reasons),
  };
}
