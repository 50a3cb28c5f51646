/**
 * The tasks workload: `clients` loops, each submitting one job at a time (mostly short `square`
 * tasks, some `count` tasks that checkpoint after every step), following its task events and
 * polling its status until it finishes, then reading its results. Each loop has its own client
 * whose endpoint list starts at a different node, so event streams are spread over the nodes.
 *
 * `stop(deadline)` ends submitting; loops then finish the job they follow (until the deadline),
 * and `finish()` settles the submits whose outcome was unknown (a job found by id was applied)
 * and reads back whatever has not finished. Everything lands in `ChaosJobRecord`s.
 */
import { KeelClient, isKeelClientError, type JobHandle } from '../client/index.js';
import { describeError } from '../core/errors.js';
import type { Random } from '../ports/random.js';
import type { JobResponse } from '../api/wire-tasks.js';
import type { JobState, ResultView } from '../tasks/index.js';
import type { ChaosJobRecord, ChaosTaskSpec, TaskEventRecord, UnfinishedTask } from './task-records.js';

/** The shape of every job: `tasksPerJob` tasks, every `countEvery`-th a checkpointing `count`. */
export const taskJobShape = Object.freeze({
  tasksPerJob: 20,
  countEvery: 10,
  countSteps: 6,
  countStepMs: 100,
  /** Worker faults end attempts (workerDown counts as one): enough room that faults alone do not dead-letter. */
  maxAttempts: 20,
});
/** How often a loop asks for its job's state besides following its events (an event stream can stall on a cut-off node). */
const statusPollMs = 1_000;
/** After the status says finished, how long the event stream may still deliver the last events. */
const trailingEventsMs = 500;
/** Task events kept per job (a bound; a job of 20 tasks under faults produces about a hundred). */
export const jobEventsMax = 5_000;

export interface TaskWorkloadHost {
  readonly endpoints: readonly string[];
  readonly random: Random;
  /** Job ids are `<prefix>-<n>`: unique per run, chosen by the harness so an unknown submit can be looked up. */
  readonly jobPrefix: string;
  nowNs(): number;
}

interface JobDraft {
  jobId: string;
  tasks: ChaosTaskSpec[];
  submitNs: number;
  ackNs: number | null;
  submit: 'ok' | 'fail' | 'info';
  submitError?: string;
  endNs: number | null;
  state: JobState | null;
  results: ResultView[] | null;
  unfinished: UnfinishedTask[];
  events: TaskEventRecord[];
}

export class TaskWorkload {
  private readonly drafts: JobDraft[] = [];
  private nextJob = 1;
  private stopping = false;
  private deadlineMs = Number.POSITIVE_INFINITY;

  constructor(private readonly host: TaskWorkloadHost) {}

  get jobs(): readonly ChaosJobRecord[] {
    return this.drafts;
  }

  /** Task commits seen (succeeded events) at or after `ns`. */
  commitsSince(ns: number): number {
    let count = 0;
    for (const job of this.drafts) {
      for (const e of job.events) if (e.event === 'succeeded' && e.atNs >= ns) count++;
    }
    return count;
  }

  /** Runs `clients` submit loops until `stop`. */
  async run(clients: number): Promise<void> {
    await Promise.all(Array.from({ length: clients }, (_, i) => this.loop(this.client(i))));
  }

  /** Stop submitting; jobs being followed get until `deadlineMs` (Date.now() clock) to finish. */
  stop(deadlineMs: number): void {
    this.stopping = true;
    this.deadlineMs = deadlineMs;
  }

  /** After `run` returned: settle unknown submits and read back every job that has not finished (until the deadline). */
  async finish(): Promise<void> {
    const client = this.client(0);
    for (const job of this.drafts.filter((j) => j.submit === 'info')) {
      try {
        await client.jobs.get(job.jobId);
        job.submit = 'ok';
      } catch (error) {
        if (isNotFound(error)) job.submit = 'fail';
        // Otherwise it stays unknown: the summary warns about it.
      }
    }
    await Promise.all(this.drafts.filter((j) => j.submit === 'ok' && j.results === null).map((job) => this.follow(client, job)));
  }

  private client(i: number): KeelClient {
    const n = this.host.endpoints.length;
    const endpoints = Array.from({ length: n }, (_, k) => this.host.endpoints[(i + k) % n]!);
    return new KeelClient({ endpoints, timeoutMs: 2_000, retries: 8, backoffMaxMs: 1_000, watchIdleTimeoutMs: 5_000 });
  }

  private async loop(client: KeelClient): Promise<void> {
    while (!this.stopping) {
      const job = this.draft();
      this.drafts.push(job);
      const handle = await this.submit(client, job);
      if (handle !== undefined) await this.follow(client, job, handle);
    }
  }

