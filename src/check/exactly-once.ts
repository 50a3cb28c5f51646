/**
 * The exactly-once checker (docs/check.md, "Exactly-once checker"): reads a task history (the
 * applied task commands of the committed log with their results, plus worker observations) and
 * checks, against its own model of leases (exactly-once-model.ts):
 *
 * (a) every task of every submitted job ends with exactly one committed result, or dead-lettered
 *     after exhausting its attempts (or on a non-retryable error), or failed by a dependency, or
 *     cancelled; never both, never two results;
 * (b) no result or failure is accepted unless its token is the live lease's, and no live token is
 *     refused as stale;
 * (c) checkpoints never go backwards: none accepted from a token that is not live or older than
 *     the last accepted one, and every attempt starts from the last accepted checkpoint;
 * (d) with an oracle, every committed output equals the expected output for the task's input.
 *
 * Pure: no I/O, no clock. Never throws on a well-typed history; problems are violations.
 */
import { assertNever } from '../core/assert.js';
import { canonicalJson, type JsonValue, type TaskCommand, type TaskResult } from '../tasks/index.js';
import { checkpointText, describeLease, ExactlyOnceModel, type ExactlyOnceViolation, type TaskModel } from './exactly-once-model.js';
import type { AppliedTaskRecord, TaskHistory, WorkerObservation } from './task-history.js';

export type { ExactlyOnceProperty, ExactlyOnceViolation } from './exactly-once-model.js';

/** What the oracle is told about a task. */
export interface OracleTask {
  readonly taskId: string;
  readonly jobId: string;
  readonly localId: string;
  readonly handler: string;
  readonly input: JsonValue;
}

export interface ExactlyOnceOptions {
  /** The expected output of a task, or undefined when it has none to compare (property d). */
  readonly oracle?: (task: OracleTask) => JsonValue | undefined;
  /** A task still pending or running at the end is a violation (default true). */
  readonly requireFinished?: boolean;
}

export interface ExactlyOnceReport {
  readonly ok: boolean;
  readonly tasks: number;
  /** Tasks with exactly one committed result. */
  readonly committed: number;
  readonly deadLettered: number;
  /** Tasks that could not run because a dependency was dead-lettered. */
  readonly failed: number;
  readonly cancelled: number;
  /** Tasks still pending or running at the end of the history. */
  readonly unfinished: number;
  /** Tasks with more than one committed result (must be 0). */
  readonly duplicates: number;
  /** Results (complete or fail) refused with STALE_ATTEMPT by the state machine: zombies fenced off. */
  readonly staleRejected: number;
  readonly staleCheckpointsRejected: number;
  /** Retried results acknowledged as `duplicate: true` (no change). */
  readonly retriedAcks: number;
  /** Zombie results the workers were told were refused (from their observations). */
  readonly zombieResultsRefused: number;
  /** Attempts started, and of those resumed from a checkpoint (from the log). */
  readonly attempts: number;
  readonly resumedFromCheckpoint: number;
  /** All violations counted; the first violationsKeptMax listed. */
  readonly violationCount: number;
  readonly violations: readonly ExactlyOnceViolation[];
}

export function checkExactlyOnce(history: TaskHistory, options: ExactlyOnceOptions = {}): ExactlyOnceReport {
  const run = new CheckRun();
  let previousIndex = 0;
  for (const record of history.log) {
    if (record.index <= previousIndex) run.model.violate({ property: 'lifecycle', taskId: '', index: record.index, message: `log record ${record.index} follows ${previousIndex}: indexes must increase` });
    previousIndex = record.index;
    run.apply(record);
  }
  for (const observation of history.observations) run.observe(observation);
  return run.report(options);
}

class CheckRun {
  readonly model = new ExactlyOnceModel();
  private staleRejected = 0;
  private staleCheckpointsRejected = 0;
  private retriedAcks = 0;
  private zombieResultsRefused = 0;
  private attempts = 0;
  private resumed = 0;

  apply(record: AppliedTaskRecord): void {
    const { command, result, index } = record;
    if (result.kind === 'error') return this.onRefused(command, result.code, index);
    if (result.kind !== command.kind) {
      this.model.violate({ property: 'lifecycle', taskId: '', index, message: `entry ${index}: a ${command.kind} command has a ${result.kind} result` });
      return;
    }
    this.onAccepted(command, result, index);
  }

