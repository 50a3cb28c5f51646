/**
 * The task history the exactly-once checker reads (docs/check.md, "Task histories"): what the
 * replicated task state machine applied, in log order, and what workers saw. Plain JSON, so a
 * history can be written as JSON lines (`keel sim --workload tasks --history`) and read back.
 */
import type { CheckpointView, JsonValue, TaskCommand, TaskResult } from '../tasks/index.js';

/** One applied task command of the committed log and the result the state machine returned. */
export interface AppliedTaskRecord {
  readonly kind: 'applied';
  /** Raft log index (strictly increasing through `TaskHistory.log`; gaps are other machines' entries). */
  readonly index: number;
  readonly command: TaskCommand;
  readonly result: TaskResult;
}

/** What a worker answers to `response` with, per attempt. */
export type ResponseOutcome =
  /** The result was committed by this request (`complete` with `duplicate: false`). */
  | 'committed'
  /** A retried request: the result of this attempt had already been committed. */
  | 'duplicate'
  /** Refused with STALE_ATTEMPT: a zombie's result. */
  | 'stale'
  /** Any other error result. */
  | 'error';

/** Worker-side observations, in the order they happened (`atMs` is the observer's clock). */
export type WorkerObservation =
  /** The worker began running an attempt, resuming from `checkpoint` (as delivered to it). */
  | {
    readonly kind: 'started'; readonly atMs: number; readonly worker: string; readonly taskId: string; readonly attempt: number;
    readonly checkpoint?: CheckpointView;
  }
  /** The worker sent (the first time) the result of an attempt. */
  | { readonly kind: 'resultSent'; readonly atMs: number; readonly worker: string; readonly taskId: string; readonly attempt: number; readonly output: JsonValue }
  /** The definitive answer to that result. */
  | {
    readonly kind: 'response'; readonly atMs: number; readonly worker: string; readonly taskId: string; readonly attempt: number;
    readonly outcome: ResponseOutcome; readonly code?: string;
  };

export interface TaskHistory {
  readonly log: readonly AppliedTaskRecord[];
  readonly observations: readonly WorkerObservation[];
}

/** One JSON line per record: the log first (index order), then the observations. */
export function taskHistoryLines(history: TaskHistory): string[] {
  return [...history.log, ...history.observations].map((record) => JSON.stringify(record));
}
