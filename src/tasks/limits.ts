/**
 * Named limits of the task state machine (docs/tasks.md, "Limits"). The fixed ones bound wire
 * sizes; `TaskOptions` holds the capacity limits, which are cluster-wide: every replica must be
 * built with the same options or they diverge (digest comparison reports it).
 */
import { KeelError } from '../core/errors.js';

/** An encoded command above this is refused before parsing (COMMAND_TOO_LARGE). */
export const commandBytesMax = 8 * 1024 * 1024;
/** Nesting depth of a user payload (input, output, checkpoint state, step result). */
export const payloadDepthMax = 64;
/** Of an affinity key, in UTF-8 bytes. */
export const affinityKeyBytesMax = 256;
/** Of a step name, in UTF-8 bytes. */
export const stepNameBytesMax = 256;
/** Failure messages and stacks are clipped (not refused) to these many UTF-16 units. */
export const errorMessageLengthMax = 4096;
export const errorStackLengthMax = 16_384;
/** Upper bound of a job's `maxAttempts`. */
export const maxAttemptsMax = 100;
export const maxAttemptsDefault = 5;
/** Timeouts and backoffs are at most a week, so `nowMs + timeout` stays a safe integer. */
export const durationMsMax = 7 * 24 * 3600 * 1000;
/** `nowMs` is a safe integer >= 0 below this (year 2255 in Unix ms). */
export const nowMsMax = 2 ** 53 - 1 - 2 * durationMsMax;

export interface TaskOptionsInput {
  /** Jobs kept; a submit beyond it evicts the oldest finished job, or fails with JOB_LIMIT. */
  readonly jobsMax?: number;
  /** Tasks in one job (TASK_LIMIT). */
  readonly tasksPerJobMax?: number;
  /** Tasks over all kept jobs (TASK_LIMIT after evicting finished jobs). */
  readonly tasksMax?: number;
  /** Registered workers; a registration beyond it evicts the longest-down worker, or fails with WORKER_LIMIT. */
  readonly workersMax?: number;
  /** Handlers a worker may list. */
  readonly workerHandlersMax?: number;
  /** A worker's capacity (concurrent leases). */
  readonly workerCapacityMax?: number;
  /** Canonical JSON bytes of one task input (PAYLOAD_TOO_LARGE). */
  readonly inputBytesMax?: number;
  /** Canonical JSON bytes of one result (RESULT_TOO_LARGE). */
  readonly outputBytesMax?: number;
  /** Bytes of one task's checkpoint: state plus every step name and result (CHECKPOINT_TOO_LARGE). */
  readonly checkpointBytesMax?: number;
  /** Named steps per task. */
  readonly stepsMax?: number;
  /** Bytes of inputs, outputs, checkpoints and errors of all kept tasks; submits and checkpoints beyond it fail (QUOTA_EXCEEDED). */
  readonly dataBytesMax?: number;
  /** Leases one `expire` command ends; the rest wait for the next (the result says `more`). */
  readonly expireBatchMax?: number;
}

export type TaskOptions = Readonly<Required<TaskOptionsInput>>;

export const taskDefaults = Object.freeze({
  jobsMax: 1000,
  tasksPerJobMax: 10_000,
  tasksMax: 100_000,
  workersMax: 1024,
  workerHandlersMax: 256,
  workerCapacityMax: 1024,
  inputBytesMax: 256 * 1024,
  outputBytesMax: 256 * 1024,
  checkpointBytesMax: 256 * 1024,
  stepsMax: 256,
  dataBytesMax: 256 * 1024 * 1024,
  expireBatchMax: 1024,
} as const satisfies Required<TaskOptionsInput>);

const knownKeys = new Set(Object.keys(taskDefaults));

/** Fills defaults, rejects unknown keys, checks relations; lists every problem at once. */
export function resolveTaskOptions(input: TaskOptionsInput = {}): TaskOptions {
  const problems: string[] = [];
  for (const key of Object.keys(input)) if (!knownKeys.has(key)) problems.push(`unknown option "${key}"`);
  const options: TaskOptions = Object.freeze({ ...taskDefaults, ...input });
  for (const name of Object.keys(taskDefaults) as (keyof TaskOptions)[]) {
    const value = options[name];
    if (!(Number.isSafeInteger(value) && value > 0)) problems.push(`${name} must be a positive integer, got ${String(value)}`);
  }
  if (options.tasksPerJobMax > options.tasksMax) problems.push(`tasksPerJobMax (${options.tasksPerJobMax}) must be <= tasksMax (${options.tasksMax})`);
  if (options.inputBytesMax > commandBytesMax / 2) problems.push(`inputBytesMax (${options.inputBytesMax}) must leave room in commandBytesMax (${commandBytesMax})`);
  if (options.outputBytesMax > commandBytesMax / 2) problems.push(`outputBytesMax (${options.outputBytesMax}) must leave room in commandBytesMax (${commandBytesMax})`);
  if (options.checkpointBytesMax > commandBytesMax / 2) problems.push(`checkpointBytesMax (${options.checkpointBytesMax}) must leave room in commandBytesMax (${commandBytesMax})`);
  if (options.dataBytesMax < options.inputBytesMax + options.checkpointBytesMax) {
    problems.push(`dataBytesMax (${options.dataBytesMax}) must hold one task's input and checkpoint`);
  }
  if (problems.length > 0) throw new KeelError('CONFIG_INVALID', `invalid task options: ${problems.join('; ')}`, { data: { problems } });
  return options;
}