  private onAccepted(command: TaskCommand, result: Exclude<TaskResult, { kind: 'error' }>, index: number): void {
    const m = this.model;
    switch (result.kind) {
      case 'submitJob':
        if (command.kind === 'submitJob') m.addJob(command, result.jobId, result.taskIds);
        return;
      case 'registerWorker': m.workersDown.delete(result.workerId); return;
      case 'workerHeartbeat': return;
      case 'assign': return this.onAssign(result, index);
      case 'checkpoint':
        if (command.kind === 'checkpoint') this.onCheckpoint(command.taskId, command.attempt, index, command.state, command.step);
        return;
      case 'complete':
        if (command.kind === 'complete') this.onComplete(command.taskId, command.attempt, command.output, result.duplicate, index);
        return;
      case 'fail':
        if (command.kind === 'fail') this.onFail(command.taskId, command.attempt, command.error.retryable, result, index);
        return;
      case 'expire':
        for (const ended of result.ended) m.endAttempt(ended, index, true);
        for (const unstarted of result.unstarted) {
          const task = m.task(unstarted.taskId, index);
          if (task === undefined) continue;
          if (task.status !== 'pending') m.violate({ property: 'lifecycle', taskId: task.taskId, index, message: `task ${task.taskId} dead-lettered as unstarted while ${task.status}` });
          m.deadLetter(task);
        }
        return;
      case 'workerDown': {
        const ended = new Set(result.ended.map((e) => e.taskId as string));
        for (const task of m.tasks.values()) {
          if (task.lease?.worker === result.workerId && !ended.has(task.taskId)) {
            m.violate({ property: 'fencing', taskId: task.taskId, attempt: task.lease.attempt, index, message: `task ${task.taskId}: worker ${result.workerId} declared down at entry ${index}, but its lease of attempt ${task.lease.attempt} was not ended` });
          }
        }
        for (const e of result.ended) m.endAttempt(e, index, true);
        m.workersDown.add(result.workerId);
        return;
      }
      case 'cancelJob': return this.onCancel(result.jobId, result.cancelled, result.ended, index);
      default: return assertNever(result);
    }
  }

  private onRefused(command: TaskCommand, code: string, index: number): void {
    if (command.kind !== 'complete' && command.kind !== 'fail' && command.kind !== 'checkpoint') return;
    const task = this.model.tasks.get(command.taskId);
    if (code !== 'STALE_ATTEMPT' || task === undefined) return;
    if (command.kind === 'checkpoint') this.staleCheckpointsRejected += 1;
    else this.staleRejected += 1;
    if (task.lease?.attempt === command.attempt) {
      this.model.violate({ property: 'fencing', taskId: task.taskId, attempt: command.attempt, index, message: `task ${task.taskId}: ${command.kind} of attempt ${command.attempt} refused as stale at entry ${index}, but that attempt holds the live lease` });
    }
  }

