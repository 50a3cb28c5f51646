/**
 * The exactly-once checker's own account of every task, built only from the applied commands and
 * their results: which tokens were handed out, which lease is live, which results and checkpoints
 * were accepted. Deliberately simpler than `src/tasks` (no timing, no sizes, no scheduling), so
 * that the machine's decisions are judged against an independent model, not against themselves.
 */
import { canonicalJson, maxAttemptsDefault, type CheckpointView, type EndedAttempt, type JsonValue, type SubmitJob, type TaskStatus } from '../tasks/index.js';

/** (a) exactly-once, (b) fencing, (c) checkpoints, (d) oracle; lifecycle and worker: consistency of the log and of what workers saw. */
export type ExactlyOnceProperty = 'exactly-once' | 'fencing' | 'checkpoints' | 'oracle' | 'lifecycle' | 'worker';

export interface ExactlyOnceViolation {
  readonly property: ExactlyOnceProperty;
  readonly taskId: string;
  readonly attempt?: number;
  /** Log index of the entry where it was seen, when it comes from the log. */
  readonly index?: number;
  readonly message: string;
}

export interface ModelCheckpoint {
  readonly attempt: number;
  readonly index: number;
  readonly state?: JsonValue;
  readonly steps: ReadonlyMap<string, JsonValue>;
}

export interface TaskModel {
  readonly taskId: string;
  readonly jobId: string;
  readonly localId: string;
  readonly handler: string;
  readonly input: JsonValue;
  readonly dependsOn: readonly string[];
  readonly dependents: string[];
  readonly maxAttempts: number;
  status: TaskStatus;
  /** Tokens handed out so far. */
  attempts: number;
  lease: { readonly attempt: number; readonly worker: string } | undefined;
  readonly results: { readonly attempt: number; readonly index: number; readonly output: JsonValue }[];
  checkpoint: ModelCheckpoint | undefined;
  /** Per attempt: the worker it was given to and the checkpoint it was given (canonical text, '' for none). */
  readonly assigned: Map<number, { readonly worker: string; readonly index: number; readonly checkpoint: string }>;
}

/** Violations kept in the report; all are counted. */
export const violationsKeptMax = 200;

export class ExactlyOnceModel {
  readonly tasks = new Map<string, TaskModel>();
  readonly jobs = new Map<string, string[]>();
  readonly workersDown = new Set<string>();
  readonly violations: ExactlyOnceViolation[] = [];
  violationCount = 0;

  violate(violation: ExactlyOnceViolation): void {
    this.violationCount += 1;
    if (this.violations.length < violationsKeptMax) this.violations.push(violation);
  }

  /** The task named by a result, or a violation when the model never saw it submitted. */
  task(taskId: string, index: number): TaskModel | undefined {
    const task = this.tasks.get(taskId);
    if (task === undefined) this.violate({ property: 'lifecycle', taskId, index, message: `entry ${index} names task ${taskId}, which no applied submitJob created` });
    return task;
  }

  addJob(command: SubmitJob, jobId: string, taskIds: readonly string[]): void {
    const maxAttempts = command.maxAttempts ?? maxAttemptsDefault;
    const ids: string[] = [];
    command.tasks.forEach((spec, position) => {
      const taskId = taskIds[position] ?? `${jobId}/${spec.id ?? `t${position}`}`;
      const localId = taskId.slice(jobId.length + 1);
      this.tasks.set(taskId, {
        taskId, jobId, localId, handler: spec.handler, input: spec.input, dependsOn: (spec.dependsOn ?? []).map((d) => `${jobId}/${d}`),
        dependents: [], maxAttempts, status: 'pending', attempts: 0, lease: undefined, results: [], checkpoint: undefined, assigned: new Map(),
      });
      ids.push(taskId);
    });
    for (const taskId of ids) {
      for (const dep of this.tasks.get(taskId)?.dependsOn ?? []) this.tasks.get(dep)?.dependents.push(taskId);
    }
    this.jobs.set(jobId, ids);
  }

