/**
 * The task SDK: what a tasks module imports. `defineTasks({ name: handler })` marks the module's
 * default export; each handler gets its input and a context for checkpoints, memoized steps,
 * the abort signal of its lease, and the attempt's idempotency key.
 */
import type { ResultView } from '../api/wire-tasks.js';
import type { JsonValue } from '../tasks/json.js';

export type { JsonValue };

/** Which attempt this is: `key` (`taskId#token`) is unique per attempt, for the handler's own side effects. */
export interface AttemptInfo {
  readonly taskId: string;
  /** The fencing token: grows with every attempt of the task. */
  readonly token: number;
  readonly key: string;
}

export interface TaskContext {
  readonly jobId: string;
  readonly taskId: string;
  readonly attempt: AttemptInfo;
  /** Aborted when the lease is lost (timeout, cancel, the worker declared down): stop and return. */
  readonly signal: AbortSignal;
  /** The state saved by the last `checkpoint` of any earlier attempt, or undefined on a first run. */
  checkpointed<T extends JsonValue = JsonValue>(): Promise<T | undefined>;
  /** Saves progress durably in the cluster (replicated); a re-run resumes from it. Size-limited (256 KiB by default). */
  checkpoint(state: JsonValue): Promise<void>;
  /** Runs `fn` once per task: a retry gets the recorded result of a step that finished (keyed by name). */
  step<T extends JsonValue>(name: string, fn: () => T | Promise<T>): Promise<T>;
  /** The committed results of this task's job so far (a reduce task reads its map results here). */
  results(): Promise<readonly ResultView[]>;
}

export type TaskHandler<I = never, O extends JsonValue = JsonValue> = (input: I, ctx: TaskContext) => O | Promise<O>;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- handlers declare their own input types
export type TaskHandlers = Readonly<Record<string, TaskHandler<any, any>>>;

const marker = Symbol.for('keel.tasks');

export interface TaskDefinitions<H extends TaskHandlers = TaskHandlers> {
  readonly [marker]: true;
  readonly handlers: H;
}

export function defineTasks<H extends TaskHandlers>(handlers: H): TaskDefinitions<H> {
  for (const [name, handler] of Object.entries(handlers)) {
    if (!/^[A-Za-z0-9_.:-]{1,128}$/.test(name)) throw new TypeError(`task handler name ${JSON.stringify(name)} must be 1-128 of letters, digits, _ . : -`);
    if (typeof handler !== 'function') throw new TypeError(`task handler ${name} is not a function`);
  }
  return { [marker]: true, handlers };
}

export function isTaskDefinitions(value: unknown): value is TaskDefinitions {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
}

/** Thrown by a handler: the task is dead-lettered at once instead of retried. */
export class NonRetryableError extends Error {
  override readonly name = 'NonRetryableError';
  readonly retryable = false;
}