  private onAssign(result: Extract<TaskResult, { kind: 'assign' }>, index: number): void {
    const m = this.model;
    const task = m.task(result.taskId, index);
    if (task === undefined) return;
    const { attempt, workerId } = result.lease;
    const where = { taskId: task.taskId, attempt, index };
    if (task.status !== 'pending' || task.lease !== undefined) {
      m.violate({ property: 'lifecycle', ...where, message: `task ${task.taskId} assigned attempt ${attempt} at entry ${index} while ${task.status} (live lease: ${describeLease(task)})` });
    }
    if (attempt !== task.attempts + 1) m.violate({ property: 'fencing', ...where, message: `task ${task.taskId}: token ${attempt} handed out after ${task.attempts} (tokens must grow by one)` });
    if (attempt > task.maxAttempts) m.violate({ property: 'exactly-once', ...where, message: `task ${task.taskId}: attempt ${attempt} started, maxAttempts is ${task.maxAttempts}` });
    if (m.workersDown.has(workerId)) m.violate({ property: 'lifecycle', ...where, message: `task ${task.taskId}: attempt ${attempt} assigned to ${workerId}, which was declared down` });
    for (const dep of task.dependsOn) {
      const status = m.tasks.get(dep)?.status;
      if (status !== 'succeeded') m.violate({ property: 'lifecycle', ...where, message: `task ${task.taskId}: attempt ${attempt} started while its dependency ${dep} is ${status ?? 'unknown'}` });
    }
    const given = checkpointText(result.checkpoint);
    const expected = checkpointText(task.checkpoint);
    if (given !== expected) {
      const last = task.checkpoint === undefined ? 'none was accepted' : `the last accepted is attempt ${task.checkpoint.attempt}'s (entry ${task.checkpoint.index})`;
      m.violate({ property: 'checkpoints', ...where, message: `task ${task.taskId}: attempt ${attempt} starts from ${result.checkpoint === undefined ? 'no checkpoint' : `attempt ${result.checkpoint.attempt}'s checkpoint`}, but ${last}` });
    }
    this.attempts += 1;
    if (result.checkpoint !== undefined) this.resumed += 1;
    task.attempts = Math.max(task.attempts, attempt);
    task.lease = { attempt, worker: workerId };
    task.status = 'running';
    task.assigned.set(attempt, { worker: workerId, index, checkpoint: given });
  }

  private onCheckpoint(taskId: string, attempt: number, index: number, state: JsonValue | undefined, step: { readonly name: string; readonly result: JsonValue } | undefined): void {
    const task = this.model.task(taskId, index);
    if (task === undefined) return;
    if (task.lease?.attempt !== attempt) {
      this.model.violate({ property: 'checkpoints', taskId, attempt, index, message: `task ${taskId}: checkpoint of attempt ${attempt} accepted at entry ${index} while the live lease is ${describeLease(task)}` });
    }
    this.model.acceptCheckpoint(task, attempt, index, state, step);
  }

  private onComplete(taskId: string, attempt: number, output: JsonValue, duplicate: boolean, index: number): void {
    const m = this.model;
    const task = m.task(taskId, index);
    if (task === undefined) return;
    const where = { taskId, attempt, index };
    if (duplicate) {
      this.retriedAcks += 1;
      const committed = task.results[0]?.attempt;
      if (committed !== attempt) m.violate({ property: 'exactly-once', ...where, message: `task ${taskId}: complete of attempt ${attempt} acknowledged as a duplicate at entry ${index}, but the committed result is ${committed === undefined ? 'none' : `attempt ${committed}'s`}` });
      return;
    }
    if (task.lease?.attempt !== attempt) {
      m.violate({ property: 'fencing', ...where, message: `task ${taskId}: result of attempt ${attempt} committed at entry ${index} with a stale token (live lease: ${describeLease(task)})` });
    }
    const first = task.results[0];
    if (first !== undefined) {
      m.violate({ property: 'exactly-once', ...where, message: `task ${taskId}: a second result committed at entry ${index} (attempt ${attempt}; attempt ${first.attempt}'s was committed at entry ${first.index})` });
    } else if (task.status === 'deadLettered' || task.status === 'failed' || task.status === 'cancelled') {
      m.violate({ property: 'exactly-once', ...where, message: `task ${taskId}: result of attempt ${attempt} committed at entry ${index} after the task was ${task.status}` });
    }
    task.results.push({ attempt, index, output });
    task.lease = undefined;
    task.status = 'succeeded';
  }

  private onFail(taskId: string, attempt: number, retryable: boolean, result: Extract<TaskResult, { kind: 'fail' }>, index: number): void {
    const m = this.model;
    const task = m.task(taskId, index);
    if (task === undefined) return;
    if (result.duplicate) {
      this.retriedAcks += 1;
      return;
    }
    if (task.lease?.attempt !== attempt) {
      m.violate({ property: 'fencing', taskId, attempt, index, message: `task ${taskId}: failure of attempt ${attempt} accepted at entry ${index} with a stale token (live lease: ${describeLease(task)})` });
    }
    task.lease = undefined;
    if (result.status === 'pending' || result.status === 'deadLettered') m.settle(task, result.status === 'pending' ? 'retry' : 'deadLettered', attempt, index, retryable);
    else m.violate({ property: 'lifecycle', taskId, attempt, index, message: `task ${taskId}: failure of attempt ${attempt} left it ${result.status}` });
  }

  private onCancel(jobId: string, cancelled: number, ended: Extract<TaskResult, { kind: 'cancelJob' }>['ended'], index: number): void {
    const m = this.model;
    const tasks = (m.jobs.get(jobId) ?? []).map((id) => m.tasks.get(id)).filter((t): t is TaskModel => t !== undefined);
    const open = tasks.filter((t) => t.status === 'pending' || t.status === 'running');
    if (open.length !== cancelled) m.violate({ property: 'lifecycle', taskId: `${jobId}/*`, index, message: `job ${jobId}: cancel at entry ${index} cancelled ${cancelled} tasks, the model has ${open.length} pending or running` });
    for (const e of ended) m.endAttempt(e, index, false);
    for (const task of open) task.status = 'cancelled';
  }

  observe(o: WorkerObservation): void {
    const m = this.model;
    const task = m.tasks.get(o.taskId);
    const where = { taskId: o.taskId, attempt: o.attempt };
    if (task === undefined) {
      m.violate({ property: 'worker', ...where, message: `worker ${o.worker} reports ${o.kind} for task ${o.taskId}, which the log never created` });
      return;
    }
    switch (o.kind) {
      case 'started': {
        const assigned = task.assigned.get(o.attempt);
        if (assigned?.worker !== o.worker) {
          m.violate({ property: 'worker', ...where, message: `task ${o.taskId}: ${o.worker} started attempt ${o.attempt}, which the log ${assigned === undefined ? 'never assigned' : `assigned to ${assigned.worker}`}` });
        } else if (checkpointText(o.checkpoint) !== assigned.checkpoint) {
          m.violate({ property: 'checkpoints', ...where, message: `task ${o.taskId}: attempt ${o.attempt} started from a checkpoint other than the one its assign (entry ${assigned.index}) carried` });
        }
        return;
      }
      case 'resultSent': return;
      case 'response': {
        const committed = task.results[0];
        if ((o.outcome === 'committed' || o.outcome === 'duplicate') && committed?.attempt !== o.attempt) {
          m.violate({ property: 'exactly-once', ...where, message: `task ${o.taskId}: ${o.worker} was told attempt ${o.attempt}'s result was committed, but the log committed ${committed === undefined ? 'none' : `attempt ${committed.attempt}'s`}` });
        }
        if (o.outcome === 'stale') this.zombieResultsRefused += 1;
        return;
      }
      default: return assertNever(o);
    }
  }

  report(options: ExactlyOnceOptions): ExactlyOnceReport {
    const m = this.model;
    let committed = 0;
    let deadLettered = 0;
    let failed = 0;
    let cancelled = 0;
    let unfinished = 0;
    let duplicates = 0;
    for (const task of m.tasks.values()) {
      if (task.results.length > 1) duplicates += 1;
      if (task.results.length > 0 && task.status !== 'succeeded') {
        m.violate({ property: 'exactly-once', taskId: task.taskId, message: `task ${task.taskId} has a committed result (attempt ${task.results[0]?.attempt}) and ended ${task.status}` });
      }
      switch (task.status) {
        case 'succeeded': committed += 1; break;
        case 'deadLettered': deadLettered += 1; break;
        case 'failed': failed += 1; break;
        case 'cancelled': cancelled += 1; break;
        case 'pending':
        case 'running':
          unfinished += 1;
          if (options.requireFinished ?? true) {
            m.violate({ property: 'exactly-once', taskId: task.taskId, attempt: task.attempts, message: `task ${task.taskId} never finished: ${task.status} after ${task.attempts} attempt(s) (live lease: ${describeLease(task)})` });
          }
          break;
        default: assertNever(task.status);
      }
      this.checkOutput(task, options);
    }
    return {
      ok: m.violationCount === 0, tasks: m.tasks.size, committed, deadLettered, failed, cancelled, unfinished, duplicates,
      staleRejected: this.staleRejected, staleCheckpointsRejected: this.staleCheckpointsRejected, retriedAcks: this.retriedAcks,
      zombieResultsRefused: this.zombieResultsRefused, attempts: this.attempts, resumedFromCheckpoint: this.resumed,
      violationCount: m.violationCount, violations: m.violations,
    };
  }

  private checkOutput(task: TaskModel, options: ExactlyOnceOptions): void {
    const result = task.results[0];
    if (result === undefined || options.oracle === undefined) return;
    const expected = options.oracle({ taskId: task.taskId, jobId: task.jobId, localId: task.localId, handler: task.handler, input: task.input });
    if (expected === undefined) return;
    const got = canonicalJson(result.output);
    const want = canonicalJson(expected);
    if (got !== want) this.model.violate({ property: 'oracle', taskId: task.taskId, attempt: result.attempt, index: result.index, message: `task ${task.taskId}: committed output ${clip(got)} (attempt ${result.attempt}), expected ${clip(want)}` });
  }
}

function clip(text: string): string {
  return text.length <= 120 ? text : `${text.slice(0, 117)}...`;
}
