/**
 * The record of the tasks workload, as written to `jobs.jsonl` (one `ChaosJobRecord` per line):
 * what was submitted, when, what the client saw of it (task events, with the harness's receive
 * times) and what it read back at the end (results, the state of the tasks without one). The
 * summarizer (summarize-tasks.ts) decides from these records alone, so a recorded run can be
 * re-checked, or doctored to show that the checks bite.
 */
import type { JobState, JsonValue, ResultView, TaskStatus } from '../tasks/index.js';

// Types rather than interfaces: they must be assignable to JsonValue (an interface has no index signature).
export type SquareInput = { readonly n: number };
export type CountInput = { readonly steps: number; readonly stepMs: number };

export type ChaosTaskSpec =
  | { readonly id: string; readonly handler: 'square'; readonly input: SquareInput }
  | { readonly id: string; readonly handler: 'count'; readonly input: CountInput };

/** A `task` job event as the harness received it; `taskId` is the local id (without the job). */
export interface TaskEventRecord {
  readonly atNs: number;
  readonly taskId: string;
  readonly event: 'assigned' | 'succeeded' | 'retry' | 'failed' | 'deadLettered' | 'cancelled';
  readonly attempt: number;
  readonly worker?: string;
  readonly reason?: string;
}

/** A task of the job that has no result at the end, with its status then. */
export interface UnfinishedTask {
  readonly id: string;
  readonly status: TaskStatus;
  readonly attempt: number;
}

export interface ChaosJobRecord {
  readonly jobId: string;
  readonly tasks: readonly ChaosTaskSpec[];
  readonly submitNs: number;
  /** When the submit was acknowledged (null: never; a job found afterwards has none either). */
  readonly ackNs: number | null;
  /** ok: acknowledged or found afterwards; fail: not applied (refused, or not found at the end); info: unknown. */
  readonly submit: 'ok' | 'fail' | 'info';
  readonly submitError?: string;
  /** When the harness saw the job finished (events or a status poll); null if it never did. */
  readonly endNs: number | null;
  /** The job's state when last read; null if it was never read. */
  readonly state: JobState | null;
  /** Committed results read at the end (task order); null if they could not be read. */
  readonly results: readonly ResultView[] | null;
  /** Tasks without a result when the job was last read. */
  readonly unfinished: readonly UnfinishedTask[];
  readonly events: readonly TaskEventRecord[];
}

/** The handlers' outputs (src/chaos/chaos-tasks.ts). */
export type SquareOutput = { readonly n: number; readonly square: number; readonly attempt: number; readonly worker: string | null };
export type CountOutput = { readonly at: number; readonly resumedFrom: readonly number[]; readonly attempt: number; readonly worker: string | null };

/** One JSON line per job, each ending in a newline. */
export function formatJobs(jobs: readonly ChaosJobRecord[]): string {
  return jobs.map((job) => `${JSON.stringify(job)}\n`).join('');
}

/**
 * Reads jobs.jsonl back (blank lines skipped). Checks the outline of each record only (the fields
 * the summarizer needs, with their types); it is the harness's own output, not user input.
 */
export function parseJobs(text: string): ChaosJobRecord[] {
  const jobs: ChaosJobRecord[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    const value = JSON.parse(line) as JsonValue;
    const r = value as unknown as Record<string, unknown>;
    const ok = typeof r.jobId === 'string' && Array.isArray(r.tasks) && typeof r.submitNs === 'number' && ['ok', 'fail', 'info'].includes(r.submit as string)
      && Array.isArray(r.events) && Array.isArray(r.unfinished) && (r.results === null || Array.isArray(r.results));
    if (!ok) throw new Error(`jobs.jsonl line ${index + 1}: not a job record`);
    jobs.push(value as unknown as ChaosJobRecord);
  });
  return jobs;
}
