/**
 * Job event streams on any node: after each applied task entry, the jobs it touched get a
 * `progress` event (coalesced: at most one per job per flush) and their tasks `task` events.
 * A stream ends after the event that shows its job finished.
 */
import type { StreamSink } from '../../api/task-backend.js';
import type { JobEvent } from '../../api/wire-tasks.js';
import type { Timers } from '../../ports/clock.js';
import { jobState, type EndedAttempt, type JobId, type TaskResult } from '../../tasks/index.js';
import type { KeelNode } from '../keel-node.js';

const subscribersMax = 10_000;
const flushMs = 50;

export class JobEventHub {
  private readonly subscribers = new Map<string, Set<StreamSink<JobEvent>>>();
  private readonly pending = new Map<string, JobEvent[]>();
  private count = 0;
  private flushScheduled = false;

  constructor(private readonly node: KeelNode, private readonly timers: Timers) {
    node.on({ onTaskApplied: (result) => this.onTaskApplied(result) });
  }

  /** Starts with the job's current progress; undefined when the job is unknown here. */
  subscribe(jobId: string, sink: StreamSink<JobEvent>): (() => void) | undefined {
    const progress = this.progress(jobId);
    if (progress === undefined) return undefined;
    if (this.count >= subscribersMax) {
      sink.close();
      return () => undefined;
    }
    sink.send(progress);
    if (progress.type === 'progress' && progress.state !== 'running') {
      sink.close();
      return () => undefined;
    }
    let set = this.subscribers.get(jobId);
    if (set === undefined) this.subscribers.set(jobId, (set = new Set()));
    set.add(sink);
    this.count += 1;
    return () => {
      if (set.delete(sink)) this.count -= 1;
      if (set.size === 0) this.subscribers.delete(jobId);
    };
  }

  private progress(jobId: string): JobEvent | undefined {
    const job = this.node.tasks.view.jobs.get(jobId as JobId);
    return job === undefined ? undefined : { type: 'progress', jobId, state: jobState(job), counts: { ...job.counts } };
  }

  private onTaskApplied(result: TaskResult): void {
    if (this.subscribers.size === 0) return;
    for (const event of taskEvents(result)) {
      if (!this.subscribers.has(event.jobId)) continue;
      let list = this.pending.get(event.jobId);
      if (list === undefined) this.pending.set(event.jobId, (list = []));
      if (list.length < 1000) list.push(event);
    }
    if (this.pending.size > 0 && !this.flushScheduled) {
      this.flushScheduled = true;
      this.timers.after(flushMs, () => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    const pending = [...this.pending];
    this.pending.clear();
    for (const [jobId, events] of pending) {
      const sinks = this.subscribers.get(jobId);
      if (sinks === undefined) continue;
      const progress = this.progress(jobId);
      for (const sink of [...sinks]) {
        for (const event of events) sink.send(event);
        if (progress !== undefined) sink.send(progress);
        if (progress === undefined || (progress.type === 'progress' && progress.state !== 'running')) sink.close();
      }
    }
  }
}

/** The task-level events an applied result stands for (progress is added per job at flush). */
export function taskEvents(result: TaskResult): JobEvent[] {
  const jobOf = (taskId: string): string => taskId.slice(0, taskId.indexOf('/'));
  const ended = (list: readonly EndedAttempt[]): JobEvent[] => list.map((e) => ({
    type: 'task', jobId: jobOf(e.taskId), taskId: e.taskId, attempt: e.attempt, worker: e.workerId, reason: e.reason,
    event: e.outcome === 'retry' ? 'retry' : e.outcome,
  }));
  switch (result.kind) {
    case 'assign': return [{ type: 'task', jobId: result.jobId, taskId: result.taskId, event: 'assigned', attempt: result.lease.attempt, worker: result.lease.workerId }];
    case 'complete': return result.duplicate ? [] : [{ type: 'task', jobId: jobOf(result.taskId), taskId: result.taskId, event: 'succeeded', attempt: result.attempt }];
    case 'fail':
      if (result.duplicate) return [];
      return [{ type: 'task', jobId: jobOf(result.taskId), taskId: result.taskId, attempt: result.attempt, reason: 'failed', event: result.status === 'deadLettered' ? 'deadLettered' : 'retry' }];
    case 'workerDown': case 'expire': case 'cancelJob': return ended(result.ended);
    case 'submitJob': return result.taskIds.length > 0 ? [{ type: 'progress', jobId: result.jobId, state: 'running', counts: { pending: result.taskIds.length, running: 0, succeeded: 0, failed: 0, deadLettered: 0, cancelled: 0 } }] : [];
    default: return [];
  }
}