  private draft(): JobDraft {
    const index = this.nextJob++;
    const { tasksPerJob, countEvery, countSteps, countStepMs } = taskJobShape;
    const base = this.host.random.int(1_000_000);
    const tasks = Array.from({ length: tasksPerJob }, (_, i): ChaosTaskSpec => (i % countEvery === countEvery - 1
      ? { id: `c${i}`, handler: 'count', input: { steps: countSteps, stepMs: countStepMs } }
      : { id: `s${i}`, handler: 'square', input: { n: base + i } }));
    return {
      jobId: `${this.host.jobPrefix}-${index}`, tasks, submitNs: 0, ackNs: null, submit: 'info', endNs: null, state: null, results: null, unfinished: [], events: [],
    };
  }

  private async submit(client: KeelClient, job: JobDraft): Promise<JobHandle | undefined> {
    job.submitNs = this.host.nowNs();
    try {
      const handle = await client.jobs.submit({ jobId: job.jobId, tasks: job.tasks, maxAttempts: taskJobShape.maxAttempts });
      job.ackNs = this.host.nowNs();
      job.submit = 'ok';
      return handle;
    } catch (error) {
      // A retry of a submit that committed (its answer lost) is refused as JOB_EXISTS: it is applied.
      if (isKeelClientError(error) && error.reason === 'JOB_EXISTS') {
        job.submit = 'ok';
        return client.jobs.handle(job.jobId);
      }
      // Refused outright (invalid, too large) or unknown (no answer): settled in finish().
      job.submit = isKeelClientError(error) && !error.retryable ? 'fail' : 'info';
      job.submitError = describeError(error);
      return undefined;
    }
  }

  /** Follows the job's events and polls its status until it finishes or the deadline passes; then reads its results. */
  private async follow(client: KeelClient, job: JobDraft, handle: JobHandle = client.jobs.handle(job.jobId)): Promise<void> {
    const streaming = new AbortController();
    const events = this.record(handle, job, streaming.signal);
    try {
      while (job.endNs === null && this.inTime()) {
        const streamEnded = await within(events, statusPollMs);
        if (job.endNs !== null) break;
        const view = await this.read(client, job.jobId);
        if (view !== undefined) this.noteView(job, view);
        if (streamEnded && job.endNs === null) await sleep(200);
      }
      await within(events, trailingEventsMs);
    } finally {
      streaming.abort();
      await events;
    }
    if (job.endNs !== null || !this.inTime()) await this.readBack(client, job);
  }

  /** Records task events until the stream ends (the job finished) or `signal` aborts. */
  private async record(handle: JobHandle, job: JobDraft, signal: AbortSignal): Promise<void> {
    try {
      for await (const event of handle.events({ signal })) {
        if (event.type === 'progress') {
          if (event.state !== 'running' && job.endNs === null) {
            job.endNs = this.host.nowNs();
            job.state = event.state;
          }
          continue;
        }
        if (job.events.length >= jobEventsMax) continue;
        job.events.push({
          atNs: this.host.nowNs(), taskId: event.taskId.slice(event.taskId.indexOf('/') + 1), event: event.event, attempt: event.attempt,
          ...(event.worker === undefined ? {} : { worker: event.worker }), ...(event.reason === undefined ? {} : { reason: event.reason }),
        });
      }
    } catch {
      // Aborted by follow(), or the stream gave up (every node failed it several times): the
      // status polls carry on either way, and the missing events only cost recovery samples.
    }
  }

  /** The job's final state, the tasks without a result, and its results (retried until the deadline). */
  private async readBack(client: KeelClient, job: JobDraft): Promise<void> {
    for (;;) {
      try {
        const view = await client.jobs.get(job.jobId);
        this.noteView(job, view);
        job.unfinished = view.tasks.filter((t) => t.status !== 'succeeded').map((t) => ({ id: t.id, status: t.status, attempt: t.attempt }));
        job.results = await client.jobs.results(job.jobId);
        // A task that succeeded between the two reads has a result but is listed: drop it.
        const withResult = new Set(job.results.map((r) => r.taskId));
        job.unfinished = job.unfinished.filter((t) => !withResult.has(t.id));
        return;
      } catch (error) {
        if (isNotFound(error) || !this.inTime()) return;
        await sleep(200);
      }
    }
  }

  private async read(client: KeelClient, jobId: string): Promise<JobResponse | undefined> {
    try {
      return await client.jobs.get(jobId);
    } catch {
      return undefined; // a poll that failed (the cluster is failing over): the next one asks again
    }
  }

  private noteView(job: JobDraft, view: JobResponse): void {
    job.state = view.state;
    if (view.state !== 'running' && job.endNs === null) job.endNs = this.host.nowNs();
  }

  private inTime(): boolean {
    return !this.stopping || Date.now() < this.deadlineMs;
  }
}

function isNotFound(error: unknown): boolean {
  return isKeelClientError(error) && (error.code === 'NotFound' || error.reason === 'JOB_NOT_FOUND');
}

/** Whether `promise` settled within `ms` (the timer is cleared either way). */
async function within(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
