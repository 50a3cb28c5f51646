/**
 * What the demo saw of the job, with the time it saw it: the job's task events (assigned,
 * succeeded, retried with the reason and the worker that lost the attempt), from which each
 * fault's detection and recovery times are computed after the run. Pure apart from the clock
 * the caller passes in.
 */
import type { JobEvent } from '../../api/wire-tasks.js';

export interface SeenEvent {
  readonly atMs: number;
  /** The task's id within its job (`map-12`, `reduce`). */
  readonly task: string;
  readonly event: Extract<JobEvent, { type: 'task' }>['event'];
  readonly attempt: number;
  readonly worker?: string;
  readonly reason?: string;
}

/** Local id of a task id as events carry it (`jobId/map-12` -> `map-12`). */
export function localTaskId(taskId: string): string {
  return taskId.slice(taskId.indexOf('/') + 1);
}

export class TaskTimeline {
  readonly events: SeenEvent[] = [];
  /** Times at which a `progress` event reported this many succeeded tasks. */
  readonly progress: { atMs: number; succeeded: number }[] = [];

  record(event: JobEvent, atMs: number): void {
    if (event.type === 'progress') {
      this.progress.push({ atMs, succeeded: event.counts.succeeded });
      return;
    }
    this.events.push({
      atMs, task: localTaskId(event.taskId), event: event.event, attempt: event.attempt,
      ...(event.worker === undefined ? {} : { worker: event.worker }), ...(event.reason === undefined ? {} : { reason: event.reason }),
    });
  }

  /** Succeeded tasks per second over the last `windowMs` before `nowMs`. */
  throughput(nowMs: number, windowMs = 5_000): number {
    const recent = this.progress.filter((p) => p.atMs >= nowMs - windowMs);
    const first = recent[0];
    const last = recent.at(-1);
    if (first === undefined || last === undefined || last.atMs === first.atMs) return 0;
    return ((last.succeeded - first.succeeded) * 1000) / Math.max(last.atMs - first.atMs, nowMs - first.atMs);
  }
}

export interface WorkerFaultStats {
  /** Attempts of this worker the cluster ended (its tasks, rescheduled). */
  readonly rescheduled: readonly string[];
  /** From the fault to the first of its attempts ended. */
  readonly detectedMs?: number;
  /** From the fault to each rescheduled task's next assignment to another worker, sorted. */
  readonly recoveryMs: readonly number[];
}

/** Detection and recovery of a worker fault at `atMs`, from the events at or after it (until `untilMs`). */
export function workerFaultStats(events: readonly SeenEvent[], worker: string, atMs: number, untilMs = Infinity): WorkerFaultStats {
  const endedAt = new Map<string, number>();
  for (const e of events) {
    if (e.atMs < atMs || e.atMs > untilMs || e.worker !== worker) continue;
    if ((e.event === 'retry' || e.event === 'deadLettered') && !endedAt.has(e.task)) endedAt.set(e.task, e.atMs);
  }
  const recoveryMs: number[] = [];
  for (const [task, ended] of endedAt) {
    const next = events.find((e) => e.task === task && e.event === 'assigned' && e.atMs >= ended && e.worker !== worker);
    if (next !== undefined) recoveryMs.push(next.atMs - atMs);
  }
  recoveryMs.sort((a, b) => a - b);
  const detected = Math.min(...endedAt.values());
  return { rescheduled: [...endedAt.keys()].sort(), ...(endedAt.size === 0 ? {} : { detectedMs: detected - atMs }), recoveryMs };
}

/** Attempts ended in [fromMs, toMs] whose worker is not one of `except` (collateral rescheduling). */
export function endedAttemptsBetween(events: readonly SeenEvent[], fromMs: number, toMs: number, except: ReadonlySet<string>): number {
  return events.filter((e) => e.atMs >= fromMs && e.atMs <= toMs && (e.event === 'retry' || e.event === 'deadLettered') && !except.has(e.worker ?? '')).length;
}

/** The first task event committed after `atMs` (a leader is in office and committing again). */
export function firstEventAfter(events: readonly SeenEvent[], atMs: number): SeenEvent | undefined {
  return events.find((e) => e.atMs > atMs);
}

/** The attempts `worker` holds now, by the events: task -> attempt. */
export function runningAttempts(events: readonly SeenEvent[], worker: string): Map<string, number> {
  const running = new Map<string, number>();
  for (const e of events) {
    if (e.event === 'assigned' && e.worker === worker) running.set(e.task, e.attempt);
    else running.delete(e.task);
  }
  return running;
}

export function median(sorted: readonly number[]): number | undefined {
  return sorted.length === 0 ? undefined : sorted[Math.floor((sorted.length - 1) / 2)];
}