  /** An attempt ended without a result (fail, expire, workerDown, cancelJob): the lease must be the live one. */
  endAttempt(ended: EndedAttempt, index: number, retryable: boolean): void {
    const task = this.task(ended.taskId, index);
    if (task === undefined) return;
    const where = { taskId: task.taskId, attempt: ended.attempt, index };
    if (task.lease?.attempt !== ended.attempt || task.lease.worker !== ended.workerId) {
      this.violate({ property: 'fencing', ...where, message: `task ${task.taskId}: entry ${index} ended attempt ${ended.attempt} on ${ended.workerId} (${ended.reason}), but the live lease is ${describeLease(task)}` });
    }
    task.lease = undefined;
    this.settle(task, ended.outcome, ended.attempt, index, retryable);
  }

  /** The outcome of an attempt that ended without a result, checked against maxAttempts. */
  settle(task: TaskModel, outcome: EndedAttempt['outcome'], attempt: number, index: number, retryable: boolean): void {
    const where = { taskId: task.taskId, attempt, index };
    if (outcome === 'cancelled') {
      task.status = 'cancelled';
      return;
    }
    const exhausted = !retryable || task.attempts >= task.maxAttempts;
    if (outcome === 'deadLettered') {
      if (!exhausted) this.violate({ property: 'exactly-once', ...where, message: `task ${task.taskId} dead-lettered after attempt ${attempt} of ${task.maxAttempts} with a retryable error` });
      this.deadLetter(task);
    } else {
      if (exhausted) this.violate({ property: 'exactly-once', ...where, message: `task ${task.taskId} retried after attempt ${attempt} though ${retryable ? `maxAttempts ${task.maxAttempts} were used` : 'the error was not retryable'}` });
      task.status = 'pending';
    }
  }

  deadLetter(task: TaskModel): void {
    task.status = 'deadLettered';
    const queue = [...task.dependents];
    for (let i = 0; i < queue.length; i++) {
      const dependent = this.tasks.get(queue[i] ?? '');
      if (dependent === undefined || dependent.status !== 'pending') continue;
      dependent.status = 'failed';
      queue.push(...dependent.dependents);
    }
  }

  /** Applies an accepted checkpoint of `attempt` (the caller checked the token). */
  acceptCheckpoint(task: TaskModel, attempt: number, index: number, state: JsonValue | undefined, step: { readonly name: string; readonly result: JsonValue } | undefined): void {
    const previous = task.checkpoint;
    if (previous !== undefined && attempt < previous.attempt) {
      this.violate({ property: 'checkpoints', taskId: task.taskId, attempt, index, message: `task ${task.taskId}: checkpoint of attempt ${attempt} accepted after one of attempt ${previous.attempt} (went backwards)` });
    }
    const steps = new Map(previous?.steps);
    if (step !== undefined && !steps.has(step.name)) steps.set(step.name, step.result);
    const kept = state ?? previous?.state;
    task.checkpoint = { attempt, index, steps, ...(kept === undefined ? {} : { state: kept }) };
  }
}

export function describeLease(task: TaskModel): string {
  return task.lease === undefined ? 'none' : `attempt ${task.lease.attempt} on ${task.lease.worker}`;
}

/** Canonical text of a checkpoint's content (state and steps; '' for none), for comparison. */
export function checkpointText(checkpoint: ModelCheckpoint | CheckpointView | undefined): string {
  if (checkpoint === undefined) return '';
  const steps: Record<string, JsonValue> = {};
  const entries = checkpoint.steps instanceof Map ? [...(checkpoint.steps as ReadonlyMap<string, JsonValue>)] : Object.entries(checkpoint.steps as Readonly<Record<string, JsonValue>>);
  for (const [name, value] of entries) Object.defineProperty(steps, name, { value, enumerable: true, writable: true, configurable: true });
  return canonicalJson({ state: checkpoint.state, steps, attempt: checkpoint.attempt });
}
